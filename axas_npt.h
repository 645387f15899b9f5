/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas stage-2 page-table formats and the generic walker.
 *
 * A format is a const table of geometry and pure encode/decode functions;
 * the format files include no asm/ header and touch no register, so every
 * format is built and tested on every host architecture.
 *
 * Levels count from the leaf: level 0 maps 4 KiB, level 1 2 MiB, level 2
 * 1 GiB; shift = 12 + 9 * level; the root is level levels - 1 and may be
 * several concatenated pages.
 *
 * Locking: axas_npt_map(), axas_npt_unmap(), axas_npt_protect(),
 * axas_npt_dump() and axas_npt_destroy() need the caller's exclusive lock.
 * axas_npt_install() may run concurrently with other installs (the caller
 * holds its lock shared) and installs entries with cmpxchg.
 * axas_npt_lookup() needs no lock at all: table pages are freed only after
 * an RCU grace period and entries are read with READ_ONCE().
 */
#ifndef _AXAS_NPT_H
#define _AXAS_NPT_H

#include <linux/atomic.h>
#include <linux/axas.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <uapi/linux/axas.h>

#define AXAS_NPT_GRANULE_SHIFT	12
#define AXAS_NPT_GRANULE	BIT_ULL(AXAS_NPT_GRANULE_SHIFT)
#define AXAS_NPT_MAX_LEVELS	5
/* Largest block: 1 GiB. */
#define AXAS_NPT_MAX_LEAF_LEVEL	2
/* Largest root: 16 concatenated pages (arm64). */
#define AXAS_NPT_MAX_ROOT_ORDER	4

/* Entries per table page below the root, and index bits per level. */
#define AXAS_NPT_PTRS		512
#define AXAS_NPT_LEVEL_BITS	9

struct axas_npt;
struct axas_npt_leaf;

/*
 * struct axas_flush_ops is the in-kernel API's (<linux/axas.h>). Each
 * operation that removes or changes valid entries calls one of its
 * functions once, before any removed frame is reported or any unlinked
 * table page is freed; flush_range is preferred, flush_all is the fallback.
 */

/**
 * struct axas_npt_fmt - one stage-2 page-table format
 * @name:	Name shown in logs, debugfs and test output.
 * @id:		uAPI identifier.
 * @native:	The host CPU walks this format (at most one per host arch).
 * @levels:	Walk levels of the largest geometry, root included.
 * @gpa_bits:	Largest guest-physical address width the format can map.
 * @min_gpa_bits: Smallest width; equal to @gpa_bits for fixed geometries.
 * @default_gpa_bits: Width of an address space that does not ask for one.
 * @oa_bits:	Widest output (host-physical) address an entry holds.
 * @max_leaf_level: Highest level holding a leaf (block).
 * @split_bbm:	Replacing a block by a table needs break-before-make: the
 *		entry is made invalid and the TLB flushed before the table is
 *		written (arm64 without FEAT_BBM).
 * @flush_new_leaf: Hardware may keep using a cached invalid entry until
 *		the TLB is flushed (RISC-V without Svvptc): a fault that
 *		installs a leaf, or finds it installed, flushes the leaf's
 *		range so that the guest makes progress.
 * @itlb_multihit: x86 CPUs walk the format: on hosts with the ITLB
 *		multihit erratum, nx_huge_pages keeps executable leaves at
 *		4 KiB.
 * @valid_mask:	An entry is valid when any of these bits is set; clearing
 *		them keeps the output address, which unmap uses to remember
 *		removed leaves until the TLB is flushed.
 * @levels_for:	Walk levels for a GPA width; NULL: always @levels.
 * @mk_table:	Encode a table entry pointing at the table page @pa.
 * @mk_leaf:	Encode a leaf at @level (0, 1 or 2) mapping @pa with @prot
 *		(AXAS_PROT_*) and memory type @mt.
 * @table_mask: A valid entry above level 0 points at a table, rather than
 *		mapping a block, when its bits in @table_mask equal
 * @table_match: this value (axas_npt_entry_is_table()).
 * @oa_mask:	The bits of an entry, valid or not, that hold its output
 *		address,
 * @oa_shift:	shifted left by this much (axas_npt_entry_oa()).
 * @leaf_prot:	AXAS_PROT_* of the leaf @e.
 * @leaf_memtype: Memory type of the leaf @e.
 * @lookup:	The lock-free lookup: axas_npt_lookup_tmpl() instantiated
 *		in the format's file, so that its decoders are direct calls;
 *		called under rcu_read_lock().
 * @root_info:	Fill the hardware's root register values of @npt (EPTP,
 *		VTTBR/VTCR, hgatp) into @info; the generic fields are set.
 *
 * The encoders are pure functions of their arguments and never see a
 * struct axas_npt, so KUnit checks them directly. Telling a table from a
 * block and finding the output address are data, not calls: the walker
 * decodes every entry it passes. Adding a format touches
 * its own file and the registry (axas_npt.c) only.
 */
