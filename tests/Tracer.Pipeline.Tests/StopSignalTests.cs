namespace Tracer.Pipeline.Tests;

/// <summary>A live loop waits in the kernel for the full interval, never past its deadline.</summary>
public sealed class StopSignalTests
{
    [Fact]
    public void WithoutADurationThePollWaitsTheFullInterval()
    {
        using var stop = new StopSignal(durationSeconds: null);
        Assert.Equal(100, stop.PollTimeoutMs(100));
        Assert.False(stop.IsStopRequested);
    }

    [Fact]
    public void ADeadlineShortensTheLastPoll()
    {
        using var stop = new StopSignal(durationSeconds: 0.05);
        Assert.InRange(stop.PollTimeoutMs(1000), 0, 50);
    }
}
