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
#include <linux/types.h>
#include <uapi/linux/axas.h>

#define AXAS_NPT_GRANULE_SHIFT	12
#define AXAS_NPT_GRANULE	BIT_ULL(AXAS_NPT_GRANULE_SHIFT)
#define AXAS_NPT_MAX_LEVELS	5
/* Largest block: 1 GiB. */
#define AXAS_NPT_MAX_LEAF_LEVEL	2
/* Largest root: 16 concatenated pages (arm64). */
#define AXAS_NPT_MAX_ROOT_ORDER	4

#define AXAS_NPT_PROT_R		BIT(0)
#define AXAS_NPT_PROT_W		BIT(1)
#define AXAS_NPT_PROT_X		BIT(2)
#define AXAS_NPT_PROT_RWX	(AXAS_NPT_PROT_R | AXAS_NPT_PROT_W | \
				 AXAS_NPT_PROT_X)

/**
 * enum axas_npt_memtype - memory type of a leaf
 * @AXAS_NPT_MT_NORMAL: Normal memory, write-back cacheable.
 * @AXAS_NPT_MT_DEVICE: Device memory (uncached, no speculation).
 */
enum axas_npt_memtype {
	AXAS_NPT_MT_NORMAL,
	AXAS_NPT_MT_DEVICE,
};

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
 * @levels:	Walk levels of the largest geometry, root included.
 * @gpa_bits:	Largest guest-physical address width the format can map.
 * @min_gpa_bits: Smallest width; equal to @gpa_bits for fixed geometries.
 * @oa_bits:	Widest output (host-physical) address an entry holds.
 * @max_leaf_level: Highest level holding a leaf (block).
 * @split_bbm:	Replacing a block by a table needs break-before-make: the
 *		entry is made invalid and the TLB flushed before the table is
 *		written (arm64 without FEAT_BBM).
 * @valid_mask:	An entry is valid when any of these bits is set; clearing
 *		them keeps the output address, which unmap uses to remember
 *		removed leaves until the TLB is flushed.
 * @levels_for:	Walk levels for a GPA width; NULL: always @levels.
 * @mk_table:	Encode a table entry pointing at the table page @pa.
 * @mk_leaf:	Encode a leaf at @level (0, 1 or 2) mapping @pa with @prot
 *		(AXAS_NPT_PROT_*) and memory type @mt.
 * @entry_is_table: True when the valid entry @e at @level (> 0) points at
 *		a table rather than mapping a block.
 * @entry_oa:	Output address of entry @e (valid or not) at @level.
 * @leaf_prot:	AXAS_NPT_PROT_* of the leaf @e.
 * @leaf_memtype: Memory type of the leaf @e.
 *
 * The encoders are pure functions of their arguments and never see a
 * struct axas_npt, so KUnit checks them directly.
 */
struct axas_npt_fmt {
	const char *name;
	enum axas_format id;
	u8 levels;
	u8 gpa_bits;
	u8 min_gpa_bits;
	u8 oa_bits;
	u8 max_leaf_level;
	bool split_bbm;
	u64 valid_mask;
	unsigned int (*levels_for)(unsigned int gpa_bits);
	u64 (*mk_table)(phys_addr_t pa);
	u64 (*mk_leaf)(phys_addr_t pa, unsigned int level, unsigned int prot,
		       enum axas_npt_memtype mt);
	bool (*entry_is_table)(u64 e, unsigned int level);
	phys_addr_t (*entry_oa)(u64 e, unsigned int level);
	unsigned int (*leaf_prot)(u64 e);
	enum axas_npt_memtype (*leaf_memtype)(u64 e);
};

/*
 * The decoders of each format, visible so that the walker can call them
 * directly (INDIRECT_CALL_3): with retpolines, an indirect call per level
 * costs more than the walk itself.
 */
