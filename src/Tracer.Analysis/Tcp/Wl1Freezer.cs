namespace Tracer.Analysis.Tcp;

/// <summary>
/// Turns the samples of a healthy transfer into what a kernel with the pre-5.10
/// bulk-receiver fast-path bug would have shown: snd_wl1 stays at each
/// connection's first value, and snd_wnd only changes when the window rule,
/// judged against that frozen snd_wl1, lets a segment update it.
/// Answers "would this connection have hung on an unfixed kernel?" from a
/// recording made on a fixed one (<c>tracer replay --freeze-wl1</c>).
/// </summary>
public static class Wl1Freezer
{
    public static IEnumerable<TcpSample> Freeze(IEnumerable<TcpSample> healthy)
    {
        var frozenBy = new Dictionary<ulong, (uint Wl1, uint Window, ulong? MovedAt)>();
        foreach (var sample in healthy)
        {
            if (!frozenBy.TryGetValue(sample.Cookie, out var state))
            {
                state = (sample.SndWl1, sample.SndWnd, sample.Wl1MovedAtBytesReceived);
            }

            var frozen = sample with { SndWl1 = state.Wl1, SndWnd = state.Window, Wl1MovedAtBytesReceived = state.MovedAt };
            frozenBy[sample.Cookie] = state with { Window = (uint)WindowRule.WindowAfter(frozen) };
            yield return frozen;
        }
    }
}
