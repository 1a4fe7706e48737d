// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Empty programs on the hooks tracer uses: the baseline of the per-invocation cost benchmark. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/tcp_probe")
int BPF_PROG(e_tcp_probe)
{
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(e_cache_alloc)
{
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(e_cache_free)
{
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(e_kmalloc)
{
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(e_kfree)
{
	return 0;
}

/* the other hooks of `tracer run`: the OOM killer and the reset detector (bpf/slab.bpf.c, bpf/resets.bpf.c) */
SEC("tp_btf/mark_victim")
int BPF_PROG(e_mark_victim)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(e_sock_set_state)
{
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(e_tcp_destroy)
{
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(e_tcp_send_reset)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(e_sock_send)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(e_sock_recv)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int e_listen_exit(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int e_accept_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int e_accept_exit(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int e_accept4_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int e_accept4_exit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
