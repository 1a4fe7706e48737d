using System.Text;
using System.Text.Json;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;
using Tracer.Analysis.Tests.Snapshot;

namespace Tracer.Output.Tests;

public sealed class SnapshotJsonTests
{
    [Fact]
    public void JsonRecordCarriesTheFieldsSsCannotShow()
    {
        var socket = SnapshotSockets.ZeroWindowClient();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            SnapshotJson.Write(w, socket, SnapshotVerdict.Of(socket), FindingJsonTests.Wall);
        }

        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
        var root = doc.RootElement;
        Assert.Equal("tcp.socket", root.GetProperty("kind").GetString());
        Assert.Equal(Timestamps.Rfc3339(FindingJsonTests.Wall(socket.TimestampNs)), root.GetProperty("time").GetString());
        Assert.Equal("rsync", root.GetProperty("comm").GetString());
        Assert.Equal(1253000000U, root.GetProperty("snd_wl1").GetUInt32());
        Assert.Equal(392827U, root.GetProperty("unsent").GetUInt32());
        Assert.Equal("persist", root.GetProperty("timer").GetString());
        Assert.Equal(116_000, root.GetProperty("timer_in_ms").GetInt64());
        Assert.Equal(15, root.GetProperty("backoff").GetInt32());
        Assert.Equal("zero_window", root.GetProperty("problem").GetString());
        Assert.Equal("inet6", root.GetProperty("family").GetString());
    }
}
