using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Tracer.Bpf.Paths;

/// <summary>
/// A unix socket as sock_diag reports it: its peer's inode, bytes waiting in its receive queue,
/// the memory its sent bytes still hold at the peer (sk_wmem_alloc) and its send buffer (sk_sndbuf).
/// A writer blocks once <see cref="WriteQueue"/> reaches <see cref="SendBuffer"/> (sock_alloc_send_pskb).
/// </summary>
public readonly record struct UnixSocket(ulong Inode, ulong Peer, uint ReadQueue, uint WriteQueue, uint SendBuffer)
{
    public bool WriterBlocked => SendBuffer > 0 && WriteQueue >= SendBuffer;
}

/// <summary>Every unix socket of this network namespace with its peer and queues, by one NETLINK_SOCK_DIAG dump (net/unix/diag.c).</summary>
public static class UnixSockets
{
    private const int AfNetlink = 16;
    private const int AfUnix = 1;
    private const int SockRaw = 3;
    private const int SockCloExec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmsgDone = 3;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequestDump = 0x1 | 0x300;
    private const uint ShowPeer = 0x04;
    private const uint ShowRqlen = 0x10;
    private const uint ShowMeminfo = 0x20;
    private const ushort AttrPeer = 2;
    private const ushort AttrRqlen = 4;
    private const ushort AttrMeminfo = 5;

    public static unsafe Dictionary<ulong, UnixSocket> Dump()
    {
        var fd = ProcLibC.socket(AfNetlink, SockRaw | SockCloExec, NetlinkSockDiag);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
        }

        try
        {
            // nlmsghdr (16 bytes) + unix_diag_req (24 bytes): every state, peer, queue lengths, meminfo
            var request = stackalloc byte[40];
            var req = new Span<byte>(request, 40);
            req.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(req, 40);
            BinaryPrimitives.WriteUInt16LittleEndian(req[4..], SockDiagByFamily);
            BinaryPrimitives.WriteUInt16LittleEndian(req[6..], NlmFRequestDump);
            req[16] = AfUnix;
            BinaryPrimitives.WriteUInt32LittleEndian(req[20..], uint.MaxValue);
            BinaryPrimitives.WriteUInt32LittleEndian(req[28..], ShowPeer | ShowRqlen | ShowMeminfo);
            if (ProcLibC.send(fd, request, 40, 0) != 40)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "send(unix_diag_req)");
            }

            var sockets = new Dictionary<ulong, UnixSocket>();
            var buffer = new byte[64 << 10];
            while (true)
            {
                nint n;
                fixed (byte* b = buffer)
                {
                    n = ProcLibC.recv(fd, b, (nuint)buffer.Length, 0);
                }

                if (n <= 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "recv(unix_diag)");
                }

                if (!Parse(buffer.AsSpan(0, (int)n), sockets))
                {
                    return sockets;
                }
            }
        }
        finally
        {
            ProcLibC.close(fd);
        }
    }

    /// <summary>Adds each unix_diag_msg of one datagram; false at NLMSG_DONE.</summary>
    public static bool Parse(ReadOnlySpan<byte> data, Dictionary<ulong, UnixSocket> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        while (data.Length >= 16)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
            if (length < 16 || length > data.Length)
            {
                throw new InvalidDataException($"unix_diag: a message of {length} bytes in {data.Length}");
            }

            if (type == NlmsgDone)
            {
                return false;
            }

            if (type == NlmsgError)
            {
                throw new Win32Exception(-BinaryPrimitives.ReadInt32LittleEndian(data[16..]), "unix_diag dump");
            }

            // unix_diag_msg: family, type, state, pad, ino (u32), cookie[2]; then attributes
            var message = data[16..length];
            var inode = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
            var socket = new UnixSocket(inode, 0, 0, 0, 0);
            for (var attrs = message[16..]; attrs.Length >= 4;)
            {
                var attrLength = BinaryPrimitives.ReadUInt16LittleEndian(attrs);
                var attrType = BinaryPrimitives.ReadUInt16LittleEndian(attrs[2..]);
                if (attrLength < 4 || attrLength > attrs.Length)
                {
                    break;
                }

                var value = attrs[4..attrLength];
                socket = attrType switch
                {
                    AttrPeer => socket with { Peer = BinaryPrimitives.ReadUInt32LittleEndian(value) },
                    AttrRqlen => socket with { ReadQueue = BinaryPrimitives.ReadUInt32LittleEndian(value), WriteQueue = BinaryPrimitives.ReadUInt32LittleEndian(value[4..]) },
                    // sk_meminfo: SK_MEMINFO_SNDBUF is the fourth u32
                    AttrMeminfo => socket with { SendBuffer = BinaryPrimitives.ReadUInt32LittleEndian(value[12..]) },
                    _ => socket,
                };
                attrs = attrs[Math.Min(attrs.Length, (attrLength + 3) & ~3)..];
            }

            into[inode] = socket;
            data = data[Math.Min(data.Length, (length + 3) & ~3)..];
        }

        return true;
    }
}
