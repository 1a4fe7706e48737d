using Tracer.Analysis.Sequence;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class SeqNumTests
{
    [Fact]
    public void WrapFromMaxToZeroIsForward()
    {
        SeqNum max = 0xFFFFFFFF;
        SeqNum zero = 0;

        Assert.True(SeqNum.Before(max, zero));
        Assert.True(SeqNum.After(zero, max));
        Assert.False(SeqNum.After(max, zero));
        Assert.Equal(1, SeqNum.Distance(zero, max));
        Assert.Equal(-1, SeqNum.Distance(max, zero));
        Assert.True(max < zero);
        Assert.True(zero > max);
        Assert.Equal(zero, max + 1);
        Assert.Equal(1, zero - max);
    }

    [Fact]
    public void ExactlyHalfTheSpaceApartIsBothBeforeAndAfter()
    {
        // Kernel before()/after(): (s32)(a - b) and (s32)(b - a) are both INT_MIN, so both hold.
        SeqNum a = 123;
        var b = a + 0x8000_0000;

        Assert.Equal(int.MinValue, SeqNum.Distance(a, b));
        Assert.Equal(int.MinValue, SeqNum.Distance(b, a));
        Assert.True(SeqNum.Before(a, b));
        Assert.True(SeqNum.After(a, b));
        Assert.True(SeqNum.Before(b, a));
        Assert.True(a < b && a > b && a <= b && a >= b);
    }

    [Fact]
    public void OneShortOfHalfIsStillOrdered()
    {
        SeqNum a = 0xFFFF_FF00;
        var b = a + 0x7FFF_FFFF;

        Assert.True(a.IsBefore(b));
        Assert.False(a.IsAfter(b));
        Assert.Equal(int.MaxValue, b - a);
        Assert.True(a <= b);
        Assert.False(a >= b);
    }

    [Fact]
    public void EqualIsNeitherBeforeNorAfter()
    {
        SeqNum a = 42;

        Assert.False(SeqNum.Before(a, 42));
        Assert.False(SeqNum.After(a, 42));
        Assert.True(a <= 42 && a >= 42);
        Assert.Equal(0, SeqNum.Distance(a, 42));
    }

    [Fact]
    public void IncidentSegmentIsBeforeSndWl1()
    {
        var sample = new TcpSample { SegSeq = 1253278418, SndWl1 = 1708927328 };

        Assert.Equal(-455648910, WindowRule.WrapDistance(sample));
        Assert.True(SeqNum.Before(sample.SegSeq, sample.SndWl1));
        Assert.Equal(3839318386UL, (1UL << 32) - 455648910);
    }

    [Fact]
    public void WrapDistanceCrossesZero()
    {
        Assert.Equal(16, WindowRule.WrapDistance(new TcpSample { SegSeq = 10, SndWl1 = 0xFFFF_FFFA }));
        Assert.Equal(-16, WindowRule.WrapDistance(new TcpSample { SegSeq = 0xFFFF_FFFA, SndWl1 = 10 }));
    }
}
