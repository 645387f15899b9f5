// SPDX-License-Identifier: GPL-2.0
/*
 * axas generic stage-2 page-table code: the format registry and the one
 * walker every format shares.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/vmstat.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

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
 * x86-64 hosts use 4-level EPT (5-level only when the guest needs more
 * than 48 bits), arm64 hosts stage 2, and RISC-V hosts Sv48x4, the mode
 * KVM uses when the host does not offer Sv57x4.
 *
 * Return: the native format, or %AXAS_FORMAT_DEFAULT on any other host.
 */
enum axas_format axas_npt_native_format(void)
{
	if (IS_ENABLED(CONFIG_X86_64))
		return AXAS_FORMAT_X86_EPT4;
	if (IS_ENABLED(CONFIG_ARM64))
		return AXAS_FORMAT_ARM64_S2;
	if (IS_ENABLED(CONFIG_RISCV))
		return AXAS_FORMAT_RISCV_SV48X4;
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
 * The engine. Removing entries takes two passes so that one TLB flush
 * serves the whole operation and nothing is reused before it:
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
 * Formats that need break-before-make to split a block (arm64) leave the
 * block's entry invalid during pass 1 and write the new table after the
 * flush, so a concurrent lookup of the part that stays mapped may miss it
 * until the operation returns.
 */

#define NPT_PTRS		512
#define NPT_MAX_SPLIT		(2 * AXAS_NPT_MAX_LEAF_LEVEL)

static inline u64 npt_size(unsigned int level)
{
	return 1ULL << axas_npt_level_shift(level);
}

static inline unsigned int npt_root_level(const struct axas_npt *npt)
{
	return npt->levels - 1;
}

static unsigned int npt_nr_entries(const struct axas_npt *npt,
				   unsigned int level)
{
	if (level == npt_root_level(npt))
		return 1U << (npt->gpa_bits - axas_npt_level_shift(level));
	return NPT_PTRS;
}

static unsigned int npt_index(const struct axas_npt *npt, u64 gpa,
			      unsigned int level)
{
	return (gpa >> axas_npt_level_shift(level)) &
	       (npt_nr_entries(npt, level) - 1);
}

/*
 * The lookup path's decoders, called directly for the known formats: with
 * retpolines an indirect call per level costs more than the walk itself.
 */
static inline bool npt_dec_is_table(const struct axas_npt_fmt *fmt, u64 e,
				    unsigned int level)
{
	return INDIRECT_CALL_3(fmt->entry_is_table, axas_ept_entry_is_table,
			       axas_s2_entry_is_table,
			       axas_gstage_entry_is_table, e, level);
}

static inline phys_addr_t npt_dec_oa(const struct axas_npt_fmt *fmt, u64 e,
				     unsigned int level)
{
	return INDIRECT_CALL_3(fmt->entry_oa, axas_ept_entry_oa,
			       axas_s2_entry_oa, axas_gstage_entry_oa, e,
			       level);
}

static inline unsigned int npt_dec_prot(const struct axas_npt_fmt *fmt,
					u64 e)
{
	return INDIRECT_CALL_3(fmt->leaf_prot, axas_ept_leaf_prot,
			       axas_s2_leaf_prot, axas_gstage_leaf_prot, e);
}

static inline enum axas_npt_memtype
npt_dec_memtype(const struct axas_npt_fmt *fmt, u64 e)
{
	return INDIRECT_CALL_3(fmt->leaf_memtype, axas_ept_leaf_memtype,
			       axas_s2_leaf_memtype, axas_gstage_leaf_memtype,
			       e);
}

static inline bool npt_valid(const struct axas_npt *npt, u64 ent)
{
	return ent & npt->fmt->valid_mask;
}

/* @ent must be valid. */
static inline bool npt_is_table(const struct axas_npt *npt, u64 ent,
				unsigned int level)
{
	return level && npt_dec_is_table(npt->fmt, ent, level);
}

static inline u64 *npt_table_va(const struct axas_npt *npt, u64 ent,
				unsigned int level)
{
	return phys_to_virt(npt_dec_oa(npt->fmt, ent, level));
}

/* Publish an entry whose table a lockless walker may follow at once. */
static inline void npt_publish(u64 *ptep, u64 val)
{
	/* Order the table's contents before the entry; walkers depend on it. */
	smp_wmb();
	WRITE_ONCE(*ptep, val);
}

static u64 *npt_alloc_table(struct axas_npt *npt, unsigned int order)
{
	struct page *page;

	atomic_inc(&npt->alloc_calls);
	if (npt->fail_nth && !--npt->fail_nth)
		return NULL;
	page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, order);
	if (!page)
		return NULL;
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, 1 << order);
	atomic_add(1 << order, &npt->nr_pages);
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