struct axas_npt_fmt {
	const char *name;
	enum axas_format id;
	bool native;
	u8 levels;
	u8 gpa_bits;
	u8 min_gpa_bits;
	u8 default_gpa_bits;
	u8 oa_bits;
	u8 max_leaf_level;
	bool split_bbm;
	bool flush_new_leaf;
	bool itlb_multihit;
	u64 valid_mask;
	unsigned int (*levels_for)(unsigned int gpa_bits);
	u64 (*mk_table)(phys_addr_t pa);
	u64 (*mk_leaf)(phys_addr_t pa, unsigned int level, unsigned int prot,
		       enum axas_memtype mt);
	u64 table_mask;
	u64 table_match;
	u64 oa_mask;
	u8 oa_shift;
	unsigned int (*leaf_prot)(u64 e);
	enum axas_memtype (*leaf_memtype)(u64 e);
	int (*lookup)(const struct axas_npt *npt, u64 gpa,
		      struct axas_npt_leaf *leaf);
	void (*root_info)(const struct axas_npt *npt,
			  struct axas_root_info *info);
};

extern const struct axas_npt_fmt axas_npt_x86_ept4;
extern const struct axas_npt_fmt axas_npt_x86_ept5;
extern const struct axas_npt_fmt axas_npt_arm64_s2;
extern const struct axas_npt_fmt axas_npt_riscv_sv39x4;
extern const struct axas_npt_fmt axas_npt_riscv_sv48x4;
extern const struct axas_npt_fmt axas_npt_riscv_sv57x4;

/**
 * struct axas_npt - one stage-2 table
 * @fmt:	The format.
 * @root:	Kernel address of the root; fixed for the table's life.
 *		Like every table pointer, it is read through
 *		axas_npt_deref(): under rcu_read_lock() or @lock.
 * @root_pa:	Its physical address, for EPTP / VTTBR / HGATP.
 * @levels:	Walk levels, root included; the root is level @levels - 1.
 * @gpa_bits:	Guest-physical address width. Callers keep every GPA below
 *		1 << @gpa_bits (the address space checks its window).
 * @root_order:	The root is 1 << @root_order concatenated pages.
 * @max_exec_level: Highest level of an executable leaf: the format's
 *		largest, or 0 (4 KiB) under nx_huge_pages. Set before the
 *		table is shared.
 * @lock:	The owner's lock (axas_npt_set_lock()): held for write by
 *		map, unmap, protect, dump and destroy, for read at least by
 *		install; lockdep checks it. NULL for a table private to one
 *		thread (the engine's own tests).
 * @flush_ops:	TLB maintenance, may be NULL.
 * @flush_cookie: Argument of @flush_ops.
 * @nr_pages:	Table pages this table holds, root pages included; pages
 *		waiting for their RCU grace period are not counted.
 * @max_pages:	Limit on @nr_pages, 0 for none; set by the owner before
 *		the table is shared. Pages are counted before they are
 *		allocated, so concurrent installs never pass it.
 * @limit_hits:	Table page allocations refused by @max_pages.
 * @flushes:	TLB flushes requested (counted even without @flush_ops).
 */
struct axas_npt {
	const struct axas_npt_fmt *fmt;
	u64 __rcu *root;
	phys_addr_t root_pa;
	u8 levels;
	u8 gpa_bits;
	u8 root_order;
	u8 max_exec_level;
	struct rw_semaphore *lock;
	const struct axas_flush_ops *flush_ops;
	void *flush_cookie;
	atomic_t nr_pages;
	unsigned int max_pages;
	atomic64_t limit_hits;
	atomic64_t flushes;
};

