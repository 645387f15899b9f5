// SPDX-License-Identifier: GPL-2.0
/*
 * RISC-V G-stage formats (Sv39x4, Sv48x4, Sv57x4; privileged spec,
 * "Two-Stage Address Translation"). Pure encoders: no asm/ header, no CSR
 * access.
 *
 * The root is 16 KiB (2048 entries): the "x4" modes widen the GPA by two
 * bits, all of them indexing the root.
 *
 * Memory type: G-stage PTEs have no memory-type bits unless Svpbmt is
 * enabled for G-stage (menvcfg.PBMTE), which axas does not assume; the
 * host's PMAs decide, and those already make MMIO ranges I/O. Device and
 * normal leaves therefore differ only in a supervisor-software (RSW) bit
 * that hardware ignores, which lets decoding round-trip the type.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

#define AXAS_GSTAGE_V		BIT_ULL(0)
#define AXAS_GSTAGE_R		BIT_ULL(1)
#define AXAS_GSTAGE_W		BIT_ULL(2)
#define AXAS_GSTAGE_X		BIT_ULL(3)
#define AXAS_GSTAGE_U		BIT_ULL(4)
#define AXAS_GSTAGE_G		BIT_ULL(5)
#define AXAS_GSTAGE_A		BIT_ULL(6)
#define AXAS_GSTAGE_D		BIT_ULL(7)
#define AXAS_GSTAGE_SW_DEVICE	BIT_ULL(8)	/* RSW: ignored by hardware */
#define AXAS_GSTAGE_PPN		GENMASK_ULL(53, 10)
#define AXAS_GSTAGE_RWX		(AXAS_GSTAGE_R | AXAS_GSTAGE_W | AXAS_GSTAGE_X)

#define AXAS_GSTAGE_HGATP_MODE	GENMASK_ULL(63, 60)
#define AXAS_GSTAGE_HGATP_PPN	GENMASK_ULL(43, 0)
#define AXAS_GSTAGE_HGATP_SV39X4	8ULL

static u64 gstage_pa_to_ppn(phys_addr_t pa)
{
	return FIELD_PREP(AXAS_GSTAGE_PPN, pa >> AXAS_NPT_GRANULE_SHIFT);
}

/* Non-leaf entries: V only; A, D and U are reserved there. */
static u64 gstage_mk_table(phys_addr_t pa)
{
	return gstage_pa_to_ppn(pa) | AXAS_GSTAGE_V;
}

/*
 * G-stage accesses count as U-mode accesses, so leaves need U. A is
 * always set and D with W, so Svade hosts never take an A/D fault and
 * Svadu hosts never write the entry.
 */
static u64 gstage_mk_leaf(phys_addr_t pa, unsigned int level,
			  unsigned int prot, enum axas_memtype mt)
{
	u64 e = gstage_pa_to_ppn(pa) | AXAS_GSTAGE_V | AXAS_GSTAGE_U |
		AXAS_GSTAGE_A;

	if (prot & AXAS_PROT_READ)
		e |= AXAS_GSTAGE_R;
	if (prot & AXAS_PROT_WRITE)
		e |= AXAS_GSTAGE_W | AXAS_GSTAGE_D;
	if (prot & AXAS_PROT_EXEC)
		e |= AXAS_GSTAGE_X;
	if (mt == AXAS_MEM_DEVICE)
		e |= AXAS_GSTAGE_SW_DEVICE;
	return e;
}

static unsigned int gstage_leaf_prot(u64 e)
{
	return (e & AXAS_GSTAGE_R ? AXAS_PROT_READ : 0) |
	       (e & AXAS_GSTAGE_W ? AXAS_PROT_WRITE : 0) |
	       (e & AXAS_GSTAGE_X ? AXAS_PROT_EXEC : 0);
}

static enum axas_memtype gstage_leaf_memtype(u64 e)
{
	return e & AXAS_GSTAGE_SW_DEVICE ? AXAS_MEM_DEVICE :
	       AXAS_MEM_NORMAL;
}

