// SPDX-License-Identifier: GPL-2.0
/*
 * axas generic stage-2 page-table code: the format registry, the one
 * walker every operation shares, and the operations as its visitors.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/vmstat.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

/* The registry: the only place that lists the formats. */
static const struct axas_npt_fmt *const axas_npt_formats[] = {
	[AXAS_FORMAT_X86_EPT4]		= &axas_npt_x86_ept4,
	[AXAS_FORMAT_X86_EPT5]		= &axas_npt_x86_ept5,
	[AXAS_FORMAT_ARM64_S2]		= &axas_npt_arm64_s2,
	[AXAS_FORMAT_RISCV_SV39X4]	= &axas_npt_riscv_sv39x4,
	[AXAS_FORMAT_RISCV_SV48X4]	= &axas_npt_riscv_sv48x4,
	[AXAS_FORMAT_RISCV_SV57X4]	= &axas_npt_riscv_sv57x4,
};

/**
 * axas_npt_native_format() - the format the host CPU walks
 *
 * The format that says it is native: on x86-64 4-level EPT (5-level only
 * when the guest needs more than 48 bits), on arm64 stage 2, on RISC-V
 * Sv48x4, the mode KVM uses when the host does not offer Sv57x4.
 *
 * Return: the native format, or %AXAS_FORMAT_DEFAULT on any other host.
 */
enum axas_format axas_npt_native_format(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axas_npt_formats); i++)
		if (axas_npt_formats[i] && axas_npt_formats[i]->native)
			return axas_npt_formats[i]->id;
	return AXAS_FORMAT_DEFAULT;
}

/**
 * axas_npt_fmt_get() - look up a format
 * @id: uAPI format identifier; %AXAS_FORMAT_DEFAULT picks the native one
 *
 * Return: the format, or NULL when @id is unknown.
 */
const struct axas_npt_fmt *axas_npt_fmt_get(enum axas_format id)
{
	if (id == AXAS_FORMAT_DEFAULT)
		id = axas_npt_native_format();
	if ((unsigned int)id >= ARRAY_SIZE(axas_npt_formats))
		return NULL;
	return axas_npt_formats[id];
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_fmt_get);

/**
 * axas_npt_formats_mask() - the formats this module can build
 *
 * Return: bit N set when format N (enum axas_format) is available.
 */
u64 axas_npt_formats_mask(void)
{
	u64 mask = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axas_npt_formats); i++)
		if (axas_npt_formats[i])
			mask |= BIT_ULL(i);
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_formats_mask);

/*
 * Removing entries takes two passes so that one TLB flush serves the
 * whole operation and nothing is reused before it:
 *
 * 1. Under the caller's lock, leaves wholly inside the range lose their
 *    valid bits but keep their output address ("dead" entries, invisible
 *    to hardware and to axas_npt_lookup()); tables wholly inside the
 *    range, or left without a valid entry, are unlinked onto a list.
 *    A block only partly inside is replaced by a table built offline
 *    from pre-allocated pages.
 * 2. After the flush, dead entries are reported and cleared, and the
 *    unlinked tables are reported and freed after an RCU grace period.
 *
 * Protect splits blocks the same way: where the range cuts them, and,
 * when it grants execute, every block above &axas_npt.max_exec_level
 * (nx_huge_pages) down to that level. All the table pages a call needs
 * are allocated before any entry changes, so -ENOMEM changes nothing.
 *
 * Formats that need break-before-make to split a block (arm64) leave the
 * block's entry invalid during pass 1 and write the new table after the
 * flush, so a concurrent lookup of the part that stays mapped may miss it
 * until the operation returns.
 *
 * Every operation is a visitor of axas_npt_walk(); the walk is the only
 * code that descends the table (the lock-free lookup aside, which each
 * format instantiates from axas_npt_lookup_tmpl()).
 */

/* Detached tables keep their level in the low bits of their base GPA. */
#define NPT_DETACHED_LEVEL	GENMASK(2, 0)

static inline bool npt_valid(const struct axas_npt *npt, u64 ent)
{
	return ent & npt->fmt->valid_mask;
}

static inline bool npt_is_table(const struct axas_npt *npt, u64 ent,
				unsigned int level)
{
	return npt_valid(npt, ent) &&
	       axas_npt_entry_is_table(npt->fmt, ent, level);
}

static inline u64 *npt_child(const struct axas_npt *npt, u64 ent,
			     unsigned int level)
{
	return axas_npt_deref(npt,
			      axas_npt_table_ptr(axas_npt_entry_oa(npt->fmt, ent)));
}

static inline void npt_assert_write(const struct axas_npt *npt)
{
	if (npt->lock)
		lockdep_assert_held_write(npt->lock);
}

static inline void npt_assert_held(const struct axas_npt *npt)
{
	if (npt->lock)
		lockdep_assert_held(npt->lock);
}

/* Publish an entry whose table a lockless walker may follow at once. */
static inline void npt_publish(u64 *ptep, u64 val)
{
	/* Order the table's contents before the entry; walkers depend on it. */
	smp_wmb();
	WRITE_ONCE(*ptep, val);
}

/**
 * axas_npt_alloc_should_fail() - fault injection point for table pages
 * @npt: The table.
 *
 * KUnit tests replace it (kunit_activate_static_stub()) to fail the Nth
 * table allocation; outside a test it is false.
 *
 * Return: true to fail this allocation.
 */
VISIBLE_IF_KUNIT bool axas_npt_alloc_should_fail(struct axas_npt *npt)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_npt_alloc_should_fail, npt);
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_alloc_should_fail);

/*
 * Count the pages against @npt->max_pages before allocating them, and
 * only if they fit: a count never passes the limit, even for a moment.
 */
static bool npt_pages_reserve(struct axas_npt *npt, unsigned int nr)
{
	int old = atomic_read(&npt->nr_pages);

	do {
		if (npt->max_pages && old + nr > npt->max_pages) {
			atomic64_inc(&npt->limit_hits);
			return false;
		}
	} while (!atomic_try_cmpxchg(&npt->nr_pages, &old, old + nr));
	return true;
}

static u64 *npt_alloc_table(struct axas_npt *npt, unsigned int order)
{
	struct page *page;

	if (axas_npt_alloc_should_fail(npt))
		return NULL;
	if (!npt_pages_reserve(npt, 1 << order))
		return NULL;
	page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, order);
	if (!page) {
		atomic_sub(1 << order, &npt->nr_pages);
		return NULL;
	}
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, 1 << order);
	return page_address(page);
}

static void npt_free_pages(struct page *page, unsigned int order)
{
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, -(1 << order));
	__free_pages(page, order);
}