bool axas_ept_entry_is_table(u64 e, unsigned int level);
phys_addr_t axas_ept_entry_oa(u64 e, unsigned int level);
unsigned int axas_ept_leaf_prot(u64 e);
enum axas_npt_memtype axas_ept_leaf_memtype(u64 e);
bool axas_s2_entry_is_table(u64 e, unsigned int level);
phys_addr_t axas_s2_entry_oa(u64 e, unsigned int level);
unsigned int axas_s2_leaf_prot(u64 e);
enum axas_npt_memtype axas_s2_leaf_memtype(u64 e);
bool axas_gstage_entry_is_table(u64 e, unsigned int level);
phys_addr_t axas_gstage_entry_oa(u64 e, unsigned int level);
unsigned int axas_gstage_leaf_prot(u64 e);
enum axas_npt_memtype axas_gstage_leaf_memtype(u64 e);

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
 * @root_pa:	Its physical address, for EPTP / VTTBR / HGATP.
 * @levels:	Walk levels, root included; the root is level @levels - 1.
 * @gpa_bits:	Guest-physical address width; GPAs at or above
 *		1 << @gpa_bits are rejected with -ERANGE.
 * @root_order:	The root is 1 << @root_order concatenated pages.
 * @flush_ops:	TLB maintenance, may be NULL.
 * @flush_cookie: Argument of @flush_ops.
 * @nr_pages:	Table pages this table holds, root pages included; pages
 *		waiting for their RCU grace period are not counted.
 * @alloc_calls: Table allocations attempted, failed ones included.
 * @fail_nth:	Fault injection for tests: when non-zero, the @fail_nth-th
 *		table allocation from now fails (it counts down to zero).
 *		Not for concurrent use.
 */
struct axas_npt {
	const struct axas_npt_fmt *fmt;
	u64 *root;
	phys_addr_t root_pa;
	u8 levels;
	u8 gpa_bits;
	u8 root_order;
	const struct axas_flush_ops *flush_ops;
	void *flush_cookie;
	atomic_t nr_pages;
	atomic_t alloc_calls;
	int fail_nth;
};

/**
 * struct axas_npt_leaf - result of axas_npt_lookup()
 * @hpa:	Host-physical address of the looked-up GPA (offset included).
 * @size:	Size of the leaf mapping it: 4 KiB, 2 MiB or 1 GiB.
 * @level:	Level of the leaf.
 * @prot:	AXAS_NPT_PROT_* of the leaf.
 * @mt:		Memory type of the leaf.
 */
struct axas_npt_leaf {
	phys_addr_t hpa;
	u64 size;
	unsigned int level;
	unsigned int prot;
	enum axas_npt_memtype mt;
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
 * typedef axas_npt_dump_fn - visit one table page
 * @arg:	The caller's argument.
 * @pa:		Physical address of the table (first page for the root).
 * @level:	Level of its entries.
 * @nr:		Number of entries that translate (the root may be larger or
 *		smaller than one page).
 * @entries:	The entries; read them with READ_ONCE().
 *
 * Return: 0 to continue, anything else stops the walk and is returned.
 */
typedef int (*axas_npt_dump_fn)(void *arg, phys_addr_t pa,
				unsigned int level, unsigned int nr,
				const u64 *entries);

/**
 * axas_npt_level_shift() - address bits a level's entry maps
 * @level: Level, 0 for 4 KiB leaves.
 *
 * Context: Any context.
 * Return: 12 + 9 * @level.
 */
static inline unsigned int axas_npt_level_shift(unsigned int level)
{
	return AXAS_NPT_GRANULE_SHIFT + 9 * level;
}

const struct axas_npt_fmt *axas_npt_fmt_get(enum axas_format id);
u64 axas_npt_formats_mask(void);
enum axas_format axas_npt_native_format(void);

int axas_npt_geometry(const struct axas_npt_fmt *fmt, unsigned int gpa_bits,
		      unsigned int *levels, unsigned int *root_order);
int axas_npt_init(struct axas_npt *npt, const struct axas_npt_fmt *fmt,
		  unsigned int gpa_bits, const struct axas_flush_ops *ops,
		  void *cookie);
void axas_npt_destroy(struct axas_npt *npt, axas_npt_leaf_fn fn, void *arg);
int axas_npt_map(struct axas_npt *npt, u64 gpa, phys_addr_t hpa, u64 size,
		 unsigned int prot, enum axas_npt_memtype mt);
int axas_npt_unmap(struct axas_npt *npt, u64 gpa, u64 size,
		   axas_npt_leaf_fn fn, void *arg);
int axas_npt_protect(struct axas_npt *npt, u64 gpa, u64 size,
		     unsigned int prot);
int axas_npt_lookup(struct axas_npt *npt, u64 gpa,
		    struct axas_npt_leaf *leaf);
int axas_npt_install(struct axas_npt *npt, u64 gpa, phys_addr_t hpa,
		     unsigned int level, unsigned int prot,
		     enum axas_npt_memtype mt);
int axas_npt_dump(struct axas_npt *npt, axas_npt_dump_fn fn, void *arg);

u64 axas_npt_x86_eptp(const struct axas_npt *npt, bool ad);
u64 axas_npt_arm64_vttbr_baddr(const struct axas_npt *npt);
u64 axas_npt_arm64_vtcr(const struct axas_npt *npt, unsigned int pa_bits);
u64 axas_npt_riscv_hgatp(const struct axas_npt *npt);

#endif /* _AXAS_NPT_H */
