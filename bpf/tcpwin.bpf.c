// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Send-window state on the TCP receive path.
 *
 * One handler body, five ways to reach it. The loader keeps exactly one of
 * the ack-path programs (fentry/kprobe on tcp_ack(), or the tcp_probe
 * tracepoint at the entry of tcp_rcv_established() as tp_btf, raw_tp or a
 * classic tracepoint), chosen by real attempts, and one of the owner programs
 * on the sock_send_length/sock_recv_length tracepoints (Linux 6.3+), which run
 * in process context and so can name the socket's owner.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tracer_events.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

/* filters and modes, set between open and load */
const volatile __u32 filter_tgid = 0;
const volatile __u16 filter_port = 0; /* local or peer port */
const volatile __u16 filter_family = 0;
const volatile __u64 filter_cgroup = 0; /* cgroup v2 id of the socket's cgroup */
const volatile char filter_comm[TRACER_COMM_LEN] = {};
const volatile __u8 every_segment = 0;
const volatile __u8 use_perfbuf = 0; /* perf buffer transport for kernels without ring buffers */
const volatile __u64 heartbeat_ns = 1000000000ULL;
const volatile __u64 wl1_lag_step = 1ULL << 28; /* emit each time the lag crosses a multiple */
const volatile __u64 wakeup_bytes = 256 * 1024; /* wake the reader once this much is queued */

struct conn_state {
	__u64 last_emit_ns;
	__u64 rcvd_at_wl1;
	__u64 lag_bucket;
	__u32 wl1;
	__u32 lost; /* samples not delivered since the last one that was */
	__u32 owner_tgid; /* as last written to the owners map */
	__u8 zero_window;
	__u8 probes_out;
	__u8 backoff;
	__u8 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct conn_state);
} conns SEC(".maps");

/* the same state in the socket itself where the attach method gives a trusted sk (tp_btf, fentry):
 * a pointer away instead of a hash lookup, and freed with the socket */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct conn_state);
} conn_storage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct tcp_owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* enum tcp_detail */
} detail SEC(".maps");

/* samples not sent under TCP_DETAIL_VERDICT, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} suppressed SEC(".maps");

/* samples the ring or perf buffer had no room for, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* serial-number comparison of 32-bit sequence numbers, as before()/after() */
static __always_inline int seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

#define seq_after(a, b) seq_before(b, a)

static __always_inline int comm_matches(const char *comm)
{
	if (!filter_comm[0])
		return 1;
	for (int i = 0; i < TRACER_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return 0;
		if (!comm[i])
			return 1;
	}
	return 1;
}

static __always_inline __u64 socket_cookie(struct sock *sk)
{
	__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);

	/* the cookie is assigned on first use; the raw tracepoint cannot ask for it */
	return cookie ? cookie : (__u64)(unsigned long)sk;
}

static __always_inline __u64 socket_inode(struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);

	if (!sock)
		return 0;
	return BPF_CORE_READ(sock, file, f_inode, i_ino);
}

static __always_inline __u64 socket_cgroup(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

static __always_inline void count(void *per_cpu_counter)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(per_cpu_counter, &zero);

	if (n)
		*n += 1;
}

/* the reasons that carry no verdict: sent only under TCP_DETAIL_FULL */
static __always_inline __u32 routine_reasons(int at_zero_window)
{
	return TCP_EMIT_FIRST | TCP_EMIT_PROBES | TCP_EMIT_EVERY_SEGMENT | (at_zero_window ? 0 : TCP_EMIT_HEARTBEAT);
}

static __always_inline int verdict_only(void)
{
	__u32 zero = 0;
	__u32 *level = bpf_map_lookup_elem(&detail, &zero);

	return level && *level == TCP_DETAIL_VERDICT;
}

/* 0 when the sample is in the buffer */
static __always_inline long submit(void *ctx, struct tcp_window_event *ev, int urgent)
{
	long err;

	if (use_perfbuf) {
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, sizeof(*ev));
	} else {
		/* batch wake-ups: the reader polls with a timeout, so only urgent
		 * samples and a filling ring need to wake it */
		__u64 flags = urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				      BPF_RB_FORCE_WAKEUP :
				      BPF_RB_NO_WAKEUP;
		err = bpf_ringbuf_output(&events, ev, sizeof(*ev), flags);
	}
	if (err)
		count(&drops);
	return err;
}

