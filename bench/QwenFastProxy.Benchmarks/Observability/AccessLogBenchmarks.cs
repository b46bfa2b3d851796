using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Benchmarks.Http;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using ZLogger;

namespace QwenFastProxy.Benchmarks.Observability;

/// <summary>
/// One request's access-log line (<see cref="AccessLog.RequestCompleted"/>) for a streamed chat
/// completion, in the text and the JSON format, without metrics (they are counted separately).
/// <list type="bullet">
/// <item><c>Disabled</c> (baseline): the information level off, i.e. the cost of the call when off.</item>
/// <item><c>Formatted</c>: the line captured and formatted by ZLogger on the calling thread (its whole CPU
/// cost), configured as <see cref="LoggingSetup"/> configures ZLogger, bytes discarded: how the line was made
/// before <see cref="AccessLineSink"/>, and how it still is under any other logger factory.</item>
/// <item><c>Queued</c>: <see cref="LoggingSetup.Create"/> itself writing to a discarding stream: what the
/// request thread pays in production, where the line is formatted by hand on that thread
/// (<see cref="AccessLineFormat"/>) and appended to the sink's batch. A tight loop outruns any writer, so the
/// 4 MB bound drops lines; the cleanup prints posted vs. written so a run can be checked.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class AccessLogBenchmarks
{
    private HttpRequest _request = null!;
    private RequestContext _context = null!;
    private ILoggerFactory _disabledFactory = null!;
    private ILoggerFactory _formattedFactory = null!;
    private ILoggerFactory _queuedFactory = null!;
    private InlineFormattingProcessor _inline = null!;
    private DiscardingStream _queuedOutput = null!;
    private AccessLog _disabled = null!;
    private AccessLog _formatted = null!;
    private AccessLog _queued = null!;
    private long _queuedPosts;

    [Params(LogFormat.Text, LogFormat.Json)]
    public LogFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _context = CompletedStreamingExchange(out _request);

        var options = new ZLoggerOptions();
        ConfigureAsLoggingSetup(options, Format);
        _inline = new InlineFormattingProcessor(options.CreateFormatter());
        _formattedFactory = Factory(LogLevel.Information, _inline);
        _disabledFactory = Factory(LogLevel.Warning, _inline);
        _queuedOutput = new DiscardingStream();
        _queuedFactory = LoggingSetup.Create(debug: false, Format, _queuedOutput);

        _disabled = new AccessLog(_disabledFactory);
        _formatted = new AccessLog(_formattedFactory);
        _queued = new AccessLog(_queuedFactory);

        _formatted.RequestCompleted(_context);
        if (_inline.LastLineBytes < 200)
        {
            throw new InvalidOperationException($"Suspiciously short access line: {_inline.LastLineBytes} bytes.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disabledFactory.Dispose();
        _formattedFactory.Dispose();
        // Disposing waits for the background writer to write out what is queued.
        _queuedFactory.Dispose();
        Console.WriteLine($"// Queued {Format}: {_queuedPosts} lines posted, {_queuedOutput.LinesWritten} written ({_queuedPosts - _queuedOutput.LinesWritten} dropped); formatted line {_inline.LastLineBytes} bytes");
        _request.Content.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Disabled() => _disabled.RequestCompleted(_context);

    [Benchmark]
    public void Formatted() => _formatted.RequestCompleted(_context);

    [Benchmark]
    public void Queued()
    {
        _queuedPosts++;
        _queued.RequestCompleted(_context);
    }

    private static ILoggerFactory Factory(LogLevel minimum, InlineFormattingProcessor processor) =>
        LoggerFactory.Create(builder =>
        {
            builder.ClearProviders();
            builder.SetMinimumLevel(minimum);
            builder.AddZLoggerLogProcessor(processor);
        });

    // LoggingSetup.Configure is private; these are its formatter settings, kept in step by hand. The
    // queue settings it also makes do not apply to an inline processor.
    private static void ConfigureAsLoggingSetup(ZLoggerOptions options, LogFormat format)
    {
        if (format == LogFormat.Json)
        {
            options.UseJsonFormatter();
        }
        else
        {
            options.UsePlainTextFormatter(formatter =>
                formatter.SetPrefixFormatter($"{0:utc-longdate} {1:short} ", (in MessageTemplate template, in LogInfo info) => template.Format(info.Timestamp, info.LogLevel)));
        }
    }

    // The state the connection leaves behind after a streamed chat completion: the sample request parsed
    // with its body, a 200 chunked response of ~4 KB written, model and upstream status set by the handler.
    private static RequestContext CompletedStreamingExchange(out HttpRequest request)
    {
        var limits = new HttpLimits();
        request = new HttpRequest(limits.MaxRequestHeaderBytes);
        var parser = new Http1Parser(limits.MaxRequestHeaderBytes, limits.MaxRequestBodyBytes);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(ChatRequestSample.Request));
        if (parser.ParseHead(ref reader, request) != ParseStatus.Complete)
        {
            throw new InvalidOperationException($"The sample request did not parse: {parser.Error}");
        }
        request.Content.Append(reader.UnreadSpan);

        var pipe = new Pipe(new PipeOptions(new BlockMemoryPool(), pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var response = new ResponseOutput(pipe.Writer);
        var context = new RequestContext(request, response) { RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 51234) };
        context.Reset(CancellationToken.None);
        response.Reset(keepAlive: true, http10: false);
        var head = response.BeginHead(200, contentLength: -1);
        head.Line("Content-Type: text/event-stream\r\n"u8);
        response.EndHead(ref head);
        response.WriteBody(new byte[4096]);
        response.EndBody();
        context.Upstream.Model = "qwen3-coder-plus";
        context.Upstream.Streaming = true;
        context.Upstream.Status = 200;
        return context;
    }
}
