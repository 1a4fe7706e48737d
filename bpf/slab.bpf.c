// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The slab allocator: per-cache counts aggregated in the kernel, sampled
 * attribution of outstanding objects, and the OOM killer's victims.
 *
 * Nothing crosses to user space per allocation: counts live in a per-CPU array
 * that user space sums once per interval; objects whose address falls in the
 * sample (about one in sample_every) are also remembered (stack, pid, comm,
 * time) until freed. Only OOM events go through the ring buffer.
 *
 * Every hook is a kmem tracepoint, reached as tp_btf, raw_tp or a classic
 * tracepoint. There is no fentry/kprobe variant of the allocation hooks:
 * trace_kmem_cache_alloc() fires in every allocation entry point
 * (kmem_cache_alloc, _lru, _node: Linux 6.10+ names them *_noprof), while a
 * function hook on kmem_cache_alloc_noprof would miss kmem_cache_alloc_lru,
 * which is how sock_alloc_inode() allocates.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tracer_events.h"
#include "tracer.bpf.h"

/* user space reads the tables with these; kept in the BTF its mirrors are checked against */
BTF_KEEP(enum slab_cache_key_kind, slab_cache_key_kind_type);
BTF_KEEP(enum slab_stat, slab_stat_type);
/* the ring buffer has no value type */
BTF_KEEP(struct slab_oom_event, slab_oom_event_type);

/* set between open and load */
const volatile __u32 sample_threshold = 0xffffffff / 64; /* an address is sampled when its hash is below */
const volatile __u64 kmalloc_max_cache_size = 8192; /* larger kmallocs come from the page allocator */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACER_SLAB_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct slab_cache_slot);
} caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2048);
	__type(key, struct slab_cache_key);
	__type(value, struct slab_cache_info);
} cache_info SEC(".maps");

/* sampled objects not yet freed; a full table refuses new samples, it never evicts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* object address */
	__type(value, struct slab_object);
} outstanding SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, TRACER_SLAB_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLAB_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} oom_events SEC(".maps");

/*
 * The kernel skips a tracing program that is already running on the CPU
 * (recursion_misses): RCU callbacks freeing objects from a softirq that
 * interrupted the free program would go uncounted, a whole batch at a time.
 * So each free tracepoint has a second, backstop program, attached after the
 * first: the first records the object it counted in this per-CPU slot, the
 * backstop counts only what the first did not (the first was skipped).
 */
enum free_slot {
	FREE_SLOT_CACHE = 0, /* kmem_cache_free */
	FREE_SLOT_KFREE = 1, /* kfree */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} free_counted SEC(".maps");

/* Fibonacci hashing: the high bits of the product depend on every bit of x */
static __always_inline __u64 mix(__u64 x)
{
	return x * 0x9E3779B97F4A7C15ULL;
}

/*
 * Whether an object is in the attribution sample. The choice depends on the
 * address alone, so the free path answers it with one multiply and skips the
 * table for the objects that were never sampled.
 */
static __always_inline int sampled(const void *ptr)
{
	return (__u32)(mix((__u64)(unsigned long)ptr) >> 32) <= sample_threshold;
}

static __always_inline int same_key(const struct slab_cache_key *a, const struct slab_cache_key *b)
{
	return a->id == b->id && a->kind == b->kind;
}

static __always_inline void record_info(const struct slab_cache_key *key, const struct kmem_cache *s, const char *name,
					__u64 object_size, __u64 flags)
{
	struct slab_cache_info info = { .object_size = object_size };

	if (s)
		bpf_probe_read_kernel_str(info.name, sizeof(info.name), BPF_CORE_READ(s, name));
	else if (name)
		bpf_probe_read_kernel_str(info.name, sizeof(info.name), name);
	bpf_map_update_elem(&cache_info, key, &info, flags);
}

/*
 * This CPU's slot of a cache, claimed (and its info recorded) the first time
 * the CPU sees it. hash_of picks the home slot; user space sums slots by key,
 * so two programs that hash one cache differently only use one more slot.
 * object_size 0: read it from s, or learn it from a later allocation.
 */