/* Free a table page no walker has seen. */
static void npt_free_table_now(struct axas_npt *npt, u64 *table)
{
	atomic_dec(&npt->nr_pages);
	npt_free_pages(virt_to_page(table), 0);
}

static void npt_free_rcu_cb(struct rcu_head *head)
{
	struct page *page = container_of(head, struct page, rcu_head);
	unsigned int order = page_private(page);

	set_page_private(page, 0);
	npt_free_pages(page, order);
}

/* Free an unlinked table page once lockless walkers are done with it. */
static void npt_free_table_rcu(struct axas_npt *npt, u64 *table,
			       unsigned int order)
{
	struct page *page = virt_to_page(table);

	atomic_sub(1 << order, &npt->nr_pages);
	set_page_private(page, order);
	call_rcu(&page->rcu_head, npt_free_rcu_cb);
}

/*
 * The one TLB flush: a range (or, with @all, the whole table), falling
 * back to the other operation when the caller has only one.
 */
static void npt_flush(struct axas_npt *npt, u64 gpa, u64 size, bool all)
{
	const struct axas_flush_ops *ops = npt->flush_ops;

	atomic64_inc(&npt->flushes);
	if (!ops)
		return;
	if (ops->flush_range && !(all && ops->flush_all))
		ops->flush_range(npt->flush_cookie, gpa, size);
	else if (ops->flush_all)
		ops->flush_all(npt->flush_cookie);
}

/* The walker. */

struct npt_walk_data {
	struct axas_npt *npt;
	const struct axas_npt_walker *walker;
	u64 addr;
	u64 end;
};

static int npt_walk_table(struct npt_walk_data *d, u64 *table,
			  unsigned int level, bool live);

static int npt_walk_entry(struct npt_walk_data *d, u64 *ptep,
			  unsigned int level, bool live)
{
	const struct axas_npt_walker *w = d->walker;
	struct axas_npt *npt = d->npt;
	u64 size = axas_npt_level_size(level);
	struct axas_npt_visit_ctx ctx = {
		.npt	= npt,
		.ptep	= ptep,
		.old	= READ_ONCE(*ptep),
		.addr	= d->addr,
		.end	= min(ALIGN_DOWN(d->addr, size) + size, d->end),
		.level	= level,
		.live	= live,
		.arg	= w->arg,
	};
	bool table = npt_is_table(npt, ctx.old, level);
	bool offline = false;
	int ret = 0;

	if (table && (w->flags & AXAS_NPT_WALK_TABLE_PRE)) {
		ctx.child = npt_child(npt, ctx.old, level);
		ret = w->cb(&ctx, AXAS_NPT_WALK_TABLE_PRE);
		ctx.old = READ_ONCE(*ptep);
		table = npt_is_table(npt, ctx.old, level);
	} else if (!table && (w->flags & AXAS_NPT_WALK_LEAF)) {
		ret = w->cb(&ctx, AXAS_NPT_WALK_LEAF);
		offline = !!ctx.child;
		if (!offline) {
			/* The visitor may have installed a table: follow it. */
			ctx.old = READ_ONCE(*ptep);
			table = npt_is_table(npt, ctx.old, level);
		}
	}
	if (ret || (!table && !offline)) {
		d->addr = ctx.end;
		return ret;
	}
	if (!offline)
		ctx.child = npt_child(npt, ctx.old, level);
	if (level == 1 && !(w->flags & AXAS_NPT_WALK_LEAF))
		d->addr = ctx.end;	/* leaves only below: nothing to visit */
	else
		ret = npt_walk_table(d, ctx.child, level - 1,
				     live && !offline);
	if (!ret && (w->flags & AXAS_NPT_WALK_TABLE_POST))
		ret = w->cb(&ctx, AXAS_NPT_WALK_TABLE_POST);
	return ret;
}

static int npt_walk_table(struct npt_walk_data *d, u64 *table,
			  unsigned int level, bool live)
{
	unsigned int i, nr = axas_npt_nr_entries(d->npt, level);
	int ret = 0;

	for (i = axas_npt_index(d->npt, d->addr, level);
	     i < nr && d->addr < d->end && !ret; i++)
		ret = npt_walk_entry(d, &table[i], level, live);
	if (level)
		cond_resched();
	return ret;
}

/**
 * axas_npt_walk() - visit the entries that translate a GPA range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB; @gpa + @size is at most
 *	  1 << @npt->gpa_bits.
 * @walker: The visitor, its argument and when to call it.
 *
 * Entries are visited in address order, each table entry before (TABLE_PRE)
 * and after (TABLE_POST) the entries of its table. Ranges are the caller's
 * to check: the address space checks them where they enter.
 *
 * Context: Process context, may sleep; the caller holds @npt's lock (for
 * write when the visitor changes anything but empty entries).
 * Return: 0, or the first non-zero value the visitor returned.
 */
int axas_npt_walk(struct axas_npt *npt, u64 gpa, u64 size,
		  const struct axas_npt_walker *walker)
{
	struct npt_walk_data d = {
		.npt	= npt,
		.walker	= walker,
		.addr	= gpa,
		.end	= gpa + size,
	};

	npt_assert_held(npt);
	return npt_walk_table(&d, axas_npt_deref(npt, npt->root),
			      axas_npt_root_level(npt), true);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_walk);

/* Walk every entry of a table nobody can reach any more. */
static void npt_walk_detached(struct axas_npt *npt, u64 *table,
			      unsigned int level, u64 base,
			      const struct axas_npt_walker *walker)
{
	struct npt_walk_data d = {
		.npt	= npt,
		.walker	= walker,
		.addr	= base,
		.end	= base + axas_npt_level_size(level + 1),
	};

	npt_walk_table(&d, table, level, false);
}

/* Reporting what is removed: leaves, then the tables that held them. */

struct npt_free_data {
	axas_npt_leaf_fn fn;
	void *arg;
};

/*
 * Report every leaf of an unreachable subtree, valid or dead, and free
 * its tables after an RCU grace period.
 */
static int npt_free_visitor(struct axas_npt_visit_ctx *ctx,
			    enum axas_npt_walk_flags visit)
{
	struct npt_free_data *fd = ctx->arg;
	struct axas_npt *npt = ctx->npt;

	if (visit == AXAS_NPT_WALK_TABLE_POST) {
		npt_free_table_rcu(npt, ctx->child, 0);
		return 0;
	}
	if (ctx->old && fd->fn)
		fd->fn(fd->arg, ctx->addr,
		       axas_npt_entry_oa(npt->fmt, ctx->old),
		       axas_npt_level_size(ctx->level));
	return 0;
}

