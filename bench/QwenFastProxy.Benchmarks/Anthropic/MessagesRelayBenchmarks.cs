using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using QwenFastProxy.Anthropic;
using QwenFastProxy.Benchmarks.Http;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Benchmarks.Anthropic;

/// <summary>
/// One Messages API answer stream through the relay, event by event, at two lengths: what the longer one
/// allocates beyond the shorter is the per-event cost. Forward mode relays the upstream's Anthropic events
/// untouched (STUTTER_FILTER=off; keeping the body's ends for the usage) or through the stutter repair per content
/// block (the default); translate mode repairs chat chunks and writes Messages events.
/// </summary>
[MemoryDiagnoser]
public class MessagesRelayBenchmarks
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    private readonly EventSource _upstream = new();
    private byte[][] _anthropicEvents = [];
    private byte[][] _chatEvents = [];
    private Pipe _pipe = null!;
    private RequestContext _context = null!;
    private MessagesEventStream _translation = null!;
    private StreamRepairer _repairer = null!;

    [Params(16, 256)]
    public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _anthropicEvents = AnthropicStream(Events);
        _chatEvents = ChatStream(Events);
        _pipe = new Pipe(new PipeOptions(new BlockMemoryPool(), PipeScheduler.Inline, PipeScheduler.Inline,
            pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 4096, useSynchronizationContext: false));
        var request = new HttpRequest(new HttpLimits().MaxRequestHeaderBytes);
        _context = new RequestContext(request, new ResponseOutput(_pipe.Writer));
        _upstream.BeforeRead = () => Drain();
        _translation = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), TimeProvider.System), TimeProvider.System);
        _repairer = new StreamRepairer(new StreamRepairOptions(), TimeProvider.System);
    }

    [Benchmark(Baseline = true)]
    public async Task<long> Forward()
    {
        Begin();
        var ends = _context.ResponseEnds;
        ends.Clear();
        var result = await Relay(_anthropicEvents, rewriter: null, ends);
        return result.Bytes + Drain();
    }

    [Benchmark]
    public async Task<long> ForwardRepaired()
    {
        Begin();
        var ends = _context.ResponseEnds;
        ends.Clear();
        _repairer.MessagesEvents = true;
        var result = await Relay(_anthropicEvents, _repairer, ends);
        _repairer.Recycle(); // as the relay's pool does when the repairer comes back
        return result.Bytes + Drain();
    }

    [Benchmark]
    public async Task<long> Translate()
    {
        Begin();
        _translation.Begin("msg_bench", "claude-sonnet-4-5", 12, _context.Response.Body);
        var result = await Relay(_chatEvents, _translation, ends: null);
        _translation.Recycle();
        return result.Bytes + Drain();
    }

    private void Begin()
    {
        _context.Reset(CancellationToken.None);
        _context.Response.Reset(keepAlive: true, http10: false);
        var head = _context.Response.BeginHead(200, contentLength: -1);
        head.Line("Content-Type: text/event-stream\r\n"u8);
        _context.Response.EndHead(ref head);
    }

    private async Task<RelayResult> Relay(byte[][] events, IEventStreamRewriter? rewriter, QwenFastProxy.Buffers.BodyEnds? ends)
    {
        using var content = new StreamContent(_upstream.Reset(events));
        var exchange = _context.ExchangeTimeout.Start(Long, CancellationToken.None);
        var result = await BodyRelay.RelayAsync(_context, content, isEventStream: true, rewriter, ends, Long, exchange, TimeProvider.System);
        if (result.Status != RelayStatus.Completed)
        {
            throw new InvalidOperationException($"The relay ended {result.Status}.");
        }
        return result;
    }

    private long Drain()
    {
        _pipe.Reader.TryRead(out var read);
        var length = read.Buffer.Length;
        _pipe.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }

    private static byte[][] AnthropicStream(int deltas)
    {
        var events = new List<string>
        {
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"qwen3-coder-plus\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":120,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        };
        for (var i = 0; i < deltas; i++)
        {
            events.Add("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" the next token\"}}\n\n");
        }
        events.Add("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
        events.Add("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + (deltas * 3) + "}}\n\n");
        events.Add("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        return [.. events.Select(Encoding.UTF8.GetBytes)];
    }

    private static byte[][] ChatStream(int deltas)
    {
        const string Prefix = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1795731244,\"model\":\"qwen-plus\",\"choices\":[{\"delta\":";
        var events = new List<string> { Prefix + "{\"role\":\"assistant\",\"content\":\"\"},\"index\":0,\"finish_reason\":null}]}\n\n" };
        for (var i = 0; i < deltas; i++)
        {
            events.Add(Prefix + "{\"content\":\" the next token\"},\"index\":0,\"finish_reason\":null}]}\n\n");
        }
        events.Add(Prefix + "{},\"index\":0,\"finish_reason\":\"stop\"}]}\n\n");
        events.Add("data: {\"id\":\"chatcmpl-bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":" + (deltas * 3) + ",\"total_tokens\":1}}\n\n");
        events.Add("data: [DONE]\n\n");
        return [.. events.Select(Encoding.UTF8.GetBytes)];
    }
}
