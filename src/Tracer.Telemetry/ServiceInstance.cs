using System.Security.Cryptography;
using System.Text;

namespace Tracer.Telemetry;

/// <summary>
/// <c>service.instance.id</c> that stays the same across restarts on one host: a name-based UUID
/// (version 5, in the namespace the semantic conventions give for it) of Tracer's name and the
/// host's /etc/machine-id. The machine id itself is never exported (machine-id(5): hash it).
/// </summary>
public static class ServiceInstance
{
    public const string MachineIdPath = "/etc/machine-id";

    /// <summary>The namespace OpenTelemetry's semantic conventions give for service.instance.id UUIDs.</summary>
    private static readonly Guid Namespace = new("4d63009a-8d0f-11ee-aad7-4c796ed8e320");

    /// <summary>The id for this host; null without a readable machine id (the SDK then makes a random one).</summary>
    public static string? Id { get; } = FromMachineId(ReadMachineId());

    /// <summary>The UUID for <paramref name="machineId"/> (32 hex digits); null when it is not one.</summary>
    public static string? FromMachineId(string? machineId)
    {
        var id = machineId?.Trim();
        if (id is not { Length: 32 } || !id.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        Span<byte> input = stackalloc byte[16 + 64];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        var length = 16 + Encoding.ASCII.GetBytes($"tracer/{id.ToLowerInvariant()}", input[16..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..length], hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true).ToString();
    }

    private static string? ReadMachineId()
    {
        try
        {
            return File.ReadAllText(MachineIdPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