static int gstage_lookup(const struct axas_npt *npt, u64 gpa,
			 struct axas_npt_leaf *leaf)
{
	return axas_npt_lookup_tmpl(npt, gpa, leaf,
				    /* Same decoding for every mode. */
				    &axas_npt_riscv_sv48x4, gstage_leaf_prot,
				    gstage_leaf_memtype);
}

/* hgatp.MODE is 8 (Sv39x4), 9 (Sv48x4) or 10 (Sv57x4): 5 + levels. */
static void gstage_root_info(const struct axas_npt *npt,
			     struct axas_root_info *info)
{
	u64 mode = AXAS_GSTAGE_HGATP_SV39X4 + npt->levels - 3;

	info->hgatp = FIELD_PREP(AXAS_GSTAGE_HGATP_MODE, mode) |
		      FIELD_PREP(AXAS_GSTAGE_HGATP_PPN,
				 npt->root_pa >> AXAS_NPT_GRANULE_SHIFT);
}

/* The "x4" modes: two more GPA bits than the Sv mode, all in the root. */
#define GSTAGE_FMT							\
	.oa_bits	= 56,						\
	.max_leaf_level	= 2,						\
	/* A hart may cache an invalid entry until HFENCE.GVMA. */	\
	.flush_new_leaf	= true,						\
	.valid_mask	= AXAS_GSTAGE_V,				\
	.mk_table	= gstage_mk_table,				\
	.mk_leaf	= gstage_mk_leaf,				\
	/* A valid entry without R, W or X points at the next table. */	\
	.table_mask	= AXAS_GSTAGE_RWX,				\
	.table_match	= 0,						\
	/* PPN[53:10] is PA[55:12]. */					\
	.oa_mask	= AXAS_GSTAGE_PPN,				\
	.oa_shift	= AXAS_NPT_GRANULE_SHIFT - 10,			\
	.leaf_prot	= gstage_leaf_prot,				\
	.leaf_memtype	= gstage_leaf_memtype,				\
	.lookup		= gstage_lookup,				\
	.root_info	= gstage_root_info

const struct axas_npt_fmt axas_npt_riscv_sv39x4 = {
	.name		= "riscv-sv39x4",
	.id		= AXAS_FORMAT_RISCV_SV39X4,
	.levels		= 3,
	.gpa_bits	= 41,
	.min_gpa_bits	= 41,
	.default_gpa_bits = 41,
	GSTAGE_FMT,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_riscv_sv39x4);

const struct axas_npt_fmt axas_npt_riscv_sv48x4 = {
	.name		= "riscv-sv48x4",
	.id		= AXAS_FORMAT_RISCV_SV48X4,
	/* KVM's choice when the host has no Sv57x4. */
	.native		= IS_ENABLED(CONFIG_RISCV),
	.levels		= 4,
	.gpa_bits	= 50,
	.min_gpa_bits	= 50,
	.default_gpa_bits = 50,
	GSTAGE_FMT,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_riscv_sv48x4);

const struct axas_npt_fmt axas_npt_riscv_sv57x4 = {
	.name		= "riscv-sv57x4",
	.id		= AXAS_FORMAT_RISCV_SV57X4,
	.levels		= 5,
	.gpa_bits	= 59,
	.min_gpa_bits	= 59,
	.default_gpa_bits = 59,
	GSTAGE_FMT,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_riscv_sv57x4);

/**
 * axas_npt_riscv_hgatp() - the hgatp value for a table
 * @npt: A G-stage table.
 *
 * MODE (8: Sv39x4, 9: Sv48x4, 10: Sv57x4) in bits 63:60 and the PPN of the
 * 16 KiB-aligned root in bits 43:0; the caller adds the VMID (bits 57:44).
 *
 * Context: Any context.
 * Return: the hgatp value its format's root_info hook gives.
 */
u64 axas_npt_riscv_hgatp(const struct axas_npt *npt)
{
	struct axas_root_info info = {};

	npt->fmt->root_info(npt, &info);
	return info.hgatp;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_riscv_hgatp);