/**
 * struct axas_npt_leaf - one decoded leaf
 * @hpa:	Host-physical address of the looked-up GPA (offset included).
 * @size:	Size of the leaf mapping it: 4 KiB, 2 MiB or 1 GiB.
 * @level:	Level of the leaf.
 * @prot:	AXAS_PROT_* of the leaf.
 * @mt:		Memory type of the leaf.
 */
struct axas_npt_leaf {
	phys_addr_t hpa;
	u64 size;
	unsigned int level;
	unsigned int prot;
	enum axas_memtype mt;
};

/**
 * enum axas_npt_walk_flags - when axas_npt_walk() calls its visitor
 * @AXAS_NPT_WALK_LEAF:		For every entry that is not a valid table:
 *				leaves, removed ("dead") leaves, empty
 *				entries.
 * @AXAS_NPT_WALK_TABLE_PRE:	For a valid table entry, before its table.
 * @AXAS_NPT_WALK_TABLE_POST:	For a table entry, after its table.
 */
enum axas_npt_walk_flags {
	AXAS_NPT_WALK_LEAF		= BIT(0),
	AXAS_NPT_WALK_TABLE_PRE		= BIT(1),
	AXAS_NPT_WALK_TABLE_POST	= BIT(2),
};

/**
 * struct axas_npt_visit_ctx - what a visitor is told about one entry
 * @npt:	The table.
 * @ptep:	The entry; a visitor may change it. After a LEAF or TABLE_PRE
 *		visit the walker reads it again and descends when it is a
 *		valid table then.
 * @old:	Its value when the walker read it.
 * @addr:	First GPA of the walk inside this entry.
 * @end:	End of the walk inside this entry (exclusive).
 * @level:	Level of the entry.
 * @live:	The entry is reachable from the root (false inside a table a
 *		visitor built offline).
 * @child:	TABLE_PRE and TABLE_POST: the table @old points at. A LEAF
 *		visitor may set it to a table it built offline to replace
 *		the leaf: the walker then descends into it (not live) and
 *		calls TABLE_POST, where the visitor links it.
 * @arg:	The walker's argument.
 */
struct axas_npt_visit_ctx {
	struct axas_npt *npt;
	u64 *ptep;
	u64 old;
	u64 addr;
	u64 end;
	unsigned int level;
	bool live;
	u64 *child;
	void *arg;
};

/**
 * typedef axas_npt_visitor_fn - called by axas_npt_walk()
 * @ctx:	The entry.
 * @visit:	Which of enum axas_npt_walk_flags this call is.
 *
 * Return: 0 to continue; anything else stops the walk and is returned.
 */
typedef int (*axas_npt_visitor_fn)(struct axas_npt_visit_ctx *ctx,
				   enum axas_npt_walk_flags visit);

/**
 * struct axas_npt_walker - one walk
 * @cb:		The visitor.
 * @arg:	Its argument (@ctx->arg).
 * @flags:	enum axas_npt_walk_flags: when to call @cb.
 */
struct axas_npt_walker {
	axas_npt_visitor_fn cb;
	void *arg;
	unsigned int flags;
};

/**
 * typedef axas_npt_leaf_fn - told about one removed leaf
 * @arg:	The caller's argument.
 * @gpa:	First guest-physical address the leaf mapped.
 * @hpa:	Host-physical address @gpa mapped to.
 * @size:	Bytes removed, a multiple of 4 KiB.
 */
typedef void (*axas_npt_leaf_fn)(void *arg, u64 gpa, phys_addr_t hpa,
				 u64 size);

/**
 * typedef axas_npt_leaves_fn - visit one valid leaf
 * @arg:	The caller's argument.
 * @gpa:	First guest-physical address the leaf maps.
 * @leaf:	The leaf, decoded.
 *
 * Return: 0 to continue, anything else stops the walk and is returned.
 */
typedef int (*axas_npt_leaves_fn)(void *arg, u64 gpa,
				  const struct axas_npt_leaf *leaf);

/**
 * typedef axas_npt_dump_fn - visit one table page
 * @arg:	The caller's argument.
 * @pa:		Physical address of the table (first page for the root).
 * @gpa:	First guest-physical address the table translates.
 * @level:	Level of its entries.
 * @nr:		Number of entries that translate (the root may be larger or
 *		smaller than one page).
 * @entries:	The entries; read them with READ_ONCE().
 *
 * Return: 0 to continue, anything else stops the walk and is returned.
 */
