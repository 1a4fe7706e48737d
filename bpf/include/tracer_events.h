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

/*
 * User space → kernel (the detail map): how much the always-on mode can
 * afford. Under VERDICT only what a verdict rests on is sent (zero-window
 * transitions, ignored updates, wl1 lag steps, heartbeats of connections at
 * zero window); the rest is counted in the suppressed map.
 */
enum tcp_detail {
	TCP_DETAIL_FULL = 0,
	TCP_DETAIL_VERDICT = 1,
};

/* icsk_pending: which retransmit-class timer is armed (ICSK_TIME_*, include/net/inet_connection_sock.h). */
enum tcp_pending_timer {
	TCP_TIMER_NONE = 0,
	TCP_TIMER_RETRANS = 1, /* ICSK_TIME_RETRANS */
	TCP_TIMER_DACK = 2, /* ICSK_TIME_DACK */
	TCP_TIMER_PROBE0 = 3, /* ICSK_TIME_PROBE0 */
	TCP_TIMER_LOSS_PROBE = 5, /* ICSK_TIME_LOSS_PROBE */
	TCP_TIMER_REO_TIMEOUT = 6, /* ICSK_TIME_REO_TIMEOUT */
};

/* The records' family field: the kernel's address families (include/linux/socket.h). */
enum tracer_addr_family {
	TRACER_AF_INET = 2, /* AF_INET */
	TRACER_AF_INET6 = 10, /* AF_INET6 */
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
	__u16 family; /* enum tracer_addr_family */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 seg_win; /* raw window field of the segment, host byte order */
	__u8 snd_wscale; /* tp->rx_opt.snd_wscale */
	__u8 probes_out; /* icsk_probes_out */
	__u8 backoff; /* icsk_backoff */
	__u8 pending; /* enum tcp_pending_timer */
	char owner_comm[TRACER_COMM_LEN];
	__u32 lost_before; /* this connection's samples the buffer had no room for since its last delivered one */
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


/* ---- slab allocator (bpf/slab.bpf.c) ---- */

#define TRACER_SLAB_NAME_LEN 32
#define TRACER_SLAB_STACK_DEPTH 32 /* frames in an entry of the stacks map (slab_object.stack_id) */

/* What identifies a cache in the kernel-side tables. */
enum slab_cache_key_kind {
	SLAB_KEY_CACHE_PTR = 1, /* struct kmem_cache * (tp_btf, raw_tp) */
	SLAB_KEY_NAME_HASH = 2, /* FNV-1a of the cache name (classic tracepoint records have no pointer) */
	SLAB_KEY_KMALLOC_SIZE = 3, /* kmalloc size class: bytes_alloc (kmalloc records name no cache) */
};

/* Key of the per-cache tables. */
struct slab_cache_key {
	__u64 id;
	__u32 kind; /* enum slab_cache_key_kind */
	__u32 __pad;
};

_Static_assert(sizeof(struct slab_cache_key) == 16, "slab_cache_key layout changed");

/*
 * Per-CPU counters of one cache, summed by user space. frees stays 0 for
 * kmalloc size classes: kfree() names neither the cache nor the size.
 */
struct slab_cache_counts {
	__u64 allocs;
	__u64 frees;
	__u64 alloc_bytes;
	__u64 sampled; /* allocations put into the attribution table */
};

_Static_assert(sizeof(struct slab_cache_counts) == 32, "slab_cache_counts layout changed");

/*
 * One slot of the per-CPU cache table (a per-CPU array: the lookup is inlined,
 * no hash, no lock). A cache hashes to the same slot on every CPU; kind 0 marks
 * a slot this CPU has not claimed. User space sums the slots by key.
 */
#define TRACER_SLAB_CACHE_SLOTS 1024
#define TRACER_SLAB_CACHE_PROBES 4 /* slots tried after the home slot is taken by another cache */

struct slab_cache_slot {
	struct slab_cache_key key;
	struct slab_cache_counts counts;
	__u64 object_size; /* s->size when claimed, so allocations need not read it */
};

_Static_assert(sizeof(struct slab_cache_slot) == 56, "slab_cache_slot layout changed");

/* Written once, when a cache is first seen. */
struct slab_cache_info {
	__u64 object_size; /* s->size, or bytes_alloc from a classic record */
	char name[TRACER_SLAB_NAME_LEN]; /* empty for kmalloc size classes */
};

_Static_assert(sizeof(struct slab_cache_info) == 40, "slab_cache_info layout changed");

/* One sampled allocation not yet freed, keyed by the object's address. */
struct slab_object {
	__u64 alloc_ns; /* bpf_ktime_get_ns() */
	struct slab_cache_key cache;
	__u32 tgid;
	__u32 pid;
	__s32 stack_id; /* kernel stack in the stacks map; negative when it could not be stored */
	__u32 bytes;
	char comm[TRACER_COMM_LEN];
};

_Static_assert(sizeof(struct slab_object) == 56, "slab_object layout changed");

/* Slots of the per-CPU stats array. */
enum slab_stat {
	SLAB_STAT_ATTRIBUTION_FULL = 0, /* sampled allocations the full attribution table could not take */
	SLAB_STAT_CACHE_TABLE_FULL = 1, /* allocations of caches the per-cache table had no room for */
	SLAB_STAT_OOM_DROPPED = 2, /* OOM events the ring buffer had no room for */
	SLAB_STAT_COUNT = 3,
};

/* The OOM killer chose a victim (oom:mark_victim). */
struct slab_oom_event {
	__u64 ts_ns;
	__u64 total_vm_pages; /* victim's mm->total_vm, 0 when it has no mm */
	__u32 victim_pid;
	__u32 victim_tgid;
	__u32 uid;
	__u32 trigger_tgid; /* the task that ran the OOM killer */
	char victim_comm[TRACER_COMM_LEN];
	char trigger_comm[TRACER_COMM_LEN];
};

_Static_assert(sizeof(struct slab_oom_event) == 64, "slab_oom_event layout changed");

/*
 * tracer attach: one TCP socket as the tcp iterator (iter/tcp) saw it. Ages and
 * the timer expiry are jiffies relative to bpf_jiffies64() at the iteration;
 * user space converts them with the kernel's CONFIG_HZ.
 */
enum tcp_snapshot_timer {
	TCP_SNAP_TIMER_NONE = 0,
	TCP_SNAP_TIMER_RETRANS = 1, /* retransmit, loss probe or reordering timer */
	TCP_SNAP_TIMER_KEEPALIVE = 2, /* sk_timer */
	TCP_SNAP_TIMER_PERSIST = 4, /* zero-window probe (ICSK_TIME_PROBE0) */
};

struct tcp_socket_snapshot {
	__u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 jiffies; /* bpf_jiffies64() at the same instant */
	__u64 cookie; /* socket cookie, as the live tracer keys connections */
	__u64 sock_ino; /* socket inode: the owner is found through /proc/PID/fd */
	__u64 bytes_received;
	__u64 bytes_acked;
	__s64 timer_in; /* pending timer expiry − now, jiffies (negative: overdue) */
	__u8 saddr[16]; /* local address; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* peer address */
	__u32 uid;
	__u32 snd_una;
	__u32 snd_nxt;
	__u32 snd_wl1;
	__u32 rcv_nxt;
	__u32 rcv_wup; /* rcv_nxt when the receive window was last advertised */
	__u32 copied_seq; /* read by the application up to here */
	__u32 write_seq; /* unsent bytes = write_seq − snd_nxt */
	__u32 snd_wnd;
	__u32 rcv_wnd;
	__u32 snd_cwnd;
	__u32 packets_out;
	__u32 total_retrans;
	__u32 last_send_age; /* jiffies since data was last sent (lsndtime) */
	__u32 last_recv_age; /* jiffies since data was last received (icsk_ack.lrcvtime) */
	__u32 last_ack_age; /* jiffies since an ACK was last processed (rcv_tstamp) */
	__u16 family; /* enum tracer_addr_family */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u8 state; /* TCP_ESTABLISHED … (include/net/tcp_states.h) */
	__u8 snd_wscale;
	__u8 rcv_wscale;
	__u8 retransmits; /* icsk_retransmits: consecutive, unanswered */
	__u8 probes_out; /* icsk_probes_out */
	__u8 backoff; /* icsk_backoff */
	__u8 pending; /* enum tcp_pending_timer */
	__u8 timer; /* enum tcp_snapshot_timer */
	__u8 __pad[2];
};

_Static_assert(sizeof(struct tcp_socket_snapshot) == 168, "tcp_socket_snapshot layout changed");

/* ---- listeners and resets (bpf/resets.bpf.c) ---- */

/* What a reset record says happened. */
enum reset_event_kind {
	RESET_EV_LISTEN = 1, /* listen() returned 0 on a socket that was not listening: a new listener */
	RESET_EV_LISTENER_CLOSE = 2, /* LISTEN -> CLOSE, in the closing task's context */
	RESET_EV_LISTENER_GONE = 3, /* the closed listener was destroyed: its close is over */
	RESET_EV_RST = 4, /* this host sent a RST */
	RESET_EV_EXISTING = 5, /* a listener that was there before the trace (listener iterator) */
};

/*
 * Why the kernel sent a RST: the kernel's enum sk_rst_reason (Linux 6.10+),
 * translated in the program with CO-RE enum values so that records keep one
 * meaning across kernels.
 */
enum tracer_rst_reason {
	RST_REASON_OTHER = 0, /* a reason not named below, or a kernel before 6.10 */
	RST_REASON_NOT_SPECIFIED = 1, /* SK_RST_REASON_NOT_SPECIFIED */
	RST_REASON_NO_SOCKET = 2, /* SK_RST_REASON_NO_SOCKET: nothing listens on the port */
	RST_REASON_TCP_FLAGS = 3, /* SK_RST_REASON_TCP_FLAGS: e.g. an ACK to a listener with no such request */
	RST_REASON_INVALID_ACK = 4, /* SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE */
	RST_REASON_TIMEWAIT = 5, /* SK_RST_REASON_TCP_TIMEWAIT_SOCKET */
	RST_REASON_INVALID_SYN = 6, /* SK_RST_REASON_INVALID_SYN */
	RST_REASON_ABORT_ON_DATA = 7, /* SK_RST_REASON_TCP_ABORT_ON_DATA: data arrived after close */
	RST_REASON_ABORT_ON_CLOSE = 8, /* SK_RST_REASON_TCP_ABORT_ON_CLOSE: closed with unread data */
	RST_REASON_ABORT_ON_LINGER = 9, /* SK_RST_REASON_TCP_ABORT_ON_LINGER: FIN_WAIT2 timeout of an orphan (close() with SO_LINGER 0 is TCP_STATE) */
	RST_REASON_ABORT_ON_MEMORY = 10, /* SK_RST_REASON_TCP_ABORT_ON_MEMORY */
	RST_REASON_TCP_STATE = 11, /* SK_RST_REASON_TCP_STATE: tcp_disconnect(), ss -K, a listener's queued children */
	RST_REASON_KEEPALIVE = 12, /* SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT */
	RST_REASON_DISCONNECT_WITH_DATA = 13, /* SK_RST_REASON_TCP_DISCONNECT_WITH_DATA */
};

/*
 * One listener event or one RST. Listeners are keyed by their socket inode
 * (they own an fd while they live). The group key is the address of the
 * listener's struct sock_reuseport, 0 when it is in no group: unique among the
 * groups alive at one time, reused after a group is freed.
 */
struct reset_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u64 sock_ino; /* the listener's inode (LISTEN, CLOSE, GONE, EXISTING); for a RST, the listener whose close sent it, else 0 */
	__u64 group; /* LISTEN, EXISTING: sock_reuseport address, 0 without a group */
	__u64 birth_ns; /* LISTEN: when it went CLOSE -> LISTEN */
	__u64 cgroup; /* cgroup v2 id of the task */
	__u64 sender_ino; /* RST sent for a listening socket (a segment no request matched): that listener's inode, else 0 */
	__u8 saddr[16]; /* local address; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* peer address (RST only) */
	__u32 tgid; /* the task in whose context the event fired (for EXISTING: 0) */
	__u32 accept_queue; /* CLOSE: sk_ack_backlog, completed handshakes never accepted */
	__u32 syn_queue; /* CLOSE: icsk_accept_queue.qlen, handshakes still in the SYN queue */
	__u32 group_size; /* LISTEN, EXISTING: sock_reuseport num_socks */
	__u16 kind; /* enum reset_event_kind */
	__u16 family; /* enum tracer_addr_family */
	__u16 sport; /* local port, host byte order */
	__u16 dport; /* peer port, host byte order */
	__u16 reason; /* RST: enum tracer_rst_reason */
	__u8 state; /* RST: state of the socket the kernel sent it for (TCP_LISTEN: a segment no request matched) */
	__u8 softirq; /* RST: 1 when it answers an incoming segment or a keepalive timeout (softirq), 0 when a task sent it */
	char comm[TRACER_COMM_LEN];
	__u32 accepted; /* CLOSE: connections accept() returned from this listener while the accept hooks ran */
};

_Static_assert(sizeof(struct reset_event) == 128, "reset_event layout changed");

/* ---- open files (bpf/fdscan.bpf.c) ---- */

/* What an open file is, as far as tracer attach's data path cares. */
enum open_file_kind {
	OPEN_FILE_PIPE = 0, /* an anonymous pipe (pipefs) */
	OPEN_FILE_FIFO = 1, /* a named FIFO */
	OPEN_FILE_SOCKET = 2, /* a socket: the inode is the one /proc/PID/fd shows as socket:[INODE] */
};

/* One pipe, FIFO or socket a process holds at fd, as the task_file iterator saw it. */
struct open_file_record {
	__u64 inode; /* the file's inode number: pipe:[INODE], socket:[INODE], or the FIFO's */
	__u32 tgid; /* the process holding the descriptor */
	__u32 ppid; /* its parent's tgid */
	__u32 fd;
	__u8 kind; /* enum open_file_kind */
	__u8 pad[3];
};

_Static_assert(sizeof(struct open_file_record) == 24, "open_file_record layout changed");

#endif /* TRACER_EVENTS_H */
