// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Listeners and the RSTs this host sends: who listened where, in which
 * SO_REUSEPORT group, who closed a listener with connections queued, and
 * which RSTs that close sent.
 *
 * Nothing here runs per packet. The hooks fire per listener (listen(), a
 * listener's close), per RST, and per connection state change or destroy,
 * where the handlers return after a compare or one hash lookup:
 *   inet_sock_set_state  CLOSE->LISTEN (inet_csk_listen_start(), caller's context,
 *                        before __inet_hash() puts the socket in its group) and
 *                        LISTEN->CLOSE (__tcp_close(), the group already left)
 *   sys_exit_listen      the group, readable only once listen() has hashed the socket
 *   tcp_send_reset       every RST (Linux 6.10+ passes the reason)
 *   tcp_destroy_sock     the closed listener's destroy: its close is over
 * One handler body per hook behind tp_btf, raw_tp and the classic tracepoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tracer_events.h"
#include "tracer.bpf.h"

/* user space decodes the records with these; kept in the BTF its mirrors are checked against */
BTF_KEEP(enum reset_event_kind, reset_event_kind_type);
BTF_KEEP(enum tracer_rst_reason, tracer_rst_reason_type);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* a socket that went CLOSE->LISTEN in this task, until its listen() returns */
struct pending_listen {
	__u64 sk;
	__u64 birth_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct pending_listen);
} listening SEC(".maps");

/* a listener this task is closing, from LISTEN->CLOSE to its destroy: the RSTs in between are its */
struct closing_listener {
	__u64 sk;
	__u64 sock_ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct closing_listener);
} closing SEC(".maps");

/* how many entries `closing` holds: every connection's destroy passes on_destroy(), which looks
 * there only while some listener is closing (an entry whose destroy never came keeps it looking) */
__u32 listeners_closing = 0;

/* the listener an accept() or accept4() of this thread waits on, from its entry to its return: in
 * the task itself, a pointer away after the thread's first accept (a hash update per call costs more
 * than the rest of both hooks) */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64); /* struct sock *, 0 between calls */
} accepting SEC(".maps");

/* connections accept() returned per listener, until the listener closes */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* struct sock * */
	__type(value, __u32);
} accepted SEC(".maps");

/* include/uapi/linux/stat.h: a macro, not in BTF */
#define MODE_TYPE 00170000
#define MODE_SOCKET 0140000

/*
 * Whether the RST was sent outside the task that runs: an answer to an
 * incoming segment (tcp_v4_send_reset()/tcp_v6_send_reset(), the receive path
 * in softirq) or a keepalive timeout (tcp_keepalive_timer()). The per-CPU
 * preempt count would say it directly, but __preempt_count is not in
 * kallsyms here (no CONFIG_KALLSYMS_ALL), so a typed ksym cannot load.
 */
static __always_inline __u8 outside_task(const struct sk_buff *skb, __u16 reason)
{
	return skb || reason == RST_REASON_KEEPALIVE;
}

static __always_inline struct reset_event *reserve(__u16 kind)
{
	struct reset_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return NULL;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->ts_ns = bpf_ktime_get_ns();
	return ev;
}

static __always_inline void current_task(struct reset_event *ev)
{
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* a listener's identity: inode, family, bound address and port (skc_num: still set while it listens) */
static __always_inline void listener_identity(struct reset_event *ev, struct sock *sk)
{
	__u8 unused[16];

	ev->sock_ino = socket_inode(sk, 0);
	ev->family = read_addresses(sk, &ev->saddr, &unused, 0);
	ev->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline void group_of(struct reset_event *ev, struct sock *sk)
{
	struct sock_reuseport *group = BPF_CORE_READ(sk, sk_reuseport_cb);

	ev->group = (__u64)(unsigned long)group;
	if (group)
		ev->group_size = BPF_CORE_READ(group, num_socks);
}

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, const int direct)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct closing_listener close_rec;
	struct reset_event *ev;

	if (oldstate != TCP_LISTEN && newstate != TCP_LISTEN)
		return 0;
	if (GET(direct, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_LISTEN) {
		struct pending_listen pending = { .sk = (__u64)(unsigned long)sk, .birth_ns = bpf_ktime_get_ns() };

		bpf_map_update_elem(&listening, &id, &pending, BPF_ANY);
		return 0;
	}
	/* LISTEN->SYN_RECV is a new child cloned from the listener, not the listener */
	if (newstate != TCP_CLOSE)
		return 0;

	ev = reserve(RESET_EV_LISTENER_CLOSE);
	if (!ev)
		return 0;
	current_task(ev);
	listener_identity(ev, sk);
	ev->accept_queue = BPF_CORE_READ(sk, sk_ack_backlog);
	{
		__u64 key = (__u64)(unsigned long)sk;
		__u32 *n = bpf_map_lookup_elem(&accepted, &key);

		if (n) {
			ev->accepted = *n;
			bpf_map_delete_elem(&accepted, &key);
		}
	}
	ev->syn_queue = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_accept_queue.qlen.counter);
	close_rec.sk = (__u64)(unsigned long)sk;
	close_rec.sock_ino = ev->sock_ino;
	bpf_ringbuf_submit(ev, 0);
	if (!bpf_map_update_elem(&closing, &id, &close_rec, BPF_NOEXIST))
		__sync_fetch_and_add(&listeners_closing, 1);
	else
		bpf_map_update_elem(&closing, &id, &close_rec, BPF_ANY);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate, 1);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(state_raw, struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate, 0);
}

