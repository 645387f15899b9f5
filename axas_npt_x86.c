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
 * Normal memory is WB with IPAT, so the guest's PAT cannot make RAM
 * uncached behind the host's back (KVM does the same without
 * non-coherent DMA); device memory is UC, which wins over any PAT type.
 * A is always set and D with W, so hardware A/D updates never happen.
 */
static u64 ept_mk_leaf(phys_addr_t pa, unsigned int level, unsigned int prot,
		       enum axas_npt_memtype mt)
{
	u64 e = (pa & AXAS_EPT_OA) | AXAS_EPT_A;

	if (prot & AXAS_NPT_PROT_R)
		e |= AXAS_EPT_R;
	if (prot & AXAS_NPT_PROT_W)
		e |= AXAS_EPT_W | AXAS_EPT_D;
	if (prot & AXAS_NPT_PROT_X)
		e |= AXAS_EPT_X;
	if (mt == AXAS_NPT_MT_DEVICE)
		e |= FIELD_PREP(AXAS_EPT_MT, AXAS_EPT_MT_UC);
	else
		e |= FIELD_PREP(AXAS_EPT_MT, AXAS_EPT_MT_WB) | AXAS_EPT_IPAT;
	if (level)
		e |= AXAS_EPT_PS;
	return e;
}

bool axas_ept_entry_is_table(u64 e, unsigned int level)
{
	return !(e & AXAS_EPT_PS);
}

phys_addr_t axas_ept_entry_oa(u64 e, unsigned int level)
{
	return e & AXAS_EPT_OA;
}

unsigned int axas_ept_leaf_prot(u64 e)
{
	return (e & AXAS_EPT_R ? AXAS_NPT_PROT_R : 0) |
	       (e & AXAS_EPT_W ? AXAS_NPT_PROT_W : 0) |
	       (e & AXAS_EPT_X ? AXAS_NPT_PROT_X : 0);
}

enum axas_npt_memtype axas_ept_leaf_memtype(u64 e)
{
	return FIELD_GET(AXAS_EPT_MT, e) == AXAS_EPT_MT_WB ?
	       AXAS_NPT_MT_NORMAL : AXAS_NPT_MT_DEVICE;
}

#define EPT_FMT(_levels, _bits, _min_bits)				\
	.levels		= _levels,					\
	.gpa_bits	= _bits,					\
	.min_gpa_bits	= _min_bits,					\
	.oa_bits	= 52,						\
	.max_leaf_level	= 2,						\
	.valid_mask	= AXAS_EPT_RWX,					\
	.mk_table	= ept_mk_table,					\
	.mk_leaf	= ept_mk_leaf,					\
	.entry_is_table	= axas_ept_entry_is_table,			\
	.entry_oa	= axas_ept_entry_oa,				\
	.leaf_prot	= axas_ept_leaf_prot,				\
	.leaf_memtype	= axas_ept_leaf_memtype

const struct axas_npt_fmt axas_npt_x86_ept4 = {
	.name		= "x86-ept4",
	.id		= AXAS_FORMAT_X86_EPT4,
	EPT_FMT(4, 48, 48),
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_x86_ept4);

const struct axas_npt_fmt axas_npt_x86_ept5 = {
	.name		= "x86-ept5",
	.id		= AXAS_FORMAT_X86_EPT5,
	EPT_FMT(5, 57, 57),
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
 * Return: the EPTP value, or 0 when @npt is not an EPT table.
 */
u64 axas_npt_x86_eptp(const struct axas_npt *npt, bool ad)
{
	if (npt->fmt != &axas_npt_x86_ept4 && npt->fmt != &axas_npt_x86_ept5)
		return 0;
	return (npt->root_pa & AXAS_EPT_OA) |
	       (u64)(npt->levels - 1) << AXAS_EPTP_WALK_SHIFT |
	       AXAS_EPTP_MT_WB | (ad ? AXAS_EPTP_AD : 0);
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_x86_eptp);
