using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary><c>POST /v1/chat/completions</c>: a deterministic text answer or tool call, whole or streamed.</summary>
internal static class ChatCompletionEndpoint
{
    public const string Path = "/v1/chat/completions";

    public static async Task<bool> HandleAsync(HttpContext context, SimulatorState state, RecordedRequest recorded)
    {
        var options = state.Options;
        // Injected faults (X-Sim-Fault, or the seeded SimulatorOptions.Faults) answer here or arm a mid-stream break.
        if (FaultResponder.TryAnswer(context, state, recorded) is { } faulted)
        {
            return await faulted.ConfigureAwait(false);
        }

        if (!BearerAuthorization.IsAuthorized(context.Request, options.RequiredBearerToken))
        {
            return await ErrorResponse.InvalidApiKeyAsync(context, state.Ids).ConfigureAwait(false);
        }

        if (!state.OAuth.IsAuthorized(context.Request))
        {
            return await ErrorResponse.InvalidApiKeyAsync(context, state.Ids).ConfigureAwait(false);
        }

        if (!ChatRequest.TryParse(recorded.Body, out var request, out var error))
        {
            return await ErrorResponse.InvalidParameterAsync(context, state.Ids, error!).ConfigureAwait(false);
        }

        // Read each option once so a test changing them mid-request cannot produce a half-old, half-new answer.
        var answer = new Answer(
            state.Ids.NextCompletionId(),
            SimulatorIds.UnixNow(),
            request!,
            request!.ToolName is null ? options.ResponseText : null,
            request.ToolName is null ? null : state.Ids.NextToolCallId(),
            request.EnableThinking ? Reasoning(options.ReasoningText, request.ThinkingBudget) : null,
            options.CachedTokens);

        // A slow upstream: nothing, not even the status line, until the delay has passed.
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

        if (request.Stream && options.ScriptedStream is { } script)
        {
            return await StreamScriptAsync(context, answer, script, options.ChunkDelay, options.ScriptGate).ConfigureAwait(false);
        }
        return request.Stream
            ? await StreamAsync(context, answer, options.ChunkCount, options.ChunkDelay, options.CumulativeChunks).ConfigureAwait(false)
            : await WriteWholeAsync(context, answer).ConfigureAwait(false);
    }

    /// <summary>The reasoning of an answer with thinking on: the configured text, cut to the budget.</summary>
    internal static string Reasoning(string text, int? budget) => budget is { } limit ? TokenCount.Truncate(text, limit) : text;

