using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// The JSON Lines form of a sample (<c>kind</c> "tcp.sample"), written by
/// <see cref="Write"/> and read back by <see cref="JsonLinesSampleReader"/>.
/// Field names and rules are documented in docs/replay-format.md.
/// </summary>
public static class SampleJson
{
    public const string Kind = "tcp.sample";

    private const int MaxFieldNameChars = 64;
    private const int MaxAddressChars = 64;
    private const int MaxEchoedBytes = 40;

    private static readonly string[] ReasonNames =
        ["every_segment", "zero_window_enter", "zero_window_leave", "wl1_lag", "update_ignored", "probes", "heartbeat", "first"];

    private static readonly Dictionary<string, PendingTimer> PendingByName = new(StringComparer.Ordinal)
    {
        ["none"] = PendingTimer.None,
        ["retransmit"] = PendingTimer.Retransmit,
        ["delayed_ack"] = PendingTimer.DelayedAck,
        ["persist"] = PendingTimer.Persist,
        ["loss_probe"] = PendingTimer.LossProbe,
        ["reorder_timeout"] = PendingTimer.ReorderTimeout,
    };

    private static readonly Dictionary<string, Field> FieldByName = Enum.GetValues<Field>().ToDictionary(Name, StringComparer.Ordinal);
    private static readonly Dictionary<string, Field>.AlternateLookup<ReadOnlySpan<char>> FieldLookup = FieldByName.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Fields every sample line must have: ts_ns through probes_out.</summary>
    private const ulong RequiredFields = (1UL << ((int)Field.ProbesOut + 1)) - 1;

    private enum Field
    {
        TsNs,
        Cookie,
        Pid,
        Comm,
        Family,
        Saddr,
        Sport,
        Daddr,
        Dport,
        SndUna,
        SndNxt,
        SndWnd,
        SndWl1,
        RcvNxt,
        BytesReceived,
        BytesAcked,
        SegSeq,
        SegAck,
        SegWin,
        SndWscale,
        ProbesOut,
        Backoff,
        Pending,
        Unsent,
        Reason,
        Wl1MovedAtBytesReceived,
        Kind,
    }

    /// <param name="time">The sample's wall-clock time, written as <c>time</c> (replay ignores it); null in recordings, whose header holds the clock.</param>
    public static void Write(Utf8JsonWriter w, in TcpSample s, DateTime? time = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("kind", Kind);
        w.WriteNumber("ts_ns", s.TimestampNs);
        if (time is { } utc)
        {
            w.WriteString(Timestamps.JsonField, Timestamps.Rfc3339(utc));
        }

        w.WriteNumber("cookie", s.Cookie);
        w.WriteNumber("pid", s.Pid);
        w.WriteString("comm", s.Comm);
        EndpointJson.Write(w, s.Endpoints);
        w.WriteNumber("snd_una", s.SndUna);
        w.WriteNumber("snd_nxt", s.SndNxt);
        w.WriteNumber("snd_wnd", s.SndWnd);
        w.WriteNumber("snd_wl1", s.SndWl1);
        w.WriteNumber("rcv_nxt", s.RcvNxt);
        w.WriteNumber("bytes_received", s.BytesReceived);
        w.WriteNumber("bytes_acked", s.BytesAcked);
        w.WriteNumber("seg_seq", s.SegSeq);
        w.WriteNumber("seg_ack", s.SegAck);
        w.WriteNumber("seg_win", s.SegWin);
        w.WriteNumber("snd_wscale", s.SndWscale);
        w.WriteNumber("probes_out", s.ProbesOut);
        w.WriteNumber("backoff", s.Backoff);
        var pending = PendingName(s.Pending);
        if (pending is null)
        {
            w.WriteNumber("pending", (byte)s.Pending);
        }
        else
        {
            w.WriteString("pending", pending);
        }

        w.WriteNumber("unsent", s.Unsent);
        w.WriteStartArray("reason");
        var unnamed = (uint)s.Reason;
        for (var bit = 0; bit < ReasonNames.Length; bit++)
        {
            if ((unnamed & (1u << bit)) != 0)
            {
                w.WriteStringValue(ReasonNames[bit]);
                unnamed &= ~(1u << bit);
            }
        }

        if (unnamed != 0)
        {
            w.WriteNumberValue(unnamed);
        }

        w.WriteEndArray();
        if (s.Wl1MovedAtBytesReceived is { } movedAt)
        {
            w.WriteNumber("wl1_moved_at_bytes_received", movedAt);
        }

        w.WriteEndObject();
    }

