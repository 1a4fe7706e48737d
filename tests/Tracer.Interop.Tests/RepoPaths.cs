namespace Tracer.Interop.Tests;

internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>An object built by <c>make bpf</c>.</summary>
    public static string BpfObject(string name)
    {
        var path = Path.Combine(Root, "build", "bpf", $"{name}.bpf.o");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run make bpf", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tracer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Tracer.sln not found above " + AppContext.BaseDirectory);
    }
}
