namespace Tracer.Integration.Tests;

/// <summary>A systemd unit's [Service] settings, the last assignment of each key winning.</summary>
public static class Unit
{
    public static Dictionary<string, string> Read(string path) =>
        File.ReadAllLines(path)
            .SkipWhile(l => l.Trim() != "[Service]").Skip(1)
            .TakeWhile(l => !l.StartsWith('['))
            .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .GroupBy(kv => kv[0].Trim())
            .ToDictionary(g => g.Key, g => g.Last()[1].Trim());
}
