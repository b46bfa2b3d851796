using QwenFastProxy.Http;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

/// <summary>The whole table: for each outcome, retry or not, what the breaker hears, and whether the proxy answers itself.</summary>
public sealed class UpstreamOutcomePolicyTests
{
    public static TheoryData<UpstreamOutcome, bool, CircuitOutcome, int, string?> Table => new()
    {
        { UpstreamOutcome.Success, false, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.ConnectFailure, true, CircuitOutcome.Failure, 502, "upstream_unreachable" },
        { UpstreamOutcome.ResetBeforeHeaders, true, CircuitOutcome.Failure, 502, "upstream_unreachable" },
        { UpstreamOutcome.TimeoutBeforeHeaders, true, CircuitOutcome.Failure, 504, "upstream_timeout" },
        { UpstreamOutcome.InvalidResponse, false, CircuitOutcome.Failure, 502, "upstream_invalid_response" },
        { UpstreamOutcome.ServerError, true, CircuitOutcome.Failure, 0, null },
        { UpstreamOutcome.ServerErrorFinal, false, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.RateLimited, true, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.QuotaExhausted, false, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.AuthRejected, false, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.ClientError, false, CircuitOutcome.Success, 0, null },
        { UpstreamOutcome.ClientGone, false, CircuitOutcome.Abandoned, 0, null },
        { UpstreamOutcome.AfterFirstByte, false, CircuitOutcome.Failure, 0, null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void EachOutcomeHasItsRetryBreakerAndAnswer(UpstreamOutcome outcome, bool retryable, CircuitOutcome circuit, int status, string? code)
    {
        Assert.Equal(retryable, outcome.IsRetryable());
        Assert.Equal(circuit, outcome.ForCircuit());
        Assert.Equal(status != 0, outcome.TryGetProxyError(exception: null, TimeSpan.FromSeconds(30), out var error));
        Assert.Equal(status, error.Status);
        Assert.Equal(code, status == 0 ? null : error.Code);
    }

    [Fact]
    public void TheTableCoversEveryOutcome()
    {
        var covered = Table.Select(row => (UpstreamOutcome)row[0]).ToHashSet();

        Assert.Equal(Enum.GetValues<UpstreamOutcome>().ToHashSet(), covered);
    }

    [Fact]
    public void TheCircuitOpenAnswerIsA503WithTheOpenAIShape()
    {
        var error = ProxyErrors.CircuitOpen;

        Assert.Equal(503, error.Status);
        Assert.Equal("circuit_open", error.Code);
        Assert.Equal("server_error", error.Type);
        var json = System.Text.Encoding.UTF8.GetString(ErrorBody.ToBytes(error));
        Assert.Contains("\"code\":\"circuit_open\"", json, StringComparison.Ordinal);
    }
}
