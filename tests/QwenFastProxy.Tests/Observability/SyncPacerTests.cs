using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

public sealed class SyncPacerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void NothingWrittenIsNeverDue()
    {
        var pacer = new SyncPacer(TimeSpan.FromSeconds(1), _time);

        Assert.False(pacer.Dirty);
        Assert.False(pacer.Due);
    }

    [Fact]
    public void TheFirstWriteIsSyncedAtOnce()
    {
        var pacer = new SyncPacer(TimeSpan.FromSeconds(1), _time);

        pacer.Written();

        Assert.True(pacer.Due);
    }

    [Fact]
    public void WritesSoonAfterASyncWaitForTheIntervalToPass()
    {
        var pacer = new SyncPacer(TimeSpan.FromSeconds(1), _time);
        pacer.Written();
        pacer.Synced();

        _time.Advance(TimeSpan.FromMilliseconds(300));
        pacer.Written();

        Assert.True(pacer.Dirty);
        Assert.False(pacer.Due);
        Assert.Equal(TimeSpan.FromMilliseconds(700), pacer.UntilDue);

        _time.Advance(TimeSpan.FromMilliseconds(700));
        Assert.True(pacer.Due);
    }

    [Fact]
    public void AWriteAfterAQuietIntervalIsSyncedAtOnce()
    {
        var pacer = new SyncPacer(TimeSpan.FromSeconds(1), _time);
        pacer.Written();
        pacer.Synced();

        _time.Advance(TimeSpan.FromSeconds(5));
        pacer.Written();

        Assert.True(pacer.Due);
    }

    [Fact]
    public void ASyncCoversEverythingWritten()
    {
        var pacer = new SyncPacer(TimeSpan.FromSeconds(1), _time);
        pacer.Written();
        pacer.Written();

        pacer.Synced();

        Assert.False(pacer.Dirty);
        Assert.False(pacer.Due);
    }
}