static void npt_free_subtree(struct axas_npt *npt, u64 *table,
			     unsigned int level, u64 base,
			     axas_npt_leaf_fn fn, void *arg)
{
	struct npt_free_data fd = { .fn = fn, .arg = arg };
	struct axas_npt_walker walker = {
		.cb	= npt_free_visitor,
		.arg	= &fd,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_POST,
	};

	npt_walk_detached(npt, table, level, base, &walker);
	npt_free_table_rcu(npt, table, 0);
}

/* Map, unmap and protect. */

/*
 * One unmap or protect operation. Table pages it owns are listed through
 * page->lru: pre-allocated ones, split tables waiting for the flush
 * (break-before-make; page->private is the entry they go in) and
 * detached tables (page->private is their base GPA and level).
 */
struct npt_op {
	struct axas_npt *npt;
	u64 start;
	u64 end;
	unsigned int prot;
	bool found;
	bool changed;
	unsigned long nr_prealloc;
	struct list_head prealloc;
	struct list_head bbm;
	struct list_head detached;
};

static void npt_op_init(struct npt_op *op, struct axas_npt *npt, u64 start,
			u64 end)
{
	memset(op, 0, sizeof(*op));
	op->npt = npt;
	op->start = start;
	op->end = end;
	INIT_LIST_HEAD(&op->prealloc);
	INIT_LIST_HEAD(&op->bbm);
	INIT_LIST_HEAD(&op->detached);
}

static bool npt_whole(const struct axas_npt_visit_ctx *ctx)
{
	u64 size = axas_npt_level_size(ctx->level);

	return IS_ALIGNED(ctx->addr, size) && ctx->end - ctx->addr == size;
}

struct npt_find_data {
	unsigned int level;
	u64 ent;
};

static int npt_find_visitor(struct axas_npt_visit_ctx *ctx,
			    enum axas_npt_walk_flags visit)
{
	struct npt_find_data *f = ctx->arg;

	if (!npt_valid(ctx->npt, ctx->old))
		return 0;
	f->level = ctx->level;
	f->ent = ctx->old;
	return 1;
}

/* Find the valid leaf mapping @gpa, if any. */
static bool npt_find_leaf(struct axas_npt *npt, u64 gpa, unsigned int *level,
			  u64 *entp)
{
	struct npt_find_data f;
	struct axas_npt_walker walker = {
		.cb	= npt_find_visitor,
		.arg	= &f,
		.flags	= AXAS_NPT_WALK_LEAF,
	};

	if (!axas_npt_walk(npt, gpa, AXAS_NPT_GRANULE, &walker))
		return false;
	*level = f.level;
	*entp = f.ent;
	return true;
}

/* Free the pre-allocated table pages an operation did not use. */
static void npt_prealloc_free(struct npt_op *op)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &op->prealloc, lru) {
		list_del(&page->lru);
		npt_free_table_now(op->npt, page_address(page));
	}
	op->nr_prealloc = 0;
}

/*
 * Allocate @n table pages for splits, so that nothing can fail once
 * entries change; on failure free them all. Each one is counted against
 * the table's limit, and fault injection sees each, as any table page.
 */
static int npt_prealloc(struct npt_op *op, unsigned long n)
{
	while (op->nr_prealloc < n) {
		u64 *table = npt_alloc_table(op->npt, 0);

		if (!table) {
			npt_prealloc_free(op);
			return -ENOMEM;
		}
		list_add_tail(&virt_to_page(table)->lru, &op->prealloc);
		op->nr_prealloc++;
		cond_resched();
	}
	return 0;
}

/*
 * Allocate the tables needed to split the blocks that straddle either end
 * of the range (for protect, those whose rights change).
 */
static int npt_prealloc_splits(struct npt_op *op, bool protect)
{
	struct axas_npt *npt = op->npt;
	u64 bounds[2] = { op->start, op->end };
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		unsigned int level;
		u64 ent;

		if (bounds[i] >= BIT_ULL(npt->gpa_bits) ||
		    !npt_find_leaf(npt, bounds[i], &level, &ent))
			continue;
		if (protect && npt->fmt->leaf_prot(ent) == op->prot)
			continue;
		while (level &&
		       !IS_ALIGNED(bounds[i], axas_npt_level_size(level))) {
			n++;
			level--;
		}
	}
	return npt_prealloc(op, n);
}

/*
 * Build, offline, a table of the next level that maps what the leaf
 * maps, and have the walker descend into it.
 */
static void npt_split(struct npt_op *op, struct axas_npt_visit_ctx *ctx)
{
	const struct axas_npt_fmt *fmt = op->npt->fmt;
	unsigned int level = ctx->level;
	phys_addr_t oa = axas_npt_entry_oa(fmt, ctx->old);
	unsigned int prot = fmt->leaf_prot(ctx->old);
	enum axas_memtype mt = fmt->leaf_memtype(ctx->old);
	u64 size = axas_npt_level_size(level - 1);
	struct page *page;
	unsigned int i;
	u64 *table;

	page = list_first_entry_or_null(&op->prealloc, struct page, lru);
	if (WARN_ON_ONCE(!page))
		return;
	list_del(&page->lru);
	op->nr_prealloc--;
	table = page_address(page);
	for (i = 0; i < AXAS_NPT_PTRS; i++)
		table[i] = fmt->mk_leaf(oa + i * size, level - 1, prot, mt);
	ctx->child = table;
}

/*
 * Link the table npt_split() built, now that the walk has changed it.
 * Break-before-make: a live block is made invalid now, and the table
 * written after the flush (npt_op_finish()).
 */
static void npt_link_split(struct npt_op *op, struct axas_npt_visit_ctx *ctx)
{
	const struct axas_npt_fmt *fmt = op->npt->fmt;
	struct page *page = virt_to_page(ctx->child);

	if (ctx->live && fmt->split_bbm) {
		WRITE_ONCE(*ctx->ptep, 0);
		set_page_private(page, (unsigned long)ctx->ptep);
		list_add_tail(&page->lru, &op->bbm);
		return;
	}
	npt_publish(ctx->ptep, fmt->mk_table(virt_to_phys(ctx->child)));
}

/* True when the visited leaf was a block that npt_split() replaced. */
static bool npt_was_split(const struct npt_op *op,
			  const struct axas_npt_visit_ctx *ctx)
{
	return !npt_is_table(op->npt, ctx->old, ctx->level);
}

/* True when @table holds no valid entry and no split waits to land in it. */
static bool npt_table_dead(struct npt_op *op, u64 *table)
{
	struct page *page;
	unsigned int i;

	list_for_each_entry(page, &op->bbm, lru) {
		u64 *ptep = (u64 *)page_private(page);

		if (ptep >= table && ptep < table + AXAS_NPT_PTRS)
			return false;
	}
	for (i = 0; i < AXAS_NPT_PTRS; i++)
		if (npt_valid(op->npt, READ_ONCE(table[i])))
			return false;
	return true;
}

