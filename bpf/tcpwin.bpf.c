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
#include "tracer.bpf.h"

/* user space decodes the records with these; kept in the BTF its mirrors are checked against */
BTF_KEEP(enum tcp_emit_reason, tcp_emit_reason_type);
BTF_KEEP(enum tcp_pending_timer, tcp_pending_timer_type);
BTF_KEEP(enum tracer_addr_family, tracer_addr_family_type);

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
/* 0: every connection is followed from the first segment seen; else only from the first segment
 * that finds it past this many bytes moved, its window closed or probes out (a short healthy
 * connection then costs a lookup, not a state and a sample) */
const volatile __u64 follow_after_bytes = 0;

struct conn_state {
	__u64 last_emit_ns;
	__u64 rcvd_at_wl1;
	__u64 lag_next; /* the wl1 lag (bytes_received - rcvd_at_wl1) that emits next: a multiple of wl1_lag_step */
	__u32 wl1;
	__u32 lost; /* samples not delivered since the last one that was */
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

/*
 * Per CPU, the owner each socket last had on that CPU, as written to (or found in)
 * the owners map: the owner hooks run on every sendmsg/recvmsg, and a known owner
 * answers here, without a helper call or the map. Direct-mapped by cookie; a cookie
 * names one socket for the boot, so a slot is never another socket's.
 */
#define OWNER_CACHE_SLOTS 256

struct owner_slot {
	__u64 cookie;
	__u32 tgid;
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct owner_slot[OWNER_CACHE_SLOTS]);
} owner_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, enum tcp_detail);
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

static __always_inline __u64 socket_cgroup(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* the reasons that carry no verdict: sent only under TCP_DETAIL_FULL */
static __always_inline __u32 routine_reasons(int at_zero_window)
{
	return TCP_EMIT_FIRST | TCP_EMIT_PROBES | TCP_EMIT_EVERY_SEGMENT | (at_zero_window ? 0 : TCP_EMIT_HEARTBEAT);
}

static __always_inline int verdict_only(void)
{
	__u32 zero = 0;
	enum tcp_detail *level = bpf_map_lookup_elem(&detail, &zero);

	return level && *level == TCP_DETAIL_VERDICT;
}

/* GET (tracer.bpf.h) for bitfields */
#define GET_BITFIELD(direct, ptr, field) \
	((direct) ? BPF_CORE_READ_BITFIELD(ptr, field) : BPF_CORE_READ_BITFIELD_PROBED(ptr, field))

/* every socket on these paths is a full TCP socket */
static __always_inline struct tcp_sock *tcp_of(struct sock *sk, const int direct)
{
	return direct ? CAST(sk, struct tcp_sock) : (struct tcp_sock *)sk;
}

/* the segment's raw window field, host byte order */
static __always_inline __u16 segment_window(const struct sk_buff *skb, const int direct)
{
	unsigned char *head = GET(direct, skb, head);
	__u16 thoff = GET(direct, skb, transport_header);
	__u16 raw_win = 0;

	if (direct)
		raw_win = CAST(head + thoff, struct tcphdr)->window;
	else
		bpf_probe_read_kernel(&raw_win, sizeof(raw_win), head + thoff + offsetof(struct tcphdr, window));
	return bpf_ntohs(raw_win);
}

static __always_inline __u8 snd_wscale(struct tcp_sock *tp, const int direct)
{
	/* the relocation is relative to tp, so the field path starts there */
	return GET_BITFIELD(direct, tp, rx_opt.snd_wscale);
}

/* the socket's own clock (tcp_clock_ns() / 1000, refreshed per segment) spares a clock read
 * per segment; it may lag the last emission, hence the signed difference where it is compared */
static __always_inline __u64 last_seen_ns(struct tcp_sock *tp, const int direct)
{
	return GET(direct, tp, tcp_mstamp) * 1000;
}

/* the lag after `lag` at which the next wl1 lag sample is due (saturating: never again past 2^64) */
static __always_inline __u64 next_lag_step(__u64 lag)
{
	__u64 next = (lag / wl1_lag_step + 1) * wl1_lag_step;

	return next > lag ? next : ~0ULL;
}

/* the kernel-side filters; a pid or comm filter asks for the cookie (0 when not yet asked) */
static __always_inline int passes_filters(struct sock *sk, __u64 *cookie, const int direct)
{
	struct tcp_owner *own;
	__u16 sport, dport;

	if (filter_family && GET(direct, sk, __sk_common.skc_family) != filter_family)
		return 0;
	if (filter_port) {
		sport = GET(direct, sk, __sk_common.skc_num);
		dport = bpf_ntohs(GET(direct, sk, __sk_common.skc_dport));
		if (sport != filter_port && dport != filter_port)
			return 0;
	}
	if (filter_cgroup && socket_cgroup(sk) != filter_cgroup)
		return 0;
	if (!filter_tgid && !filter_comm[0])
		return 1;
	if (direct && !*cookie)
		*cookie = bpf_get_socket_cookie(sk);
	/* an owner not yet seen in process context passes; user space attributes it from /proc */
	own = bpf_map_lookup_elem(&owners, cookie);
	if (!own)
		return 1;
	if (filter_tgid && own->tgid != filter_tgid)
		return 0;
	return comm_matches(own->comm);
}

/* a connection not followed yet: whether this segment finds it big or in trouble enough to start */
static __always_inline int worth_following(struct tcp_sock *tp, __u16 raw_win, const int direct)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)tp;

	return raw_win == 0 || GET(direct, tp, snd_wnd) == 0 || GET(direct, icsk, icsk_probes_out) ||
	       GET(direct, icsk, icsk_backoff) ||
	       GET(direct, tp, bytes_received) + GET(direct, tp, bytes_acked) >= follow_after_bytes;
}

