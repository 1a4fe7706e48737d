namespace Tracer.Integration.Tests;

/// <summary>Files of the repository the tests were built from.</summary>
public static class RepoPaths
{
    /// <summary>The directory holding Tracer.sln, above the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tracer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Tracer.sln above {AppContext.BaseDirectory}");
    }
}
