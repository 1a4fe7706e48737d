using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Analysis;

/// <summary>
/// A connection's 4-tuple without heap allocation: addresses are kept as two
/// 128-bit values in network byte order; IPv4 uses the first four bytes.
/// </summary>
public readonly record struct Endpoints(AddressFamily Family, UInt128 LocalAddress, ushort LocalPort, UInt128 PeerAddress, ushort PeerPort)
{
    public static Endpoints FromBytes(AddressFamily family, ReadOnlySpan<byte> local, ushort localPort, ReadOnlySpan<byte> peer, ushort peerPort) =>
        new(family, BinaryPrimitives.ReadUInt128BigEndian(local), localPort, BinaryPrimitives.ReadUInt128BigEndian(peer), peerPort);

    public static Endpoints FromAddresses(IPAddress local, ushort localPort, IPAddress peer, ushort peerPort)
    {
        if (local.AddressFamily != peer.AddressFamily)
        {
            throw new ArgumentException($"address families differ: {local} and {peer}");
        }

        return new(local.AddressFamily, Pack(local), localPort, Pack(peer), peerPort);
    }

    public IPAddress Local => Unpack(LocalAddress);

    public IPAddress Peer => Unpack(PeerAddress);

    public override string ToString() => $"{Format(Local, LocalPort)} → {Format(Peer, PeerPort)}";

    private static string Format(IPAddress address, ushort port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private static UInt128 Pack(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private IPAddress Unpack(UInt128 packed)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, packed);
        return new IPAddress(Family == AddressFamily.InterNetwork ? bytes[..4] : bytes);
    }
}
