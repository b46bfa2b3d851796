using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// <c>POST /apps/anthropic/v1/messages</c>: Qwen's Anthropic-compatible Messages API. A deterministic text answer,
/// optionally after a thinking block, or a short text and a tool call; whole or streamed as Anthropic's events.
/// </summary>
internal static class AnthropicMessagesEndpoint
{
    public const string Path = "/apps/anthropic/v1/messages";

    /// <summary>Stands in for the opaque signature a real thinking block carries; clients only pass it back.</summary>
    public const string ThinkingSignature = "c2ltdWxhdGVkLXRoaW5raW5nLXNpZ25hdHVyZQ==";

    public static async Task<bool> HandleAsync(HttpContext context, SimulatorState state, RecordedRequest recorded)
    {
        var options = state.Options;
        if (AnthropicFaultResponder.TryAnswer(context, state, recorded) is { } faulted)
        {
            return await faulted.ConfigureAwait(false);
        }

        if (!AnthropicAuthorization.IsAuthorized(context.Request, options.RequiredBearerToken))
        {
            return await AnthropicErrors.AuthenticationAsync(context, state.Ids).ConfigureAwait(false);
        }

        if (!AnthropicRequest.TryParse(recorded.Body, out var request, out var error))
        {
            return await AnthropicErrors.InvalidRequestAsync(context, state.Ids, error!).ConfigureAwait(false);
        }

        // Read each option once so a test changing them mid-request cannot produce a half-old, half-new answer.
        var toolName = request!.ToolName;
        var answer = new Answer(
            state.Ids.NextMessageId(),
            request,
            request.Thinking ? ChatCompletionEndpoint.Reasoning(options.ReasoningText, request.ThinkingBudget) : null,
            toolName is null ? options.ResponseText : $"I'll call {toolName} to look that up.",
            toolName is null ? null : state.Ids.NextToolUseId(),
            options.CachedTokens);

        var responseDelay = options.ResponseDelay;
        if (responseDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(responseDelay, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return request.Stream
            ? await StreamAsync(context, answer, options.ChunkCount, options.ChunkDelay, options.CumulativeChunks).ConfigureAwait(false)
            : await WriteWholeAsync(context, answer).ConfigureAwait(false);
    }

    /// <summary><c>id</c>, <c>type</c>, <c>role</c> and <c>model</c>, in the order Anthropic sends them.</summary>
    internal static void WriteMessageHead(Utf8JsonWriter json, string id, string model)
    {
        json.WriteString("id"u8, id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, model);
    }

    /// <summary>
    /// Usage as Anthropic counts it: <c>input_tokens</c> are the ones not read from the cache, so the prompt is
    /// their sum with <c>cache_read_input_tokens</c> (sent only when the cache served some).
    /// </summary>
    internal static void WriteUsage(Utf8JsonWriter json, int inputTokens, int outputTokens, int cachedTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, inputTokens - cachedTokens);
        json.WriteNumber("output_tokens"u8, outputTokens);
        if (cachedTokens > 0)
        {
            json.WriteNumber("cache_read_input_tokens"u8, cachedTokens);
        }
        json.WriteEndObject();
    }

    private static Task<bool> WriteWholeAsync(HttpContext context, Answer answer)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        WriteMessageHead(json, answer.Id, answer.Request.Model);
        json.WriteStartArray("content"u8);
        if (answer.Reasoning is not null)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "thinking"u8);
            json.WriteString("thinking"u8, answer.Reasoning);
            json.WriteString("signature"u8, ThinkingSignature);
            json.WriteEndObject();
        }

        json.WriteStartObject();
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, answer.Text);
        json.WriteEndObject();
        if (answer.ToolUseId is not null)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "tool_use"u8);
            json.WriteString("id"u8, answer.ToolUseId);
            json.WriteString("name"u8, answer.Request.ToolName);
            json.WritePropertyName("input"u8);
            json.WriteRawValue(DeterministicText.ToolArguments);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("stop_reason"u8, answer.StopReason);
        json.WriteNull("stop_sequence"u8);
        WriteUsage(json, answer.Request.InputTokens, answer.OutputTokens, answer.CachedTokens);
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }

    private static async Task<bool> StreamAsync(HttpContext context, Answer answer, int chunkCount, TimeSpan chunkDelay, int cumulativeChunks)
    {
        var aborted = context.RequestAborted;
        var fault = FaultResponder.Armed(context);
        using var writer = new AnthropicEventWriter(context);
        writer.Start();
        await writer.WriteMessageStartAsync(answer.Id, answer.Request.Model, answer.Request.InputTokens, answer.CachedTokens).ConfigureAwait(false);
        await writer.WritePingAsync().ConfigureAwait(false);

        var index = 0;
        if (answer.Reasoning is not null)
        {
            await writer.WriteThinkingStartAsync(index).ConfigureAwait(false);
            foreach (var piece in DeterministicText.Stutter(DeterministicText.Split(answer.Reasoning, chunkCount), cumulativeChunks))
            {
                await BeforeDeltaAsync(context, fault, chunkDelay, aborted).ConfigureAwait(false);
                await writer.WriteThinkingDeltaAsync(index, piece).ConfigureAwait(false);
            }
            await writer.WriteSignatureDeltaAsync(index, ThinkingSignature).ConfigureAwait(false);
            await writer.WriteBlockStopAsync(index++).ConfigureAwait(false);
        }

        await writer.WriteTextStartAsync(index).ConfigureAwait(false);
        foreach (var piece in DeterministicText.Stutter(DeterministicText.Split(answer.Text, chunkCount), cumulativeChunks))
        {
            await BeforeDeltaAsync(context, fault, chunkDelay, aborted).ConfigureAwait(false);
            await writer.WriteTextDeltaAsync(index, piece).ConfigureAwait(false);
        }
        await writer.WriteBlockStopAsync(index++).ConfigureAwait(false);

        if (answer.ToolUseId is not null)
        {
            await writer.WriteToolUseStartAsync(index, answer.ToolUseId, answer.Request.ToolName!).ConfigureAwait(false);
            foreach (var piece in DeterministicText.Split(DeterministicText.ToolArguments, DeterministicText.ToolArgumentFragments))
            {
                await BeforeDeltaAsync(context, fault, chunkDelay, aborted).ConfigureAwait(false);
                await writer.WriteInputJsonDeltaAsync(index, piece).ConfigureAwait(false);
            }
            await writer.WriteBlockStopAsync(index).ConfigureAwait(false);
        }

        await writer.WriteMessageDeltaAsync(answer.StopReason, answer.OutputTokens).ConfigureAwait(false);
        return await writer.WriteMessageStopAsync().ConfigureAwait(false);
    }

    // Deltas are what a mid-stream fault counts (its after=N), as content chunks are on the chat route.
    private static async ValueTask BeforeDeltaAsync(HttpContext context, FaultPlan? fault, TimeSpan chunkDelay, CancellationToken aborted)
    {
        if (chunkDelay > TimeSpan.Zero)
        {
            await Task.Delay(chunkDelay, aborted).ConfigureAwait(false);
        }
        await FaultResponder.BeforeChunkAsync(context, fault, AnthropicFaultResponder.MalformedEvent).ConfigureAwait(false);
    }

    /// <summary>One answer, fixed before the first byte is written.</summary>
    private sealed class Answer(string id, AnthropicRequest request, string? reasoning, string text, string? toolUseId, int cachedTokens)
    {
        public string Id { get; } = id;

        public AnthropicRequest Request { get; } = request;

        /// <summary>The thinking block's text, or null without thinking.</summary>
        public string? Reasoning { get; } = reasoning;

        /// <summary>The text block: the answer, or the short lead-in before a tool call.</summary>
        public string Text { get; } = text;

        /// <summary>The tool_use block's id, or null when the answer is text only.</summary>
        public string? ToolUseId { get; } = toolUseId;

        public string StopReason => ToolUseId is null ? "end_turn" : "tool_use";

        /// <summary>Tokens served from the context cache: the configured count, never more than the prompt.</summary>
        public int CachedTokens => Math.Min(cachedTokens, Request.InputTokens);

        public int OutputTokens => TokenCount.Of(Reasoning) + TokenCount.Of(Text)
            + (ToolUseId is null ? 0 : TokenCount.Of(Request.ToolName) + TokenCount.Of(DeterministicText.ToolArguments));
    }
}
