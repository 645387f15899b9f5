// SPDX-License-Identifier: GPL-2.0
/*
 * Intel EPT formats (SDM Vol. 3C, "EPT Translation Mechanism"). Pure
 * encoders: no asm/ header, no VMX instruction.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

#define AXAS_EPT_R		BIT_ULL(0)
#define AXAS_EPT_W		BIT_ULL(1)
#define AXAS_EPT_X		BIT_ULL(2)
#define AXAS_EPT_RWX		(AXAS_EPT_R | AXAS_EPT_W | AXAS_EPT_X)
#define AXAS_EPT_MT		GENMASK_ULL(5, 3)
#define AXAS_EPT_MT_UC		0ULL
#define AXAS_EPT_MT_WB		6ULL
#define AXAS_EPT_IPAT		BIT_ULL(6)
#define AXAS_EPT_PS		BIT_ULL(7)
#define AXAS_EPT_A		BIT_ULL(8)
#define AXAS_EPT_D		BIT_ULL(9)
#define AXAS_EPT_OA		GENMASK_ULL(51, 12)

#define AXAS_EPTP_MT_WB		6ULL
#define AXAS_EPTP_WALK_SHIFT	3
#define AXAS_EPTP_AD		BIT_ULL(6)

/*
 * Non-leaf entries allow everything (the leaf decides) and carry A, so a
 * CPU with EPT A/D enabled never has to write a table entry.
 */
static u64 ept_mk_table(phys_addr_t pa)
{
	return (pa & AXAS_EPT_OA) | AXAS_EPT_RWX | AXAS_EPT_A;
}

/*
 * Every leaf sets IPAT, so the guest's PAT is ignored and the EPT type is
 * the effective type. Normal memory is WB: the guest cannot make RAM
 * uncached behind the host's back (KVM does the same without
 * non-coherent DMA). Device memory is UC: with IPAT clear, the EPT type
 * would combine with the guest's PAT type as an MTRR type does, and UC
 * with a PAT type of WC gives WC, which allows speculative reads (SDM
 * Vol. 3C, "Memory Type Used for Translated Guest-Physical Addresses").
 * A is always set and D with W, so hardware A/D updates never happen.
 */
static u64 ept_mk_leaf(phys_addr_t pa, unsigned int level, unsigned int prot,
		       enum axas_memtype mt)
{
	u64 e = (pa & AXAS_EPT_OA) | AXAS_EPT_A;

	if (prot & AXAS_PROT_READ)
		e |= AXAS_EPT_R;
	if (prot & AXAS_PROT_WRITE)
		e |= AXAS_EPT_W | AXAS_EPT_D;
	if (prot & AXAS_PROT_EXEC)
		e |= AXAS_EPT_X;
	if (mt == AXAS_MEM_DEVICE)
		e |= FIELD_PREP(AXAS_EPT_MT, AXAS_EPT_MT_UC) | AXAS_EPT_IPAT;
	else
		e |= FIELD_PREP(AXAS_EPT_MT, AXAS_EPT_MT_WB) | AXAS_EPT_IPAT;
	if (level)
		e |= AXAS_EPT_PS;
	return e;
}

static unsigned int ept_leaf_prot(u64 e)
{
	return (e & AXAS_EPT_R ? AXAS_PROT_READ : 0) |
	       (e & AXAS_EPT_W ? AXAS_PROT_WRITE : 0) |
	       (e & AXAS_EPT_X ? AXAS_PROT_EXEC : 0);
}

static enum axas_memtype ept_leaf_memtype(u64 e)
{
	return FIELD_GET(AXAS_EPT_MT, e) == AXAS_EPT_MT_WB ?
	       AXAS_MEM_NORMAL : AXAS_MEM_DEVICE;
}

static int ept_lookup(const struct axas_npt *npt, u64 gpa,
		      struct axas_npt_leaf *leaf)
{
	return axas_npt_lookup_tmpl(npt, gpa, leaf,
				    /* Same decoding for 4 and 5 levels. */
				    &axas_npt_x86_ept4, ept_leaf_prot,
				    ept_leaf_memtype);
}

/*
 * A/D off: with it on, the CPU counts the guest's reads of its own paging
 * structures as writes, so a read-only region holding guest page tables
 * would take write violations. Leaves preset A and D anyway; dirty
 * tracking will turn A/D on explicitly.
 */
static void ept_root_info(const struct axas_npt *npt,
			  struct axas_root_info *info)
{
	info->eptp = axas_npt_x86_eptp(npt, false);
}

#define EPT_FMT							\
	.oa_bits	= 52,						\
	.max_leaf_level	= 2,						\
	.itlb_multihit	= true,						\
	.valid_mask	= AXAS_EPT_RWX,					\
	.mk_table	= ept_mk_table,					\
	.mk_leaf	= ept_mk_leaf,					\
	.table_mask	= AXAS_EPT_PS,	/* a table: PS clear */		\
	.table_match	= 0,						\
	.oa_mask	= AXAS_EPT_OA,					\
	.oa_shift	= 0,						\
	.leaf_prot	= ept_leaf_prot,				\
	.leaf_memtype	= ept_leaf_memtype,				\
	.lookup		= ept_lookup,					\
	.root_info	= ept_root_info

const struct axas_npt_fmt axas_npt_x86_ept4 = {
	.name		= "x86-ept4",
	.id		= AXAS_FORMAT_X86_EPT4,
	.native		= IS_ENABLED(CONFIG_X86_64),
	.levels		= 4,
	.gpa_bits	= 48,
	.min_gpa_bits	= 48,
	.default_gpa_bits = 48,
	EPT_FMT,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_x86_ept4);

const struct axas_npt_fmt axas_npt_x86_ept5 = {
	.name		= "x86-ept5",
	.id		= AXAS_FORMAT_X86_EPT5,
	.levels		= 5,
	.gpa_bits	= 57,
	.min_gpa_bits	= 57,
	.default_gpa_bits = 57,
	EPT_FMT,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_x86_ept5);

/**
 * axas_npt_x86_eptp() - the EPT pointer for a table
 * @npt: An EPT table.
 * @ad: Enable accessed and dirty flags (bit 6); the caller checks that the
 *	CPU supports them.
 *
 * Root address, page-walk length minus one in bits 5:3, write-back paging
 * structures in bits 2:0.
 *
 * Context: Any context.
 * Return: the EPTP value.
 */
u64 axas_npt_x86_eptp(const struct axas_npt *npt, bool ad)
{
	return (npt->root_pa & AXAS_EPT_OA) |
	       (u64)(npt->levels - 1) << AXAS_EPTP_WALK_SHIFT |
	       AXAS_EPTP_MT_WB | (ad ? AXAS_EPTP_AD : 0);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_x86_eptp);
