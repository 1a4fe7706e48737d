namespace Tracer.Analysis.Tcp;

/// <summary>A snapshot socket with the verdict on it.</summary>
public sealed record JudgedSocket(SnapshotSocket Socket, SnapshotVerdict Verdict)
{
    /// <summary>Problems first (most severe, then most data waiting), healthy sockets by port.</summary>
    public static List<JudgedSocket> Judge(IEnumerable<SnapshotSocket> sockets) =>
        sockets.Select(s => new JudgedSocket(s, SnapshotVerdict.Of(s)))
            .OrderByDescending(j => j.Verdict.Problem)
            .ThenByDescending(j => (ulong)j.Socket.Unsent + j.Socket.Unacked + j.Socket.Unread)
            .ThenBy(j => j.Socket.Endpoints.LocalPort)
            .ThenBy(j => j.Socket.Endpoints.PeerPort)
            .ToList();
}
