using Tracer.Pipeline;

namespace Tracer.Output.Tests;

public sealed class AttachReportTests
{
    [Theory]
    [InlineData(2, 0, "watching live: 2 zero-window connection(s) until the peer answers (timeout 60s, Ctrl-C to stop) …")]
    [InlineData(0, 3, "watching live: the data path's 3 TCP connection(s) until bytes move (timeout 60s, Ctrl-C to stop) …")]
    [InlineData(1, 2, "watching live: 1 zero-window connection(s) until the peer answers; the data path's 2 TCP connection(s) until bytes move (timeout 60s, Ctrl-C to stop) …")]
    public void TheWatchLineSaysWhatTheLivePhaseWaitsOn(int zeroWindow, int pathConnections, string line) =>
        Assert.Equal(line, AttachReport.WatchLine(new LiveWatch(zeroWindow, pathConnections), 60));
}