static void npt_flush(struct axas_npt *npt, u64 gpa, u64 size)
{
	const struct axas_flush_ops *ops = npt->flush_ops;

	if (!ops)
		return;
	if (ops->flush_range)
		ops->flush_range(npt->flush_cookie, gpa, size);
	else if (ops->flush_all)
		ops->flush_all(npt->flush_cookie);
}

static bool npt_prot_ok(unsigned int prot)
{
	if (!prot || (prot & ~AXAS_NPT_PROT_RWX))
		return false;
	/* Write-only is reserved on RISC-V and a misconfiguration in EPT. */
	return !(prot & AXAS_NPT_PROT_W) || (prot & AXAS_NPT_PROT_R);
}

static int npt_check_range(const struct axas_npt *npt, u64 gpa, u64 size)
{
	if (!size || !IS_ALIGNED(gpa | size, AXAS_NPT_GRANULE) ||
	    gpa + size < gpa)
		return -EINVAL;
	if (gpa + size > BIT_ULL(npt->gpa_bits))
		return -ERANGE;
	return 0;
}

/*
 * Report every leaf of a table nobody can reach any more, valid or dead,
 * and free the table and its children.
 */
static void npt_free_subtree(struct axas_npt *npt, u64 *table,
			     unsigned int level, u64 base,
			     axas_npt_leaf_fn fn, void *arg)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	u64 size = npt_size(level);
	unsigned int i;

	for (i = 0; i < npt_nr_entries(npt, level); i++) {
		u64 ent = table[i];
		u64 gpa = base + i * size;

		if (!ent)
			continue;
		if (npt_valid(npt, ent) && npt_is_table(npt, ent, level))
			npt_free_subtree(npt, npt_table_va(npt, ent, level),
					 level - 1, gpa, fn, arg);
		else if (fn)
			fn(arg, gpa, fmt->entry_oa(ent, level), size);
	}
	if (level != npt_root_level(npt))
		npt_free_table_rcu(npt, table, 0);
	cond_resched();
}

struct npt_bbm {
	u64 *ptep;
	u64 val;
};

/* One map, unmap or protect operation. */
struct npt_op {
	struct axas_npt *npt;
	u64 start;
	u64 end;
	unsigned int prot;
	bool found;
	bool changed;
	unsigned int nr_prealloc;
	unsigned int nr_bbm;
	u64 *prealloc[NPT_MAX_SPLIT];
	struct npt_bbm bbm[2];
	struct list_head detached;
};

static void npt_op_init(struct npt_op *op, struct axas_npt *npt, u64 start,
			u64 end)
{
	memset(op, 0, sizeof(*op));
	op->npt = npt;
	op->start = start;
	op->end = end;
	INIT_LIST_HEAD(&op->detached);
}

/* Find the valid leaf mapping @gpa, if any. Caller excludes writers. */
static bool npt_find_leaf(struct axas_npt *npt, u64 gpa, unsigned int *level,
			  u64 *entp)
{
	u64 *table = npt->root;
	unsigned int l;

	for (l = npt_root_level(npt); ; l--) {
		u64 ent = READ_ONCE(table[npt_index(npt, gpa, l)]);

		if (!npt_valid(npt, ent))
			return false;
		if (!npt_is_table(npt, ent, l)) {
			*level = l;
			*entp = ent;
			return true;
		}
		table = npt_table_va(npt, ent, l);
	}
}

