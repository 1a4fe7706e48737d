using System.Text;

namespace Tracer.Output;

/// <summary>
/// The alternate screen a live view redraws in place, frame by frame. The
/// findings it was told to keep are printed on the normal screen when it closes,
/// so they outlive the view.
/// </summary>
public sealed class TerminalScreen : IDisposable
{
    private readonly TextWriter terminal;
    private readonly List<string> kept = [];
    private readonly StringBuilder frame = new();

    public TerminalScreen(TextWriter terminal)
    {
        this.terminal = terminal;
        terminal.Write("\e[?1049h\e[?25l");
    }

    public void Keep(string finding) => kept.Add(finding);

    public void BeginFrame() => frame.Clear().Append("\e[H");

    public void Line(string text) => frame.Append(text).Append("\e[K\n");

    /// <summary>Ends the frame with the latest kept findings, then draws it.</summary>
    public void EndFrame(int recentFindings)
    {
        Line("");
        Line("findings:");
        foreach (var f in kept.Skip(Math.Max(0, kept.Count - recentFindings)))
        {
            Line(f);
        }

        frame.Append("\e[J");
        terminal.Write(frame.ToString());
        terminal.Flush();
    }

    public static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    public void Dispose()
    {
        terminal.Write("\e[?25h\e[?1049l");
        foreach (var f in kept)
        {
            terminal.WriteLine(f);
        }

        terminal.Flush();
    }
}