SEC("tracepoint/sock/inet_sock_set_state")
int state_tp(struct trace_event_raw_inet_sock_set_state *args)
{
	return on_state((struct sock *)args->skaddr, args->oldstate, args->newstate, 0);
}

/* listen() hashed the socket (__inet_hash() -> reuseport_add_sock()): its group is readable now */
SEC("tracepoint/syscalls/sys_exit_listen")
int listen_exit(struct trace_event_raw_sys_exit *args)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_listen *pending = bpf_map_lookup_elem(&listening, &id);
	struct reset_event *ev;
	struct sock *sk;

	if (!pending)
		return 0;
	sk = (struct sock *)(unsigned long)pending->sk;
	if (args->ret == 0 && (ev = reserve(RESET_EV_LISTEN))) {
		ev->birth_ns = pending->birth_ns;
		current_task(ev);
		listener_identity(ev, sk);
		group_of(ev, sk);
		bpf_ringbuf_submit(ev, 0);
	}
	bpf_map_delete_elem(&listening, &id);
	return 0;
}

static __always_inline __u16 rst_reason(int reason)
{
	if (!bpf_core_type_exists(enum sk_rst_reason))
		return RST_REASON_OTHER;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_NOT_SPECIFIED))
		return RST_REASON_NOT_SPECIFIED;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_NO_SOCKET))
		return RST_REASON_NO_SOCKET;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_FLAGS))
		return RST_REASON_TCP_FLAGS;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE))
		return RST_REASON_INVALID_ACK;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_TIMEWAIT_SOCKET))
		return RST_REASON_TIMEWAIT;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_INVALID_SYN))
		return RST_REASON_INVALID_SYN;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_DATA))
		return RST_REASON_ABORT_ON_DATA;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_CLOSE))
		return RST_REASON_ABORT_ON_CLOSE;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_LINGER))
		return RST_REASON_ABORT_ON_LINGER;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_MEMORY))
		return RST_REASON_ABORT_ON_MEMORY;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_STATE))
		return RST_REASON_TCP_STATE;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT))
		return RST_REASON_KEEPALIVE;
	if (reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_DISCONNECT_WITH_DATA))
		return RST_REASON_DISCONNECT_WITH_DATA;
	return RST_REASON_OTHER;
}

/* the 4-tuple of a RST answering an incoming segment: the segment's, reversed */
static __always_inline void tuple_from_segment(struct reset_event *ev, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *ip = head + BPF_CORE_READ(skb, network_header);
	struct tcphdr *th = (struct tcphdr *)(head + BPF_CORE_READ(skb, transport_header));
	__u8 version = 0;

	bpf_probe_read_kernel(&version, 1, ip);
	if (version >> 4 == 6) {
		ev->family = TRACER_AF_INET6;
		bpf_probe_read_kernel(ev->saddr, 16, &((struct ipv6hdr *)ip)->daddr);
		bpf_probe_read_kernel(ev->daddr, 16, &((struct ipv6hdr *)ip)->saddr);
	} else {
		ev->family = TRACER_AF_INET;
		bpf_probe_read_kernel(ev->saddr, 4, &((struct iphdr *)ip)->daddr);
		bpf_probe_read_kernel(ev->daddr, 4, &((struct iphdr *)ip)->saddr);
	}
	ev->sport = bpf_ntohs(BPF_CORE_READ(th, dest));
	ev->dport = bpf_ntohs(BPF_CORE_READ(th, source));
}

