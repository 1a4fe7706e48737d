namespace Tracer.Bpf.Attach;

/// <summary>Ways to reach a kernel hook, best first: cheapest and richest context at the top.</summary>
public enum AttachMethod
{
    Fentry,
    Kprobe,
    TpBtf,
    RawTracepoint,
    Tracepoint,
}

public static class AttachMethodNames
{
    /// <summary>The libbpf section prefix, which is also the name users type (<c>--attach tp_btf</c>).</summary>
    public static string Label(this AttachMethod method) => method switch
    {
        AttachMethod.Fentry => "fentry",
        AttachMethod.Kprobe => "kprobe",
        AttachMethod.TpBtf => "tp_btf",
        AttachMethod.RawTracepoint => "raw_tp",
        AttachMethod.Tracepoint => "tracepoint",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static bool TryParse(string text, out AttachMethod method)
    {
        foreach (var candidate in Enum.GetValues<AttachMethod>())
        {
            if (string.Equals(candidate.Label(), text, StringComparison.OrdinalIgnoreCase))
            {
                method = candidate;
                return true;
            }
        }

        method = default;
        return false;
    }

    public static string AllLabels => string.Join(", ", Enum.GetValues<AttachMethod>().Select(m => m.Label()));
}

/// <summary>
/// One way to attach a hook: a program of the object, the method, and the
/// kernel function or tracepoint it targets (<c>tcp_ack</c>, <c>tcp_probe</c>, <c>tcp/tcp_probe</c>).
/// </summary>
public sealed record AttachCandidate(AttachMethod Method, string Target, string Program)
{
    public override string ToString() => $"{Method.Label()}/{Target}";
}

/// <summary>A hook the project needs and its ordered ways to attach, tried in order at load time.</summary>
public sealed record HookSpec(string Name, IReadOnlyList<AttachCandidate> Candidates, bool Required = true);

/// <summary>Why a better method was not used: <c>fentry/tcp_ack: EPERM on load</c>.</summary>
public sealed record Refusal(AttachCandidate Candidate, string Reason)
{
    public override string ToString() => $"{Candidate}: {Reason}";
}

/// <summary>The outcome of trying a hook's candidates.</summary>
public sealed record HookChoice(HookSpec Hook, AttachCandidate? Chosen, IReadOnlyList<Refusal> Refusals)
{
    public override string ToString()
    {
        var chosen = Chosen?.ToString() ?? "unavailable";
        return Refusals.Count == 0 ? $"{Hook.Name}: {chosen}" : $"{Hook.Name}: {chosen} ({string.Join("; ", Refusals)})";
    }
}
