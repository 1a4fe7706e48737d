using System.Net.Sockets;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;
using static Tracer.Telemetry.TelemetryAttributes;

namespace Tracer.Telemetry;

/// <summary>
/// A finding's declared fields as OpenTelemetry attributes: the connection as semantic-convention
/// network and process attributes, every other field under its <c>tracer.*</c> name; unknown values are left out.
/// </summary>
internal sealed class OtlpFields : IFindingFields
{
    private readonly List<KeyValuePair<string, object?>> attributes;
    private readonly ExecutableNames executables;

    private OtlpFields(List<KeyValuePair<string, object?>> attributes, ExecutableNames executables)
    {
        this.attributes = attributes;
        this.executables = executables;
    }

    /// <summary>Every field of <paramref name="finding"/>, after <paramref name="leading"/>; owners' executable names from <paramref name="executables"/>.</summary>
    public static List<KeyValuePair<string, object?>> Of(Finding finding, ExecutableNames executables, params ReadOnlySpan<KeyValuePair<string, object?>> leading)
    {
        var list = new List<KeyValuePair<string, object?>>(leading.Length + 16);
        list.AddRange(leading);
        finding.Describe(new OtlpFields(list, executables));
        return list;
    }

    /// <summary>The connection's attributes alone, for a span that the connection's later findings add to.</summary>
    public static List<KeyValuePair<string, object?>> Of(in ConnectionIdentity connection, ExecutableNames executables)
    {
        var list = new List<KeyValuePair<string, object?>>(10);
        new OtlpFields(list, executables).Connection(connection);
        return list;
    }

    public static string NetworkTypeOf(Endpoints endpoints) => endpoints.Family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";

    /// <summary>OTLP integers are signed 64-bit; kernel counters and cookies are below 2^63 in practice.</summary>
    public static long Int(ulong value) => (long)Math.Min(value, long.MaxValue);

    public void Connection(in ConnectionIdentity c)
    {
        attributes.Add(new(NetworkTransport, "tcp"));
        attributes.Add(new(NetworkType, NetworkTypeOf(c.Endpoints)));
        attributes.Add(new(NetworkLocalAddress, c.Endpoints.Local.ToString()));
        attributes.Add(new(NetworkLocalPort, (long)c.Endpoints.LocalPort));
        attributes.Add(new(NetworkPeerAddress, c.Endpoints.Peer.ToString()));
        attributes.Add(new(NetworkPeerPort, (long)c.Endpoints.PeerPort));
        attributes.Add(new(TcpCookie, Int(c.Cookie)));
        Process(new ProcessIdentity(c.Pid, c.Comm, c.Container));
        if (c.LostSamples > 0)
        {
            attributes.Add(new(FindingLostSamples, Int(c.LostSamples)));
        }
    }

    public void Process(in ProcessIdentity p)
    {
        if (p.Pid > 0)
        {
            attributes.Add(new(ProcessPid, (long)p.Pid));
            if (executables.Of(p.Pid, p.Comm) is { } executable)
            {
                attributes.Add(new(ProcessExecutableName, executable));
            }

            attributes.Add(new(ProcessCommand, p.Comm));
        }

        if (p.Container.ContainerId is { } container)
        {
            attributes.Add(new(ContainerId, container));
        }

        if (p.Container.PodUid is { } pod)
        {
            attributes.Add(new(K8sPodUid, pod));
        }
    }

    public void Add(FindingField field, long value) => attributes.Add(new(field.Attribute, value));

    public void Add(FindingField field, ulong value) => attributes.Add(new(field.Attribute, Int(value)));

    public void Add(FindingField field, double value) => attributes.Add(new(field.Attribute, value));

    public void Add(FindingField field, bool value) => attributes.Add(new(field.Attribute, value));

    public void Add(FindingField field, string value) => attributes.Add(new(field.Attribute, value));

    public void Add(FindingField field, long? value)
    {
        if (value is { } v)
        {
            attributes.Add(new(field.Attribute, v));
        }
    }

    public void Add(FindingField field, double? value)
    {
        if (value is { } v)
        {
            attributes.Add(new(field.Attribute, v));
        }
    }

    public void Add(FindingField field, TimeSpan value) => attributes.Add(new(field.Attribute, value.TotalSeconds));

    public void Add(FindingField field, Kilobytes? value)
    {
        if (value is { } kb)
        {
            attributes.Add(new(field.Attribute, kb.Bytes));
        }
    }

    public void Add(FindingField field, IReadOnlyList<ulong> values) => attributes.Add(new(field.Attribute, values.Select(Int).ToArray()));

    public void Add(FindingField field, IReadOnlyList<string> values) => attributes.Add(new(field.Attribute, values.ToArray()));

    /// <summary>Stacks as parallel arrays: paths, estimated objects, the allocating commands.</summary>
    public void Add(FindingField field, IReadOnlyList<StackShare> stacks)
    {
        attributes.Add(new(field.Attribute, stacks.Select(s => s.Path).ToArray()));
        attributes.Add(new(SlabTopStackObjects, stacks.Select(s => s.Objects).ToArray()));
        attributes.Add(new(SlabTopStackComms, stacks.Select(s => string.Join(",", s.Comms.Select(c => c.Comm))).ToArray()));
    }

    /// <summary>Caches as parallel arrays: names, then sizes.</summary>
    public void Add(FindingField field, IReadOnlyList<CacheSize> caches)
    {
        attributes.Add(new(field.Attribute, caches.Select(c => c.Cache).ToArray()));
        attributes.Add(new(field.Attribute + ".size", caches.Select(c => c.Bytes).ToArray()));
    }
}
