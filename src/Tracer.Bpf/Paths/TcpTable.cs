using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Bpf.Paths;

/// <summary>
/// Every TCP socket's 4-tuple and inode from /proc/net/tcp and /proc/net/tcp6: how the walk
/// finds the local process at the other end of a loopback connection, and the owners of a port.
/// </summary>
public sealed class TcpTable
{
    private readonly Dictionary<(IPEndPoint Local, IPEndPoint Peer), ulong> byTuple = [];
    private readonly Dictionary<ulong, (IPEndPoint Local, IPEndPoint Peer)> byInode = [];

    public static TcpTable Read(string procRoot = "/proc")
    {
        var table = new TcpTable();
        foreach (var file in new[] { "net/tcp", "net/tcp6" })
        {
            try
            {
                table.Parse(File.ReadAllText(Path.Combine(procRoot, file)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // no IPv6 (or no IPv4) in this kernel
            }
        }

        return table;
    }

    /// <summary>The lines of /proc/net/tcp[6]: "sl local rem st … uid timeout inode".</summary>
    public void Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n').Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || Endpoint(f[1]) is not { } local || Endpoint(f[2]) is not { } peer ||
                !ulong.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) || inode == 0)
            {
                continue;
            }

            byTuple[(local, peer)] = inode;
            byInode[inode] = (local, peer);
        }
    }

    /// <summary>The inode of the socket at the other end of a connection between two local addresses.</summary>
    public ulong? PeerOf(ulong inode) =>
        byInode.TryGetValue(inode, out var t) && IsLocal(t.Peer.Address) && byTuple.TryGetValue((t.Peer, t.Local), out var peer) ? peer : null;

    /// <summary>Sockets bound to, or connected to, <paramref name="port"/>.</summary>
    public IEnumerable<ulong> WithPort(ushort port) => byInode.Where(s => s.Value.Local.Port == port || s.Value.Peer.Port == port).Select(s => s.Key);

    private static bool IsLocal(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    /// <summary>"0100007F:0016": the address as the kernel's 32-bit words in host order, the port in hex.</summary>
    private static IPEndPoint? Endpoint(string field)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        if (colon is not (8 or 32) || !ushort.TryParse(field.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[colon / 2];
        for (var word = 0; word < colon / 8; word++)
        {
            if (!uint.TryParse(field.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(bytes[(word * 4)..], value);
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }

}