static __always_inline struct slab_cache_slot *cache_slot(const struct slab_cache_key *key, __u64 hash_of,
							   const struct kmem_cache *s, const char *name,
							   __u64 object_size)
{
	__u32 home = mix(hash_of) >> (64 - 10);
	struct slab_cache_slot *slot;

	_Static_assert(TRACER_SLAB_CACHE_SLOTS == 1 << 10, "home slot takes 10 bits of the hash");
	for (__u32 i = 0; i < TRACER_SLAB_CACHE_PROBES; i++) {
		__u32 index = (home + i) & (TRACER_SLAB_CACHE_SLOTS - 1);

		slot = bpf_map_lookup_elem(&caches, &index);
		if (!slot)
			return NULL;
		if (same_key(&slot->key, key)) {
			/* claimed by a classic free record, which carries no size */
			if (object_size && !slot->object_size) {
				slot->object_size = object_size;
				record_info(key, s, name, object_size, BPF_ANY);
			}
			return slot;
		}
		if (slot->key.kind)
			continue;
		if (!object_size && s)
			object_size = BPF_CORE_READ(s, size);
		/* a sized claim overwrites what a sizeless one on another CPU recorded */
		record_info(key, s, name, object_size, object_size ? BPF_ANY : BPF_NOEXIST);
		slot->object_size = object_size;
		slot->key = *key;
		return slot;
	}
	percpu_count(&stats, SLAB_STAT_CACHE_TABLE_FULL);
	return NULL;
}

static __always_inline void remember(void *ctx, const void *ptr, const struct slab_cache_key *key, __u64 bytes,
				     struct slab_cache_slot *slot)
{
	struct slab_object obj = {};
	__u64 id, addr = (__u64)(unsigned long)ptr;

	id = bpf_get_current_pid_tgid();
	obj.alloc_ns = bpf_ktime_get_ns();
	obj.cache = *key;
	obj.tgid = id >> 32;
	obj.pid = (__u32)id;
	obj.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	obj.bytes = bytes;
	bpf_get_current_comm(obj.comm, sizeof(obj.comm));
	/* BPF_ANY: an address still in the table was freed by a path without a tracepoint */
	if (bpf_map_update_elem(&outstanding, &addr, &obj, BPF_ANY)) {
		percpu_count(&stats, SLAB_STAT_ATTRIBUTION_FULL);
		return;
	}
	slot->counts.sampled += 1;
}

/* object_size 0: read it from s when the slot is claimed */
static __always_inline void on_alloc(void *ctx, const void *ptr, const struct slab_cache_key *key, __u64 hash_of,
				     const struct kmem_cache *s, const char *name, __u64 object_size)
{
	struct slab_cache_slot *slot;

	if (!ptr)
		return;
	slot = cache_slot(key, hash_of, s, name, object_size);
	if (!slot)
		return;
	/* per-CPU values: this CPU's copy, no other writer while the program runs */
	slot->counts.allocs += 1;
	slot->counts.alloc_bytes += slot->object_size;
	if (sampled(ptr))
		remember(ctx, ptr, key, slot->object_size, slot);
}

static __always_inline void on_free(const void *ptr, const struct slab_cache_key *key, __u64 hash_of,
				    const struct kmem_cache *s, const char *name)
{
	struct slab_cache_slot *slot;
	__u64 addr = (__u64)(unsigned long)ptr;

	if (key) {
		slot = cache_slot(key, hash_of, s, name, 0);
		if (slot)
			slot->counts.frees += 1;
	}
	if (sampled(ptr))
		bpf_map_delete_elem(&outstanding, &addr);
}

/* kfree only retires sampled objects, so only those need the first/backstop handshake */
static __always_inline int free_matters(const void *ptr, const struct slab_cache_key *key)
{
	return ptr && (key || sampled(ptr));
}

static __always_inline void on_free_first(__u32 slot, const void *ptr, const struct slab_cache_key *key,
					  __u64 hash_of, const struct kmem_cache *s, const char *name)
{
	__u64 *counted;

	if (!free_matters(ptr, key))
		return;
	counted = bpf_map_lookup_elem(&free_counted, &slot);
	if (counted)
		*counted = (__u64)(unsigned long)ptr;
	on_free(ptr, key, hash_of, s, name);
}

static __always_inline void on_free_backstop(__u32 slot, const void *ptr, const struct slab_cache_key *key,
					     __u64 hash_of, const struct kmem_cache *s, const char *name)
{
	__u64 *counted;

	if (!free_matters(ptr, key))
		return;
	counted = bpf_map_lookup_elem(&free_counted, &slot);
	if (counted && *counted == (__u64)(unsigned long)ptr) {
		*counted = 0;
		return;
	}
	on_free(ptr, key, hash_of, s, name);
}

static __always_inline struct slab_cache_key pointer_key(const struct kmem_cache *s)
{
	struct slab_cache_key key = { .id = (__u64)(unsigned long)s, .kind = SLAB_KEY_CACHE_PTR };

	return key;
}

