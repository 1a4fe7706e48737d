namespace Tracer.Telemetry.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExecutableNamesTests
{
    [Fact]
    public void TheNameIsTheBaseNameOfProcPidExe()
    {
        var exe = new FileInfo($"/proc/{Environment.ProcessId}/exe").LinkTarget!;
        Assert.Equal(Path.GetFileName(exe), ExecutableNames.Proc.Of(Environment.ProcessId, "whatever"));
    }

    [Fact]
    public void AReplacedExecutableKeepsItsNameAndAGoneProcessHasNone()
    {
        var proc = Directory.CreateTempSubdirectory("tracer-proc-");
        try
        {
            Directory.CreateDirectory(Path.Combine(proc.FullName, "100"));
            File.CreateSymbolicLink(Path.Combine(proc.FullName, "100", "exe"), "/usr/sbin/nginx (deleted)");
            var names = new ExecutableNames(proc.FullName);
            Assert.Equal("nginx", names.Of(100, "nginx"));
            Assert.Null(names.Of(101, "kworker/0:1"));
        }
        finally
        {
            proc.Delete(recursive: true);
        }
    }

    [Fact]
    public void AReusedPidWithAnotherCommandIsLookedUpAgain()
    {
        var proc = Directory.CreateTempSubdirectory("tracer-proc-");
        try
        {
            var exe = Path.Combine(proc.FullName, "200", "exe");
            Directory.CreateDirectory(Path.GetDirectoryName(exe)!);
            File.CreateSymbolicLink(exe, "/usr/bin/rsync");
            var names = new ExecutableNames(proc.FullName);
            Assert.Equal("rsync", names.Of(200, "rsync"));
            File.Delete(exe);
            File.CreateSymbolicLink(exe, "/usr/bin/ssh");
            Assert.Equal("rsync", names.Of(200, "rsync"));
            Assert.Equal("ssh", names.Of(200, "ssh"));
        }
        finally
        {
            proc.Delete(recursive: true);
        }
    }
}