/*
 * Allocate the tables needed to split the blocks that straddle either end
 * of the range, so that nothing can fail once entries change.
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
		while (level && !IS_ALIGNED(bounds[i], npt_size(level))) {
			n++;
			level--;
		}
	}
	while (op->nr_prealloc < n) {
		u64 *table = npt_alloc_table(npt, 0);

		if (!table) {
			while (op->nr_prealloc) {
				table = op->prealloc[--op->nr_prealloc];
				npt_free_table_now(npt, table);
			}
			return -ENOMEM;
		}
		op->prealloc[op->nr_prealloc++] = table;
	}
	return 0;
}

/* Build, offline, a table of the next level that maps what @ent maps. */
static u64 *npt_split(struct npt_op *op, u64 ent, unsigned int level)
{
	const struct axas_npt_fmt *fmt = op->npt->fmt;
	phys_addr_t oa = fmt->entry_oa(ent, level);
	unsigned int prot = fmt->leaf_prot(ent);
	enum axas_npt_memtype mt = fmt->leaf_memtype(ent);
	u64 size = npt_size(level - 1);
	unsigned int i;
	u64 *table;

	if (WARN_ON_ONCE(!op->nr_prealloc))
		return NULL;
	table = op->prealloc[--op->nr_prealloc];
	for (i = 0; i < NPT_PTRS; i++)
		table[i] = fmt->mk_leaf(oa + i * size, level - 1, prot, mt);
	return table;
}

static void npt_link_split(struct npt_op *op, u64 *ptep, u64 *table,
			   bool live)
{
	const struct axas_npt_fmt *fmt = op->npt->fmt;
	u64 val = fmt->mk_table(virt_to_phys(table));

	if (live && fmt->split_bbm &&
	    !WARN_ON_ONCE(op->nr_bbm >= ARRAY_SIZE(op->bbm))) {
		WRITE_ONCE(*ptep, 0);
		op->bbm[op->nr_bbm].ptep = ptep;
		op->bbm[op->nr_bbm].val = val;
		op->nr_bbm++;
		return;
	}
	npt_publish(ptep, val);
}

/* True when @table holds no valid entry and no split waits to land in it. */
static bool npt_table_dead(struct npt_op *op, u64 *table)
{
	unsigned int i;

	for (i = 0; i < op->nr_bbm; i++)
		if (op->bbm[i].ptep >= table &&
		    op->bbm[i].ptep < table + NPT_PTRS)
			return false;
	for (i = 0; i < NPT_PTRS; i++)
		if (npt_valid(op->npt, READ_ONCE(table[i])))
			return false;
	return true;
}

static void npt_detach(struct npt_op *op, u64 *ptep, u64 *table,
		       unsigned int level, u64 base)
{
	struct page *page = virt_to_page(table);

	WRITE_ONCE(*ptep, 0);
	/* @base is 2 MiB aligned at least: the low bits hold the level. */
	set_page_private(page, base | level);
	list_add_tail(&page->lru, &op->detached);
	op->changed = true;
}

/* Pass 1 of unmap: see the comment at the top of the engine. */
static void npt_unmap_walk(struct npt_op *op, u64 *table, unsigned int level,
			   u64 start, u64 end, bool live)
{
	struct axas_npt *npt = op->npt;
	u64 size = npt_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 base = ALIGN_DOWN(addr, size);
		u64 *ptep = &table[npt_index(npt, addr, level)];
		u64 ent = READ_ONCE(*ptep);
		bool whole;
		u64 *child;

		next = min(base + size, end);
		whole = addr == base && next == base + size;
		if (!npt_valid(npt, ent))
			continue;
		if (npt_is_table(npt, ent, level)) {
			child = npt_table_va(npt, ent, level);
			if (!whole) {
				npt_unmap_walk(op, child, level - 1, addr,
					       next, live);
				if (!npt_table_dead(op, child))
					continue;
			} else {
				/* Only the root may be an empty table. */
				op->found = true;
			}
			npt_detach(op, ptep, child, level - 1, base);
			continue;
		}
		op->found = true;
		op->changed = true;
		if (whole) {
			WRITE_ONCE(*ptep, ent & ~npt->fmt->valid_mask);
			continue;
		}
		child = npt_split(op, ent, level);
		if (!child)
			continue;
		npt_unmap_walk(op, child, level - 1, addr, next, false);
		npt_link_split(op, ptep, child, live);
	}
}