/* the connection's first segment: its state as the segment finds it */
static __always_inline struct conn_state *new_state(struct sock *sk, __u64 *cookie, const int direct)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)tp;
	struct conn_state fresh = {};

	fresh.wl1 = GET(direct, tp, snd_wl1);
	fresh.rcvd_at_wl1 = GET(direct, tp, bytes_received);
	fresh.lag_next = wl1_lag_step ? wl1_lag_step : ~0ULL;
	fresh.zero_window = GET(direct, tp, snd_wnd) == 0;
	fresh.probes_out = GET(direct, icsk, icsk_probes_out);
	fresh.backoff = GET(direct, icsk, icsk_backoff);
	if (direct)
		return bpf_sk_storage_get(&conn_storage, sk, &fresh, BPF_SK_STORAGE_GET_F_CREATE);
	bpf_map_update_elem(&conns, cookie, &fresh, BPF_ANY);
	return bpf_map_lookup_elem(&conns, cookie);
}

/* per-CPU scratch for the perf buffer transport: the event is too large for the BPF stack with the rest */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_window_event);
} scratch SEC(".maps");

/*
 * A sample is due (reason != 0): suppressed under TCP_DETAIL_VERDICT unless it
 * carries a verdict, else written in place (the ring buffer's own record, or the
 * scratch the perf buffer copies). Only here are the fields that decide nothing
 * read; those that did are read again (the socket is locked on this path, so
 * they have not changed) rather than kept live through the fast path.
 */
