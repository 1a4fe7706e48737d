using Tracer.Analysis.DataPath;

namespace Tracer.Analysis.Tests.DataPath;

/// <summary>The live half of the verdict: a held or waiting path is "moving" only once acknowledged or received bytes grow.</summary>
public sealed class PathConfirmationTests
{
    private static PathVerdict Verdict(PathState state, params PathHop[] chain) => new(state, state == PathState.Held ? 11 : null, chain, "ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP)");

    private static PathLink Tcp(ulong cookie, ulong queued = 0) => new()
    {
        Channel = $"connection {cookie}", Kind = ChannelKind.Tcp, Writers = [11], Readers = [], Queued = queued, Cookies = [cookie],
    };

    /// <summary>A path whose connections are the cookies 1, 2 and 3, nothing queued on any.</summary>
    private static readonly PathGraph ThreeConnections = new([10], [], [Tcp(1), Tcp(2), Tcp(3)], 3);

    private static PathConfirmation Confirmation(PathState state) => new(ThreeConnections, Verdict(state));

    private static Dictionary<ulong, ulong> Look(params (ulong Cookie, ulong Bytes)[] sockets) => sockets.ToDictionary(s => s.Cookie, s => s.Bytes);

    [Fact]
    public void AnIdlePathIsSettledWithoutAWatchAndAddsNoSentence()
    {
        var confirmation = Confirmation(PathState.Idle);

        Assert.True(confirmation.IsSettled);
        Assert.False(confirmation.IsStuck);
        Assert.Null(confirmation.Summary(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AHeldPathWhoseBytesDoNotGrowIsStuck()
    {
        var confirmation = Confirmation(PathState.Held);
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
        var confirmation = Confirmation(PathState.Held);
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
        var confirmation = Confirmation(PathState.Waiting);
        confirmation.Observe(Look((1, 500)));
        confirmation.Observe(Look((1, 500), (3, 10_000)));

        Assert.False(confirmation.Moved);
        Assert.False(confirmation.IsSettled);
    }

    [Fact]
    public void AWaitingPathNotWatchedAsksForALiveWatchAndOneWatchedInVainSaysHowLong()
    {
        var confirmation = Confirmation(PathState.Waiting);

        Assert.Equal("verdict: unsettled — ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP); watch live (--timeout) to see whether bytes move", confirmation.Summary(TimeSpan.Zero));
        Assert.StartsWith("verdict: unsettled — no byte moved on the data path in ", confirmation.Summary(TimeSpan.FromSeconds(3)), StringComparison.Ordinal);
        Assert.False(confirmation.IsStuck);
    }

    [Fact]
    public void BytesMovingOnAConnectionOffTheChainAreNotTheTransferMoving()
    {
        var transfer = Tcp(2, queued: 4_000_000);
        var graph = new PathGraph([10], [], [Tcp(1), transfer], 2);
        var confirmation = new PathConfirmation(graph, Verdict(PathState.Held, new PathHop(11, null, "ssh 11"), new PathHop(null, transfer, "connection 2")));
        confirmation.Observe(Look((1, 500), (2, 900)));
        confirmation.Observe(Look((1, 800), (2, 900)));

        Assert.False(confirmation.Moved);
        Assert.True(confirmation.IsStuck);

        confirmation.Observe(Look((1, 800), (2, 1_900)));
        Assert.True(confirmation.Moved);
    }

    [Fact]
    public void WithoutAConnectionOnTheChainTheConnectionsWithBytesQueuedAreWatched()
    {
        var graph = new PathGraph([10], [], [Tcp(1), Tcp(2, queued: 65_536)], 2);
        var confirmation = new PathConfirmation(graph, Verdict(PathState.Held, new PathHop(11, null, "rsync 11")));
        confirmation.Observe(Look((1, 500), (2, 900)));
        confirmation.Observe(Look((1, 800), (2, 900)));

        Assert.False(confirmation.Moved);
        confirmation.Observe(Look((1, 800), (2, 901)));
        Assert.True(confirmation.Moved);
    }
}
