using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// The sample record of a binary recording. Offsets are from the record start;
/// bytes 0..7 are the record header (u16 length, u8 type, u8 flags, u32 CRC-32C of bytes 8..length).
/// </summary>
internal static class SampleRecord
{
    private const int Ts = 8;
    private const int Cookie = 16;
    private const int BytesReceived = 24;
    private const int BytesAcked = 32;
    private const int Wl1MovedAt = 40;
    private const int LocalAddress = 48;
    private const int PeerAddress = 64;
    private const int Pid = 80;
    private const int SndUna = 84;
    private const int SndNxt = 88;
    private const int SndWnd = 92;
    private const int SndWl1 = 96;
    private const int RcvNxt = 100;
    private const int Unsent = 104;
    private const int SegSeq = 108;
    private const int SegAck = 112;
    private const int Reason = 116;
    private const int Family = 120;
    private const int LocalPort = 122;
    private const int PeerPort = 124;
    private const int SegWin = 126;
    private const int SndWscale = 128;
    private const int ProbesOut = 129;
    private const int Backoff = 130;
    private const int Pending = 131;
    private const int CommLength = 132;
    private const int Comm = RecordingFormat.SampleBytes;

    /// <summary>Writes the whole record into <paramref name="record"/> (at least <see cref="RecordingFormat.MaxSampleRecordBytes"/> long) and returns its length.</summary>
    public static int Encode(Span<byte> record, in TcpSample s)
    {
        if (!Encoding.UTF8.TryGetBytes(s.Comm ?? "", record.Slice(Comm, RecordingFormat.MaxCommBytes), out var commLength))
        {
            throw new ArgumentException($"process name longer than {RecordingFormat.MaxCommBytes} UTF-8 bytes: {s.Comm}", nameof(s));
        }

        var length = Comm + commLength;
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)length);
        record[2] = RecordingFormat.SampleRecordType;
        record[3] = s.Wl1MovedAtBytesReceived.HasValue ? RecordingFormat.FlagHasWl1MovedAt : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(record[Ts..], s.TimestampNs);
        BinaryPrimitives.WriteUInt64LittleEndian(record[Cookie..], s.Cookie);
        BinaryPrimitives.WriteUInt64LittleEndian(record[BytesReceived..], s.BytesReceived);
        BinaryPrimitives.WriteUInt64LittleEndian(record[BytesAcked..], s.BytesAcked);
        BinaryPrimitives.WriteUInt64LittleEndian(record[Wl1MovedAt..], s.Wl1MovedAtBytesReceived ?? 0);
        BinaryPrimitives.WriteUInt128BigEndian(record[LocalAddress..], s.Endpoints.LocalAddress);
        BinaryPrimitives.WriteUInt128BigEndian(record[PeerAddress..], s.Endpoints.PeerAddress);
        BinaryPrimitives.WriteInt32LittleEndian(record[Pid..], s.Pid);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SndUna..], s.SndUna);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SndNxt..], s.SndNxt);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SndWnd..], s.SndWnd);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SndWl1..], s.SndWl1);
        BinaryPrimitives.WriteUInt32LittleEndian(record[RcvNxt..], s.RcvNxt);
        BinaryPrimitives.WriteUInt32LittleEndian(record[Unsent..], s.Unsent);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SegSeq..], s.SegSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(record[SegAck..], s.SegAck);
        BinaryPrimitives.WriteUInt32LittleEndian(record[Reason..], (uint)s.Reason);
        BinaryPrimitives.WriteUInt16LittleEndian(record[Family..], s.Endpoints.Family switch
        {
            AddressFamily.InterNetwork => RecordingFormat.AfInet,
            AddressFamily.InterNetworkV6 => RecordingFormat.AfInet6,
            _ => throw new ArgumentException($"unsupported address family {s.Endpoints.Family}", nameof(s)),
        });
        BinaryPrimitives.WriteUInt16LittleEndian(record[LocalPort..], s.Endpoints.LocalPort);
        BinaryPrimitives.WriteUInt16LittleEndian(record[PeerPort..], s.Endpoints.PeerPort);
        BinaryPrimitives.WriteUInt16LittleEndian(record[SegWin..], s.SegWin);
        record[SndWscale] = s.SndWscale;
        record[ProbesOut] = s.ProbesOut;
        record[Backoff] = s.Backoff;
        record[Pending] = (byte)s.Pending;
        record[CommLength] = (byte)commLength;
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Compute(record[RecordingFormat.RecordHeaderBytes..length]));
        return length;
    }

    /// <summary>Decodes a checksum-verified sample record; null and a reason when its contents are impossible.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> record, StringInterner interner, out TcpSample sample)
    {
        sample = default;
        if (record.Length < RecordingFormat.SampleBytes)
        {
            return $"sample record of {record.Length} bytes is shorter than {RecordingFormat.SampleBytes}";
        }

        AddressFamily? family = BinaryPrimitives.ReadUInt16LittleEndian(record[Family..]) switch
        {
            RecordingFormat.AfInet => AddressFamily.InterNetwork,
            RecordingFormat.AfInet6 => AddressFamily.InterNetworkV6,
            _ => null,
        };
        if (family is null)
        {
            return $"unknown address family {BinaryPrimitives.ReadUInt16LittleEndian(record[Family..])}";
        }

        if (record[SndWscale] > RecordingFormat.MaxWindowScale)
        {
            return $"window scale {record[SndWscale]} is above {RecordingFormat.MaxWindowScale}";
        }

        var commLength = record[CommLength];
        if (Comm + commLength > record.Length)
        {
            return $"process name of {commLength} bytes overruns the {record.Length}-byte record";
        }

        sample = new TcpSample
        {
            TimestampNs = BinaryPrimitives.ReadUInt64LittleEndian(record[Ts..]),
            Cookie = BinaryPrimitives.ReadUInt64LittleEndian(record[Cookie..]),
            BytesReceived = BinaryPrimitives.ReadUInt64LittleEndian(record[BytesReceived..]),
            BytesAcked = BinaryPrimitives.ReadUInt64LittleEndian(record[BytesAcked..]),
            Wl1MovedAtBytesReceived = (record[3] & RecordingFormat.FlagHasWl1MovedAt) != 0
                ? BinaryPrimitives.ReadUInt64LittleEndian(record[Wl1MovedAt..])
                : null,
            Endpoints = new Endpoints(
                family.Value,
                BinaryPrimitives.ReadUInt128BigEndian(record[LocalAddress..]),
                BinaryPrimitives.ReadUInt16LittleEndian(record[LocalPort..]),
                BinaryPrimitives.ReadUInt128BigEndian(record[PeerAddress..]),
                BinaryPrimitives.ReadUInt16LittleEndian(record[PeerPort..])),
            Pid = BinaryPrimitives.ReadInt32LittleEndian(record[Pid..]),
            SndUna = BinaryPrimitives.ReadUInt32LittleEndian(record[SndUna..]),
            SndNxt = BinaryPrimitives.ReadUInt32LittleEndian(record[SndNxt..]),
            SndWnd = BinaryPrimitives.ReadUInt32LittleEndian(record[SndWnd..]),
            SndWl1 = BinaryPrimitives.ReadUInt32LittleEndian(record[SndWl1..]),
            RcvNxt = BinaryPrimitives.ReadUInt32LittleEndian(record[RcvNxt..]),
            Unsent = BinaryPrimitives.ReadUInt32LittleEndian(record[Unsent..]),
            SegSeq = BinaryPrimitives.ReadUInt32LittleEndian(record[SegSeq..]),
            SegAck = BinaryPrimitives.ReadUInt32LittleEndian(record[SegAck..]),
            Reason = (EmitReason)BinaryPrimitives.ReadUInt32LittleEndian(record[Reason..]),
            SegWin = BinaryPrimitives.ReadUInt16LittleEndian(record[SegWin..]),
            SndWscale = record[SndWscale],
            ProbesOut = record[ProbesOut],
            Backoff = record[Backoff],
            Pending = (PendingTimer)record[Pending],
            Comm = interner.Intern(record.Slice(Comm, commLength)),
        };
        return null;
    }
}