typedef int (*axas_npt_dump_fn)(void *arg, phys_addr_t pa, u64 gpa,
				unsigned int level, unsigned int nr,
				const u64 *entries);

/**
 * axas_npt_entry_is_table() - does a valid entry point at a table
 * @fmt: The format.
 * @e: A valid entry.
 * @level: Its level; level 0 holds leaves only.
 *
 * Context: Any context.
 * Return: true for a table, false for a leaf (page or block).
 */
static __always_inline bool
axas_npt_entry_is_table(const struct axas_npt_fmt *fmt, u64 e,
			unsigned int level)
{
	return level && (e & fmt->table_mask) == fmt->table_match;
}

/**
 * axas_npt_entry_oa() - the output address of an entry
 * @fmt: The format.
 * @e: An entry, valid or not (a removed leaf keeps its address).
 *
 * Context: Any context.
 * Return: the physical address of the table, page or block.
 */
static __always_inline phys_addr_t
axas_npt_entry_oa(const struct axas_npt_fmt *fmt, u64 e)
{
	return (e & fmt->oa_mask) << fmt->oa_shift;
}

/**
 * axas_npt_level_shift() - address bits a level's entry maps
 * @level: Level, 0 for 4 KiB leaves.
 *
 * Context: Any context.
 * Return: 12 + 9 * @level.
 */
static inline unsigned int axas_npt_level_shift(unsigned int level)
{
	return AXAS_NPT_GRANULE_SHIFT + AXAS_NPT_LEVEL_BITS * level;
}

/**
 * axas_npt_level_size() - bytes a level's entry maps
 * @level: Level, 0 for 4 KiB leaves.
 *
 * Context: Any context.
 * Return: 4 KiB, 2 MiB, 1 GiB, ...
 */
static inline u64 axas_npt_level_size(unsigned int level)
{
	return BIT_ULL(axas_npt_level_shift(level));
}

static inline unsigned int axas_npt_root_level(const struct axas_npt *npt)
{
	return npt->levels - 1;
}

/* Entries of a table at @level: the root's width decides its size. */
static inline unsigned int axas_npt_nr_entries(const struct axas_npt *npt,
					       unsigned int level)
{
	if (level == axas_npt_root_level(npt))
		return 1U << (npt->gpa_bits - axas_npt_level_shift(level));
	return AXAS_NPT_PTRS;
}

static inline unsigned int axas_npt_index(const struct axas_npt *npt,
					  u64 gpa, unsigned int level)
{
	return (gpa >> axas_npt_level_shift(level)) &
	       (axas_npt_nr_entries(npt, level) - 1);
}

/* True when the table's owner holds its lock (or it has none). */
static inline bool axas_npt_lock_held(const struct axas_npt *npt)
{
#ifdef CONFIG_LOCKDEP
	return !npt->lock || lockdep_is_held(npt->lock);
#else
	return true;
#endif
}

/**
 * axas_npt_deref() - the one way to follow a table pointer
 * @npt: The table.
 * @table: Pointer to a table page of @npt.
 *
 * Table pages are freed after an RCU grace period, and only a holder of
 * @npt's lock unlinks them: reading one needs either.
 *
 * Context: rcu_read_lock() or @npt->lock held.
 * Return: @table, for plain access.
 */
static inline u64 *axas_npt_deref(const struct axas_npt *npt,
				  u64 __rcu *table)
{
	return rcu_dereference_check(table, axas_npt_lock_held(npt));
}

/* The table a table entry at @level points at, as a table pointer. */
static inline u64 __rcu *axas_npt_table_ptr(phys_addr_t pa)
{
	return (u64 __force __rcu *)phys_to_virt(pa);
}

/*
 * The lock-free descent every format instantiates in a function of its
 * file, with its own format table and leaf decoders: constants of an
 * always inlined template fold into the code and the decoders become
 * direct calls, so no retpoline is paid and the core lists no format.
 */
static __always_inline int
axas_npt_lookup_tmpl(const struct axas_npt *npt, u64 gpa,
		     struct axas_npt_leaf *leaf,
		     const struct axas_npt_fmt *fmt,
		     unsigned int (*prot)(u64 e),
		     enum axas_memtype (*memtype)(u64 e))
{
	u64 *table = axas_npt_deref(npt, npt->root);
	unsigned int level;

