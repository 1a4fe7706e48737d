// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libbpf's own ring buffer consumer (ring_buffer__consume with a C callback): the baseline
 * the benchmark measures the C# reader against. Built as a shared library by scripts/bench.sh;
 * Bench `ring` loads it and drains the same stream with both, side by side.
 */
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "tracer_events.h"

/* the per-record work, the same as the C# consumer's: add the record's sequence number */
static int add_cookie(void *checksum, void *data, size_t size)
{
	const struct tcp_window_event *e = data;

	*(uint64_t *)checksum += e->cookie;
	return 0;
}

/* NULL with errno set on failure */
struct ring_buffer *ringdrain_open(int map_fd, uint64_t *checksum)
{
	return ring_buffer__new(map_fd, add_cookie, checksum, NULL);
}

/* records consumed, or -errno */
int ringdrain_consume(struct ring_buffer *rb)
{
	return ring_buffer__consume(rb);
}

void ringdrain_close(struct ring_buffer *rb)
{
	ring_buffer__free(rb);
}