/* per-CPU scratch: the event is too large for the 512-byte BPF stack budget with the rest */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_window_event);
} scratch SEC(".maps");

/*
 * Field reads: plain loads through trusted BTF pointers where the attach
 * method gives them (tp_btf, fentry: a few ns each), CO-RE probe reads
 * elsewhere (tens of ns each). `direct` is a constant after inlining, so each
 * program keeps only one kind.
 */
#define GET(direct, ptr, field) ((direct) ? (ptr)->field : BPF_CORE_READ(ptr, field))

/* a plain load that the kernel guards like a probe read (PTR_UNTRUSTED): no helper call; Linux 6.2+ */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define CAST(ptr, type) ((type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))
#define GET_BITFIELD(direct, ptr, field) \
	((direct) ? BPF_CORE_READ_BITFIELD(ptr, field) : BPF_CORE_READ_BITFIELD_PROBED(ptr, field))

/*
 * cookie is 0 when the program has a trusted sk to ask bpf_get_socket_cookie()
 * with: asked only when needed, as most segments change nothing.
 */
static __always_inline int handle_segment(void *ctx, struct sock *sk, const struct sk_buff *skb, __u64 cookie,
					  const int direct)
{
	/* every socket on these paths is a full TCP socket */
	struct tcp_sock *tp = direct ? CAST(sk, struct tcp_sock) : (struct tcp_sock *)sk;
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)tp;
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	struct tcp_window_event *ev;
	struct conn_state *st, fresh = {};
	struct tcp_owner *own;
	__u32 zero = 0, reason = 0, snd_una, snd_wnd, wl1, seg_seq, seg_ack, nwin;
	__u64 now, last_seen_ns, lag, bucket, bytes_received;
	__u16 family, sport, dport, raw_win;
	__u8 wscale, probes_out, backoff;
	unsigned char *head;
	__u16 thoff;
	int may_update, wnd_after_zero, urgent = 0;

	if (!tp)
		return 0;
	family = GET(direct, sk, __sk_common.skc_family);
	if (filter_family && family != filter_family)
		return 0;
	sport = GET(direct, sk, __sk_common.skc_num);
	dport = bpf_ntohs(GET(direct, sk, __sk_common.skc_dport));
	if (filter_port && sport != filter_port && dport != filter_port)
		return 0;
	if (filter_cgroup && socket_cgroup(sk) != filter_cgroup)
		return 0;

	if (direct && !cookie && (filter_tgid || filter_comm[0]))
		cookie = bpf_get_socket_cookie(sk);
	/* an owner not yet seen in process context passes; user space attributes it from /proc */
	own = filter_tgid || filter_comm[0] ? bpf_map_lookup_elem(&owners, &cookie) : NULL;
	if (own && filter_tgid && own->tgid != filter_tgid)
		return 0;
	if (own && !comm_matches(own->comm))
		return 0;

	snd_una = GET(direct, tp, snd_una);
	snd_wnd = GET(direct, tp, snd_wnd);
	wl1 = GET(direct, tp, snd_wl1);
	seg_seq = GET(direct, cb, seq);
	seg_ack = GET(direct, cb, ack_seq);
	/* the relocation is relative to tp, so the field path starts there */
	wscale = GET_BITFIELD(direct, tp, rx_opt.snd_wscale);
	head = GET(direct, skb, head);
	thoff = GET(direct, skb, transport_header);
	if (direct) {
		raw_win = CAST(head + thoff, struct tcphdr)->window;
	} else {
		raw_win = 0;
		bpf_probe_read_kernel(&raw_win, sizeof(raw_win), head + thoff + offsetof(struct tcphdr, window));
	}
	raw_win = bpf_ntohs(raw_win);
	nwin = (__u32)raw_win << wscale;
	bytes_received = GET(direct, tp, bytes_received);
	probes_out = GET(direct, icsk, icsk_probes_out);
	backoff = GET(direct, icsk, icsk_backoff);
	/* the socket's own clock (tcp_clock_ns() / 1000, refreshed per segment) spares a clock read
	 * per segment; it may lag the last emission, hence the signed difference below */
	last_seen_ns = GET(direct, tp, tcp_mstamp) * 1000;

	/* tcp_may_update_window(), net/ipv4/tcp_input.c (the !nwin case is Linux 6.x) */
	may_update = seq_after(seg_ack, snd_una) || seq_after(seg_seq, wl1) ||
		     (seg_seq == wl1 && (nwin > snd_wnd || !nwin));
	wnd_after_zero = (may_update ? nwin : snd_wnd) == 0;

	st = direct ? bpf_sk_storage_get(&conn_storage, sk, NULL, 0) : bpf_map_lookup_elem(&conns, &cookie);
	if (!st) {
		fresh.wl1 = wl1;
		fresh.rcvd_at_wl1 = bytes_received;
		fresh.zero_window = snd_wnd == 0;
		fresh.probes_out = probes_out;
		fresh.backoff = backoff;
		if (direct) {
			st = bpf_sk_storage_get(&conn_storage, sk, &fresh, BPF_SK_STORAGE_GET_F_CREATE);
		} else {
			bpf_map_update_elem(&conns, &cookie, &fresh, BPF_ANY);
			st = bpf_map_lookup_elem(&conns, &cookie);
		}
		if (!st)
			return 0;
		reason |= TCP_EMIT_FIRST;
		urgent = snd_wnd == 0;
	}

	if (wl1 != st->wl1) {
		st->wl1 = wl1;
		st->rcvd_at_wl1 = bytes_received;
		st->lag_bucket = 0;
	}
	lag = bytes_received - st->rcvd_at_wl1;
	bucket = wl1_lag_step ? lag / wl1_lag_step : 0;
	if (bucket > st->lag_bucket) {
		st->lag_bucket = bucket;
		reason |= TCP_EMIT_WL1_LAG;
	}
	if (wnd_after_zero != st->zero_window) {
		st->zero_window = wnd_after_zero;
		reason |= wnd_after_zero ? TCP_EMIT_ZERO_WND_ENTER : TCP_EMIT_ZERO_WND_LEAVE;
		urgent = 1;
	}
	if (!may_update && nwin > snd_wnd) {
		reason |= TCP_EMIT_UPDATE_IGNORED;
		urgent = 1;
	}
	if (probes_out != st->probes_out || backoff != st->backoff) {
		st->probes_out = probes_out;
		st->backoff = backoff;
		reason |= TCP_EMIT_PROBES;
	}
	if ((__s64)(last_seen_ns - st->last_emit_ns) >= (__s64)heartbeat_ns)
		reason |= TCP_EMIT_HEARTBEAT;
	if (every_segment)
		reason |= TCP_EMIT_EVERY_SEGMENT;
	if (reason && verdict_only() && !(reason & ~routine_reasons(st->zero_window))) {
		count(&suppressed);
		st->last_emit_ns = last_seen_ns; /* one suppressed heartbeat per interval, as FULL would send */
		return 0;
	}
	if (!reason)
		return 0;
	now = bpf_ktime_get_ns();
	st->last_emit_ns = now;
	if (direct && !cookie)
		cookie = bpf_get_socket_cookie(sk);

	ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!ev)
		return 0;
	if (!own)
		own = bpf_map_lookup_elem(&owners, &cookie);
	ev->ts_ns = now;
	ev->cookie = cookie;
	ev->bytes_received = bytes_received;
	ev->bytes_acked = GET(direct, tp, bytes_acked);
	ev->rcvd_at_wl1 = st->rcvd_at_wl1;
	ev->sock_ino = own ? 0 : socket_inode(sk);
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&ev->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&ev->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
		__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
		BPF_CORE_READ_INTO((__u32 *)ev->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)ev->daddr, sk, __sk_common.skc_daddr);
	}
	ev->owner_tgid = own ? own->tgid : 0;
	if (own)
		__builtin_memcpy(ev->owner_comm, own->comm, TRACER_COMM_LEN);
	else
		__builtin_memset(ev->owner_comm, 0, TRACER_COMM_LEN);
	ev->snd_una = snd_una;
	ev->snd_nxt = GET(direct, tp, snd_nxt);
	ev->snd_wnd = snd_wnd;
	ev->snd_wl1 = wl1;
	ev->rcv_nxt = GET(direct, tp, rcv_nxt);
	ev->write_seq = GET(direct, tp, write_seq);
	ev->seg_seq = seg_seq;
	ev->seg_ack = seg_ack;
	ev->reason = reason;
	ev->family = family;
	ev->sport = sport;
	ev->dport = dport;
	ev->seg_win = raw_win;
	ev->snd_wscale = wscale;
	ev->probes_out = probes_out;
	ev->backoff = backoff;
	ev->pending = GET(direct, icsk, icsk_pending);
	ev->lost_before = st->lost;
	if (submit(ctx, ev, urgent)) {
		st->lost += 1;
		/* a lost zero-window transition is emitted again by the next segment */
		if (reason & (TCP_EMIT_ZERO_WND_ENTER | TCP_EMIT_ZERO_WND_LEAVE))
			st->zero_window = !wnd_after_zero;
		return 0;
	}
	st->lost = 0;
	return 0;
}

