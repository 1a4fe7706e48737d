using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.Tests;

public sealed class HumanTests
{
    [Theory]
    [InlineData(0UL, "0 B")]
    [InlineData(999UL, "999 B")]
    [InlineData(1000UL, "1.00 kB")]
    [InlineData(4096UL, "4.10 kB")]
    [InlineData(99_960UL, "100 kB")]
    [InlineData(392_827UL, "393 kB")]
    [InlineData(999_999UL, "1.00 MB")]
    [InlineData(1_770_368UL, "1.77 MB")]
    [InlineData(1UL << 30, "1.07 GB")]
    [InlineData(3_839_318_386UL, "3.84 GB")]
    [InlineData(ulong.MaxValue, "18.4 EB")]
    public void Bytes(ulong bytes, string text) => Assert.Equal(text, Human.Bytes(bytes));

    [Theory]
    [InlineData(0UL, "0ms")]
    [InlineData(850_000_000UL, "850ms")]
    [InlineData(42_399_000_000UL, "42.3s")]
    [InlineData(125_000_000_000UL, "2m05s")]
    [InlineData(16_280_000_000_000UL, "4h31m")]
    [InlineData(273_600_000_000_000UL, "3d04h")]
    public void Duration(ulong ns, string text) => Assert.Equal(text, Human.Duration(ns));
}