static void npt_detach(struct npt_op *op, struct axas_npt_visit_ctx *ctx)
{
	struct page *page = virt_to_page(ctx->child);
	u64 base = ALIGN_DOWN(ctx->addr, axas_npt_level_size(ctx->level));

	WRITE_ONCE(*ctx->ptep, 0);
	/* @base is 2 MiB aligned at least: the low bits hold the level. */
	set_page_private(page, base | (ctx->level - 1));
	list_add_tail(&page->lru, &op->detached);
	op->changed = true;
}

/* Pass 1 of unmap: see the comment at the top of the engine. */
static int npt_unmap_visitor(struct axas_npt_visit_ctx *ctx,
			     enum axas_npt_walk_flags visit)
{
	struct npt_op *op = ctx->arg;
	struct axas_npt *npt = op->npt;

	switch (visit) {
	case AXAS_NPT_WALK_TABLE_PRE:
		if (npt_whole(ctx)) {
			/* Only the root may be an empty table. */
			op->found = true;
			npt_detach(op, ctx);
		}
		return 0;
	case AXAS_NPT_WALK_TABLE_POST:
		if (npt_was_split(op, ctx))
			npt_link_split(op, ctx);
		else if (npt_table_dead(op, ctx->child))
			npt_detach(op, ctx);
		return 0;
	case AXAS_NPT_WALK_LEAF:
		if (!npt_valid(npt, ctx->old))
			return 0;
		op->found = true;
		op->changed = true;
		if (npt_whole(ctx))
			WRITE_ONCE(*ctx->ptep, ctx->old & ~npt->fmt->valid_mask);
		else
			npt_split(op, ctx);
		return 0;
	}
	return 0;
}

/* Pass 2 of unmap: report and clear the dead entries. */
static int npt_reap_visitor(struct axas_npt_visit_ctx *ctx,
			    enum axas_npt_walk_flags visit)
{
	struct npt_free_data *fd = ctx->arg;
	struct axas_npt *npt = ctx->npt;

	if (!ctx->old || npt_valid(npt, ctx->old))
		return 0;
	/* Dead entries were wholly inside the range: @addr is their base. */
	if (fd->fn)
		fd->fn(fd->arg, ctx->addr,
		       axas_npt_entry_oa(npt->fmt, ctx->old),
		       axas_npt_level_size(ctx->level));
	WRITE_ONCE(*ctx->ptep, 0);
	return 0;
}