    internal static void WriteUsage(Utf8JsonWriter json, int promptTokens, int completionTokens, int cachedTokens, int? reasoningTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, promptTokens);
        json.WriteNumber("completion_tokens"u8, completionTokens);
        json.WriteNumber("total_tokens"u8, promptTokens + completionTokens);
        // DashScope reports context-cache hits here; clients and the proxy's usage ledger read it.
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, cachedTokens);
        json.WriteEndObject();
        // Only thinking answers carry it, so answers without thinking keep the shape they always had.
        if (reasoningTokens is { } reasoning)
        {
            json.WriteStartObject("completion_tokens_details"u8);
            json.WriteNumber("reasoning_tokens"u8, reasoning);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static Task<bool> WriteWholeAsync(HttpContext context, Answer answer)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("id"u8, answer.Id);
        json.WriteString("object"u8, "chat.completion"u8);
        json.WriteNumber("created"u8, answer.Created);
        json.WriteString("model"u8, answer.Request.Model);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant"u8);
        if (answer.Reasoning is not null)
        {
            json.WriteString("reasoning_content"u8, answer.Reasoning);
        }
        if (answer.Text is not null)
        {
            json.WriteString("content"u8, answer.Text);
        }
        else
        {
            json.WriteNull("content"u8);
            json.WriteStartArray("tool_calls"u8);
            json.WriteStartObject();
            json.WriteString("id"u8, answer.ToolCallId);
            json.WriteString("type"u8, "function"u8);
            json.WriteStartObject("function"u8);
            json.WriteString("name"u8, answer.Request.ToolName);
            json.WriteString("arguments"u8, DeterministicText.ToolArguments);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteString("finish_reason"u8, answer.FinishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, answer.PromptTokens, answer.CompletionTokens, answer.CachedTokens, answer.ReasoningTokens);
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }

    private static async Task<bool> StreamScriptAsync(HttpContext context, Answer answer, IReadOnlyList<string> script, TimeSpan chunkDelay, Func<int, CancellationToken, Task>? gate)
    {
        using var writer = new ChatChunkWriter(context, answer.Id, answer.Created, answer.Request.Model);
        writer.Start();
        for (var i = 0; i < script.Count; i++)
        {
            var payload = script[i];
            if (gate is not null)
            {
                await gate(i, context.RequestAborted).ConfigureAwait(false);
            }
            await PauseAsync(chunkDelay, context.RequestAborted).ConfigureAwait(false);
            await writer.WriteRawAsync(payload).ConfigureAwait(false);
        }
        return await writer.WriteDoneAsync().ConfigureAwait(false);
    }

    private static async Task<bool> StreamAsync(HttpContext context, Answer answer, int chunkCount, TimeSpan chunkDelay, int cumulativeChunks)
    {
        var aborted = context.RequestAborted;
        var fault = FaultResponder.Armed(context);
        using var writer = new ChatChunkWriter(context, answer.Id, answer.Created, answer.Request.Model);
        writer.Start();
        await writer.WriteRoleAsync().ConfigureAwait(false);

        if (answer.Reasoning is not null)
        {
            foreach (var piece in DeterministicText.Stutter(DeterministicText.Split(answer.Reasoning, chunkCount), cumulativeChunks))
            {
                await PauseAsync(chunkDelay, aborted).ConfigureAwait(false);
                await FaultResponder.BeforeChunkAsync(context, fault).ConfigureAwait(false);
                await writer.WriteReasoningAsync(piece).ConfigureAwait(false);
            }
        }

        if (answer.Text is not null)
        {
            foreach (var piece in DeterministicText.Stutter(DeterministicText.Split(answer.Text, chunkCount), cumulativeChunks))
            {
                await PauseAsync(chunkDelay, aborted).ConfigureAwait(false);
                await FaultResponder.BeforeChunkAsync(context, fault).ConfigureAwait(false);
                await writer.WriteContentAsync(piece).ConfigureAwait(false);
            }
        }
        else
        {
            await PauseAsync(chunkDelay, aborted).ConfigureAwait(false);
            await FaultResponder.BeforeChunkAsync(context, fault).ConfigureAwait(false);
            await writer.WriteToolCallStartAsync(answer.ToolCallId!, answer.Request.ToolName!).ConfigureAwait(false);
            foreach (var piece in DeterministicText.Split(DeterministicText.ToolArguments, DeterministicText.ToolArgumentFragments))
            {
                await PauseAsync(chunkDelay, aborted).ConfigureAwait(false);
                await FaultResponder.BeforeChunkAsync(context, fault).ConfigureAwait(false);
                await writer.WriteToolArgumentsAsync(piece).ConfigureAwait(false);
            }
        }

        await writer.WriteFinishAsync(answer.FinishReason).ConfigureAwait(false);
        if (answer.Request.IncludeUsage)
        {
            await writer.WriteUsageAsync(answer.PromptTokens, answer.CompletionTokens, answer.CachedTokens, answer.ReasoningTokens).ConfigureAwait(false);
        }

        return await writer.WriteDoneAsync().ConfigureAwait(false);
    }

    private static Task PauseAsync(TimeSpan delay, CancellationToken aborted) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, aborted) : Task.CompletedTask;

    /// <summary>One answer, fixed before the first byte is written.</summary>
    private sealed class Answer(string id, long created, ChatRequest request, string? text, string? toolCallId, string? reasoning, int cachedTokens)
    {
        public string Id { get; } = id;

        public long Created { get; } = created;

        public ChatRequest Request { get; } = request;

        /// <summary>The assistant text, or null when the answer is a tool call.</summary>
        public string? Text { get; } = text;

        public string? ToolCallId { get; } = toolCallId;

        /// <summary>The reasoning streamed before the answer, or null when the request did not ask for thinking.</summary>
        public string? Reasoning { get; } = reasoning;

        /// <summary>Reasoning tokens (counted like a tokenizer, so a thinking budget holds exactly), or null without thinking.</summary>
        public int? ReasoningTokens => Reasoning is null ? null : TokenCount.Of(Reasoning);

        public string FinishReason => Text is null ? "tool_calls" : "stop";

        public int PromptTokens => DeterministicText.EstimateTokens(Request.PromptCharacters);

        /// <summary>Tokens served from the context cache: the configured count, never more than the prompt.</summary>
        public int CachedTokens => Math.Min(cachedTokens, PromptTokens);

        public int CompletionTokens => (ReasoningTokens ?? 0) + DeterministicText.EstimateTokens(
            Text?.Length ?? Request.ToolName!.Length + DeterministicText.ToolArguments.Length);
    }
}
