/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers the BPF programs share. BPF-only: what user space reads as well is
 * in tracer_events.h.
 */
#ifndef TRACER_BPF_H
#define TRACER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracer_events.h"

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

/*
 * Keeps a type in the object's BTF although no code of the object needs it
 * there: the C# mirrors of tracer_events.h are checked against that BTF. A
 * constant, so it lands in .rodata, which every program has anyway.
 */
#define BTF_KEEP(type, name) const type *const name __attribute__((unused)) = 0

/* one more in slot `key` of a per-CPU array of __u64 counters: this CPU's copy, no other writer */
static __always_inline void percpu_count(void *counters, __u32 key)
{
	__u64 *n = bpf_map_lookup_elem(counters, &key);

	if (n)
		*n += 1;
}

/* the socket's inode, for /proc attribution; 0 when it has none (orphaned) */
static __always_inline __u64 socket_inode(struct sock *sk, const int direct)
{
	struct socket *sock;

	/* a walk from a trusted sk: a NULL on the way reads as 0 */
	if (direct)
		return sk->sk_socket->file->f_inode->i_ino;
	sock = BPF_CORE_READ(sk, sk_socket);
	if (!sock)
		return 0;
	return BPF_CORE_READ(sock, file, f_inode, i_ino);
}

/*
 * The records put saddr and daddr right after their __u64 fields: 8-byte
 * aligned, which read_addresses() tells the compiler so that zeroing an
 * address takes two stores rather than sixteen.
 */
_Static_assert(__builtin_offsetof(struct tcp_window_event, saddr) % 8 == 0, "tcp_window_event.saddr unaligned");
_Static_assert(__builtin_offsetof(struct tcp_window_event, daddr) % 8 == 0, "tcp_window_event.daddr unaligned");
_Static_assert(__builtin_offsetof(struct tcp_socket_snapshot, saddr) % 8 == 0, "tcp_socket_snapshot.saddr unaligned");
_Static_assert(__builtin_offsetof(struct tcp_socket_snapshot, daddr) % 8 == 0, "tcp_socket_snapshot.daddr unaligned");

/* the socket's family, and its addresses: IPv6 whole, IPv4 in the first 4 bytes and the rest zeroed */
static __always_inline __u16 read_addresses(struct sock *sk, __u8 (*saddr)[16], __u8 (*daddr)[16], const int direct)
{
	__u16 family = GET(direct, sk, __sk_common.skc_family);

	if (family == TRACER_AF_INET6) {
		BPF_CORE_READ_INTO(saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		return family;
	}
	__builtin_memset(__builtin_assume_aligned(saddr, 8), 0, sizeof(*saddr));
	__builtin_memset(__builtin_assume_aligned(daddr, 8), 0, sizeof(*daddr));
	*(__u32 *)saddr = GET(direct, sk, __sk_common.skc_rcv_saddr);
	*(__u32 *)daddr = GET(direct, sk, __sk_common.skc_daddr);
	return family;
}

#endif /* TRACER_BPF_H */