static __always_inline int emit(void *ctx, struct sock *sk, const struct sk_buff *skb, struct conn_state *st,
				__u64 cookie, __u32 reason, int urgent, const int direct)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)tp;
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	struct tcp_window_event *ev;
	struct tcp_owner *own;
	__u64 now, flags;
	__u32 zero = 0;
	__u16 family;
	long err;

	if (verdict_only() && !(reason & ~routine_reasons(st->zero_window))) {
		percpu_count(&suppressed, 0);
		st->last_emit_ns = last_seen_ns(tp, direct); /* one suppressed heartbeat per interval, as FULL would send */
		return 0;
	}
	now = bpf_ktime_get_ns();
	st->last_emit_ns = now;
	if (direct && !cookie)
		cookie = bpf_get_socket_cookie(sk);

	ev = use_perfbuf ? bpf_map_lookup_elem(&scratch, &zero) : bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		if (!use_perfbuf)
			goto lost;
		return 0;
	}
	own = bpf_map_lookup_elem(&owners, &cookie);
	ev->ts_ns = now;
	ev->cookie = cookie;
	ev->bytes_received = GET(direct, tp, bytes_received);
	ev->bytes_acked = GET(direct, tp, bytes_acked);
	ev->rcvd_at_wl1 = st->rcvd_at_wl1;
	ev->sock_ino = own ? 0 : socket_inode(sk, direct);
	family = read_addresses(sk, &ev->saddr, &ev->daddr, direct);
	ev->owner_tgid = own ? own->tgid : 0;
	if (own)
		__builtin_memcpy(ev->owner_comm, own->comm, TRACER_COMM_LEN);
	else
		__builtin_memset(ev->owner_comm, 0, TRACER_COMM_LEN);
	ev->snd_una = GET(direct, tp, snd_una);
	ev->snd_nxt = GET(direct, tp, snd_nxt);
	ev->snd_wnd = GET(direct, tp, snd_wnd);
	ev->snd_wl1 = GET(direct, tp, snd_wl1);
	ev->rcv_nxt = GET(direct, tp, rcv_nxt);
	ev->write_seq = GET(direct, tp, write_seq);
	ev->seg_seq = GET(direct, cb, seq);
	ev->seg_ack = GET(direct, cb, ack_seq);
	ev->reason = reason;
	ev->family = family;
	ev->sport = GET(direct, sk, __sk_common.skc_num);
	ev->dport = bpf_ntohs(GET(direct, sk, __sk_common.skc_dport));
	ev->seg_win = segment_window(skb, direct);
	ev->snd_wscale = snd_wscale(tp, direct);
	ev->probes_out = GET(direct, icsk, icsk_probes_out);
	ev->backoff = GET(direct, icsk, icsk_backoff);
	ev->pending = GET(direct, icsk, icsk_pending);
	ev->lost_before = st->lost;
	if (use_perfbuf) {
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, sizeof(*ev));
		if (err)
			goto lost;
	} else {
		/* batch wake-ups: the reader polls with a timeout, so only urgent
		 * samples and a filling ring need to wake it */
		flags = urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
												   BPF_RB_NO_WAKEUP;
		bpf_ringbuf_submit(ev, flags);
	}
	st->lost = 0;
	return 0;
lost:
	percpu_count(&drops, 0);
	st->lost += 1;
	/* a lost zero-window transition is emitted again by the next segment */
	if (reason & (TCP_EMIT_ZERO_WND_ENTER | TCP_EMIT_ZERO_WND_LEAVE))
		st->zero_window = !st->zero_window;
	return 0;
}

/*
 * cookie is 0 when the program has a trusted sk to ask bpf_get_socket_cookie()
 * with: asked only when needed, as most segments change nothing.
 *
 * The fast path is for those: one helper call (the state), then only the fields
 * the rules compare, each where it is first needed (snd_wnd and the window scale
 * only when tcp_may_update_window() would say no), and out at the first point
 * where nothing is due. Everything a sample carries is read in emit().
 */
