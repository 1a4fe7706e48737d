using System.Globalization;
using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Overhead;

/// <summary><c>tracer.drops</c>: the kernel had no room in the buffer for samples since the last report; findings of that period may be incomplete.</summary>
public sealed record DropsFinding(ulong TimestampNs, ulong Dropped, LoadState Load) : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.Drops;

    public override Severity Severity => Severity.Warning;

    public override string Message =>
        string.Create(CultureInfo.InvariantCulture, $"{Dropped} samples dropped by the kernel (buffer full; {Load.DroppedByCpu}); findings for this period may be incomplete");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.DroppedTotal, Load.Dropped);
        fields.Add(Fields.Dropped, Dropped);
        fields.Add(Fields.DroppedTotalPerCpu, Load.DroppedPerCpu);
    }
}
