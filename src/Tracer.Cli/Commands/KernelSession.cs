using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Bpf;
using Tracer.Bpf.Attach;

namespace Tracer.Cli.Commands;

/// <summary>The checks every kernel-facing command makes before it touches the kernel, and its shared options.</summary>
public sealed class KernelOptions
{
    public Option<FileInfo?> Btf { get; } = GlobalOptions.Btf();
    public Option<AttachMethod?> Attach { get; } = GlobalOptions.Attach();
    public Option<Bpf.Transport?> Transport { get; } = GlobalOptions.Transport();

    public void AddTo(Command command)
    {
        command.Options.Add(Btf);
        command.Options.Add(Attach);
        command.Options.Add(Transport);
    }

    /// <summary>Settings for the loader, or a user error: bad TRACER_* variable (usage), missing capability, missing BTF.</summary>
    public BpfSettings Settings(ParseResult parsed, ILoggerFactory logging)
    {
        var btf = parsed.GetValue(Btf);
        BpfSettings settings;
        try
        {
            settings = BpfSettings.FromEnvironment(btf?.FullName, parsed.GetValue(Attach), parsed.GetValue(Transport));
        }
        catch (ArgumentException e)
        {
            throw new UsageError(e.Message);
        }

        var missing = KernelSupport.MissingCapabilities();
        if (missing.Count > 0)
        {
            throw new UserError($"missing capability {string.Join(" and ", missing)}: run as root or grant CAP_BPF and CAP_PERFMON");
        }

        if (btf is null && !KernelSupport.HasVmlinuxBtf)
        {
            throw new UserError($"this kernel has no BTF at {KernelSupport.VmlinuxBtfPath} (CONFIG_DEBUG_INFO_BTF): pass --btf FILE with the kernel's BTF");
        }

        BpfSettings.RouteLibbpfLog(logging.CreateLogger("libbpf"));
        return settings;
    }
}

/// <summary>A mistake of the user or the environment: printed as one line, exit 1.</summary>
public sealed class UserError(string message) : Exception(message);

/// <summary>A bad value found only when the command runs (a variable, a file that cannot be written): one line, exit 2.</summary>
public sealed class UsageError(string message) : Exception(message);