/* ack path, best first: tcp_ack(sk, skb, flag) runs before the window update */
SEC("fentry/tcp_ack")
int BPF_PROG(tcp_ack_fentry, struct sock *sk, const struct sk_buff *skb)
{
	return handle_segment(ctx, sk, skb, 0, 1);
}

SEC("kprobe/tcp_ack")
int BPF_KPROBE(tcp_ack_kprobe, struct sock *sk, const struct sk_buff *skb)
{
	return handle_segment(ctx, sk, skb, socket_cookie(sk), 0);
}

/* trace_tcp_probe() at the entry of tcp_rcv_established(), before tcp_ack() */
SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, struct sock *sk, const struct sk_buff *skb)
{
	return handle_segment(ctx, sk, skb, 0, 1);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcp_probe_raw, struct sock *sk, const struct sk_buff *skb)
{
	return handle_segment(ctx, sk, skb, socket_cookie(sk), 0);
}

SEC("tracepoint/tcp/tcp_probe")
int tcp_probe_tp(struct trace_event_raw_tcp_probe *args)
{
	struct sock *sk = (struct sock *)BPF_CORE_READ(args, skaddr);
	const struct sk_buff *skb = BPF_CORE_READ(args, skbaddr);

	return handle_segment(args, sk, skb, BPF_CORE_READ(args, sock_cookie), 0);
}