/* Pass 2 of unmap: report and clear the dead entries in [start, end). */
static void npt_reap_walk(struct npt_op *op, u64 *table, unsigned int level,
			  u64 start, u64 end, axas_npt_leaf_fn fn, void *arg)
{
	struct axas_npt *npt = op->npt;
	u64 size = npt_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 base = ALIGN_DOWN(addr, size);
		u64 *ptep = &table[npt_index(npt, addr, level)];
		u64 ent = READ_ONCE(*ptep);

		next = min(base + size, end);
		if (!ent)
			continue;
		if (npt_valid(npt, ent)) {
			if (npt_is_table(npt, ent, level))
				npt_reap_walk(op, npt_table_va(npt, ent, level),
					      level - 1, addr, next, fn, arg);
			continue;
		}
		if (fn)
			fn(arg, base, npt->fmt->entry_oa(ent, level), size);
		WRITE_ONCE(*ptep, 0);
	}
}

/* Flush once, then make what was broken, report and free. */
static void npt_op_finish(struct npt_op *op, bool reap, axas_npt_leaf_fn fn,
			  void *arg)
{
	struct axas_npt *npt = op->npt;
	struct page *page, *tmp;
	unsigned int i;

	if (op->changed)
		npt_flush(npt, op->start, op->end - op->start);
	for (i = 0; i < op->nr_bbm; i++)
		npt_publish(op->bbm[i].ptep, op->bbm[i].val);
	if (reap && op->changed)
		npt_reap_walk(op, npt->root, npt_root_level(npt), op->start,
			      op->end, fn, arg);
	list_for_each_entry_safe(page, tmp, &op->detached, lru) {
		unsigned long priv = page_private(page);

		list_del(&page->lru);
		npt_free_subtree(npt, page_address(page), priv & 7,
				 priv & ~7UL, fn, arg);
	}
	while (op->nr_prealloc)
		npt_free_table_now(npt, op->prealloc[--op->nr_prealloc]);
}

/* True when a valid leaf maps anything in [start, end). */
static bool npt_range_has_leaf(struct axas_npt *npt, u64 *table,
			       unsigned int level, u64 start, u64 end)
{
	u64 size = npt_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 ent = READ_ONCE(table[npt_index(npt, addr, level)]);

		next = min(ALIGN_DOWN(addr, size) + size, end);
		if (!npt_valid(npt, ent))
			continue;
		if (!npt_is_table(npt, ent, level))
			return true;
		if (npt_range_has_leaf(npt, npt_table_va(npt, ent, level),
				       level - 1, addr, next))
			return true;
	}
	return false;
}

struct npt_pool {
	unsigned int nr;
	u64 *tables[AXAS_NPT_MAX_LEVELS];
};

/*
 * Walk to @gpa's entry at @level, installing missing tables with cmpxchg
 * from @pool, or freshly allocated when @pool runs dry. A block above
 * @level gives -EEXIST.
 */
static u64 *npt_walk_create(struct axas_npt *npt, u64 gpa, unsigned int level,
			    struct npt_pool *pool)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	u64 *table = npt->root;
	unsigned int l = npt_root_level(npt);

	while (l > level) {
		u64 *ptep = &table[npt_index(npt, gpa, l)];
		u64 ent = READ_ONCE(*ptep);

		if (!ent) {
			u64 *new, val, old;

			new = pool->nr ? pool->tables[--pool->nr] :
					 npt_alloc_table(npt, 0);
			if (!new)
				return ERR_PTR(-ENOMEM);
			val = fmt->mk_table(virt_to_phys(new));
			/* Fully ordered: the zeroed table before the entry. */
			old = cmpxchg(ptep, 0, val);
			if (old) {
				/* Lost a race: keep the page for later. */
				pool->tables[pool->nr++] = new;
				continue;
			}
			ent = val;
		}
		if (!npt_valid(npt, ent) || !npt_is_table(npt, ent, l))
			return ERR_PTR(-EEXIST);
		table = npt_table_va(npt, ent, l);
		l--;
	}
	return &table[npt_index(npt, gpa, level)];
}

