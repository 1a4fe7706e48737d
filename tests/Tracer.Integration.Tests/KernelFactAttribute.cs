using Tracer.Bpf;

namespace Tracer.Integration.Tests;

/// <summary>
/// A test that loads BPF programs into the running kernel. Outside CI it is
/// skipped, with the reason, when this process cannot do that (not root, no
/// BTF); with CI=true it always runs, so a machine that cannot run it fails.
/// </summary>
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute()
    {
        Skip = KernelTest.SkipReason();
    }
}

/// <inheritdoc cref="KernelFactAttribute"/>
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute()
    {
        Skip = KernelTest.SkipReason();
    }
}

public static class KernelTest
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? SkipReason()
    {
        if (InCi)
        {
            return null;
        }

        if (KernelSupport.MissingCapabilities().Count > 0)
        {
            return "needs root or CAP_BPF+CAP_PERFMON to load BPF programs (set CI=true to fail instead)";
        }

        return KernelSupport.HasVmlinuxBtf ? null : $"needs kernel BTF at {KernelSupport.VmlinuxBtfPath} (set CI=true to fail instead)";
    }
}