    /// <summary>Parses one non-blank, non-comment line; false when it holds a record of another kind.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> json, StringInterner interner, string? source, long line, out TcpSample sample)
    {
        sample = default;
        var at = new Where(source, line);
        if (!Utf8.IsValid(json))
        {
            throw at.Fail(null, string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at column {FirstInvalidUtf8(json) + 1}"));
        }

        var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        Field? current = null;
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                throw at.Fail(null, "expected a JSON object");
            }

            var seen = 0UL;
            var v = new Values();
            Span<char> name = stackalloc char[MaxFieldNameChars];
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                var field = default(Field);
                var known = r.ValueSpan.Length <= MaxFieldNameChars
                    && FieldLookup.TryGetValue(name[..r.CopyString(name)], out field);
                current = known ? field : null;
                r.Read();
                if (!known)
                {
                    r.Skip();
                    continue;
                }

                if (field == Field.Kind && !(r.TokenType == JsonTokenType.String && r.ValueTextEquals(Kind)))
                {
                    return false;
                }

                Read(ref r, field, ref v, interner, at);
                seen |= 1UL << (int)field;
                current = null;
            }

            if (!json[(int)r.BytesConsumed..].Trim(" \t\r\n"u8).IsEmpty)
            {
                throw at.Fail(null, string.Create(CultureInfo.InvariantCulture, $"unexpected text after the object at column {r.BytesConsumed + 1}"));
            }

            var missing = RequiredFields & ~seen;
            if (missing != 0)
            {
                throw at.Fail(Name((Field)ulong.TrailingZeroCount(missing)), "missing required field");
            }

            CheckFamily(v.Local!, Field.Saddr, v.Family, at);
            CheckFamily(v.Peer!, Field.Daddr, v.Family, at);

