using QwenFastProxy.Http;

namespace QwenFastProxy.Observability;

/// <summary>One model request as the usage ledger keeps it: one row of the usage file.</summary>
/// <param name="Time">When the response ended (UTC).</param>
/// <param name="Key">The client key's label (never the key).</param>
/// <param name="Model">The model asked for, after aliases; <c>-</c> when the request named none the proxy could read.</param>
/// <param name="Status">The status the client was given.</param>
/// <param name="Error">The request failed: an error status, or a body that broke after its head.</param>
/// <param name="Usage">The token counts the upstream reported, when it did.</param>
internal readonly record struct UsageEntry(DateTimeOffset Time, string Key, string Model, int Status, bool Error, TokenUsage? Usage);
