using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Tracer.Analysis;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Owners;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Snapshot;

/// <summary>What one pass of the tcp iterator found, and how long the steps took.</summary>
public sealed record TcpSnapshot(IReadOnlyList<SnapshotSocket> Sockets, int Hz, TimeSpan LoadTime, TimeSpan ReadTime);

/// <summary>
/// bpf/tcpsnap.bpf.c: loads the tcp iterator with the target's filters (socket
/// inodes from /proc in a hash map, the port as a constant), runs it once and
/// decodes one <see cref="SnapshotSocket"/> per socket. The iterator runs in
/// the kernel over every TCP socket; only the target's are written out.
/// </summary>
public static class TcpSnapshotReader
{
    public const string ObjectName = "tcpsnap";
    public const string ProgramName = "snapshot_tcp";

    public static TcpSnapshot Take(BpfSettings settings, SnapshotTarget target, TargetProcesses processes, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Take(settings, target.Port, processes, target.ByProcess, logger);
    }

    /// <summary>One pass over the sockets with <paramref name="port"/> (when given) and, when <paramref name="byInode"/>, held by <paramref name="processes"/>.</summary>
    public static TcpSnapshot Take(BpfSettings settings, ushort? port, TargetProcesses processes, bool byInode, ILogger logger)
    {
        using var iterator = TcpSnapshotIterator.Load(settings, port, processes, byInode, logger);
        return iterator.Take();
    }

    /// <summary>Decodes the iterator's output; owners come from the target's /proc scan, else from a scan of all processes.</summary>
    public static TcpSnapshot Decode(ReadOnlySpan<byte> output, IReadOnlyDictionary<ulong, SocketOwner> ownerByInode)
    {
        ArgumentNullException.ThrowIfNull(ownerByInode);
        var size = Marshal.SizeOf<TcpSocketSnapshot>();
        if (output.Length % size != 0)
        {
            throw new InvalidDataException($"tcp iterator wrote {output.Length} bytes, not a whole number of {size}-byte records");
        }

        var records = MemoryMarshal.Cast<byte, TcpSocketSnapshot>(output);
        if (records.Length == 0)
        {
            return new TcpSnapshot([], 0, TimeSpan.Zero, TimeSpan.Zero);
        }

        var hz = KernelHz.Find(records[0].jiffies, records[0].ts_ns);
        IReadOnlyDictionary<ulong, SocketOwner>? everyone = null;
        var sockets = new List<SnapshotSocket>(records.Length);
        foreach (ref readonly var r in records)
        {
            if (!ownerByInode.TryGetValue(r.sock_ino, out var owner) && r.sock_ino != 0)
            {
                everyone ??= SnapshotTarget.OwnersOfAll();
                everyone.TryGetValue(r.sock_ino, out owner);
            }

            sockets.Add(ToSocket(r, owner, hz));
        }

        return new TcpSnapshot(sockets, hz, TimeSpan.Zero, TimeSpan.Zero);
    }

