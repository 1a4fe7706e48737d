using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tracer.Integration.Tests;

/// <summary>What iproute2's ss reports for a socket: the independent reference for bitfields the programs read.</summary>
public static partial class Ss
{
    /// <summary>(snd_wscale, rcv_wscale) of the established socket whose local port is <paramref name="localPort"/>.</summary>
    public static (byte Send, byte Receive) WindowScales(int localPort)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-tinH", $"sport = :{localPort}"]) { RedirectStandardOutput = true })!;
        var text = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        var match = WscaleField().Match(text);
        Assert.True(match.Success, $"ss shows no wscale for port {localPort}: {text}");
        return (byte.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), byte.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"wscale:(\d+),(\d+)")]
    private static partial Regex WscaleField();
}
