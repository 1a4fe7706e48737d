using System.Net.Sockets;
using System.Text.Json;

namespace Tracer.Analysis;

/// <summary>The 4-tuple as findings and samples write it: family, saddr, sport, daddr, dport.</summary>
public static class EndpointJson
{
    public const string Inet = "inet";
    public const string Inet6 = "inet6";

    public static void Write(Utf8JsonWriter w, in Endpoints e)
    {
        w.WriteString("family", e.Family switch
        {
            AddressFamily.InterNetwork => Inet,
            AddressFamily.InterNetworkV6 => Inet6,
            _ => "unspec",
        });
        w.WriteString("saddr", e.Local.ToString());
        w.WriteNumber("sport", e.LocalPort);
        w.WriteString("daddr", e.Peer.ToString());
        w.WriteNumber("dport", e.PeerPort);
    }
}