static __always_inline int on_reset(struct sock *sk, const struct sk_buff *skb, int reason)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct closing_listener *close_rec;
	struct reset_event *ev = reserve(RESET_EV_RST);

	if (!ev)
		return 0;
	current_task(ev);
	ev->reason = rst_reason(reason);
	ev->softirq = outside_task(skb, ev->reason);
	if (sk)
		ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* tcp_v4_do_rcv()/tcp_v6_do_rcv(): a listener found no request for the segment and answers it */
	if (ev->state == TCP_LISTEN)
		ev->sender_ino = socket_inode(sk, 0);
	if (skb) {
		tuple_from_segment(ev, skb);
	} else if (sk) {
		ev->family = read_addresses(sk, &ev->saddr, &ev->daddr, 0);
		/* skc_num is already 0 when a closing listener's child is reset (the port was released) */
		ev->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		ev->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
	/* tcp_send_active_reset() of a child, in the task closing its listener (inet_csk_listen_stop()) */
	if (!ev->softirq) {
		close_rec = bpf_map_lookup_elem(&closing, &id);
		if (close_rec)
			ev->sock_ino = close_rec->sock_ino;
	}
	/* resets come in storms (a scan, a flood to a closed port): the reader is woken for a quarter-full
	 * ring, otherwise it takes them on its own schedule */
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4 ?
				       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(reset_btf, struct sock *sk, struct sk_buff *skb, int reason)
{
	return on_reset(sk, skb, reason);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(reset_raw, struct sock *sk, struct sk_buff *skb, int reason)
{
	return on_reset(sk, skb, reason);
}

SEC("tracepoint/tcp/tcp_send_reset")
int reset_tp(struct trace_event_raw_tcp_send_reset *args)
{
	return on_reset((struct sock *)args->skaddr, (const struct sk_buff *)args->skbaddr, args->reason);
}

/*
 * The TCP listener at descriptor fd of the current task, or NULL. Plain loads from the task on (a
 * NULL on the way reads as 0), one probe read for the descriptor's slot: accept() runs once per
 * connection, and a busy server accepts tens of thousands a second.
 */
static __always_inline struct sock *listener_at(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *slot = NULL, *file;
	struct socket *sock;
	struct sock *sk;

	if (!fdt || fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&slot, sizeof(slot), &fdt->fd[fd]) || !slot)
		return NULL;
	file = CAST(slot, struct file);
	if ((file->f_inode->i_mode & MODE_TYPE) != MODE_SOCKET)
		return NULL;
	sock = CAST(file->private_data, struct socket);
	sk = sock->sk;
	if (!sk || sk->__sk_common.skc_state != TCP_LISTEN || sk->sk_protocol != IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline int on_accept_entry(long fd)
{
	__u64 sk = (__u64)(unsigned long)listener_at(fd);
	__u64 *waiting_on;

	if (!sk)
		return 0;
	waiting_on = bpf_task_storage_get(&accepting, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (waiting_on)
		*waiting_on = sk;
	return 0;
}

static __always_inline int on_accept_return(long ret)
{
	__u64 *waiting_on = bpf_task_storage_get(&accepting, bpf_get_current_task_btf(), 0, 0);
	__u32 one = 1, *n;
	__u64 sk;

	if (!waiting_on || !*waiting_on)
		return 0;
	sk = *waiting_on;
	*waiting_on = 0;
	if (ret >= 0) {
		n = bpf_map_lookup_elem(&accepted, &sk);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&accepted, &sk, &one, BPF_NOEXIST);
	}
	return 0;
}

/* accept() and accept4(): per call, not per packet; the listener's count goes out with its close */
SEC("tracepoint/syscalls/sys_enter_accept4")
int accept4_entry(struct trace_event_raw_sys_enter *args)
{
	return on_accept_entry(args->args[0]);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_return(struct trace_event_raw_sys_exit *args)
{
	return on_accept_return(args->ret);
}

SEC("tracepoint/syscalls/sys_enter_accept")
int accept_entry(struct trace_event_raw_sys_enter *args)
{
	return on_accept_entry(args->args[0]);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_return(struct trace_event_raw_sys_exit *args)
{
	return on_accept_return(args->ret);
}

static __always_inline int on_destroy(struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct closing_listener *close_rec;
	struct reset_event *ev;

	if (!*(volatile __u32 *)&listeners_closing)
		return 0;
	close_rec = bpf_map_lookup_elem(&closing, &id);
	if (!close_rec || close_rec->sk != (__u64)(unsigned long)sk)
		return 0;
	ev = reserve(RESET_EV_LISTENER_GONE);
	if (ev) {
		current_task(ev);
		ev->sock_ino = close_rec->sock_ino;
		bpf_ringbuf_submit(ev, 0);
	}
	if (!bpf_map_delete_elem(&closing, &id))
		__sync_fetch_and_add(&listeners_closing, -1);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_btf, struct sock *sk)
{
	return on_destroy(sk);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(destroy_raw, struct sock *sk)
{
	return on_destroy(sk);
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int destroy_tp(struct trace_event_raw_tcp_event_sk *args)
{
	return on_destroy((struct sock *)args->skaddr);
}

/* not inlined, so the record's type is in the object's BTF, which the C# mirror is checked against */
static __noinline int write_listener(struct seq_file *seq, struct reset_event *rec)
{
	return bpf_seq_write(seq, rec, sizeof(*rec));
}

/* the listeners there before the trace, with their groups (iter/tcp, Linux 5.9+) */
SEC("iter/tcp")
int existing_listeners(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct reset_event rec = {};
	struct tcp_sock *tp;
	struct sock *sk;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_LISTEN)
		return 0;
	rec.kind = RESET_EV_EXISTING;
	rec.ts_ns = bpf_ktime_get_ns();
	listener_identity(&rec, sk);
	group_of(&rec, sk);
	write_listener(ctx->meta->seq, &rec);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
