using Tracer.Analysis.DataPath;

namespace Tracer.Analysis.Tests.DataPath;

/// <summary>The live half of the verdict: a held or waiting path is "moving" only once acknowledged or received bytes grow.</summary>
public sealed class PathConfirmationTests
{
    private static PathVerdict Verdict(PathState state) => new(state, state == PathState.Held ? 11 : null, [], "ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP)");

    private static Dictionary<ulong, ulong> Look(params (ulong Cookie, ulong Bytes)[] sockets) => sockets.ToDictionary(s => s.Cookie, s => s.Bytes);

    [Fact]
    public void AnIdlePathIsSettledWithoutAWatchAndAddsNoSentence()
    {
        var confirmation = new PathConfirmation(Verdict(PathState.Idle));

        Assert.True(confirmation.IsSettled);
        Assert.False(confirmation.IsStuck);
        Assert.Null(confirmation.Summary(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AHeldPathWhoseBytesDoNotGrowIsStuck()
    {
        var confirmation = new PathConfirmation(Verdict(PathState.Held));
        confirmation.Observe(Look((1, 500), (2, 900)));
        confirmation.Observe(Look((1, 500), (2, 900)));

        Assert.False(confirmation.Moved);
        Assert.True(confirmation.IsStuck);
        Assert.False(confirmation.IsSettled);
        Assert.Equal("verdict: STUCK — ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP)", confirmation.Summary(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void AHeldPathIsMovingOnceOneSocketsBytesGrowAndStaysSo()
    {
        var confirmation = new PathConfirmation(Verdict(PathState.Held));
        confirmation.Observe(Look((1, 500), (2, 900)));
        confirmation.Observe(Look((1, 500), (2, 901)));
        confirmation.Observe(Look((1, 500), (2, 901)));

        Assert.True(confirmation.Moved);
        Assert.False(confirmation.IsStuck);
        Assert.True(confirmation.IsSettled);
        Assert.StartsWith("verdict: moving — bytes moved on the data path again within ", confirmation.Summary(TimeSpan.FromSeconds(2)), StringComparison.Ordinal);
    }

    [Fact]
    public void ASocketFirstSeenOnTheSecondLookIsNotMovement()
    {
        var confirmation = new PathConfirmation(Verdict(PathState.Waiting));
        confirmation.Observe(Look((1, 500)));
        confirmation.Observe(Look((1, 500), (3, 10_000)));

        Assert.False(confirmation.Moved);
        Assert.False(confirmation.IsSettled);
    }

    [Fact]
    public void AWaitingPathNotWatchedAsksForALiveWatchAndOneWatchedInVainSaysHowLong()
    {
        var confirmation = new PathConfirmation(Verdict(PathState.Waiting));

        Assert.Equal("verdict: unsettled — ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP); watch live (--timeout) to see whether bytes move", confirmation.Summary(TimeSpan.Zero));
        Assert.StartsWith("verdict: unsettled — no byte moved on the data path in ", confirmation.Summary(TimeSpan.FromSeconds(3)), StringComparison.Ordinal);
        Assert.False(confirmation.IsStuck);
    }
}
