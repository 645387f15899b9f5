// SPDX-License-Identifier: GPL-2.0
/*
 * Arm VMSAv8-64 stage-2 format, 4 KiB granule, 48-bit output (Arm ARM
 * D8, "VMSAv8-64 translation table format"). Pure encoders: no asm/
 * header, no system register access.
 *
 * Our level L is the architecture's lookup level 3 - L.
 */
#include <linux/array_size.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

#define AXAS_S2_VALID		BIT_ULL(0)
#define AXAS_S2_TABLE		BIT_ULL(1)	/* table, or page at level 3 */
#define AXAS_S2_MEMATTR		GENMASK_ULL(5, 2)
#define AXAS_S2_MEMATTR_NORMAL_WB	0xfULL	/* outer WB, inner WB */
#define AXAS_S2_MEMATTR_DEV_NGNRE	0x1ULL
#define AXAS_S2_S2AP_R		BIT_ULL(6)
#define AXAS_S2_S2AP_W		BIT_ULL(7)
#define AXAS_S2_SH		GENMASK_ULL(9, 8)
#define AXAS_S2_SH_IS		3ULL
#define AXAS_S2_AF		BIT_ULL(10)
#define AXAS_S2_XN		BIT_ULL(54)	/* XN[1:0] = 0b10 */
#define AXAS_S2_OA		GENMASK_ULL(47, 12)

#define AXAS_S2_VTCR_T0SZ	GENMASK_ULL(5, 0)
#define AXAS_S2_VTCR_SL0	GENMASK_ULL(7, 6)
#define AXAS_S2_VTCR_IRGN0	GENMASK_ULL(9, 8)
#define AXAS_S2_VTCR_ORGN0	GENMASK_ULL(11, 10)
#define AXAS_S2_VTCR_SH0	GENMASK_ULL(13, 12)
#define AXAS_S2_VTCR_TG0	GENMASK_ULL(15, 14)
#define AXAS_S2_VTCR_PS		GENMASK_ULL(18, 16)
#define AXAS_S2_VTCR_RES1	BIT_ULL(31)
#define AXAS_S2_RGN_WBWA	1ULL
#define AXAS_S2_TG0_4K		0ULL
#define AXAS_S2_VTTBR_BADDR	GENMASK_ULL(47, 1)

/*
 * The fewest levels with at most 16 concatenated tables at the start
 * level, never fewer than two: (ipa - 4 - 4) / 9, as KVM derives SL0.
 */
static unsigned int s2_levels_for(unsigned int gpa_bits)
{
	return max(2U, (gpa_bits - 8) / 9);
}

static u64 s2_mk_table(phys_addr_t pa)
{
	return (pa & AXAS_S2_OA) | AXAS_S2_TABLE | AXAS_S2_VALID;
}

/*
 * Blocks exist at lookup levels 1 and 2 only. AF is set so no access flag
 * fault happens (FEAT_HAFDBS is not assumed); S2AP bit 6 grants read and
 * bit 7 write.
 */
static u64 s2_mk_leaf(phys_addr_t pa, unsigned int level, unsigned int prot,
		      enum axas_memtype mt)
{
	u64 e = (pa & AXAS_S2_OA) | AXAS_S2_AF | AXAS_S2_VALID;

	if (!level)
		e |= AXAS_S2_TABLE;
	if (prot & AXAS_PROT_READ)
		e |= AXAS_S2_S2AP_R;
	if (prot & AXAS_PROT_WRITE)
		e |= AXAS_S2_S2AP_W;
	if (!(prot & AXAS_PROT_EXEC))
		e |= AXAS_S2_XN;
	if (mt == AXAS_MEM_DEVICE)
		e |= FIELD_PREP(AXAS_S2_MEMATTR, AXAS_S2_MEMATTR_DEV_NGNRE);
	else
		e |= FIELD_PREP(AXAS_S2_MEMATTR, AXAS_S2_MEMATTR_NORMAL_WB) |
		     FIELD_PREP(AXAS_S2_SH, AXAS_S2_SH_IS);
	return e;
}

static unsigned int s2_leaf_prot(u64 e)
{
	return (e & AXAS_S2_S2AP_R ? AXAS_PROT_READ : 0) |
	       (e & AXAS_S2_S2AP_W ? AXAS_PROT_WRITE : 0) |
	       (e & AXAS_S2_XN ? 0 : AXAS_PROT_EXEC);
}

static enum axas_memtype s2_leaf_memtype(u64 e)
{
	return FIELD_GET(AXAS_S2_MEMATTR, e) == AXAS_S2_MEMATTR_NORMAL_WB ?
	       AXAS_MEM_NORMAL : AXAS_MEM_DEVICE;
}

