namespace Tracer.Analysis.Sequence;

/// <summary>
/// A 32-bit TCP sequence number compared in serial arithmetic, exactly like the
/// kernel's <c>before()</c>/<c>after()</c>: a is before b when <c>(s32)(a - b) &lt; 0</c>.
/// </summary>
/// <remarks>
/// The order is not total. Numbers exactly 2^31 apart are each before AND after
/// the other, because <c>(int)(a - b)</c> and <c>(int)(b - a)</c> are both
/// <see cref="int.MinValue"/>; the relational operators inherit this.
/// </remarks>
public readonly struct SeqNum : IEquatable<SeqNum>
{
    public SeqNum(uint value) => Value = value;

    public uint Value { get; }

    /// <summary>The kernel's <c>before(a, b)</c>.</summary>
    public static bool Before(SeqNum a, SeqNum b) => Distance(a, b) < 0;

    /// <summary>The kernel's <c>after(a, b)</c>, i.e. <c>before(b, a)</c>.</summary>
    public static bool After(SeqNum a, SeqNum b) => Distance(b, a) < 0;

    /// <summary>Signed serial distance <c>(int)(a - b)</c>: positive when a is ahead of b.</summary>
    public static int Distance(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    public bool IsBefore(SeqNum other) => Before(this, other);

    public bool IsAfter(SeqNum other) => After(this, other);

    public static implicit operator SeqNum(uint value) => new(value);

    public static explicit operator uint(SeqNum seq) => seq.Value;

    public static bool operator <(SeqNum a, SeqNum b) => Before(a, b);

    public static bool operator >(SeqNum a, SeqNum b) => After(a, b);

    public static bool operator <=(SeqNum a, SeqNum b) => a == b || Before(a, b);

    public static bool operator >=(SeqNum a, SeqNum b) => a == b || After(a, b);

    public static bool operator ==(SeqNum a, SeqNum b) => a.Value == b.Value;

    public static bool operator !=(SeqNum a, SeqNum b) => a.Value != b.Value;

    /// <summary>Advances by <paramref name="bytes"/>, wrapping modulo 2^32.</summary>
    public static SeqNum operator +(SeqNum seq, uint bytes) => new(unchecked(seq.Value + bytes));

    /// <summary>The signed distance, as <see cref="Distance"/>.</summary>
    public static int operator -(SeqNum a, SeqNum b) => Distance(a, b);

    public bool Equals(SeqNum other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is SeqNum other && Equals(other);

    public override int GetHashCode() => (int)Value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
