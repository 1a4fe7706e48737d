// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tracer attach's data path: every process's pipes, FIFOs and sockets in one
 * pass of the task_file iterator (iter/task_file, Linux 5.8+), instead of a
 * readlink per descriptor through /proc. Threads that share their process's
 * file table are skipped by the iterator itself; other files are not written.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracer_events.h"
#include "tracer.bpf.h"

BTF_KEEP(enum open_file_kind, open_file_kind_type);

/* include/uapi/linux/stat.h and include/uapi/linux/magic.h: macros, not in BTF */
#define MODE_TYPE 00170000
#define MODE_FIFO 0010000
#define MODE_SOCKET 0140000
#define PIPEFS_MAGIC 0x50495045

/* not inlined, so the record's type is in the object's BTF, which the C# mirror is checked against */
static __noinline int write_record(struct seq_file *seq, struct open_file_record *rec)
{
	return bpf_seq_write(seq, rec, sizeof(*rec));
}

SEC("iter/task_file")
int scan_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct open_file_record rec = {};
	struct inode *inode;
	__u16 type;

	if (!task || !file)
		return 0; /* end of the iteration */
	inode = BPF_CORE_READ(file, f_inode);
	type = BPF_CORE_READ(inode, i_mode) & MODE_TYPE;
	if (type == MODE_SOCKET)
		rec.kind = OPEN_FILE_SOCKET;
	else if (type != MODE_FIFO)
		return 0;
	else if (BPF_CORE_READ(inode, i_sb, s_magic) == PIPEFS_MAGIC)
		rec.kind = OPEN_FILE_PIPE;
	else
		rec.kind = OPEN_FILE_FIFO;

	rec.inode = BPF_CORE_READ(inode, i_ino);
	rec.tgid = BPF_CORE_READ(task, tgid);
	rec.ppid = BPF_CORE_READ(task, real_parent, tgid);
	rec.fd = ctx->fd;
	write_record(ctx->meta->seq, &rec);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
