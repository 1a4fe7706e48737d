using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Tracer.Analysis;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Owners;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Resets;

/// <summary>
/// Loads bpf/resets.bpf.c, hands over the listeners already there (the listener iterator, owners
/// from /proc), then decodes the ring buffer's records into <see cref="ResetSample"/>s.
/// </summary>
public sealed class ResetTracer : IDisposable
{
    private readonly LoadedComponent component;
    private readonly MappedRingBuffer ring;
    private readonly ProcSocketOwners owners = new();
    private Action<ResetSample>? handler;

    private ResetTracer(LoadedComponent component)
    {
        this.component = component;
        ring = new MappedRingBuffer(component.Object.Map("events"), OnRecord);
        CountsAccepts = ResetComponent.Accepts.All(hook => component.Choices.Any(c => c.Hook == hook && c.Chosen is not null));
    }

    /// <summary>Every accept hook attached: a listener's close says how many connections it accepted.</summary>
    public bool CountsAccepts { get; }

    public IReadOnlyList<HookChoice> Choices => component.Choices;

    public static ResetTracer Start(BpfSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!KernelSupport.HasRingBuffer)
        {
            throw new NotSupportedException("reset tracking needs the BPF ring buffer (Linux 5.8+)");
        }

        var component = new ComponentLoader(settings, logger).Load(ResetComponent.Component, _ => { });
        try
        {
            return new ResetTracer(component);
        }
        catch
        {
            component.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The listeners there now, from the listener iterator, with owners from /proc. Call after
    /// <see cref="Start"/>: a listener born in between is reported by both, the later wins.
    /// </summary>
    public IReadOnlyList<ListenerSample> ExistingListeners(BpfSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var obj = BpfObject.Open(ResetComponent.ObjectName, EmbeddedObjects.Read(ResetComponent.ObjectName), settings.BtfPath);
        foreach (var program in obj.Programs)
        {
            program.Autoload = program.Name == ResetComponent.IteratorProgram;
        }

        obj.Map("events").MaxEntries = 4096;
        obj.Load();
        using var link = obj.Program(ResetComponent.IteratorProgram).Attach();
        var records = MemoryMarshal.Cast<byte, ResetEvent>(BpfIterator.ReadAll(link));
        var listeners = new List<ListenerSample>(records.Length);
        foreach (ref readonly var r in records)
        {
            var sample = Listener(r, ListenerEventKind.Existing);
            if (owners.TryFind(r.sock_ino, out var owner, urgent: true))
            {
                sample = sample with { Pid = owner.Pid, Comm = owner.Comm, Command = CommandLine(owner.Pid) };
            }

            listeners.Add(sample);
        }

        return listeners;
    }

    /// <summary>Readable when the programs wake the reader: a listener's birth or close, or the ring a quarter full of resets.</summary>
    public int WaitFd => ring.WaitFd;

    /// <summary>Waits up to <paramref name="timeoutMs"/> and hands every record that arrived to <paramref name="onSample"/>.</summary>
    public int Poll(int timeoutMs, Action<ResetSample> onSample)
    {
        handler = onSample;
        try
        {
            return ring.Poll(timeoutMs);
        }
        finally
        {
            handler = null;
        }
    }

    public void Dispose()
    {
        ring.Dispose();
        component.Dispose();
    }

    private void OnRecord(ReadOnlySpan<byte> record)
    {
        if (record.Length < Marshal.SizeOf<ResetEvent>() || handler is null)
        {
            return;
        }

        var ev = MemoryMarshal.Read<ResetEvent>(record);
        var kind = (ResetEventKind)ev.kind;
        ResetSample? sample = kind switch
        {
            ResetEventKind.Listen => Listener(ev, ListenerEventKind.Listen) with { Command = CommandLine((int)ev.tgid) },
            ResetEventKind.ListenerClose => Listener(ev, ListenerEventKind.Close) with { Accepted = CountsAccepts ? ev.accepted : null },
            ResetEventKind.ListenerGone => Listener(ev, ListenerEventKind.Gone),
            ResetEventKind.Rst => Rst(ev),
            _ => null,
        };
        if (sample is not null)
        {
            handler(sample);
        }
    }

    private static unsafe ListenerSample Listener(in ResetEvent ev, ListenerEventKind kind)
    {
        fixed (byte* comm = ev.comm)
        {
            return new ListenerSample(ev.ts_ns, kind, ev.sock_ino, Family(ev.family), ev.sport, (int)ev.tgid, CString(new ReadOnlySpan<byte>(comm, TcpWindowEvent.CommLength)))
            {
                Group = ev.group,
                GroupSize = (int)ev.group_size,
                BirthNs = ev.birth_ns,
                Cgroup = ev.cgroup,
                AcceptQueue = (int)ev.accept_queue,
                SynQueue = (int)ev.syn_queue,
            };
        }
    }

    private static unsafe RstSample Rst(in ResetEvent ev)
    {
        fixed (byte* saddr = ev.saddr, daddr = ev.daddr, comm = ev.comm)
        {
            var endpoints = Endpoints.FromBytes(Family(ev.family), new ReadOnlySpan<byte>(saddr, 16), ev.sport, new ReadOnlySpan<byte>(daddr, 16), ev.dport);
            return new RstSample(ev.ts_ns, endpoints, (RstReason)ev.reason, (TcpState)ev.state, ev.softirq != 0, (int)ev.tgid,
                CString(new ReadOnlySpan<byte>(comm, TcpWindowEvent.CommLength)), ev.sock_ino, ev.sender_ino);
        }
    }

    private static AddressFamily Family(ushort family) =>
        family == (ushort)LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    private static string CString(ReadOnlySpan<byte> raw)
    {
        var length = raw.IndexOf((byte)0);
        return Encoding.UTF8.GetString(length < 0 ? raw : raw[..length]);
    }

    /// <summary>/proc/PID/cmdline with spaces for NULs; null once the process is gone.</summary>
    private static string? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            return raw.Length == 0 ? null : Encoding.UTF8.GetString(raw).TrimEnd('\0').Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
