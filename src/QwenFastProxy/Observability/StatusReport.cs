using System.Buffers;
using System.Text.Json;
using QwenFastProxy.Configuration;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Observability;

/// <summary>What <c>GET /status.json</c> reports: never a token or key, only states, figures and the upstream base.</summary>
/// <param name="Ready">As <c>/readyz</c>.</param>
/// <param name="Reason">Why not ready, or null.</param>
/// <param name="Mode"><c>oauth</c> or <c>api_key</c>.</param>
/// <param name="Plan">The API key's plan (<c>QWEN_PLAN</c>, or recognised from the base), or null.</param>
/// <param name="UpstreamBase">The API base requests go to.</param>
/// <param name="TokenExpiry">When the OAuth access token expires, or null (API key, unknown).</param>
/// <param name="Circuit">The breaker's state.</param>
/// <param name="Now">The time of the report.</param>
/// <param name="StartedAt">When the proxy started.</param>
internal readonly record struct StatusReport(bool Ready, string? Reason, string Mode, string? Plan, string UpstreamBase, DateTimeOffset? TokenExpiry, CircuitState Circuit, DateTimeOffset Now, DateTimeOffset StartedAt)
{
    /// <summary>Writes the report with the figures of <paramref name="metrics"/> as one JSON object.</summary>
    public void WriteJson(IBufferWriter<byte> output, ProxyMetrics metrics)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("status"u8, Ready ? "ready" : "not_ready");
        if (Reason is not null)
        {
            json.WriteString("reason"u8, Reason);
        }
        json.WriteString("version"u8, ProxyVersion.Text);
        json.WriteString("mode"u8, Mode);
        if (Plan is null)
        {
            json.WriteNull("plan"u8);
        }
        else
        {
            json.WriteString("plan"u8, Plan);
        }
        json.WriteString("upstream"u8, UpstreamBase);
        json.WriteNumber("now_ms"u8, Now.ToUnixTimeMilliseconds());
        json.WriteNumber("uptime_seconds"u8, Math.Max(0, (long)(Now - StartedAt).TotalSeconds));
        if (TokenExpiry is { } expiry)
        {
            json.WriteNumber("token_expires_at_ms"u8, expiry.ToUnixTimeMilliseconds());
            json.WriteNumber("token_expires_in_seconds"u8, (long)Math.Floor((expiry - Now).TotalSeconds));
        }
        else
        {
            json.WriteNull("token_expires_at_ms"u8);
            json.WriteNull("token_expires_in_seconds"u8);
        }
        json.WriteString("circuit"u8, Circuit switch
        {
            CircuitState.Open => "open",
            CircuitState.HalfOpen => "half_open",
            _ => "closed",
        });
        json.WriteNumber("requests_total"u8, metrics.TotalRequests);
        json.WriteNumber("server_errors_total"u8, metrics.ServerErrors);
        json.WriteNumber("active_connections"u8, metrics.ActiveConnections);
        json.WriteNumber("active_streams"u8, metrics.ActiveStreams);
        json.WriteNumber("upstream_attempts_total"u8, metrics.UpstreamAttempts);
        json.WriteNumber("upstream_retries_total"u8, metrics.UpstreamRetries);
        json.WriteNumber("stutter_chunks_repaired_total"u8, metrics.StutterChunksRepaired);
        json.WriteNumber("stutter_bytes_removed_total"u8, metrics.StutterBytesRemoved);
        json.WriteNumber("token_refreshes_total"u8, metrics.TokenRefreshes);
        json.WriteNumber("token_refresh_failures_total"u8, metrics.TokenRefreshFailures);
        json.WriteEndObject();
    }
}
