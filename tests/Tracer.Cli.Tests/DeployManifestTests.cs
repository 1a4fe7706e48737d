using Tracer.Integration.Tests;
using YamlDotNet.RepresentationModel;

namespace Tracer.Cli.Tests;

/// <summary>
/// The Kubernetes DaemonSet and the Dockerfile, checked by what runs here (no cluster, no Docker
/// engine): the manifest parses, grants exactly the unit's capabilities and never privileged mode.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string Deploy = Path.Combine(RepoPaths.Root, "deploy");

    [Fact]
    public void TheDaemonSetGrantsExactlyTheUnitsCapabilitiesAndIsNotPrivileged()
    {
        var container = DaemonSet()["spec"]["template"]["spec"]["containers"][0];
        var security = container["securityContext"];
        var unit = Unit.Read(Path.Combine(Deploy, "tracer.service"))["CapabilityBoundingSet"].Split(' ').Select(c => c["CAP_".Length..]);

        Assert.Equal("false", Scalar(security["privileged"]));
        Assert.Equal("false", Scalar(security["allowPrivilegeEscalation"]));
        Assert.Equal(["ALL"], Sequence(security["capabilities"]["drop"]));
        Assert.Equal(unit.Order(), Sequence(security["capabilities"]["add"]).Order());
        Assert.DoesNotContain("privileged: true", File.ReadAllText(Path.Combine(Deploy, "kubernetes", "tracer-daemonset.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public void TheDaemonSetSeesTheHostAndMountsBtfReadOnly()
    {
        var pod = DaemonSet()["spec"]["template"]["spec"];
        var container = pod["containers"][0];

        Assert.Equal("true", Scalar(pod["hostPID"]));
        var btf = ((YamlSequenceNode)container["volumeMounts"]).Single(m => Scalar(m["name"]) == "btf");
        Assert.Equal("/sys/kernel/btf", Scalar(btf["mountPath"]));
        Assert.Equal("true", Scalar(btf["readOnly"]));
        Assert.Equal("9464", Scalar(((YamlSequenceNode)container["ports"])[0]["containerPort"]));
        var env = ((YamlSequenceNode)container["env"]).ToDictionary(e => Scalar(e["name"]), e => ((YamlMappingNode)e).Children.TryGetValue("value", out var v) ? Scalar(v) : "");
        Assert.Equal("0.0.0.0:9464", env["TRACER_PROMETHEUS"]);
        Assert.StartsWith("http://", env["OTEL_EXPORTER_OTLP_ENDPOINT"], StringComparison.Ordinal);
        Assert.Equal("160Mi", Scalar(container["resources"]["limits"]["memory"]));
    }

    [Fact]
    public void TheImageIsBuiltInOneStageAndRunsFromASmallOne()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile"));
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, stages.Count);
        Assert.Contains("dotnet/sdk", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM debian:bookworm-slim", stages[1], StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /src/build/aot/tracer /usr/bin/tracer", lines);
        Assert.Contains("ENTRYPOINT [\"/usr/bin/tracer\"]", lines);
    }

    private static YamlNode DaemonSet()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Deploy, "kubernetes", "tracer-daemonset.yaml"));
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).Single(n => Scalar(n["kind"]) == "DaemonSet");
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static List<string> Sequence(YamlNode node) => ((YamlSequenceNode)node).Select(Scalar).ToList();
}
