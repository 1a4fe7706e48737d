using Tracer.Bpf.Attach;

namespace Tracer.Bpf.Resets;

/// <summary>
/// bpf/resets.bpf.c: listener births and closes, the group at listen() return, every RST, and
/// the closed listener's destroy. Tracepoints only: each fires per listener, per RST or per
/// connection state change, never per packet. Where fentry works, inet_csk_listen_stop() would
/// be a finer hook than the close/destroy pair; the tracepoints are what every kernel here has.
/// </summary>
public static class ResetComponent
{
    public const string ObjectName = "resets";
    public const string IteratorProgram = "existing_listeners";

    /// <summary>CLOSE→LISTEN (inet_csk_listen_start()) and LISTEN→CLOSE (__tcp_close()).</summary>
    public static readonly HookSpec ListenerState = Tracepoint("listener state (inet_sock_set_state)", "inet_sock_set_state", "sock", "state");

    /// <summary>
    /// The group is readable only once listen() has hashed the socket (__inet_hash() → reuseport_add_sock()).
    /// A syscall tracepoint needs tracefs, which needs CAP_SYS_ADMIN to mount: without it, listeners
    /// and RSTs are still traced, only SO_REUSEPORT groups go unseen.
    /// </summary>
    public static readonly HookSpec ListenReturn = Syscall("listen() return (group membership)", "sys_exit_listen", "listen_exit");

    /// <summary>tcp_send_reset carries the reason since Linux 6.10.</summary>
    public static readonly HookSpec SendReset = Tracepoint("RST sent (tcp_send_reset)", "tcp_send_reset", "tcp", "reset");

    /// <summary>The closed listener's destroy (tcp_v4_destroy_sock()): every RST of its close was sent before it.</summary>
    public static readonly HookSpec ListenerDestroy = Tracepoint("listener destroy (tcp_destroy_sock)", "tcp_destroy_sock", "tcp", "destroy", required: false);

    /// <summary>
    /// accept() and accept4(), entry (the listener at the descriptor) and return (one more for it when
    /// a connection came back): per call, not per packet. Syscall tracepoints, like listen()'s: without
    /// tracefs a listener's accepted count is unknown.
    /// </summary>
    public static readonly IReadOnlyList<HookSpec> Accepts =
    [
        Syscall("accept4() entry", "sys_enter_accept4", "accept4_entry"),
        Syscall("accept4() return", "sys_exit_accept4", "accept4_return"),
        Syscall("accept() entry", "sys_enter_accept", "accept_entry"),
        Syscall("accept() return", "sys_exit_accept", "accept_return"),
    ];

    public static readonly BpfComponent Component = new(ObjectName, [ListenerState, ListenReturn, SendReset, ListenerDestroy, .. Accepts]);

    private static HookSpec Syscall(string name, string tracepoint, string program) =>
        new(name, [new(AttachMethod.Tracepoint, $"syscalls/{tracepoint}", program)], Required: false);

    private static HookSpec Tracepoint(string name, string tracepoint, string system, string program, bool required = true) => new(name,
    [
        new(AttachMethod.TpBtf, tracepoint, $"{program}_btf"),
        new(AttachMethod.RawTracepoint, tracepoint, $"{program}_raw"),
        new(AttachMethod.Tracepoint, $"{system}/{tracepoint}", $"{program}_tp"),
    ], required);
}