static void npt_pool_drain(struct axas_npt *npt, struct npt_pool *pool)
{
	while (pool->nr)
		npt_free_table_now(npt, pool->tables[--pool->nr]);
}

/* Undo a partial axas_npt_map() of [start, end): all of it was empty. */
static void npt_map_rollback(struct axas_npt *npt, u64 start, u64 end)
{
	struct npt_op op;

	npt_op_init(&op, npt, start, end);
	npt_unmap_walk(&op, npt->root, npt_root_level(npt), start, end, true);
	npt_op_finish(&op, true, NULL, NULL);
}

static unsigned int npt_pick_level(const struct axas_npt *npt, u64 gpa,
				   phys_addr_t hpa, u64 size)
{
	unsigned int level = min_t(unsigned int, npt->fmt->max_leaf_level,
				   npt_root_level(npt));

	for (; level; level--) {
		u64 bsize = npt_size(level);

		if (IS_ALIGNED(gpa | hpa, bsize) && size >= bsize)
			break;
	}
	return level;
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
	unsigned int lv, top;

	if (!gpa_bits)
		gpa_bits = fmt->gpa_bits;
	if (gpa_bits < fmt->min_gpa_bits || gpa_bits > fmt->gpa_bits)
		return -EINVAL;
	lv = fmt->levels_for ? fmt->levels_for(gpa_bits) : fmt->levels;
	if (!lv || lv > AXAS_NPT_MAX_LEVELS)
		return -EINVAL;
	top = axas_npt_level_shift(lv - 1);
	if (gpa_bits <= top)
		return -EINVAL;
	top += 9;
	*root_order = gpa_bits > top ? gpa_bits - top : 0;
	if (*root_order > AXAS_NPT_MAX_ROOT_ORDER)
		return -EINVAL;
	*levels = lv;
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
 * caller's memory cgroup and counted as secondary page tables.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL for a width the format cannot map, or -ENOMEM.
 */
int axas_npt_init(struct axas_npt *npt, const struct axas_npt_fmt *fmt,
		  unsigned int gpa_bits, const struct axas_flush_ops *ops,
		  void *cookie)
{
	unsigned int levels, order;
	int ret;

	memset(npt, 0, sizeof(*npt));
	ret = axas_npt_geometry(fmt, gpa_bits, &levels, &order);
	if (ret)
		return ret;
	npt->fmt = fmt;
	npt->levels = levels;
	npt->gpa_bits = gpa_bits ?: fmt->gpa_bits;
	npt->root_order = order;
	npt->flush_ops = ops;
	npt->flush_cookie = cookie;
	npt->root = npt_alloc_table(npt, order);
	if (!npt->root)
		return -ENOMEM;
	npt->root_pa = virt_to_phys(npt->root);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_init);

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
	const struct axas_flush_ops *ops = npt->flush_ops;
	unsigned int level = npt_root_level(npt);
	unsigned int i;

	might_sleep();
	if (!npt->root)
		return;
	for (i = 0; i < npt_nr_entries(npt, level); i++) {
		if (npt->root[i]) {
			if (ops && ops->flush_all)
				ops->flush_all(npt->flush_cookie);
			else
				npt_flush(npt, 0, BIT_ULL(npt->gpa_bits));
			break;
		}
	}
	npt_free_subtree(npt, npt->root, level, 0, fn, arg);
	npt_free_table_rcu(npt, npt->root, npt->root_order);
	npt->root = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_destroy);

