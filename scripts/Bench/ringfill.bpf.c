// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A synthetic stream for the ring buffer consumer benchmark and its tests: one run
 * (BPF_PROG_TEST_RUN) reserves and submits `count` records the size of the TCP
 * sample, without wake-ups, each carrying its sequence number in `cookie`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracer_events.h"

struct fill_args {
	__u64 first; /* sequence number of the first record */
	__u32 count;
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* user space sizes it before load */
} records SEC(".maps");

struct fill_state {
	__u64 next; /* sequence number of the next record */
	__u32 submitted;
};

static long submit_one(__u64 index, void *ctx)
{
	struct fill_state *state = ctx;
	struct tcp_window_event *e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);

	if (!e)
		return 1; /* ring full: stop */
	__builtin_memset(e, 0, sizeof(*e));
	e->cookie = state->next++;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	state->submitted++;
	return 0;
}

/* returns how many records were submitted: fewer than asked when the ring is full */
SEC("syscall")
int fill(struct fill_args *args)
{
	struct fill_state state = { .next = args->first };

	bpf_loop(args->count, submit_one, &state, 0);
	return state.submitted;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
