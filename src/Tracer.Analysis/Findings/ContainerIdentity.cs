using System.Text.RegularExpressions;

namespace Tracer.Analysis.Findings;

/// <summary>
/// The container and Kubernetes pod a process runs in, read from its cgroup v2 path as the
/// runtimes name them; null where the path says nothing (a process on the host).
/// </summary>
public readonly partial record struct ContainerIdentity(string? ContainerId, string? PodUid)
{
    public bool IsKnown => ContainerId is not null || PodUid is not null;

    /// <summary>
    /// From a cgroup path: containerd (<c>cri-containerd-ID.scope</c>, or a bare ID under a pod with
    /// the cgroupfs driver), CRI-O (<c>crio-ID.scope</c>), Docker (<c>docker-ID.scope</c>,
    /// <c>/docker/ID</c>); the pod from <c>kubepods…-podUID.slice</c> (systemd driver, '_' for '-')
    /// or <c>/kubepods/…/podUID/</c> (cgroupfs driver).
    /// </summary>
    public static ContainerIdentity FromCgroupPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var container = ContainerPattern().Matches(path) is { Count: > 0 } c ? c[^1].Groups["id"].Value : null;
        var pod = path.Contains("kubepods", StringComparison.Ordinal) && PodPattern().Match(path) is { Success: true } p
            ? p.Groups["uid"].Value.Replace('_', '-')
            : null;
        return new ContainerIdentity(container, pod);
    }

    [GeneratedRegex(@"(?:(?:cri-containerd|crio|docker|libpod)-|/(?:docker|kubepods(?:/[a-z]+)?/pod[0-9a-f_-]+)/)(?<id>[0-9a-f]{64})(?:\.scope)?(?:/|$)")]
    private static partial Regex ContainerPattern();

    [GeneratedRegex(@"pod(?<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:/|$)")]
    private static partial Regex PodPattern();
}
