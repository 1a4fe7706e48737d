/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The single source of truth for every record the kernel side hands to user
 * space. Fixed-width fields, largest first, explicit padding, no bool, no
 * bitfields. The C# mirrors in interop/ are checked against the BTF that clang
 * emits for these structs (size and every field offset).
 */
#ifndef TRACER_EVENTS_H
#define TRACER_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TRACER_COMM_LEN 16

/* Why the TCP program emitted a sample: a bit set, several may hold at once. */
enum tcp_emit_reason {
	TCP_EMIT_EVERY_SEGMENT = 1 << 0, /* --every-segment */
	TCP_EMIT_ZERO_WND_ENTER = 1 << 1, /* snd_wnd reached 0 */
	TCP_EMIT_ZERO_WND_LEAVE = 1 << 2, /* snd_wnd left 0 */
	TCP_EMIT_WL1_LAG = 1 << 3, /* wl1 lag crossed a multiple of the threshold */
	TCP_EMIT_UPDATE_IGNORED = 1 << 4, /* tcp_may_update_window() would say no to a bigger window */
	TCP_EMIT_PROBES = 1 << 5, /* icsk_probes_out or icsk_backoff changed */
	TCP_EMIT_HEARTBEAT = 1 << 6, /* at most one per connection per heartbeat interval */
	TCP_EMIT_FIRST = 1 << 7, /* first segment seen on this connection */
};

/* icsk_pending: which retransmit-class timer is armed (ICSK_TIME_*). */
enum tcp_pending_timer {
	TCP_TIMER_NONE = 0,
	TCP_TIMER_RETRANS = 1,
	TCP_TIMER_DACK = 2,
	TCP_TIMER_PROBE0 = 3,
	TCP_TIMER_LOSS_PROBE = 5,
	TCP_TIMER_REO_TIMEOUT = 6,
};

/*
 * One incoming segment on an established connection, with the send-window
 * state as it was before the kernel processed the segment.
 */
struct tcp_window_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 cookie; /* socket cookie: stable id of the connection */
	__u64 bytes_received; /* tp->bytes_received */
	__u64 bytes_acked; /* tp->bytes_acked */
	__u64 rcvd_at_wl1; /* bytes_received when snd_wl1 last moved, as seen by the program */
	__u64 sock_ino; /* socket inode, for /proc attribution; 0 when the owner is known or orphaned */
	__u8 saddr[16]; /* local address; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* peer address */
	__u32 owner_tgid; /* owning process, 0 when not yet known */
	__u32 snd_una;
	__u32 snd_nxt;
	__u32 snd_wnd;
	__u32 snd_wl1;
	__u32 rcv_nxt;
	__u32 write_seq; /* unsent bytes = write_seq - snd_nxt */
	__u32 seg_seq; /* TCP_SKB_CB(skb)->seq: tcp_ack()'s ack_seq */
	__u32 seg_ack; /* TCP_SKB_CB(skb)->ack_seq: tcp_ack()'s ack */
	__u32 reason; /* enum tcp_emit_reason bits */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 seg_win; /* raw window field of the segment, host byte order */
	__u8 snd_wscale; /* tp->rx_opt.snd_wscale */
	__u8 probes_out; /* icsk_probes_out */
	__u8 backoff; /* icsk_backoff */
	__u8 pending; /* enum tcp_pending_timer */
	char owner_comm[TRACER_COMM_LEN];
	__u8 __pad[4];
};

_Static_assert(sizeof(struct tcp_window_event) == 152, "tcp_window_event layout changed");

/*
 * User space → kernel: the process that owns a socket, keyed by socket cookie.
 * Written by the process-context hooks, and by user space when it attributes a
 * socket from /proc, so in-kernel pid/comm filters see it too.
 */
struct tcp_owner {
	__u32 tgid;
	char comm[TRACER_COMM_LEN];
};

_Static_assert(sizeof(struct tcp_owner) == 20, "tcp_owner layout changed");

#endif /* TRACER_EVENTS_H */
