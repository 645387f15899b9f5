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
 * Both are readable by root only and are a snapshot taken under the
 * address space's lock held for read.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "axas_internal.h"

static struct dentry *axas_debugfs_root;

/*
 * axas_npt_dump() names table pages by physical address: remember which
 * GPA each child table covers while its parent is visited.
 */
struct axas_dump_leaf {
	u64 gpa;
	u64 hpa;
	u64 size;
	unsigned int prot;
	unsigned int mt;
};

struct axas_dump_ctx {
	struct axas *as;
	struct xarray bases;
	/* Leaves arrive table by table: collect, sort, then print runs. */
	struct axas_dump_leaf *leaves;
	size_t nr, cap;
};

static int axas_dump_add_leaf(struct axas_dump_ctx *ctx, u64 gpa,
			      unsigned int level, u64 e)
{
	const struct axas_npt_fmt *fmt = ctx->as->npt.fmt;
	struct axas_dump_leaf *l;

	if (ctx->nr == ctx->cap) {
		size_t cap = max_t(size_t, 64, ctx->cap * 2);

		l = kvrealloc(ctx->leaves, cap * sizeof(*l), GFP_KERNEL_ACCOUNT);
		if (!l)
			return -ENOMEM;
		ctx->leaves = l;
		ctx->cap = cap;
	}
	l = &ctx->leaves[ctx->nr++];
	l->gpa = gpa;
	l->size = BIT_ULL(axas_npt_level_shift(level));
	l->hpa = fmt->entry_oa(e, level);
	l->prot = fmt->leaf_prot(e);
	l->mt = fmt->leaf_memtype(e);
	return 0;
}

static int axas_dump_visit(void *arg, phys_addr_t pa, unsigned int level,
			   unsigned int nr, const u64 *entries)
{
	struct axas_dump_ctx *ctx = arg;
	const struct axas_npt_fmt *fmt = ctx->as->npt.fmt;
	unsigned int shift = axas_npt_level_shift(level);
	u64 base = 0, e, gpa;
	unsigned int i;
	void *v;
	int ret;

	if (pa != ctx->as->npt.root_pa) {
		v = xa_load(&ctx->bases, PHYS_PFN(pa));
		if (!v)
			return -EIO;
		base = ((u64)xa_to_value(v)) << AXAS_NPT_GRANULE_SHIFT;
	}
	for (i = 0; i < nr; i++) {
		e = READ_ONCE(entries[i]);
		if (!(e & fmt->valid_mask))
			continue;
		gpa = base + ((u64)i << shift);
		if (level && fmt->entry_is_table(e, level)) {
			v = xa_mk_value(gpa >> AXAS_NPT_GRANULE_SHIFT);
			ret = xa_err(xa_store(&ctx->bases,
					      PHYS_PFN(fmt->entry_oa(e, level)),
					      v, GFP_KERNEL));
			if (ret)
				return ret;
			continue;
		}
		ret = axas_dump_add_leaf(ctx, gpa, level, e);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *const axas_mt_names[] = {
	[AXAS_NPT_MT_NORMAL] = "normal",
	[AXAS_NPT_MT_DEVICE] = "device",
};

static int axas_leaf_cmp(const void *a, const void *b)
{
	const struct axas_dump_leaf *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static void axas_ptdump_run(struct seq_file *m, const struct axas_dump_leaf *l,
			    u64 count)
{
	seq_printf(m, "0x%016llx-0x%016llx %7lluK x %-6llu hpa 0x%016llx %c%c%c %s\n",
		   l->gpa, l->gpa + l->size * count, l->size >> 10, count,
		   l->hpa, l->prot & AXAS_PROT_READ ? 'r' : '-',
		   l->prot & AXAS_PROT_WRITE ? 'w' : '-',
		   l->prot & AXAS_PROT_EXEC ? 'x' : '-', axas_mt_names[l->mt]);
}

static int axas_ptdump_show(struct seq_file *m, void *unused)
{
	struct axas *as = m->private;
	struct axas_dump_ctx ctx = { .as = as };
	const struct axas_dump_leaf *run = NULL, *l;
	u64 count = 0;
	size_t i;
	int ret;

	seq_printf(m, "# %s, %u levels, %u-bit GPA, root 0x%llx (%u page%s)\n",
		   as->npt.fmt->name, as->npt.levels, as->npt.gpa_bits,
		   (u64)as->npt.root_pa, 1U << as->npt.root_order,
		   as->npt.root_order ? "s" : "");
	xa_init(&ctx.bases);
	down_read(&as->lock);
	ret = axas_npt_dump(&as->npt, axas_dump_visit, &ctx);
	up_read(&as->lock);
	xa_destroy(&ctx.bases);
	if (!ret) {
		sort(ctx.leaves, ctx.nr, sizeof(*ctx.leaves), axas_leaf_cmp,
		     NULL);
		/* One line per run contiguous in GPA and HPA, same attributes. */
		for (i = 0; i < ctx.nr; i++) {
			l = &ctx.leaves[i];
			if (run && l->size == run->size &&
			    l->prot == run->prot && l->mt == run->mt &&
			    l->gpa == run->gpa + count * run->size &&
			    l->hpa == run->hpa + count * run->size) {
				count++;
				continue;
			}
			if (run)
				axas_ptdump_run(m, run, count);
			run = l;
			count = 1;
		}
		if (run)
			axas_ptdump_run(m, run, count);
	}
	kvfree(ctx.leaves);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(axas_ptdump);

struct axas_raw_buf {
	void *data;
	size_t len, cap;
};

static int axas_raw_visit(void *arg, phys_addr_t pa, unsigned int level,
			  unsigned int nr, const u64 *entries)
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