/*
 * owner: sendmsg/recvmsg return paths run in the owning process's context.
 * Called for every sendmsg/recvmsg, so where the socket's storage is at hand
 * (direct) the owner it already names answers without the cookie or the map.
 */
static __always_inline int remember_owner(struct sock *sk, __u64 cookie, const int direct)
{
	struct tcp_owner own = {};
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_state *st = NULL;
	struct tcp_owner *known;
	struct task_struct *task;

	if (GET(direct, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (direct) {
		st = bpf_sk_storage_get(&conn_storage, sk, NULL, 0);
		if (st && st->owner_tgid == id >> 32)
			return 0;
		cookie = bpf_get_socket_cookie(sk);
	}
	known = bpf_map_lookup_elem(&owners, &cookie);
	if (!known || known->tgid != id >> 32) {
		own.tgid = id >> 32;
		/* the process's name, not the calling thread's: threads may be renamed */
		task = (struct task_struct *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&own.comm, task, group_leader, comm);
		bpf_map_update_elem(&owners, &cookie, &own, BPF_ANY);
	}
	if (st)
		st->owner_tgid = id >> 32;
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(owner_send_btf, struct sock *sk)
{
	return remember_owner(sk, 0, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(owner_recv_btf, struct sock *sk)
{
	return remember_owner(sk, 0, 1);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(owner_send_raw, struct sock *sk)
{
	return remember_owner(sk, socket_cookie(sk), 0);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(owner_recv_raw, struct sock *sk)
{
	return remember_owner(sk, socket_cookie(sk), 0);
}

SEC("tracepoint/sock/sock_send_length")
int owner_send_tp(struct trace_event_raw_sock_msg_length *args)
{
	struct sock *sk = BPF_CORE_READ(args, sk);

	return remember_owner(sk, socket_cookie(sk), 0);
}

SEC("tracepoint/sock/sock_recv_length")
int owner_recv_tp(struct trace_event_raw_sock_msg_length *args)
{
	struct sock *sk = BPF_CORE_READ(args, sk);

	return remember_owner(sk, socket_cookie(sk), 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
