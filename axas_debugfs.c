// SPDX-License-Identifier: GPL-2.0
/*
 * axas debugfs: /sys/kernel/debug/axas/<id>/ for every address space.
 *
 * ptdump	one line per run of leaves that are contiguous in GPA and HPA
 *		and share size, rights and memory type
 * pt_raw	every table page reachable from the root, root first, parents
 *		before children, as little-endian records
 *		{ u64 hpa; u32 level; u32 nr_entries; u64 entries[nr_entries]; }
 *		(the root record covers all concatenated root pages; level 0
 *		holds 4 KiB leaves)
 *
 * Both show host-physical addresses: they are mode 0400 and opening one
 * needs CAP_SYS_ADMIN, as the ioctls need it to report HPAs. Both are taken
 * under the address space's lock held for read: faults that run meanwhile
 * may or may not show.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "axas_internal.h"

static struct dentry *axas_debugfs_root;

/* A run of leaves contiguous in GPA and HPA with the same attributes. */
struct axas_ptdump_run {
	struct seq_file *m;
	u64 gpa;
	struct axas_npt_leaf first;
	u64 count;
};

static const char *const axas_mt_names[] = {
	[AXAS_MEM_NORMAL] = "normal",
	[AXAS_MEM_DEVICE] = "device",
};

static void axas_ptdump_print(const struct axas_ptdump_run *run)
{
	const struct axas_npt_leaf *l = &run->first;

	seq_printf(run->m,
		   "0x%016llx-0x%016llx %7lluK x %-6llu hpa 0x%016llx %c%c%c %s\n",
		   run->gpa, run->gpa + l->size * run->count, l->size >> 10,
		   run->count, (u64)l->hpa,
		   l->prot & AXAS_PROT_READ ? 'r' : '-',
		   l->prot & AXAS_PROT_WRITE ? 'w' : '-',
		   l->prot & AXAS_PROT_EXEC ? 'x' : '-', axas_mt_names[l->mt]);
}

/* Leaves arrive in GPA order: extend the current run or start a new one. */
static int axas_ptdump_leaf(void *arg, u64 gpa, const struct axas_npt_leaf *l)
{
	struct axas_ptdump_run *run = arg;
	const struct axas_npt_leaf *f = &run->first;
	u64 span = f->size * run->count;

	if (run->count && l->size == f->size && l->prot == f->prot &&
	    l->mt == f->mt && gpa == run->gpa + span &&
	    l->hpa == f->hpa + span) {
		run->count++;
		return 0;
	}
	if (run->count)
		axas_ptdump_print(run);
	run->gpa = gpa;
	run->first = *l;
	run->count = 1;
	return 0;
}

static int axas_ptdump_show(struct seq_file *m, void *unused)
{
	struct axas *as = m->private;
	struct axas_ptdump_run run = { .m = m };
	int ret;

	seq_printf(m, "# %s, %u levels, %u-bit GPA, root 0x%llx (%u page%s)\n",
		   as->npt.fmt->name, as->npt.levels, as->npt.gpa_bits,
		   (u64)as->npt.root_pa, 1U << as->npt.root_order,
		   as->npt.root_order ? "s" : "");
	down_read(&as->lock);
	ret = axas_npt_leaves(&as->npt, axas_ptdump_leaf, &run);
	up_read(&as->lock);
	if (!ret && run.count)
		axas_ptdump_print(&run);
	return ret;
}

/* Mode 0400 lets any uid-0 process in; HPAs need the capability. */
static int axas_ptdump_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, axas_ptdump_show, inode->i_private);
}

static const struct file_operations axas_ptdump_fops = {
	.owner		= THIS_MODULE,
	.open		= axas_ptdump_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

struct axas_raw_buf {
	void *data;
	size_t len, cap;
};

static int axas_raw_visit(void *arg, phys_addr_t pa, u64 gpa,
			  unsigned int level, unsigned int nr,
			  const u64 *entries)
{
	struct axas_raw_buf *buf = arg;
	size_t need = 16 + (size_t)nr * 8;
	__le64 *out;
	unsigned int i;
	void *grown;

	if (buf->len + need > buf->cap) {
		size_t cap = max(buf->cap * 2, buf->len + need);

		grown = kvrealloc(buf->data, cap, GFP_KERNEL_ACCOUNT);
		if (!grown)
			return -ENOMEM;
		buf->data = grown;
		buf->cap = cap;
	}
	out = buf->data + buf->len;
	out[0] = cpu_to_le64(pa);
	*(__le32 *)&out[1] = cpu_to_le32(level);
	*((__le32 *)&out[1] + 1) = cpu_to_le32(nr);
	for (i = 0; i < nr; i++)
		out[2 + i] = cpu_to_le64(READ_ONCE(entries[i]));
	buf->len += need;
	return 0;
}

static int axas_pt_raw_open(struct inode *inode, struct file *file)
{
	struct axas *as = inode->i_private;
	struct axas_raw_buf *buf;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	down_read(&as->lock);
	ret = axas_npt_dump(&as->npt, axas_raw_visit, buf);
	up_read(&as->lock);
	if (ret) {
		kvfree(buf->data);
		kfree(buf);
		return ret;
	}
	file->private_data = buf;
	return 0;
}

static ssize_t axas_pt_raw_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct axas_raw_buf *buf = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, buf->data, buf->len);
}

static int axas_pt_raw_release(struct inode *inode, struct file *file)
{
	struct axas_raw_buf *buf = file->private_data;

	kvfree(buf->data);
	kfree(buf);
	return 0;
}

static const struct file_operations axas_pt_raw_fops = {
	.owner		= THIS_MODULE,
	.open		= axas_pt_raw_open,
	.read		= axas_pt_raw_read,
	.llseek		= default_llseek,
	.release	= axas_pt_raw_release,
};

/**
 * axas_debugfs_add() - create axas/<id>/ for an address space
 * @as: The address space.
 *
 * Context: Process context. Failures are ignored, as debugfs asks.
 */
void axas_debugfs_add(struct axas *as)
{
	char name[16];

	if (!axas_debugfs_root)
		return;
	snprintf(name, sizeof(name), "%u", as->id);
	as->debugfs = debugfs_create_dir(name, axas_debugfs_root);
	debugfs_create_file("ptdump", 0400, as->debugfs, as,
			    &axas_ptdump_fops);
	debugfs_create_file("pt_raw", 0400, as->debugfs, as,
			    &axas_pt_raw_fops);
}

/**
 * axas_debugfs_remove() - remove axas/<id>/, waiting for readers in it
 * @as: The address space.
 *
 * Context: Process context, may sleep.
 */
void axas_debugfs_remove(struct axas *as)
{
	debugfs_remove_recursive(as->debugfs);
	as->debugfs = NULL;
}

/**
 * axas_debugfs_init() - create the axas/ folder
 *
 * Context: Module init.
 */
void axas_debugfs_init(void)
{
	axas_debugfs_root = debugfs_create_dir("axas", NULL);
	if (IS_ERR(axas_debugfs_root))
		axas_debugfs_root = NULL;
}

/**
 * axas_debugfs_exit() - remove the axas/ folder
 *
 * Context: Module exit.
 */
void axas_debugfs_exit(void)
{
	debugfs_remove_recursive(axas_debugfs_root);
	axas_debugfs_root = NULL;
}