static int s2_lookup(const struct axas_npt *npt, u64 gpa,
		     struct axas_npt_leaf *leaf)
{
	return axas_npt_lookup_tmpl(npt, gpa, leaf,
				    &axas_npt_arm64_s2, s2_leaf_prot,
				    s2_leaf_memtype);
}

/* VTCR_EL2.PS is the host's physical width; assume the largest, 48 bits. */
#define AXAS_S2_HOST_PA_BITS	48

static void s2_root_info(const struct axas_npt *npt,
			 struct axas_root_info *info)
{
	info->vttbr = axas_npt_arm64_vttbr_baddr(npt);
	info->vtcr = axas_npt_arm64_vtcr(npt, AXAS_S2_HOST_PA_BITS);
}

const struct axas_npt_fmt axas_npt_arm64_s2 = {
	.name		= "arm64-s2",
	.id		= AXAS_FORMAT_ARM64_S2,
	.native		= IS_ENABLED(CONFIG_ARM64),
	.levels		= 4,
	.gpa_bits	= 48,
	.min_gpa_bits	= 32,
	.default_gpa_bits = 40,		/* KVM's default IPA size */
	.oa_bits	= 48,
	.max_leaf_level	= 2,
	.split_bbm	= true,
	.valid_mask	= AXAS_S2_VALID,
	.levels_for	= s2_levels_for,
	.mk_table	= s2_mk_table,
	.mk_leaf	= s2_mk_leaf,
	.table_mask	= AXAS_S2_TABLE,	/* above level 3: a table */
	.table_match	= AXAS_S2_TABLE,
	.oa_mask	= AXAS_S2_OA,
	.oa_shift	= 0,
	.leaf_prot	= s2_leaf_prot,
	.leaf_memtype	= s2_leaf_memtype,
	.lookup		= s2_lookup,
	.root_info	= s2_root_info,
};
EXPORT_SYMBOL_IF_KUNIT(axas_npt_arm64_s2);

/**
 * axas_npt_arm64_vttbr_baddr() - the BADDR field of VTTBR_EL2
 * @npt: A stage-2 table.
 *
 * The root, concatenated tables included, is aligned to its size, as the
 * architecture requires. The caller adds the VMID (bits 63:48) and CnP.
 *
 * Context: Any context.
 * Return: the root's address in bits 47:1.
 */
u64 axas_npt_arm64_vttbr_baddr(const struct axas_npt *npt)
{
	return npt->root_pa & AXAS_S2_VTTBR_BADDR;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_arm64_vttbr_baddr);

static u64 s2_ps(unsigned int bits)
{
	static const u8 widths[] = { 32, 36, 40, 42, 44, 48 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(widths) - 1; i++)
		if (bits <= widths[i])
			break;
	return i;
}

/**
 * axas_npt_arm64_vtcr() - the VTCR_EL2 fields describing a table
 * @npt: A stage-2 table.
 * @pa_bits: Host physical address width (ID_AA64MMFR0_EL1.PARange); 0
 *	     uses the IPA width. PS covers the larger of the two, at most
 *	     48 bits.
 *
 * T0SZ = 64 - IPA bits; SL0 = start level as 4 KiB granules encode it
 * (2: level 0, 1: level 1, 0: level 2); inner and outer write-back
 * write-allocate, inner-shareable table walks; TG0 = 4 KiB; PS; and bit
 * 31 (RES1). The caller adds VS, HA/HD, and anything else it enables.
 *
 * Context: Any context.
 * Return: the VTCR_EL2 value.
 */
u64 axas_npt_arm64_vtcr(const struct axas_npt *npt, unsigned int pa_bits)
{
	return FIELD_PREP(AXAS_S2_VTCR_T0SZ, 64 - npt->gpa_bits) |
	       FIELD_PREP(AXAS_S2_VTCR_SL0, npt->levels - 2) |
	       FIELD_PREP(AXAS_S2_VTCR_IRGN0, AXAS_S2_RGN_WBWA) |
	       FIELD_PREP(AXAS_S2_VTCR_ORGN0, AXAS_S2_RGN_WBWA) |
	       FIELD_PREP(AXAS_S2_VTCR_SH0, AXAS_S2_SH_IS) |
	       FIELD_PREP(AXAS_S2_VTCR_TG0, AXAS_S2_TG0_4K) |
	       FIELD_PREP(AXAS_S2_VTCR_PS,
			  s2_ps(max_t(unsigned int, pa_bits, npt->gpa_bits))) |
	       AXAS_S2_VTCR_RES1;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_arm64_vtcr);
