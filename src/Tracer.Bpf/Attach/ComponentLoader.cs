using Microsoft.Extensions.Logging;
using Tracer.Interop;

namespace Tracer.Bpf.Attach;

/// <summary>
/// Chooses, for every hook of a component, the first candidate the running
/// kernel really accepts (it is loaded and attached in a scratch copy of the
/// object), then loads the component with the chosen programs only.
/// </summary>
public sealed class ComponentLoader(BpfSettings settings, ILogger logger)
{
    /// <summary>Filesystems this process mounted because a chosen method needed them.</summary>
    public List<string> Mounted { get; } = [];

    public IReadOnlyList<HookChoice> Probe(BpfComponent component, Action<BpfObject> configure) =>
        component.Hooks.Select(hook => Choose(component, hook, configure)).ToList();

    public LoadedComponent Load(BpfComponent component, Action<BpfObject> configure)
    {
        var choices = Probe(component, configure);
        foreach (var choice in choices.Where(c => c.Chosen is null && c.Hook.Required))
        {
            throw new HookUnavailableException(choice);
        }

        var chosen = choices.Where(c => c.Chosen is not null).Select(c => c.Chosen!).ToList();
        var obj = component.Open(settings);
        var links = new List<BpfLink>();
        try
        {
            configure(obj);
            Prepare(obj, chosen);
            obj.Load();
            foreach (var candidate in chosen)
            {
                links.Add(Attach(obj, candidate));
            }

            foreach (var choice in choices)
            {
                logger.LogDebug("{Object}: {Choice}", component.ObjectName, choice);
            }

            return new LoadedComponent(obj, links, choices);
        }
        catch
        {
            links.ForEach(l => l.Dispose());
            obj.Dispose();
            throw;
        }
    }

    private HookChoice Choose(BpfComponent component, HookSpec hook, Action<BpfObject> configure)
    {
        var refusals = new List<Refusal>();
        // a hook with a single kind of attachment (a syscall tracepoint) keeps it under a forced method
        var forcedHere = settings.ForcedMethod is { } f && hook.Candidates.Any(c => c.Method == f) ? settings.ForcedMethod : null;
        foreach (var candidate in hook.Candidates)
        {
            if (forcedHere is { } forced && forced != candidate.Method)
            {
                refusals.Add(new Refusal(candidate, $"not tried ({BpfSettings.AttachVariable}={forced.Label()})"));
                continue;
            }

            var reason = Try(component, candidate, configure);
            if (reason is null)
            {
                return new HookChoice(hook, candidate, refusals);
            }

            refusals.Add(new Refusal(candidate, reason));
        }

        return new HookChoice(hook, null, refusals);
    }

    /// <summary>Loads and attaches one candidate in a scratch object; null when it works, else why not.</summary>
    private string? Try(BpfComponent component, AttachCandidate candidate, Action<BpfObject> configure)
    {
        using var obj = component.Open(settings);
        configure(obj);
        ShrinkMaps(obj);
        try
        {
            // libbpf resolves an fentry target while it is set: an absent function fails here
            Prepare(obj, [candidate]);
            obj.Load();
        }
        catch (BpfException e)
        {
            return ExplainLoad(candidate, e);
        }

        try
        {
            using var link = Attach(obj, candidate);
            return null;
        }
        catch (BpfException e)
        {
            return ExplainAttach(candidate, e);
        }
    }

    private static void Prepare(BpfObject obj, IReadOnlyCollection<AttachCandidate> chosen)
    {
        foreach (var program in obj.Programs)
        {
            var candidate = chosen.FirstOrDefault(c => c.Program == program.Name);
            program.Autoload = candidate is not null;
            if (candidate?.Method == AttachMethod.Fentry)
            {
                program.SetAttachTarget(candidate.Target);
            }
        }
    }

    private BpfLink Attach(BpfObject obj, AttachCandidate candidate)
    {
        var program = obj.Program(candidate.Program);
        switch (candidate.Method)
        {
            case AttachMethod.Kprobe:
                return program.AttachKprobe(candidate.Target);
            case AttachMethod.RawTracepoint:
                return program.AttachRawTracepoint(candidate.Target);
            case AttachMethod.Tracepoint:
                if (KernelFs.EnsureTracefs())
                {
                    Mounted.Add($"tracefs on {KernelFs.TracefsPath}");
                    logger.LogInformation("mounted tracefs on {Path} for classic tracepoints", KernelFs.TracefsPath);
                }

                var slash = candidate.Target.IndexOf('/', StringComparison.Ordinal);
                return program.AttachTracepoint(candidate.Target[..slash], candidate.Target[(slash + 1)..]);
            default:
                return program.Attach();
        }
    }

    /// <summary>Scratch copies only prove that a program loads and attaches: keep their maps tiny.</summary>
    private static void ShrinkMaps(BpfObject obj)
    {
        foreach (var map in obj.Maps)
        {
            switch (map.Kind)
            {
                case MapKind.RingBuffer:
                    map.MaxEntries = 4096;
                    break;
                case MapKind.Hash:
                    map.MaxEntries = 64;
                    break;
            }
        }
    }

    private static string ExplainLoad(AttachCandidate candidate, BpfException e) => e.Errno switch
    {
        Errno.ESRCH or Errno.ENOENT when candidate.Method is AttachMethod.Fentry => $"no function {candidate.Target} in kernel BTF",
        Errno.ESRCH or Errno.ENOENT when candidate.Method is AttachMethod.TpBtf => $"no tracepoint {candidate.Target} in kernel BTF",
        _ => $"{e.ErrnoName} on load",
    };

    private static string ExplainAttach(AttachCandidate candidate, BpfException e) => candidate.Method switch
    {
        AttachMethod.Kprobe when !KernelSupport.HasKprobes => "kernel has no kprobes",
        AttachMethod.Kprobe or AttachMethod.RawTracepoint or AttachMethod.Tracepoint when e.Errno == Errno.ENOENT =>
            $"no {(candidate.Method == AttachMethod.Kprobe ? "function" : "tracepoint")} {candidate.Target}",
        _ => $"{e.ErrnoName} on attach",
    };
}

/// <summary>A loaded object with its attached links; disposing detaches everything and frees the maps.</summary>
public sealed class LoadedComponent(BpfObject obj, IReadOnlyList<BpfLink> links, IReadOnlyList<HookChoice> choices) : IDisposable
{
    public BpfObject Object { get; } = obj;

    public IReadOnlyList<BpfLink> Links { get; } = links;

    public IReadOnlyList<HookChoice> Choices { get; } = choices;

    public void Dispose()
    {
        foreach (var link in Links)
        {
            link.Dispose();
        }

        Object.Dispose();
    }
}

/// <summary>A required hook that no method could attach on this kernel.</summary>
public sealed class HookUnavailableException(HookChoice choice)
    : Exception($"{choice.Hook.Name}: no way to attach on this kernel ({string.Join("; ", choice.Refusals)})")
{
    public HookChoice Choice { get; } = choice;
}