            sample = v.Sample with { Endpoints = Endpoints.FromAddresses(v.Local!, v.Sport, v.Peer!, v.Dport) };
            return true;
        }
        catch (JsonException e)
        {
            throw ReplayFormatException.AtLine(
                source, line, current is { } f ? Name(f) : null,
                string.Create(CultureInfo.InvariantCulture, $"invalid JSON at column {(e.BytePositionInLine ?? 0) + 1}"), e);
        }
        catch (InvalidOperationException e)
        {
            // the UTF-8 is valid, so the reader could not decode an escape: a lone surrogate such as \ud800
            throw ReplayFormatException.AtLine(
                source, line, current is { } f ? Name(f) : null, "a string escapes a lone UTF-16 surrogate", e);
        }
    }

    private static void Read(ref Utf8JsonReader r, Field field, ref Values v, StringInterner interner, Where at)
    {
        switch (field)
        {
            case Field.TsNs:
                v.Sample = v.Sample with { TimestampNs = Unsigned(ref r, field, ulong.MaxValue, at) };
                break;
            case Field.Cookie:
                v.Sample = v.Sample with { Cookie = Unsigned(ref r, field, ulong.MaxValue, at) };
                break;
            case Field.Pid:
                v.Sample = v.Sample with { Pid = (int)Unsigned(ref r, field, int.MaxValue, at) };
                break;
            case Field.Comm:
                v.Sample = v.Sample with { Comm = Comm(ref r, interner, at) };
                break;
            case Field.Family:
                v.Family = Family(ref r, at);
                break;
            case Field.Saddr:
                v.Local = Address(ref r, field, at);
                break;
            case Field.Sport:
                v.Sport = (ushort)Unsigned(ref r, field, ushort.MaxValue, at);
                break;
            case Field.Daddr:
                v.Peer = Address(ref r, field, at);
                break;
            case Field.Dport:
                v.Dport = (ushort)Unsigned(ref r, field, ushort.MaxValue, at);
                break;
            case Field.SndUna:
                v.Sample = v.Sample with { SndUna = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.SndNxt:
                v.Sample = v.Sample with { SndNxt = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.SndWnd:
                v.Sample = v.Sample with { SndWnd = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.SndWl1:
                v.Sample = v.Sample with { SndWl1 = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.RcvNxt:
                v.Sample = v.Sample with { RcvNxt = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.BytesReceived:
                v.Sample = v.Sample with { BytesReceived = Unsigned(ref r, field, ulong.MaxValue, at) };
                break;
            case Field.BytesAcked:
                v.Sample = v.Sample with { BytesAcked = Unsigned(ref r, field, ulong.MaxValue, at) };
                break;
            case Field.SegSeq:
                v.Sample = v.Sample with { SegSeq = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.SegAck:
                v.Sample = v.Sample with { SegAck = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.SegWin:
                v.Sample = v.Sample with { SegWin = (ushort)Unsigned(ref r, field, ushort.MaxValue, at) };
                break;
            case Field.SndWscale:
                v.Sample = v.Sample with { SndWscale = (byte)Unsigned(ref r, field, RecordingFormat.MaxWindowScale, at) };
                break;
            case Field.ProbesOut:
                v.Sample = v.Sample with { ProbesOut = (byte)Unsigned(ref r, field, byte.MaxValue, at) };
                break;
            case Field.Backoff:
                v.Sample = v.Sample with { Backoff = (byte)Unsigned(ref r, field, byte.MaxValue, at) };
                break;
            case Field.Pending:
                v.Sample = v.Sample with { Pending = Pending(ref r, at) };
                break;
            case Field.Unsent:
                v.Sample = v.Sample with { Unsent = (uint)Unsigned(ref r, field, uint.MaxValue, at) };
                break;
            case Field.Reason:
                v.Sample = v.Sample with { Reason = Reason(ref r, at) };
                break;
            case Field.Wl1MovedAtBytesReceived:
                v.Sample = v.Sample with
                {
                    Wl1MovedAtBytesReceived = r.TokenType == JsonTokenType.Null ? null : Unsigned(ref r, field, ulong.MaxValue, at),
                };
                break;
            case Field.Kind:
                break;
        }
    }

    private static ulong Unsigned(ref Utf8JsonReader r, Field field, ulong max, Where at)
    {
        if (r.TokenType != JsonTokenType.Number)
        {
            throw at.Fail(Name(field), $"expected a number, got {Describe(r.TokenType)}");
        }

        if (!r.TryGetUInt64(out var value) || value > max)
        {
            throw at.Fail(Name(field), $"expected an integer from 0 to {max}, got {Echo(r.ValueSpan)}");
        }

        return value;
    }

    private static string Comm(ref Utf8JsonReader r, StringInterner interner, Where at)
    {
        const string field = "comm";
        if (r.TokenType != JsonTokenType.String)
        {
            throw at.Fail(field, $"expected a string, got {Describe(r.TokenType)}");
        }

        var tooLong = $"longer than {RecordingFormat.MaxCommBytes} UTF-8 bytes";
        if (r.ValueSpan.Length > 6 * RecordingFormat.MaxCommBytes)
        {
            throw at.Fail(field, tooLong);
        }

        Span<char> chars = stackalloc char[r.ValueSpan.Length];
        chars = chars[..r.CopyString(chars)];
        if (Encoding.UTF8.GetByteCount(chars) > RecordingFormat.MaxCommBytes)
        {
            throw at.Fail(field, tooLong);
        }

        return interner.Intern(chars);
    }

    private static AddressFamily Family(ref Utf8JsonReader r, Where at)
    {
        const string field = "family";
        if (r.TokenType == JsonTokenType.String && r.ValueTextEquals(EndpointJson.Inet))
        {
            return AddressFamily.InterNetwork;
        }

        if (r.TokenType == JsonTokenType.String && r.ValueTextEquals(EndpointJson.Inet6))
        {
            return AddressFamily.InterNetworkV6;
        }

        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var number) && number is RecordingFormat.AfInet or RecordingFormat.AfInet6)
        {
            return number == RecordingFormat.AfInet ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        }

        throw at.Fail(field, $"expected \"{EndpointJson.Inet}\", \"{EndpointJson.Inet6}\", {RecordingFormat.AfInet} or {RecordingFormat.AfInet6}");
    }

    private static IPAddress Address(ref Utf8JsonReader r, Field field, Where at)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            throw at.Fail(Name(field), $"expected an IP address string, got {Describe(r.TokenType)}");
        }

        Span<char> chars = stackalloc char[MaxAddressChars];
        if (r.ValueSpan.Length > MaxAddressChars || !IPAddress.TryParse(chars[..r.CopyString(chars)], out var address))
        {
            throw at.Fail(Name(field), $"not an IP address: {Echo(r.ValueSpan)}");
        }

        return address;
    }

    private static void CheckFamily(IPAddress address, Field field, AddressFamily family, Where at)
    {
        if (address.AddressFamily != family)
        {
            throw at.Fail(Name(field), $"{address} is not an address of family {(family == AddressFamily.InterNetwork ? EndpointJson.Inet : EndpointJson.Inet6)}");
        }
    }

    private static PendingTimer Pending(ref Utf8JsonReader r, Where at)
    {
        if (r.TokenType == JsonTokenType.Number)
        {
            return (PendingTimer)Unsigned(ref r, Field.Pending, byte.MaxValue, at);
        }

        if (r.TokenType == JsonTokenType.String)
        {
            foreach (var (name, timer) in PendingByName)
            {
                if (r.ValueTextEquals(name))
                {
                    return timer;
                }
            }
        }

        throw at.Fail("pending", $"expected a number or one of {string.Join(", ", PendingByName.Keys)}");
    }

    private static EmitReason Reason(ref Utf8JsonReader r, Where at)
    {
        if (r.TokenType == JsonTokenType.Number)
        {
            return (EmitReason)Unsigned(ref r, Field.Reason, uint.MaxValue, at);
        }

        if (r.TokenType != JsonTokenType.StartArray)
        {
            throw at.Fail("reason", $"expected a number or an array of names, got {Describe(r.TokenType)}");
        }

        var reason = 0u;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType == JsonTokenType.Number)
            {
                reason |= (uint)Unsigned(ref r, Field.Reason, uint.MaxValue, at);
                continue;
            }

            reason |= 1u << ReasonBit(ref r, at);
        }

        return (EmitReason)reason;
    }

    private static string? PendingName(PendingTimer timer)
    {
        foreach (var (name, value) in PendingByName)
        {
            if (value == timer)
            {
                return name;
            }
        }

        return null;
    }

    private static int ReasonBit(ref Utf8JsonReader r, Where at)
    {
        for (var bit = 0; r.TokenType == JsonTokenType.String && bit < ReasonNames.Length; bit++)
        {
            if (r.ValueTextEquals(ReasonNames[bit]))
            {
                return bit;
            }
        }

        throw at.Fail("reason", $"expected one of {string.Join(", ", ReasonNames)} or a number");
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        var at = 0;
        while (Rune.DecodeFromUtf8(text[at..], out _, out var length) == OperationStatus.Done)
        {
            at += length;
        }

        return at;
    }

    /// <summary>A value as written in the file, cut short enough for an error message.</summary>
    private static string Echo(ReadOnlySpan<byte> raw) =>
        raw.Length <= MaxEchoedBytes ? Encoding.UTF8.GetString(raw) : Encoding.UTF8.GetString(raw[..MaxEchoedBytes]) + "…";

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };

    private static string Name(Field field) => field switch
    {
        Field.TsNs => "ts_ns",
        Field.Cookie => "cookie",
        Field.Pid => "pid",
        Field.Comm => "comm",
        Field.Family => "family",
        Field.Saddr => "saddr",
        Field.Sport => "sport",
        Field.Daddr => "daddr",
        Field.Dport => "dport",
        Field.SndUna => "snd_una",
        Field.SndNxt => "snd_nxt",
        Field.SndWnd => "snd_wnd",
        Field.SndWl1 => "snd_wl1",
        Field.RcvNxt => "rcv_nxt",
        Field.BytesReceived => "bytes_received",
        Field.BytesAcked => "bytes_acked",
        Field.SegSeq => "seg_seq",
        Field.SegAck => "seg_ack",
        Field.SegWin => "seg_win",
        Field.SndWscale => "snd_wscale",
        Field.ProbesOut => "probes_out",
        Field.Backoff => "backoff",
        Field.Pending => "pending",
        Field.Unsent => "unsent",
        Field.Reason => "reason",
        Field.Wl1MovedAtBytesReceived => "wl1_moved_at_bytes_received",
        _ => "kind",
    };

    private readonly record struct Where(string? Source, long Line)
    {
        public ReplayFormatException Fail(string? field, string detail) => ReplayFormatException.AtLine(Source, Line, field, detail);
    }

    private struct Values
    {
        public TcpSample Sample;
        public AddressFamily Family;
        public IPAddress? Local;
        public IPAddress? Peer;
        public ushort Sport;
        public ushort Dport;
    }
}