/**
 * axas_npt_map() - map a GPA range to an HPA range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @hpa: Host-physical address it maps to, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB.
 * @prot: AXAS_NPT_PROT_*; write needs read.
 * @mt: Memory type.
 *
 * Uses the largest block (1 GiB, 2 MiB, 4 KiB) that the alignment of the
 * GPA, the HPA and the remaining size allow. No TLB flush is needed, as
 * only invalid entries change; a failure flushes if it had to undo
 * anything.
 *
 * Context: Process context, may sleep; the caller excludes every other
 * writer of the table.
 * Return: 0; -EINVAL for a bad alignment, size, @prot or @mt; -ERANGE when
 * the range passes the format's GPA width or the HPA its output width;
 * -EEXIST when anything in the range is mapped; -ENOMEM. On error the
 * table is as before.
 */
int axas_npt_map(struct axas_npt *npt, u64 gpa, phys_addr_t hpa, u64 size,
		 unsigned int prot, enum axas_npt_memtype mt)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	struct npt_pool pool = {};
	u64 end = gpa + size;
	u64 addr;
	int ret;

	might_sleep();
	ret = npt_check_range(npt, gpa, size);
	if (ret)
		return ret;
	if (!IS_ALIGNED(hpa, AXAS_NPT_GRANULE) || hpa + size < hpa ||
	    !npt_prot_ok(prot) ||
	    (mt != AXAS_NPT_MT_NORMAL && mt != AXAS_NPT_MT_DEVICE))
		return -EINVAL;
	if (hpa + size > BIT_ULL(fmt->oa_bits))
		return -ERANGE;
	if (npt_range_has_leaf(npt, npt->root, npt_root_level(npt), gpa, end))
		return -EEXIST;

	for (addr = gpa; addr < end; ) {
		unsigned int level = npt_pick_level(npt, addr, hpa, end - addr);
		u64 *ptep;

		cond_resched();
		ptep = npt_walk_create(npt, addr, level, &pool);

		if (IS_ERR(ptep) || WARN_ON_ONCE(READ_ONCE(*ptep))) {
			ret = IS_ERR(ptep) ? PTR_ERR(ptep) : -EEXIST;
			npt_pool_drain(npt, &pool);
			npt_map_rollback(npt, gpa, addr + npt_size(level));
			return ret;
		}
		WRITE_ONCE(*ptep, fmt->mk_leaf(hpa, level, prot, mt));
		addr += npt_size(level);
		hpa += npt_size(level);
	}
	npt_pool_drain(npt, &pool);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_map);

/**
 * axas_npt_unmap() - remove every mapping in a GPA range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB.
 * @fn: Told about every removed leaf, or part of a block, after the TLB
 *	flush, so the frame may be freed at once; may be NULL.
 * @arg: Argument of @fn.
 *
 * A block only partly inside the range is split; tables left empty are
 * freed after an RCU grace period. The flush ops are called once when
 * anything was removed.
 *
 * Context: Process context, may sleep; the caller excludes every other
 * writer of the table.
 * Return: 0; -EINVAL or -ERANGE for a bad range; -ENOENT when nothing in
 * the range was mapped; -ENOMEM when a block could not be split, with the
 * table unchanged.
 */
int axas_npt_unmap(struct axas_npt *npt, u64 gpa, u64 size,
		   axas_npt_leaf_fn fn, void *arg)
{
	struct npt_op op;
	int ret;

	might_sleep();
	ret = npt_check_range(npt, gpa, size);
	if (ret)
		return ret;
	npt_op_init(&op, npt, gpa, gpa + size);
	ret = npt_prealloc_splits(&op, false);
	if (ret)
		return ret;
	npt_unmap_walk(&op, npt->root, npt_root_level(npt), op.start, op.end,
		       true);
	npt_op_finish(&op, true, fn, arg);
	return op.found ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_unmap);