static __always_inline struct slab_cache_key kmalloc_key(__u64 bytes_alloc)
{
	struct slab_cache_key key = { .id = bytes_alloc, .kind = SLAB_KEY_KMALLOC_SIZE };

	return key;
}

/* classic records carry the cache's name (a __data_loc string), not its pointer */
static __always_inline const char *record_string(void *record, __u32 data_loc)
{
	return (const char *)record + (data_loc & 0xffff);
}

static __always_inline struct slab_cache_key name_key(const char *name)
{
	struct slab_cache_key key = { .kind = SLAB_KEY_NAME_HASH };
	char buf[TRACER_SLAB_NAME_LEN] = {};
	__u64 hash = 0xcbf29ce484222325ULL;

	bpf_probe_read_kernel_str(buf, sizeof(buf), name);
	for (int i = 0; i < TRACER_SLAB_NAME_LEN; i++) {
		if (!buf[i])
			break;
		hash = (hash ^ (__u8)buf[i]) * 0x100000001b3ULL;
	}
	key.id = hash;
	return key;
}

/*
 * The home slot of a cache: its pointer where the program sees it as a number
 * (raw_tp). tp_btf sees a trusted pointer the verifier does no arithmetic on,
 * so there it is the first 16 bytes at the cache's name: bytes past the NUL
 * are stable too, and names that share a prefix only share a home slot.
 */
#define BTF_CACHE_HASH(s) (((const __u64 *)(s)->name)[0] ^ (((const __u64 *)(s)->name)[1] * 31))
#define RAW_CACHE_HASH(s) ((__u64)(unsigned long)(s))

