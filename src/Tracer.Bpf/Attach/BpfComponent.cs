using System.Reflection;
using Tracer.Interop;

namespace Tracer.Bpf.Attach;

/// <summary>
/// One BPF object of the project (a <c>bpf/*.bpf.c</c> file, embedded in this
/// assembly) and the hooks its programs serve.
/// </summary>
public sealed record BpfComponent(string ObjectName, IReadOnlyList<HookSpec> Hooks)
{
    /// <summary>Opens the embedded object; there is no search on disk.</summary>
    public BpfObject Open(BpfSettings settings) => BpfObject.Open(ObjectName, EmbeddedObjects.Read(ObjectName), settings.BtfPath);
}

public static class EmbeddedObjects
{
    private static readonly Assembly Assembly = typeof(EmbeddedObjects).Assembly;

    /// <summary>The compiled object <c>bpf/NAME.bpf.o</c> as built by <c>make bpf</c>.</summary>
    public static byte[] Read(string objectName)
    {
        var resource = $"bpf/{objectName}.bpf.o";
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"BPF object {resource} is not embedded in {Assembly.GetName().Name}: build with make");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public static IEnumerable<string> Names =>
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("bpf/", StringComparison.Ordinal) && n.EndsWith(".bpf.o", StringComparison.Ordinal))
            .Select(n => n["bpf/".Length..^".bpf.o".Length])
            .Order(StringComparer.Ordinal);
}