static void npt_protect_walk(struct npt_op *op, u64 *table,
			     unsigned int level, u64 start, u64 end, bool live)
{
	struct axas_npt *npt = op->npt;
	const struct axas_npt_fmt *fmt = npt->fmt;
	u64 size = npt_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 base = ALIGN_DOWN(addr, size);
		u64 *ptep = &table[npt_index(npt, addr, level)];
		u64 ent = READ_ONCE(*ptep);
		u64 *child;

		next = min(base + size, end);
		if (!npt_valid(npt, ent))
			continue;
		if (npt_is_table(npt, ent, level)) {
			npt_protect_walk(op, npt_table_va(npt, ent, level),
					 level - 1, addr, next, live);
			continue;
		}
		op->found = true;
		if (fmt->leaf_prot(ent) == op->prot)
			continue;
		op->changed = true;
		if (addr == base && next == base + size) {
			WRITE_ONCE(*ptep, fmt->mk_leaf(fmt->entry_oa(ent, level),
						       level, op->prot,
						       fmt->leaf_memtype(ent)));
			continue;
		}
		child = npt_split(op, ent, level);
		if (!child)
			continue;
		npt_protect_walk(op, child, level - 1, addr, next, false);
		npt_link_split(op, ptep, child, live);
	}
}

/**
 * axas_npt_protect() - change the permissions of every leaf in a range
 * @npt: The table.
 * @gpa: First guest-physical address, 4 KiB aligned.
 * @size: Bytes, a non-zero multiple of 4 KiB.
 * @prot: New AXAS_NPT_PROT_*; write needs read.
 *
 * Holes stay holes; blocks partly inside the range are split. The flush
 * ops are called once when any valid entry changed.
 *
 * Context: Process context, may sleep; the caller excludes every other
 * writer of the table.
 * Return: 0; -EINVAL or -ERANGE for a bad range or @prot; -ENOENT when
 * nothing in the range is mapped; -ENOMEM with the table unchanged.
 */
int axas_npt_protect(struct axas_npt *npt, u64 gpa, u64 size,
		     unsigned int prot)
{
	struct npt_op op;
	int ret;

	might_sleep();
	ret = npt_check_range(npt, gpa, size);
	if (ret)
		return ret;
	if (!npt_prot_ok(prot))
		return -EINVAL;
	npt_op_init(&op, npt, gpa, gpa + size);
	op.prot = prot;
	ret = npt_prealloc_splits(&op, true);
	if (ret)
		return ret;
	npt_protect_walk(&op, npt->root, npt_root_level(npt), op.start,
			 op.end, true);
	npt_op_finish(&op, false, NULL, NULL);
	return op.found ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_protect);

/**
 * axas_npt_lookup() - translate one guest-physical address
 * @npt: The table.
 * @gpa: Guest-physical address, any alignment.
 * @leaf: Filled with the leaf mapping @gpa.
 *
 * Takes no lock: entries are read with READ_ONCE() under rcu_read_lock(),
 * and table pages outlive every walker. A lookup racing with an unmap or
 * protect of the same address sees the entry before or after it, or (on
 * arm64, while a block is being split) nothing.
 *
 * Context: Any context.
 * Return: 0, -ERANGE beyond the GPA width, or -ENOENT when not mapped.
 */
int axas_npt_lookup(struct axas_npt *npt, u64 gpa, struct axas_npt_leaf *leaf)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	unsigned int level;
	u64 *table;
	int ret = -ENOENT;

	if (gpa >= BIT_ULL(npt->gpa_bits))
		return -ERANGE;
	rcu_read_lock();
	table = npt->root;
	for (level = npt_root_level(npt); ; level--) {
		u64 ent = READ_ONCE(table[npt_index(npt, gpa, level)]);

		if (!npt_valid(npt, ent))
			break;
		if (npt_is_table(npt, ent, level)) {
			table = npt_table_va(npt, ent, level);
			continue;
		}
		leaf->size = npt_size(level);
		leaf->level = level;
		leaf->hpa = npt_dec_oa(fmt, ent, level) +
			    (gpa & (leaf->size - 1));
		leaf->prot = npt_dec_prot(fmt, ent);
		leaf->mt = npt_dec_memtype(fmt, ent);
		ret = 0;
		break;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_lookup);

static unsigned int npt_missing_tables(struct axas_npt *npt, u64 gpa,
				       unsigned int level)
{
	u64 *table = npt->root;
	unsigned int l;

	for (l = npt_root_level(npt); l > level; l--) {
		u64 ent = READ_ONCE(table[npt_index(npt, gpa, l)]);

		if (!npt_valid(npt, ent))
			return l - level;
		if (!npt_is_table(npt, ent, l))
			return 0;
		table = npt_table_va(npt, ent, l);
	}
	return 0;
}