    private static unsafe SnapshotSocket ToSocket(in TcpSocketSnapshot r, SocketOwner owner, int hz)
    {
        var family = r.family == (ushort)LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        Endpoints endpoints;
        fixed (byte* saddr = r.saddr, daddr = r.daddr)
        {
            endpoints = Endpoints.FromBytes(family, new ReadOnlySpan<byte>(saddr, 16), r.sport, new ReadOnlySpan<byte>(daddr, 16), r.dport);
        }

        return new SnapshotSocket
        {
            TimestampNs = r.ts_ns,
            Cookie = r.cookie,
            Inode = r.sock_ino,
            Pid = owner.Pid,
            Comm = owner.Comm ?? string.Empty,
            Uid = r.uid,
            Endpoints = endpoints,
            State = (TcpState)r.state,
            SndUna = r.snd_una,
            SndNxt = r.snd_nxt,
            SndWl1 = r.snd_wl1,
            RcvNxt = r.rcv_nxt,
            RcvWup = r.rcv_wup,
            CopiedSeq = r.copied_seq,
            WriteSeq = r.write_seq,
            SndWnd = r.snd_wnd,
            RcvWnd = r.rcv_wnd,
            SndCwnd = r.snd_cwnd,
            PacketsOut = r.packets_out,
            TotalRetrans = r.total_retrans,
            BytesReceived = r.bytes_received,
            BytesAcked = r.bytes_acked,
            SndWscale = r.snd_wscale,
            RcvWscale = r.rcv_wscale,
            Retransmits = r.retransmits,
            ProbesOut = r.probes_out,
            Backoff = r.backoff,
            Pending = (PendingTimer)r.pending,
            Timer = (SnapshotTimer)r.timer,
            TimerInNs = r.timer_in * 1_000_000_000 / hz,
            LastSendAgoNs = JiffiesToNs(r.last_send_age, hz),
            LastReceiveAgoNs = JiffiesToNs(r.last_recv_age, hz),
            LastAckAgoNs = JiffiesToNs(r.last_ack_age, hz),
        };
    }

    private static ulong JiffiesToNs(uint jiffies, int hz) => jiffies * 1_000_000_000UL / (ulong)hz;
}

/// <summary>
/// The tcp iterator loaded once with the target's filters, to be run again: a watch that looks at
/// the same sockets every half second pays for the object's load (BTF, verifier) once.
/// </summary>
public sealed class TcpSnapshotIterator : IDisposable
{
    private readonly BpfObject obj;
    private readonly BpfLink link;
    private readonly IReadOnlyDictionary<ulong, SocketOwner> owners;
    private readonly TimeSpan loadTime;
    private readonly ILogger logger;

    private TcpSnapshotIterator(BpfObject obj, BpfLink link, IReadOnlyDictionary<ulong, SocketOwner> owners, TimeSpan loadTime, ILogger logger) =>
        (this.obj, this.link, this.owners, this.loadTime, this.logger) = (obj, link, owners, loadTime, logger);

    /// <summary>Loads the iterator over the sockets with <paramref name="port"/> (when given) and, when <paramref name="byInode"/>, held by <paramref name="processes"/>.</summary>
    public static TcpSnapshotIterator Load(BpfSettings settings, ushort? port, TargetProcesses processes, bool byInode, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(processes);
        var clock = Stopwatch.StartNew();
        var obj = BpfObject.Open(TcpSnapshotReader.ObjectName, EmbeddedObjects.Read(TcpSnapshotReader.ObjectName), settings.BtfPath);
        try
        {
            obj.SetConstant("filter_port", port ?? 0);
            obj.SetConstant("filter_inodes", byInode ? (byte)1 : (byte)0);
            var inodes = obj.Map("target_inodes");
            inodes.MaxEntries = (uint)Math.Max(1, processes.OwnerByInode.Count);
            obj.Load();
            foreach (var inode in processes.OwnerByInode.Keys)
            {
                inodes.Update(inode, (byte)1);
            }

            return new TcpSnapshotIterator(obj, obj.Program(TcpSnapshotReader.ProgramName).Attach(), processes.OwnerByInode, clock.Elapsed, logger);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>One pass of the iterator; the load time is reported with the first.</summary>
    public TcpSnapshot Take()
    {
        var clock = Stopwatch.StartNew();
        var bytes = BpfIterator.ReadAll(link);
        var readTime = clock.Elapsed;
        logger.LogDebug("tcpsnap: loaded in {Load} ms, iterated in {Read} ms, {Bytes} bytes", loadTime.TotalMilliseconds, readTime.TotalMilliseconds, bytes.Length);
        return TcpSnapshotReader.Decode(bytes, owners) with { LoadTime = loadTime, ReadTime = readTime };
    }

    public void Dispose()
    {
        link.Dispose();
        obj.Dispose();
    }
}
