using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Resilience;
using static QwenFastProxy.IntegrationTests.Resilience.ResilienceClient;

namespace QwenFastProxy.IntegrationTests.Resilience;

/// <summary>
/// The circuit breaker in the real proxy, on a fake clock: it opens after N consecutive upstream failures, then fails
/// fast (503, Retry-After, no upstream call) and reports not ready; after the reset time one trial goes through and
/// its success closes the circuit.
/// </summary>
public sealed class CircuitBreakerThroughProxyTests
{
    private const int Failures = 2;
    private static readonly TimeSpan Reset = TimeSpan.FromSeconds(30);

    private static Task<ProxyHarness> StartAsync(FakeTimeProvider clock) => ProxyHarness.StartAsync(
        o => o with { CircuitBreakerFailures = Failures, CircuitBreakerReset = Reset, RetryMaxAttempts = 0 },
        time: clock);

    [Fact]
    public async Task OpensAfterConsecutiveFailuresFailsFastThenHalfOpensAndClosesOnSuccess()
    {
        var clock = new FakeTimeProvider();
        await using var harness = await StartAsync(clock);
        using var client = Create(harness);

        // Closed: failures reach the upstream and its 503 is passed through.
        for (var i = 0; i < Failures; i++)
        {
            var failing = NewId();
            using var failed = await PostAsync(client, TextRequest, failing, "503");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            Assert.Equal("service_unavailable", (await ErrorAsync(failed)).GetProperty("code").GetString());
            Assert.Equal(1, harness.Simulator.Attempts(failing));
        }
        Assert.Equal(CircuitState.Open, harness.Proxy.Circuit.State);

        // Open: fail fast, no upstream call.
        var refused = NewId();
        using (var response = await PostAsync(client, TextRequest, refused))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("circuit_open", (await ErrorAsync(response)).GetProperty("code").GetString());
            Assert.Equal(Reset, response.Headers.RetryAfter?.Delta);
        }
        Assert.Equal(0, harness.Simulator.Attempts(refused));

        using (var ready = await client.GetAsync(new Uri(harness.BaseUrl, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("not_ready", doc.RootElement.GetProperty("status").GetString());
            Assert.Contains("circuit breaker open", doc.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        // The reset time passes: ready again, and the next request is the trial.
        clock.Advance(Reset);
        using (var ready = await client.GetAsync(new Uri(harness.BaseUrl, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var trial = NewId();
        using (var response = await PostAsync(client, TextRequest, trial))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(1, harness.Simulator.Attempts(trial));
        Assert.Equal(CircuitState.Closed, harness.Proxy.Circuit.State);
    }

    [Fact]
    public async Task AFailedTrialOpensTheCircuitAgain()
    {
        var clock = new FakeTimeProvider();
        await using var harness = await StartAsync(clock);
        using var client = Create(harness);
        for (var i = 0; i < Failures; i++)
        {
            using var failed = await PostAsync(client, TextRequest, NewId(), "reset");
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }
        Assert.Equal(CircuitState.Open, harness.Proxy.Circuit.State);

        clock.Advance(Reset);
        var trial = NewId();
        using (var response = await PostAsync(client, TextRequest, trial, "502"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }
        Assert.Equal(1, harness.Simulator.Attempts(trial));
        Assert.Equal(CircuitState.Open, harness.Proxy.Circuit.State);

        var refused = NewId();
        using (var response = await PostAsync(client, TextRequest, refused))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("circuit_open", (await ErrorAsync(response)).GetProperty("code").GetString());
        }
        Assert.Equal(0, harness.Simulator.Attempts(refused));
    }

    [Fact]
    public async Task ClientErrorsAndQuotaDoNotOpenTheCircuit()
    {
        var clock = new FakeTimeProvider();
        await using var harness = await StartAsync(clock);
        using var client = Create(harness);

        for (var i = 0; i < Failures * 2; i++)
        {
            using var response = await PostAsync(client, TextRequest, NewId(), i % 2 == 0 ? "quota" : "no-such-fault");
            Assert.True((int)response.StatusCode is 400 or 429);
        }

        Assert.Equal(CircuitState.Closed, harness.Proxy.Circuit.State);
    }

    [Fact]
    public async Task StreamsBrokenAfterTheirFirstByteCountAsFailures()
    {
        var clock = new FakeTimeProvider();
        await using var harness = await StartAsync(clock);
        using var client = Create(harness);

        for (var i = 0; i < Failures; i++)
        {
            using var response = await PostAsync(client, StreamRequest, NewId(), "reset-mid-stream");
            var frames = Frames(await response.Content.ReadAsStringAsync());
            Assert.Equal("data: [DONE]", frames[^1]);
        }

        Assert.Equal(CircuitState.Open, harness.Proxy.Circuit.State);
    }

    [Fact]
    public async Task StreamsEndedForMalformedChunksCountAsFailures()
    {
        var clock = new FakeTimeProvider();
        var script = new[] { "{broken", "{also broken", "{still broken" };
        await using var harness = await ProxyHarness.StartAsync(
            o => o with { CircuitBreakerFailures = Failures, CircuitBreakerReset = Reset, RetryMaxAttempts = 0, StreamingMaxErrors = 1 },
            new QwenFastProxy.Simulator.SimulatorOptions { ScriptedStream = script },
            time: clock);
        using var client = Create(harness);

        for (var i = 0; i < Failures; i++)
        {
            using var response = await PostAsync(client, StreamRequest, NewId());
            var frames = Frames(await response.Content.ReadAsStringAsync());
            Assert.Contains("upstream_malformed_stream", frames[^2], StringComparison.Ordinal);
            Assert.Equal("data: [DONE]", frames[^1]);
        }

        Assert.Equal(CircuitState.Open, harness.Proxy.Circuit.State);
    }
}