/**
 * axas_npt_install() - install one leaf, for the fault path
 * @npt: The table.
 * @gpa: Guest-physical address, aligned to the leaf size.
 * @hpa: Host-physical address, aligned to the leaf size.
 * @level: Leaf level: 0 (4 KiB), 1 (2 MiB) or 2 (1 GiB).
 * @prot: AXAS_NPT_PROT_*; write needs read.
 * @mt: Memory type.
 *
 * Missing tables and the leaf are installed with cmpxchg, so installs of
 * any addresses may run concurrently with each other and with lookups;
 * a table page that loses a race is freed. An entry that is already
 * present is never replaced, so a duplicate fault cannot swap out a frame
 * that already holds data.
 *
 * Context: Process context, may sleep; the caller excludes map, unmap and
 * protect (holds its lock shared).
 * Return: 0 when this call installed the leaf; -EEXIST when an entry (a
 * leaf, a block above it or a table below it) is already there and the
 * caller keeps its frame; -EINVAL, -ERANGE for bad arguments; -ENOMEM,
 * with nothing installed.
 */
int axas_npt_install(struct axas_npt *npt, u64 gpa, phys_addr_t hpa,
		     unsigned int level, unsigned int prot,
		     enum axas_npt_memtype mt)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	struct npt_pool pool = {};
	unsigned int n;
	u64 size;
	u64 *ptep;
	int ret;

	might_sleep();
	if (level > min_t(unsigned int, fmt->max_leaf_level,
			  npt_root_level(npt)))
		return -EINVAL;
	size = npt_size(level);
	ret = npt_check_range(npt, gpa, size);
	if (ret)
		return ret;
	if (!IS_ALIGNED(gpa | hpa, size) || !npt_prot_ok(prot) ||
	    (mt != AXAS_NPT_MT_NORMAL && mt != AXAS_NPT_MT_DEVICE))
		return -EINVAL;
	if (hpa > BIT_ULL(fmt->oa_bits) - size)
		return -ERANGE;

	n = npt_missing_tables(npt, gpa, level);
	while (pool.nr < n) {
		u64 *table = npt_alloc_table(npt, 0);

		if (!table) {
			npt_pool_drain(npt, &pool);
			return -ENOMEM;
		}
		pool.tables[pool.nr++] = table;
	}
	/* Tables are only ever added under a shared lock: the pool suffices. */
	ptep = npt_walk_create(npt, gpa, level, &pool);
	if (IS_ERR(ptep))
		ret = PTR_ERR(ptep);
	else if (cmpxchg(ptep, 0, fmt->mk_leaf(hpa, level, prot, mt)))
		ret = -EEXIST;
	npt_pool_drain(npt, &pool);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_install);

static int npt_dump_walk(struct axas_npt *npt, u64 *table, unsigned int level,
			 axas_npt_dump_fn fn, void *arg)
{
	unsigned int i, nr = npt_nr_entries(npt, level);
	int ret;

	ret = fn(arg, virt_to_phys(table), level, nr, table);
	if (ret || !level)
		return ret;
	for (i = 0; i < nr; i++) {
		u64 ent = READ_ONCE(table[i]);

		if (!npt_valid(npt, ent) || !npt_is_table(npt, ent, level))
			continue;
		ret = npt_dump_walk(npt, npt_table_va(npt, ent, level),
				    level - 1, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * axas_npt_dump() - visit every table page, root first
 * @npt: The table.
 * @fn: Called for each table page, parents before children, in address
 *	order.
 * @arg: Argument of @fn.
 *
 * Context: Process context; @fn may sleep. The caller excludes map, unmap
 * and protect; concurrent installs may or may not be seen.
 * Return: 0, or the first non-zero value @fn returned.
 */
int axas_npt_dump(struct axas_npt *npt, axas_npt_dump_fn fn, void *arg)
{
	return npt_dump_walk(npt, npt->root, npt_root_level(npt), fn, arg);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_dump);
