namespace Tracer.Interop.Events;

/// <summary>
/// C# mirror of <c>enum tracer_addr_family</c>: the records' <c>family</c> field, numbered as
/// Linux numbers them (.NET's <see cref="System.Net.Sockets.AddressFamily"/> does not: InterNetworkV6 is 23).
/// </summary>
public enum LinuxAddressFamily : ushort
{
    Inet = 2,
    Inet6 = 10,
}
