// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tracer attach: the send-window internals of the target's TCP sockets at
 * this instant, from the tcp iterator (iter/tcp, Linux 5.9+). One fixed record
 * per full socket goes to the iterator's seq_file; request and timewait
 * sockets have no send window and are skipped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tracer_events.h"
#include "tracer.bpf.h"

/* user space decodes the records with these; kept in the BTF its mirrors are checked against */
BTF_KEEP(enum tcp_pending_timer, tcp_pending_timer_type);
BTF_KEEP(enum tcp_snapshot_timer, tcp_snapshot_timer_type);
BTF_KEEP(enum tracer_addr_family, tracer_addr_family_type);

/* filters, set between open and load */
const volatile __u16 filter_port = 0; /* local or peer port */
const volatile __u8 filter_inodes = 0; /* only sockets whose inode is in target_inodes */

/* socket inodes of the target processes, from /proc/PID/fd; sized by user space */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u8);
} target_inodes SEC(".maps");

/* Linux 6.15 dropped icsk_timeout for icsk_retransmit_timer.expires */
struct inet_connection_sock___old {
	unsigned long icsk_timeout;
} __attribute__((preserve_access_index));

static __always_inline __u64 retransmit_timer_expiry(struct inet_connection_sock *icsk)
{
	struct inet_connection_sock___old *old = (void *)icsk;

	if (bpf_core_field_exists(old->icsk_timeout))
		return BPF_CORE_READ(old, icsk_timeout);
	return BPF_CORE_READ(icsk, icsk_retransmit_timer.expires);
}

/* the timer ss and /proc/net/tcp report, as get_tcp4_sock() chooses it (net/ipv4/tcp_ipv4.c) */
static __always_inline void read_timer(struct tcp_socket_snapshot *rec, struct sock *sk,
				       struct inet_connection_sock *icsk, __u64 now)
{
	__u8 pending = BPF_CORE_READ(icsk, icsk_pending); /* ICSK_TIME_*: enum tcp_pending_timer */
	__u64 expires = 0;

	rec->pending = pending;
	rec->timer = TCP_SNAP_TIMER_NONE;
	if (pending == TCP_TIMER_RETRANS || pending == TCP_TIMER_REO_TIMEOUT || pending == TCP_TIMER_LOSS_PROBE) {
		rec->timer = TCP_SNAP_TIMER_RETRANS;
		expires = retransmit_timer_expiry(icsk);
	} else if (pending == TCP_TIMER_PROBE0) {
		rec->timer = TCP_SNAP_TIMER_PERSIST;
		expires = retransmit_timer_expiry(icsk);
	} else if (BPF_CORE_READ(sk, sk_timer.entry.pprev)) { /* timer_pending(&sk->sk_timer) */
		rec->timer = TCP_SNAP_TIMER_KEEPALIVE;
		expires = BPF_CORE_READ(sk, sk_timer.expires);
	}
	rec->timer_in = rec->timer == TCP_SNAP_TIMER_NONE ? 0 : (__s64)(expires - now);
}

/* not inlined, so the record's type is in the object's BTF, which the C# mirror is checked against */
static __noinline int write_record(struct seq_file *seq, struct tcp_socket_snapshot *rec)
{
	return bpf_seq_write(seq, rec, sizeof(*rec));
}

SEC("iter/tcp")
int snapshot_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_socket_snapshot rec = {};
	struct inet_connection_sock *icsk;
	struct tcp_sock *tp;
	struct sock *sk;
	__u64 now;
	__u32 now32;

	if (!skc)
		return 0; /* end of the iteration */
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0; /* request or timewait socket */
	sk = (struct sock *)tp;
	icsk = (struct inet_connection_sock *)tp;

	rec.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rec.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (filter_port && rec.sport != filter_port && rec.dport != filter_port)
		return 0;
	rec.sock_ino = socket_inode(sk, 0);
	if (filter_inodes && !bpf_map_lookup_elem(&target_inodes, &rec.sock_ino))
		return 0;

	now = bpf_jiffies64();
	now32 = (__u32)now; /* tcp_jiffies32 */
	rec.ts_ns = bpf_ktime_get_ns();
	rec.jiffies = now;
	rec.cookie = bpf_get_socket_cookie(sk);
	rec.bytes_received = BPF_CORE_READ(tp, bytes_received);
	rec.bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	rec.family = read_addresses(sk, &rec.saddr, &rec.daddr, 0);
	rec.uid = ctx->uid;
	rec.snd_una = BPF_CORE_READ(tp, snd_una);
	rec.snd_nxt = BPF_CORE_READ(tp, snd_nxt);
	rec.snd_wl1 = BPF_CORE_READ(tp, snd_wl1);
	rec.rcv_nxt = BPF_CORE_READ(tp, rcv_nxt);
	rec.rcv_wup = BPF_CORE_READ(tp, rcv_wup);
	rec.copied_seq = BPF_CORE_READ(tp, copied_seq);
	rec.write_seq = BPF_CORE_READ(tp, write_seq);
	rec.snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	rec.rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	rec.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	rec.packets_out = BPF_CORE_READ(tp, packets_out);
	rec.total_retrans = BPF_CORE_READ(tp, total_retrans);
	/* the ages tcp_get_info() reports as tcpi_last_data_sent/_data_recv/_ack_recv */
	rec.last_send_age = now32 - BPF_CORE_READ(tp, lsndtime);
	rec.last_recv_age = now32 - BPF_CORE_READ(icsk, icsk_ack.lrcvtime);
	rec.last_ack_age = now32 - BPF_CORE_READ(tp, rcv_tstamp);
	rec.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* the relocations are relative to tp, so the field paths start there */
	rec.snd_wscale = BPF_CORE_READ_BITFIELD_PROBED(tp, rx_opt.snd_wscale);
	rec.rcv_wscale = BPF_CORE_READ_BITFIELD_PROBED(tp, rx_opt.rcv_wscale);
	rec.retransmits = BPF_CORE_READ(icsk, icsk_retransmits);
	rec.probes_out = BPF_CORE_READ(icsk, icsk_probes_out);
	rec.backoff = BPF_CORE_READ(icsk, icsk_backoff);
	read_timer(&rec, sk, icsk, now);

	write_record(ctx->meta->seq, &rec);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