/* kmem_cache_alloc: trace_kmem_cache_alloc(call_site, ptr, s, gfp, node) */
SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(cache_alloc_btf, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	struct slab_cache_key key = pointer_key(s);

	on_alloc(ctx, ptr, &key, BTF_CACHE_HASH(s), s, NULL, 0);
	return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(cache_alloc_raw, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	struct slab_cache_key key = pointer_key(s);

	on_alloc(ctx, ptr, &key, RAW_CACHE_HASH(s), s, NULL, 0);
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int cache_alloc_tp(struct trace_event_raw_kmem_cache_alloc *args)
{
	const char *name = record_string(args, BPF_CORE_READ(args, __data_loc_name));
	struct slab_cache_key key = name_key(name);

	on_alloc(args, BPF_CORE_READ(args, ptr), &key, key.id, NULL, name, BPF_CORE_READ(args, bytes_alloc));
	return 0;
}

/* kmem_cache_free: trace_kmem_cache_free(call_site, ptr, s); FIRST or BACKSTOP */
#define CACHE_FREE_PROGRAMS(suffix, handler)                                                  \
	SEC("tp_btf/kmem_cache_free")                                                         \
	int BPF_PROG(cache_free##suffix##_btf, unsigned long call_site, const void *ptr,       \
		     const struct kmem_cache *s)                                              \
	{                                                                                     \
		struct slab_cache_key key = pointer_key(s);                                   \
		handler(FREE_SLOT_CACHE, ptr, &key, BTF_CACHE_HASH(s), s, NULL);              \
		return 0;                                                                     \
	}                                                                                     \
	SEC("raw_tp/kmem_cache_free")                                                         \
	int BPF_PROG(cache_free##suffix##_raw, unsigned long call_site, const void *ptr,       \
		     const struct kmem_cache *s)                                              \
	{                                                                                     \
		struct slab_cache_key key = pointer_key(s);                                   \
		handler(FREE_SLOT_CACHE, ptr, &key, RAW_CACHE_HASH(s), s, NULL);              \
		return 0;                                                                     \
	}                                                                                     \
	SEC("tracepoint/kmem/kmem_cache_free")                                                \
	int cache_free##suffix##_tp(struct trace_event_raw_kmem_cache_free *args)              \
	{                                                                                     \
		const char *name = record_string(args, BPF_CORE_READ(args, __data_loc_name)); \
		struct slab_cache_key key = name_key(name);                                   \
		handler(FREE_SLOT_CACHE, BPF_CORE_READ(args, ptr), &key, key.id, NULL, name); \
		return 0;                                                                     \
	}

CACHE_FREE_PROGRAMS(, on_free_first)
CACHE_FREE_PROGRAMS(_backstop, on_free_backstop)

/* kmalloc: trace_kmalloc(call_site, ptr, bytes_req, bytes_alloc, gfp, node); the cache is the size class */
static __always_inline void on_kmalloc(void *ctx, const void *ptr, __u64 bytes_alloc)
{
	struct slab_cache_key key = kmalloc_key(bytes_alloc);

	if (bytes_alloc > kmalloc_max_cache_size)
		return;
	on_alloc(ctx, ptr, &key, bytes_alloc, NULL, NULL, bytes_alloc);
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kmalloc_btf, unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc)
{
	on_kmalloc(ctx, ptr, bytes_alloc);
	return 0;
}

SEC("raw_tp/kmalloc")
int BPF_PROG(kmalloc_raw, unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc)
{
	on_kmalloc(ctx, ptr, bytes_alloc);
	return 0;
}

SEC("tracepoint/kmem/kmalloc")
int kmalloc_tp(struct trace_event_raw_kmalloc *args)
{
	on_kmalloc(args, BPF_CORE_READ(args, ptr), BPF_CORE_READ(args, bytes_alloc));
	return 0;
}

/* kfree: trace_kfree(call_site, ptr) names no cache and no size; it only retires sampled objects */
#define KFREE_PROGRAMS(suffix, handler)                                                       \
	SEC("tp_btf/kfree")                                                                   \
	int BPF_PROG(kfree##suffix##_btf, unsigned long call_site, const void *ptr)            \
	{                                                                                     \
		handler(FREE_SLOT_KFREE, ptr, NULL, 0, NULL, NULL);                           \
		return 0;                                                                     \
	}                                                                                     \
	SEC("raw_tp/kfree")                                                                   \
	int BPF_PROG(kfree##suffix##_raw, unsigned long call_site, const void *ptr)            \
	{                                                                                     \
		handler(FREE_SLOT_KFREE, ptr, NULL, 0, NULL, NULL);                           \
		return 0;                                                                     \
	}                                                                                     \
	SEC("tracepoint/kmem/kfree")                                                          \
	int kfree##suffix##_tp(struct trace_event_raw_kfree *args)                             \
	{                                                                                     \
		handler(FREE_SLOT_KFREE, BPF_CORE_READ(args, ptr), NULL, 0, NULL, NULL);      \
		return 0;                                                                     \
	}

KFREE_PROGRAMS(, on_free_first)
KFREE_PROGRAMS(_backstop, on_free_backstop)

/* OOM killer: trace_mark_victim(tsk, uid) (the uid argument is Linux 6.8+) */
static __always_inline void on_victim(struct task_struct *tsk, __u32 uid)
{
	struct slab_oom_event *ev = bpf_ringbuf_reserve(&oom_events, sizeof(*ev), 0);
	struct mm_struct *mm;
	__u64 id = bpf_get_current_pid_tgid();

	if (!ev) {
		percpu_count(&stats, SLAB_STAT_OOM_DROPPED);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	mm = BPF_CORE_READ(tsk, mm);
	ev->total_vm_pages = mm ? BPF_CORE_READ(mm, total_vm) : 0;
	ev->victim_pid = BPF_CORE_READ(tsk, pid);
	ev->victim_tgid = BPF_CORE_READ(tsk, tgid);
	ev->uid = uid;
	ev->trigger_tgid = id >> 32;
	BPF_CORE_READ_STR_INTO(&ev->victim_comm, tsk, comm);
	bpf_get_current_comm(ev->trigger_comm, sizeof(ev->trigger_comm));
	bpf_ringbuf_submit(ev, 0);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(oom_victim_btf, struct task_struct *tsk, uid_t uid)
{
	on_victim(tsk, uid);
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(oom_victim_raw, struct task_struct *tsk, uid_t uid)
{
	on_victim(tsk, uid);
	return 0;
}

SEC("tracepoint/oom/mark_victim")
int oom_victim_tp(struct trace_event_raw_mark_victim *args)
{
	struct slab_oom_event *ev = bpf_ringbuf_reserve(&oom_events, sizeof(*ev), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!ev) {
		percpu_count(&stats, SLAB_STAT_OOM_DROPPED);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->total_vm_pages = BPF_CORE_READ(args, total_vm);
	ev->victim_pid = BPF_CORE_READ(args, pid);
	ev->victim_tgid = ev->victim_pid;
	ev->uid = BPF_CORE_READ(args, uid);
	ev->trigger_tgid = id >> 32;
	bpf_probe_read_kernel_str(ev->victim_comm, sizeof(ev->victim_comm),
				  record_string(args, BPF_CORE_READ(args, __data_loc_comm)));
	bpf_get_current_comm(ev->trigger_comm, sizeof(ev->trigger_comm));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