static __always_inline int handle_segment(void *ctx, struct sock *sk, const struct sk_buff *skb, __u64 cookie,
					  const int direct)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)tp;
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	struct conn_state *st;
	__u32 reason = 0, wl1, seg_seq, snd_wnd, nwin;
	__u64 bytes_received, lag;
	__u16 raw_win;
	__u8 probes_out, backoff;
	int may_update, wnd_after_zero, urgent = 0;

	if (!tp)
		return 0;
	if (!passes_filters(sk, &cookie, direct))
		return 0;

	/* read before the helper call: the cast is a call to the compiler too, and
	 * what is live across a call leaves the registers */
	raw_win = segment_window(skb, direct);
	st = direct ? bpf_sk_storage_get(&conn_storage, sk, NULL, 0) : bpf_map_lookup_elem(&conns, &cookie);
	if (!st) {
		if (follow_after_bytes && !worth_following(tp, raw_win, direct))
			return 0;
		st = new_state(sk, &cookie, direct);
		if (!st)
			return 0;
		reason = TCP_EMIT_FIRST;
		urgent = st->zero_window;
	}

	wl1 = GET(direct, tp, snd_wl1);
	bytes_received = GET(direct, tp, bytes_received);
	if (wl1 != st->wl1) {
		/* the lag restarts at 0 */
		st->wl1 = wl1;
		st->rcvd_at_wl1 = bytes_received;
		st->lag_next = wl1_lag_step ? wl1_lag_step : ~0ULL;
	} else if (wl1_lag_step) {
		lag = bytes_received - st->rcvd_at_wl1;
		if (lag >= st->lag_next) {
			st->lag_next = next_lag_step(lag);
			reason |= TCP_EMIT_WL1_LAG;
		}
	}

	/* tcp_may_update_window(), net/ipv4/tcp_input.c (the !nwin case is Linux 6.x) */
	seg_seq = GET(direct, cb, seq);
	if (seq_after(GET(direct, cb, ack_seq), GET(direct, tp, snd_una)) || seq_after(seg_seq, wl1)) {
		/* the window will be updated: the segment's is the new one (0 whatever the scale when raw 0) */
		wnd_after_zero = raw_win == 0;
	} else {
		snd_wnd = GET(direct, tp, snd_wnd);
		nwin = (__u32)raw_win << snd_wscale(tp, direct);
		may_update = seg_seq == wl1 && (nwin > snd_wnd || !nwin);
		wnd_after_zero = (may_update ? nwin : snd_wnd) == 0;
		if (!may_update && nwin > snd_wnd) {
			reason |= TCP_EMIT_UPDATE_IGNORED;
			urgent = 1;
		}
	}
	if (wnd_after_zero != st->zero_window) {
		st->zero_window = wnd_after_zero;
		reason |= wnd_after_zero ? TCP_EMIT_ZERO_WND_ENTER : TCP_EMIT_ZERO_WND_LEAVE;
		urgent = 1;
	}

	probes_out = GET(direct, icsk, icsk_probes_out);
	backoff = GET(direct, icsk, icsk_backoff);
	if (probes_out != st->probes_out || backoff != st->backoff) {
		st->probes_out = probes_out;
		st->backoff = backoff;
		reason |= TCP_EMIT_PROBES;
	}
	if ((__s64)(last_seen_ns(tp, direct) - st->last_emit_ns) >= (__s64)heartbeat_ns)
		reason |= TCP_EMIT_HEARTBEAT;
	if (every_segment)
		reason |= TCP_EMIT_EVERY_SEGMENT;
	if (!reason)
		return 0;
	return emit(ctx, sk, skb, st, cookie, reason, urgent, direct);
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
 * Called for every sendmsg/recvmsg, so an owner this CPU already wrote (or
 * found) answers from owner_cache; only a new or changed owner reaches the map.
 */

/* out of line: the name is read once per socket and owner, not per call */
static __noinline void write_owner(__u64 *cookie, __u32 tgid)
{
	struct tcp_owner own = {};
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	own.tgid = tgid;
	/* the process's name, not the calling thread's: threads may be renamed */
	BPF_CORE_READ_STR_INTO(&own.comm, task, group_leader, comm);
	bpf_map_update_elem(&owners, cookie, &own, BPF_ANY);
}

static __always_inline int remember_owner(struct sock *sk, __u64 cookie, const int direct)
{
	struct owner_slot *slots, *slot;
	struct tcp_owner *known;
	__u32 zero = 0, tgid;

	if (GET(direct, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (direct) {
		/* read, not asked for: 0 until first asked for, which the slow path then does */
		cookie = sk->__sk_common.skc_cookie.counter;
		tgid = bpf_get_current_task_btf()->tgid;
	} else {
		tgid = bpf_get_current_pid_tgid() >> 32;
	}
	slots = bpf_map_lookup_elem(&owner_cache, &zero);
	if (!slots)
		return 0;
	slot = &slots[cookie & (OWNER_CACHE_SLOTS - 1)];
	if (cookie && slot->cookie == cookie && slot->tgid == tgid)
		return 0;

	if (direct && !cookie) {
		cookie = bpf_get_socket_cookie(sk);
		slot = &slots[cookie & (OWNER_CACHE_SLOTS - 1)];
	}
	known = bpf_map_lookup_elem(&owners, &cookie);
	if (!known || known->tgid != tgid)
		write_owner(&cookie, tgid);
	slot->cookie = cookie;
	slot->tgid = tgid;
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