	for (level = axas_npt_root_level(npt); ; level--) {
		u64 e = READ_ONCE(table[axas_npt_index(npt, gpa, level)]);

		if (!(e & fmt->valid_mask))
			return -ENOENT;
		if (axas_npt_entry_is_table(fmt, e, level)) {
			table = axas_npt_deref(npt,
					       axas_npt_table_ptr(axas_npt_entry_oa(fmt, e)));
			continue;
		}
		leaf->size = axas_npt_level_size(level);
		leaf->level = level;
		leaf->hpa = axas_npt_entry_oa(fmt, e) + (gpa & (leaf->size - 1));
		leaf->prot = prot(e);
		leaf->mt = memtype(e);
		return 0;
	}
}

const struct axas_npt_fmt *axas_npt_fmt_get(enum axas_format id);
u64 axas_npt_formats_mask(void);
enum axas_format axas_npt_native_format(void);

int axas_npt_geometry(const struct axas_npt_fmt *fmt, unsigned int gpa_bits,
		      unsigned int *levels, unsigned int *root_order);
int axas_npt_init(struct axas_npt *npt, const struct axas_npt_fmt *fmt,
		  unsigned int gpa_bits, const struct axas_flush_ops *ops,
		  void *cookie);
void axas_npt_set_lock(struct axas_npt *npt, struct rw_semaphore *lock);
void axas_npt_destroy(struct axas_npt *npt, axas_npt_leaf_fn fn, void *arg);
int axas_npt_walk(struct axas_npt *npt, u64 gpa, u64 size,
		  const struct axas_npt_walker *walker);
int axas_npt_map(struct axas_npt *npt, u64 gpa, phys_addr_t hpa, u64 size,
		 unsigned int prot, enum axas_memtype mt);
int axas_npt_unmap(struct axas_npt *npt, u64 gpa, u64 size,
		   axas_npt_leaf_fn fn, void *arg);
int axas_npt_protect(struct axas_npt *npt, u64 gpa, u64 size,
		     unsigned int prot);
int axas_npt_lookup(struct axas_npt *npt, u64 gpa,
		    struct axas_npt_leaf *leaf);
int axas_npt_install(struct axas_npt *npt, u64 gpa, phys_addr_t hpa,
		     unsigned int level, unsigned int prot,
		     enum axas_memtype mt);
void axas_npt_fault_flush(struct axas_npt *npt, u64 gpa);
int axas_npt_leaves(struct axas_npt *npt, axas_npt_leaves_fn fn, void *arg);
int axas_npt_dump(struct axas_npt *npt, axas_npt_dump_fn fn, void *arg);
void axas_npt_root_info(const struct axas_npt *npt,
			struct axas_root_info *info);

#if IS_ENABLED(CONFIG_KUNIT)
bool axas_npt_alloc_should_fail(struct axas_npt *npt);
#endif

/**
 * enum axas_nx_huge - the nx_huge_pages module parameter
 * @AXAS_NX_HUGE_OFF:	Executable leaves may be blocks.
 * @AXAS_NX_HUGE_ON:	Executable leaves of formats with
 *			&axas_npt_fmt.itlb_multihit are 4 KiB.
 * @AXAS_NX_HUGE_AUTO:	On when the host has the ITLB multihit erratum.
 */
enum axas_nx_huge {
	AXAS_NX_HUGE_OFF,
	AXAS_NX_HUGE_ON,
	AXAS_NX_HUGE_AUTO,
};

/* axas_main.c; read when an address space is created. */
extern int axas_nx_huge_pages;

#ifdef CONFIG_X86
/* axas_host_x86.c */
bool axas_host_itlb_multihit(void);
#else
static inline bool axas_host_itlb_multihit(void)
{
	return false;
}
#endif

/* Root register encoders, for the formats' root_info and their tests. */
u64 axas_npt_x86_eptp(const struct axas_npt *npt, bool ad);
u64 axas_npt_arm64_vttbr_baddr(const struct axas_npt *npt);
u64 axas_npt_arm64_vtcr(const struct axas_npt *npt, unsigned int pa_bits);
u64 axas_npt_riscv_hgatp(const struct axas_npt *npt);

#endif /* _AXAS_NPT_H */
