using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Output;

/// <summary>Every sample into a recording; findings are not kept, replay makes them again.</summary>
public sealed class RecordingOutput(RecordingWriter writer) : IFindingSink
{
    public void Emit(Finding finding)
    {
    }

    public void Sample(in TcpSample sample) => writer.Write(sample);
}