/* Flush once, then make what was broken, report and free. */
static void npt_op_finish(struct npt_op *op, bool reap, axas_npt_leaf_fn fn,
			  void *arg)
{
	struct axas_npt *npt = op->npt;
	struct npt_free_data fd = { .fn = fn, .arg = arg };
	struct axas_npt_walker reaper = {
		.cb	= npt_reap_visitor,
		.arg	= &fd,
		.flags	= AXAS_NPT_WALK_LEAF,
	};
	struct page *page, *tmp;

	if (op->changed)
		npt_flush(npt, op->start, op->end - op->start, false);
	list_for_each_entry_safe(page, tmp, &op->bbm, lru) {
		u64 *ptep = (u64 *)page_private(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		npt_publish(ptep, npt->fmt->mk_table(page_to_phys(page)));
	}
	if (reap && op->changed)
		axas_npt_walk(npt, op->start, op->end - op->start, &reaper);
	list_for_each_entry_safe(page, tmp, &op->detached, lru) {
		unsigned long priv = page_private(page);

		list_del(&page->lru);
		npt_free_subtree(npt, page_address(page),
				 priv & NPT_DETACHED_LEVEL,
				 priv & ~NPT_DETACHED_LEVEL, fn, arg);
	}
	npt_prealloc_free(op);
}

static void npt_unmap_range(struct npt_op *op, axas_npt_leaf_fn fn,
			    void *arg)
{
	struct axas_npt_walker walker = {
		.cb	= npt_unmap_visitor,
		.arg	= op,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_PRE |
			  AXAS_NPT_WALK_TABLE_POST,
	};

	axas_npt_walk(op->npt, op->start, op->end - op->start, &walker);
	npt_op_finish(op, true, fn, arg);
}

/* A table page for a walk that installs tables. */
struct npt_pool {
	unsigned int nr;
	u64 *tables[AXAS_NPT_MAX_LEVELS];
};

static void npt_pool_drain(struct axas_npt *npt, struct npt_pool *pool)
{
	while (pool->nr)
		npt_free_table_now(npt, pool->tables[--pool->nr]);
}

/*
 * Install a table in the empty entry @ctx visits, with cmpxchg as installs
 * run concurrently, from @pool or freshly allocated when @pool runs dry.
 * Losing the race keeps the page for later: the walker follows the
 * winner's table.
 */
static int npt_install_table(struct axas_npt_visit_ctx *ctx,
			     struct npt_pool *pool)
{
	struct axas_npt *npt = ctx->npt;
	u64 *table;

	table = pool->nr ? pool->tables[--pool->nr] : npt_alloc_table(npt, 0);
	if (!table)
		return -ENOMEM;
	/* Fully ordered: the zeroed table before the entry. */
	if (cmpxchg(ctx->ptep, 0, npt->fmt->mk_table(virt_to_phys(table))))
		pool->tables[pool->nr++] = table;
	return 0;
}

struct npt_map_data {
	u64 gpa;
	phys_addr_t hpa;
	unsigned int prot;
	enum axas_memtype mt;
	u64 at;			/* the address being mapped */
	struct npt_pool pool;
};

/* The largest leaf alignment and the rest of the range allow at @addr. */
static int npt_has_leaf_visitor(struct axas_npt_visit_ctx *ctx,
				enum axas_npt_walk_flags visit)
{
	return npt_valid(ctx->npt, ctx->old) ? -EEXIST : 0;
}

static unsigned int npt_pick_level(const struct axas_npt *npt, u64 addr,
				   phys_addr_t hpa, u64 size, unsigned int prot)
{
	unsigned int level = min_t(unsigned int, npt->fmt->max_leaf_level,
				   axas_npt_root_level(npt));

	if (prot & AXAS_PROT_EXEC)
		level = min_t(unsigned int, level, npt->max_exec_level);

	for (; level; level--) {
		u64 bsize = axas_npt_level_size(level);

		if (IS_ALIGNED(addr | hpa, bsize) && size >= bsize)
			break;
	}
	return level;
}

static int npt_map_visitor(struct axas_npt_visit_ctx *ctx,
			   enum axas_npt_walk_flags visit)
{
	struct npt_map_data *m = ctx->arg;
	struct axas_npt *npt = ctx->npt;
	phys_addr_t hpa = m->hpa + (ctx->addr - m->gpa);
	unsigned int level;

	m->at = ctx->addr;
	level = npt_pick_level(npt, ctx->addr, hpa, ctx->end - ctx->addr,
			       m->prot);
	/* A table where the leaf belongs, or anything already mapped. */
	if (visit == AXAS_NPT_WALK_TABLE_PRE)
		return level == ctx->level ? -EEXIST : 0;
	if (ctx->old)
		return -EEXIST;
	if (level < ctx->level)
		return npt_install_table(ctx, &m->pool);
	/* Ordered after the frame's contents by axas_npt_map()'s smp_wmb(). */
	WRITE_ONCE(*ctx->ptep, npt->fmt->mk_leaf(hpa, level, m->prot, m->mt));
	return 0;
}

/**
 * axas_npt_geometry() - walk levels and root size for a GPA width
 * @fmt: The format.
 * @gpa_bits: Guest-physical address width; 0 picks the format's largest.
 * @levels: Set to the number of walk levels, root included.
 * @root_order: Set to log2 of the number of concatenated root pages.
 *
 * For arm64 this is what VTCR_EL2.T0SZ and SL0 express: the fewest levels
 * (at least two) with at most 16 concatenated root tables.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL when the format cannot map @gpa_bits.
 */
int axas_npt_geometry(const struct axas_npt_fmt *fmt, unsigned int gpa_bits,
		      unsigned int *levels, unsigned int *root_order)
{
	unsigned int nr_levels, top;

	if (!gpa_bits)
		gpa_bits = fmt->gpa_bits;
	if (gpa_bits < fmt->min_gpa_bits || gpa_bits > fmt->gpa_bits)
		return -EINVAL;
	nr_levels = fmt->levels_for ? fmt->levels_for(gpa_bits) : fmt->levels;
	if (!nr_levels || nr_levels > AXAS_NPT_MAX_LEVELS)
		return -EINVAL;
	top = axas_npt_level_shift(nr_levels - 1);
	if (gpa_bits <= top)
		return -EINVAL;
	top += AXAS_NPT_LEVEL_BITS;
	*root_order = gpa_bits > top ? gpa_bits - top : 0;
	if (*root_order > AXAS_NPT_MAX_ROOT_ORDER)
		return -EINVAL;
	*levels = nr_levels;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_geometry);

/**
 * axas_npt_init() - create an empty table
 * @npt: The table to set up; its previous contents are ignored.
 * @fmt: The format.
 * @gpa_bits: Guest-physical address width; 0 picks the format's largest.
 *	      Only arm64 accepts a range (32..48).
 * @ops: TLB maintenance for this table, or NULL.
 * @cookie: Argument passed to @ops.
 *
 * Allocates the root, 1 << @npt->root_order zeroed pages accounted to the
 * caller's memory cgroup and counted as secondary page tables. The table
 * has no lock until axas_npt_set_lock().
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL for a width the format cannot map, or -ENOMEM.
 */
int axas_npt_init(struct axas_npt *npt, const struct axas_npt_fmt *fmt,
		  unsigned int gpa_bits, const struct axas_flush_ops *ops,
		  void *cookie)
{
	unsigned int levels, order;
	u64 *root;
	int ret;

	memset(npt, 0, sizeof(*npt));
	ret = axas_npt_geometry(fmt, gpa_bits, &levels, &order);
	if (ret)
		return ret;
	npt->fmt = fmt;
	npt->levels = levels;
	npt->gpa_bits = gpa_bits ?: fmt->gpa_bits;
	npt->root_order = order;
	npt->max_exec_level = fmt->max_leaf_level;
	npt->flush_ops = ops;
	npt->flush_cookie = cookie;
	root = npt_alloc_table(npt, order);
	if (!root)
		return -ENOMEM;
	RCU_INIT_POINTER(npt->root, root);
	npt->root_pa = virt_to_phys(root);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_init);

/**
 * axas_npt_set_lock() - tell the table which lock its owner holds
 * @npt: The table.
 * @lock: Held for write to change the table, for read to install into it.
 *
 * Like mt_set_external_lock(): the table never takes @lock, it asserts
 * it (lockdep) in every operation and when following table pointers.
 *
 * Context: Before the table is shared.
 */
void axas_npt_set_lock(struct axas_npt *npt, struct rw_semaphore *lock)
{
	npt->lock = lock;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_set_lock);

/**
 * axas_npt_destroy() - free a table and report what it still maps
 * @npt: The table; may be one whose axas_npt_init() failed.
 * @fn: Told about every leaf still present, or NULL.
 * @arg: Argument of @fn.
 *
 * Flushes the whole table once when anything is mapped, then reports the
 * leaves and frees every table page after an RCU grace period. The module
 * must call rcu_barrier() before it is unloaded.
 *
 * Context: Process context; the caller holds the table exclusively.
 */
void axas_npt_destroy(struct axas_npt *npt, axas_npt_leaf_fn fn, void *arg)
{
	unsigned int level = axas_npt_root_level(npt);
	struct npt_free_data fd = { .fn = fn, .arg = arg };
	struct axas_npt_walker walker = {
		.cb	= npt_free_visitor,
		.arg	= &fd,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_POST,
	};
	u64 *root = rcu_dereference_protected(npt->root,
					      axas_npt_lock_held(npt));
	unsigned int i;

	might_sleep();
	if (!root)
		return;
	npt_assert_write(npt);
	for (i = 0; i < axas_npt_nr_entries(npt, level); i++) {
		if (root[i]) {
			npt_flush(npt, 0, BIT_ULL(npt->gpa_bits), true);
			break;
		}
	}
	axas_npt_walk(npt, 0, BIT_ULL(npt->gpa_bits), &walker);
	npt_free_table_rcu(npt, root, npt->root_order);
	RCU_INIT_POINTER(npt->root, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_destroy);

/**
 * axas_npt_map() - map a GPA range to an HPA range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @hpa: Host-physical address it maps to, 4 KiB aligned and within the
 *	 format's output width.
 * @size: Bytes, a non-zero multiple of 4 KiB, within the GPA width.
 * @prot: AXAS_PROT_*; write needs read.
 * @mt: Memory type.
 *
 * Uses the largest block (1 GiB, 2 MiB, 4 KiB) that the alignment of the
 * GPA, the HPA and the remaining size allow. No TLB flush is needed, as
 * only invalid entries change; a failure flushes if it had to undo
 * anything. Writes the caller made to the frames before the call (their
 * zeroing) are ordered before the first leaf (smp_wmb()), so no lockless
 * walker or lookup can reach a frame before its contents. The arguments
 * were checked where they entered axas.
 *
 * Context: Process context, may sleep; the caller holds the lock for
 * write.
 * Return: 0; -EEXIST when anything in the range is mapped; -ENOMEM. On
 * error the table is as before.
 */
int axas_npt_map(struct axas_npt *npt, u64 gpa, phys_addr_t hpa, u64 size,
		 unsigned int prot, enum axas_memtype mt)
{
	struct npt_map_data m = {
		.gpa	= gpa,
		.hpa	= hpa,
		.prot	= prot,
		.mt	= mt,
	};
	struct axas_npt_walker walker = {
		.cb	= npt_has_leaf_visitor,
		.flags	= AXAS_NPT_WALK_LEAF,
	};
	struct npt_op op;
	u64 undo;
	int ret;

	might_sleep();
	npt_assert_write(npt);
	/* Refuse an overlap before changing anything: no flush, no undo. */
	ret = axas_npt_walk(npt, gpa, size, &walker);
	if (ret)
		return ret;
	walker.cb = npt_map_visitor;
	walker.arg = &m;
	walker.flags = AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_PRE;
	/*
	 * npt_map_visitor() publishes leaves with plain stores: order every
	 * earlier write to the frames they map (zeroing, guest image) before
	 * any of them, for lockless walkers and lookups on other CPUs.
	 */
	smp_wmb();
	ret = axas_npt_walk(npt, gpa, size, &walker);
	npt_pool_drain(npt, &m.pool);
	if (!ret)
		return 0;
	/*
	 * Everything before the failed entry was empty and is ours now;
	 * after -ENOMEM so are the tables made for that entry's first page.
	 * -EEXIST here is a leftover empty table where a block belongs.
	 */
	undo = m.at + (ret == -ENOMEM ? AXAS_NPT_GRANULE : 0);
	if (undo > gpa) {
		npt_op_init(&op, npt, gpa, undo);
		npt_unmap_range(&op, NULL, NULL);
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_map);

/**
 * axas_npt_unmap() - remove every mapping in a GPA range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB, within the GPA width.
 * @fn: Told about every removed leaf, or part of a block, after the TLB
 *	flush, so the frame may be freed at once; may be NULL.
 * @arg: Argument of @fn.
 *
 * A block only partly inside the range is split; tables left empty are
 * freed after an RCU grace period. The flush ops are called once when
 * anything was removed.
 *
 * Context: Process context, may sleep; the caller holds the lock for
 * write.
 * Return: 0; -ENOENT when nothing in the range was mapped; -ENOMEM when a
 * block could not be split, with the table unchanged.
 */
int axas_npt_unmap(struct axas_npt *npt, u64 gpa, u64 size,
		   axas_npt_leaf_fn fn, void *arg)
{
	struct npt_op op;
	int ret;

	might_sleep();
	npt_assert_write(npt);
	npt_op_init(&op, npt, gpa, gpa + size);
	ret = npt_prealloc_splits(&op, false);
	if (ret)
		return ret;
	npt_unmap_range(&op, fn, arg);
	return op.found ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_unmap);

/*
 * Must a leaf at @level that protect gives @op->prot become smaller
 * leaves? Under nx_huge_pages, when it becomes executable and is larger
 * than &axas_npt.max_exec_level allows.
 */
static bool npt_exec_split(const struct npt_op *op, unsigned int level)
{
	return (op->prot & AXAS_PROT_EXEC) && level > op->npt->max_exec_level;
}

/* Table pages npt_protect_visitor() takes for a whole leaf at @level. */
static unsigned long npt_split_need_whole(const struct npt_op *op,
					  unsigned int level)
{
	if (!level || !npt_exec_split(op, level))
		return 0;
	return 1 + AXAS_NPT_PTRS * npt_split_need_whole(op, level - 1);
}

/*
 * Table pages npt_protect_visitor() takes to give [@addr, @end), the part
 * of a leaf at @level inside the range, new rights: one to split the leaf
 * when the range cuts it (or it is too large to be executable), then the
 * same for each piece inside the range, down to 4 KiB.
 */
static unsigned long npt_split_need(const struct npt_op *op,
				    unsigned int level, u64 addr, u64 end)
{
	u64 size = axas_npt_level_size(level), csize, first, last;
	unsigned long n;

	if (!level)
		return 0;
	if (IS_ALIGNED(addr, size) && end - addr == size)
		return npt_split_need_whole(op, level);
	/* Cut: the first and last pieces may be cut, those between not. */
	csize = axas_npt_level_size(level - 1);
	first = ALIGN_DOWN(addr, csize);
	last = ALIGN_DOWN(end - 1, csize);
	n = 1 + npt_split_need(op, level - 1, addr, min(first + csize, end));
	if (last == first)
		return n;
	n += ((last - first) / csize - 1) * npt_split_need_whole(op, level - 1);
	return n + npt_split_need(op, level - 1, last, end);
}

struct npt_count_data {
	const struct npt_op *op;
	unsigned long tables;
};

static int npt_protect_count_visitor(struct axas_npt_visit_ctx *ctx,
				     enum axas_npt_walk_flags visit)
{
	struct npt_count_data *cd = ctx->arg;

	if (npt_valid(ctx->npt, ctx->old) &&
	    ctx->npt->fmt->leaf_prot(ctx->old) != cd->op->prot)
		cd->tables += npt_split_need(cd->op, ctx->level, ctx->addr,
					     ctx->end);
	return 0;
}

/*
 * Allocate every table page protect's splits need, before any entry
 * changes: at most one per level at each end of the range and, when
 * execute is granted under nx_huge_pages (4 KiB executable leaves), one
 * for each 2 MiB block and 1 + 512 for each 1 GiB block whose rights
 * change, so the count grows with the range and takes a walk of it.
 */
static int npt_protect_prealloc(struct npt_op *op)
{
	struct npt_count_data cd = { .op = op };
	struct axas_npt_walker walker = {
		.cb	= npt_protect_count_visitor,
		.arg	= &cd,
		.flags	= AXAS_NPT_WALK_LEAF,
	};

	/* No block too large to be executable: only the ends can split. */
	if (!npt_exec_split(op, AXAS_NPT_MAX_LEAF_LEVEL))
		return npt_prealloc_splits(op, true);
	axas_npt_walk(op->npt, op->start, op->end - op->start, &walker);
	return npt_prealloc(op, cd.tables);
}

static int npt_protect_visitor(struct axas_npt_visit_ctx *ctx,
			       enum axas_npt_walk_flags visit)
{
	struct npt_op *op = ctx->arg;
	const struct axas_npt_fmt *fmt = op->npt->fmt;

	if (visit == AXAS_NPT_WALK_TABLE_POST) {
		if (npt_was_split(op, ctx))
			npt_link_split(op, ctx);
		return 0;
	}
	if (!npt_valid(op->npt, ctx->old))
		return 0;
	op->found = true;
	if (fmt->leaf_prot(ctx->old) == op->prot)
		return 0;
	op->changed = true;
	if (!npt_whole(ctx) || npt_exec_split(op, ctx->level)) {
		npt_split(op, ctx);
		return 0;
	}
	WRITE_ONCE(*ctx->ptep,
		   fmt->mk_leaf(axas_npt_entry_oa(fmt, ctx->old), ctx->level,
				op->prot, fmt->leaf_memtype(ctx->old)));
	return 0;
}

/**
 * axas_npt_protect() - change the permissions of every leaf in a range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB, within the GPA width.
 * @prot: New AXAS_PROT_*; write needs read.
 *
 * Holes stay holes; blocks partly inside the range are split. When @prot
 * grants execute, blocks inside the range above @npt->max_exec_level
 * (nx_huge_pages: 0) are split down to that level as well: a 1 GiB block
 * into a table of 2 MiB entries and 512 tables of 4 KiB leaves (513
 * table pages), a 2 MiB block into one table; translations stay as they
 * were, only the rights change.
 * Nothing is merged back when execute is taken away again. Every table
 * page needed is allocated, and counted against @npt->max_pages, before
 * any entry changes. The flush ops are called once when any valid entry
 * changed.
 *
 * Context: Process context, may sleep; the caller holds the lock for
 * write.
 * Return: 0; -ENOENT when nothing in the range is mapped; -ENOMEM (a table
 * page could not be allocated, or would pass @npt->max_pages) with the
 * table unchanged: no entry changed and no table page kept.
 */
int axas_npt_protect(struct axas_npt *npt, u64 gpa, u64 size,
		     unsigned int prot)
{
	struct npt_op op;
	struct axas_npt_walker walker = {
		.cb	= npt_protect_visitor,
		.arg	= &op,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_POST,
	};
	int ret;

	might_sleep();
	npt_assert_write(npt);
	npt_op_init(&op, npt, gpa, gpa + size);
	op.prot = prot;
	ret = npt_protect_prealloc(&op);
	if (ret)
		return ret;
	axas_npt_walk(npt, gpa, size, &walker);
	npt_op_finish(&op, false, NULL, NULL);
	return op.found ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_protect);

/**
 * axas_npt_lookup() - translate one guest-physical address
 * @npt: The table.
 * @gpa: Guest-physical address, any alignment, within the GPA width.
 * @leaf: Filled with the leaf mapping @gpa.
 *
 * Takes no lock: entries are read with READ_ONCE() under rcu_read_lock(),
 * and table pages outlive every walker. A lookup racing with an unmap or
 * protect of the same address sees the entry before or after it, or (on
 * arm64, while a block is being split) nothing.
 *
 * Context: Any context.
 * Return: 0, or -ENOENT when not mapped.
 */
int axas_npt_lookup(struct axas_npt *npt, u64 gpa, struct axas_npt_leaf *leaf)
{
	int ret;

	rcu_read_lock();
	ret = npt->fmt->lookup(npt, gpa, leaf);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_lookup);

/* What npt_install_visitor() returns besides errors. */
#define NPT_INSTALL_MISSING	1	/* tables missing, pool empty */
#define NPT_INSTALL_DONE	2	/* installed */

struct npt_install_data {
	unsigned int level;
	u64 leaf;
	u64 *split;
	unsigned int missing;
	struct npt_pool pool;
};

/*
 * Install the leaf (or the table of smaller leaves standing for it), and
 * the tables above it from the pool. When a table is missing and the pool
 * is empty, stop and say how many are missing: the caller allocates them
 * all before installing any, so an install that fails leaves no empty
 * table behind.
 */
static int npt_install_visitor(struct axas_npt_visit_ctx *ctx,
			       enum axas_npt_walk_flags visit)
{
	struct npt_install_data *in = ctx->arg;
	int ret;

	/* A table below the leaf's level: part of it is mapped. */
	if (visit == AXAS_NPT_WALK_TABLE_PRE)
		return ctx->level == in->level ? -EEXIST : 0;

	if (ctx->old)
		return -EEXIST;
	if (ctx->level == in->level) {
		/*
		 * Fully ordered: the frame's contents, or a split table's
		 * leaves, before the entry.
		 */
		if (cmpxchg(ctx->ptep, 0, in->leaf))
			return -EEXIST;
		in->split = NULL;	/* linked: the table's now */
		/* Do not descend into the split table just linked. */
		return NPT_INSTALL_DONE;
	}
	if (!in->pool.nr) {
		in->missing = ctx->level - in->level;
		return NPT_INSTALL_MISSING;
	}
	ret = npt_install_table(ctx, &in->pool);
	/* A racing install may have put a block here instead. */
	if (!ret && !npt_is_table(ctx->npt, READ_ONCE(*ctx->ptep), ctx->level))
		ret = -EEXIST;
	return ret;
}

/**
 * axas_npt_install() - install one leaf, for the fault path
 * @npt: The table.
 * @gpa: Guest-physical address, aligned to the leaf size, within the GPA
 *	 width.
 * @hpa: Host-physical address, aligned to the leaf size.
 * @level: Leaf level: 0 (4 KiB), 1 (2 MiB) or 2 (1 GiB), at most the
 *	   format's largest block below the root.
 * @prot: AXAS_PROT_*; write needs read.
 * @mt: Memory type.
 *
 * Missing tables and the leaf are installed with cmpxchg, so installs of
 * any addresses may run concurrently with each other and with lookups;
 * a table page that loses a race is freed. The leaf's cmpxchg is fully
 * ordered: the caller's writes to the frame come before it. An entry
 * that is already present is never replaced, so a duplicate fault cannot
 * swap out a frame that already holds data.
 *
 * An executable 2 MiB leaf above @npt->max_exec_level (nx_huge_pages) is
 * installed as a table of 512 4 KiB leaves mapping the same frame, built
 * offline and linked with the one cmpxchg a leaf would take.
 *
 * Context: Process context, may sleep; the caller holds the lock for read
 * (or write).
 * Return: 0 when this call installed the leaf; -EEXIST when an entry (a
 * leaf, a block above it or a table below it) is already there and the
 * caller keeps its frame; -ENOMEM, with nothing installed; -EINVAL for an
 * executable 1 GiB leaf under nx_huge_pages (no caller asks for one).
 */
int axas_npt_install(struct axas_npt *npt, u64 gpa, phys_addr_t hpa,
		     unsigned int level, unsigned int prot,
		     enum axas_memtype mt)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	struct npt_install_data in = { .level = level };
	struct axas_npt_walker walker = {
		.cb	= npt_install_visitor,
		.arg	= &in,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_PRE,
	};
	u64 size = axas_npt_level_size(level);
	unsigned int i;
	int ret;

	might_sleep();
	if ((prot & AXAS_PROT_EXEC) && level > npt->max_exec_level) {
		if (WARN_ON_ONCE(level != npt->max_exec_level + 1))
			return -EINVAL;
		in.split = npt_alloc_table(npt, 0);
		if (!in.split)
			return -ENOMEM;
		for (i = 0; i < AXAS_NPT_PTRS; i++)
			in.split[i] = fmt->mk_leaf(hpa + i * (size / AXAS_NPT_PTRS),
						   level - 1, prot, mt);
		in.leaf = fmt->mk_table(virt_to_phys(in.split));
	} else {
		in.leaf = fmt->mk_leaf(hpa, level, prot, mt);
	}
	/* Tables are only added under the shared lock: this ends. */
	while ((ret = axas_npt_walk(npt, gpa, size, &walker)) ==
	       NPT_INSTALL_MISSING) {
		while (in.pool.nr < in.missing) {
			u64 *table = npt_alloc_table(npt, 0);

			if (!table) {
				ret = -ENOMEM;
				goto out;
			}
			in.pool.tables[in.pool.nr++] = table;
		}
	}
	if (ret == NPT_INSTALL_DONE)
		ret = 0;
out:
	npt_pool_drain(npt, &in.pool);
	if (in.split)			/* never linked: no walker saw it */
		npt_free_table_now(npt, in.split);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_install);

/**
 * axas_npt_fault_flush() - let the guest see a leaf a fault found or made
 * @npt: The table.
 * @gpa: The faulting guest-physical address, within the GPA width.
 *
 * For formats whose hardware may keep using a cached invalid entry
 * (&axas_npt_fmt.flush_new_leaf: RISC-V without Svvptc), flush the range
 * of the leaf mapping @gpa, or its 4 KiB page when none does any more;
 * otherwise do nothing. Without it, a fault resolved as "resume" could
 * fault again for ever.
 *
 * Context: Process context; the caller holds the lock for read (or write).
 */
void axas_npt_fault_flush(struct axas_npt *npt, u64 gpa)
{
	struct axas_npt_leaf leaf;

	if (!npt->fmt->flush_new_leaf)
		return;
	npt_assert_held(npt);
	if (axas_npt_lookup(npt, gpa, &leaf))
		leaf.size = AXAS_NPT_GRANULE;
	npt_flush(npt, ALIGN_DOWN(gpa, leaf.size), leaf.size, false);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_fault_flush);

struct npt_leaves_data {
	axas_npt_leaves_fn fn;
	void *arg;
};

static int npt_leaves_visitor(struct axas_npt_visit_ctx *ctx,
			      enum axas_npt_walk_flags visit)
{
	struct npt_leaves_data *ld = ctx->arg;
	const struct axas_npt_fmt *fmt = ctx->npt->fmt;
	struct axas_npt_leaf leaf;

	if (!npt_valid(ctx->npt, ctx->old))
		return 0;
	leaf.size = axas_npt_level_size(ctx->level);
	leaf.level = ctx->level;
	leaf.hpa = axas_npt_entry_oa(fmt, ctx->old);
	leaf.prot = fmt->leaf_prot(ctx->old);
	leaf.mt = fmt->leaf_memtype(ctx->old);
	return ld->fn(ld->arg, ctx->addr, &leaf);
}

/**
 * axas_npt_leaves() - visit every valid leaf, in GPA order
 * @npt: The table.
 * @fn: Called with each leaf, decoded.
 * @arg: Argument of @fn.
 *
 * Context: Process context, may sleep; the caller holds the lock (read is
 * enough: concurrent installs may or may not be seen).
 * Return: 0, or the first non-zero value @fn returned.
 */
int axas_npt_leaves(struct axas_npt *npt, axas_npt_leaves_fn fn, void *arg)
{
	struct npt_leaves_data ld = { .fn = fn, .arg = arg };
	struct axas_npt_walker walker = {
		.cb	= npt_leaves_visitor,
		.arg	= &ld,
		.flags	= AXAS_NPT_WALK_LEAF,
	};

	return axas_npt_walk(npt, 0, BIT_ULL(npt->gpa_bits), &walker);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_leaves);

struct npt_dump_data {
	axas_npt_dump_fn fn;
	void *arg;
};

static int npt_dump_visitor(struct axas_npt_visit_ctx *ctx,
			    enum axas_npt_walk_flags visit)
{
	struct npt_dump_data *dd = ctx->arg;

	return dd->fn(dd->arg, virt_to_phys(ctx->child),
		      ALIGN_DOWN(ctx->addr, axas_npt_level_size(ctx->level)),
		      ctx->level - 1, AXAS_NPT_PTRS, ctx->child);
}

/**
 * axas_npt_dump() - visit every table page, root first
 * @npt: The table.
 * @fn: Called for each table page with the GPA it translates, parents
 *	before children, in address order.
 * @arg: Argument of @fn.
 *
 * Context: Process context; @fn may sleep. The caller holds the lock
 * (read is enough: concurrent installs may or may not be seen).
 * Return: 0, or the first non-zero value @fn returned.
 */
int axas_npt_dump(struct axas_npt *npt, axas_npt_dump_fn fn, void *arg)
{
	struct npt_dump_data dd = { .fn = fn, .arg = arg };
	struct axas_npt_walker walker = {
		.cb	= npt_dump_visitor,
		.arg	= &dd,
		.flags	= AXAS_NPT_WALK_TABLE_PRE,
	};
	unsigned int level = axas_npt_root_level(npt);
	int ret;

	npt_assert_held(npt);
	ret = fn(arg, npt->root_pa, 0, level, axas_npt_nr_entries(npt, level),
		 axas_npt_deref(npt, npt->root));
	return ret ?: axas_npt_walk(npt, 0, BIT_ULL(npt->gpa_bits), &walker);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_dump);

/**
 * axas_npt_root_info() - what the hardware needs to walk the table
 * @npt: The table.
 * @info: Filled in: the generic fields here, the register values by the
 *	  format.
 *
 * Context: Any context.
 */
void axas_npt_root_info(const struct axas_npt *npt,
			struct axas_root_info *info)
{
	memset(info, 0, sizeof(*info));
	info->format = npt->fmt->id;
	info->levels = npt->levels;
	info->gpa_bits = npt->gpa_bits;
	info->root_pa = npt->root_pa;
	info->root_pages = 1U << npt->root_order;
	npt->fmt->root_info(npt, info);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_root_info);
