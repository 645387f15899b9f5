// SPDX-License-Identifier: GPL-2.0
/*
 * Known-answer tests of the stage-2 encoders: every descriptor and root
 * register value below was computed by hand from the architecture manuals
 * (Intel SDM Vol. 3C "EPT Translation Mechanism"; Arm ARM D8 "VMSAv8-64
 * translation table format" and VTCR_EL2/VTTBR_EL2; RISC-V privileged
 * spec "Two-Stage Address Translation" and hgatp), never by the module's
 * own encoder or decoder, and is compared with the encoders' output as a
 * whole u64.
 */
#include <kunit/test.h>
#include <linux/array_size.h>
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "axas_npt.h"

#define P_R	AXAS_PROT_READ
#define P_W	AXAS_PROT_WRITE
#define P_X	AXAS_PROT_EXEC
#define P_RW	(P_R | P_W)
#define P_RX	(P_R | P_X)
#define P_RWX	(P_R | P_W | P_X)
#define MT_WB	AXAS_MEM_NORMAL
#define MT_DEV	AXAS_MEM_DEVICE

/* Sample output addresses, aligned for each leaf size. */
#define PA_4K	0x12345000ULL
#define PA_2M	0x40200000ULL
#define PA_1G	0x1c0000000ULL

struct kat_leaf {
	const char *name;
	u64 pa;
	unsigned int level;
	unsigned int prot;
	enum axas_memtype mt;
	u64 want;
};

struct kat_table {
	const char *name;
	u64 pa;
	u64 want;
};

static void kat_check_leaves(struct kunit *test,
			     const struct axas_npt_fmt *fmt,
			     const struct kat_leaf *rows, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct kat_leaf *r = &rows[i];

		KUNIT_EXPECT_EQ_MSG(test, fmt->mk_leaf(r->pa, r->level,
						       r->prot, r->mt),
				    r->want, "%s: row %u (%s)", fmt->name, i,
				    r->name);
	}
}

static void kat_check_tables(struct kunit *test,
			     const struct axas_npt_fmt *fmt,
			     const struct kat_table *rows, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, fmt->mk_table(rows[i].pa),
				    rows[i].want, "%s: row %u (%s)",
				    fmt->name, i, rows[i].name);
}

/*
 * EPT leaves (PTE, and PDE/PDPTE with bit 7): R bit 0, W bit 1, X bit 2;
 * memory type bits 5:3 (WB = 6 -> 0x30, UC = 0); IPAT bit 6 (0x40) on
 * every leaf: with WB so the guest's PAT cannot make RAM uncached, with
 * UC so it cannot make device memory WC (SDM Vol. 3C, "Memory Type Used
 * for Translated Guest-Physical Addresses": with IPAT clear, the EPT type
 * combines with the PAT type as an MTRR type does, and UC with WC gives
 * WC, which allows speculative reads); page size bit 7 (0x80) on 2 MiB /
 * 1 GiB; A bit 8 (0x100) always; D bit 9 (0x200) with W; address bits
 * 51:12.
 */
static const struct kat_leaf kat_ept_leaves[] = {
	/* PTE: A | IPAT | WB | R */
	{ "PTE R WB",       PA_4K, 0, P_R,   MT_WB,  0x12345171ULL },
	/* PTE: A | IPAT | WB | X (execute-only) */
	{ "PTE X WB",       PA_4K, 0, P_X,   MT_WB,  0x12345174ULL },
	/* PTE: D | A | IPAT | WB | W | R */
	{ "PTE RW WB",      PA_4K, 0, P_RW,  MT_WB,  0x12345373ULL },
	/* PTE: A | IPAT | WB | X | R */
	{ "PTE RX WB",      PA_4K, 0, P_RX,  MT_WB,  0x12345175ULL },
	/* PTE: D | A | IPAT | WB | X | W | R */
	{ "PTE RWX WB",     PA_4K, 0, P_RWX, MT_WB,  0x12345377ULL },
	/* PTE: A | IPAT | UC | R */
	{ "PTE R UC",       PA_4K, 0, P_R,   MT_DEV, 0x12345141ULL },
	/* PTE: A | IPAT | UC | X */
	{ "PTE X UC",       PA_4K, 0, P_X,   MT_DEV, 0x12345144ULL },
	/* PTE: D | A | IPAT | UC | W | R */
	{ "PTE RW UC",      PA_4K, 0, P_RW,  MT_DEV, 0x12345343ULL },
	/* PTE: A | IPAT | UC | X | R */
	{ "PTE RX UC",      PA_4K, 0, P_RX,  MT_DEV, 0x12345145ULL },
	/* PTE: D | A | IPAT | UC | X | W | R */
	{ "PTE RWX UC",     PA_4K, 0, P_RWX, MT_DEV, 0x12345347ULL },
	/* 2M PDE: A | PS | IPAT | WB | R */
	{ "PDE2M R WB",     PA_2M, 1, P_R,   MT_WB,  0x402001f1ULL },
	/* 2M PDE: A | PS | IPAT | WB | X */
	{ "PDE2M X WB",     PA_2M, 1, P_X,   MT_WB,  0x402001f4ULL },
	/* 2M PDE: D | A | PS | IPAT | WB | W | R */
	{ "PDE2M RW WB",    PA_2M, 1, P_RW,  MT_WB,  0x402003f3ULL },
	/* 2M PDE: A | PS | IPAT | WB | X | R */
	{ "PDE2M RX WB",    PA_2M, 1, P_RX,  MT_WB,  0x402001f5ULL },
	/* 2M PDE: D | A | PS | IPAT | WB | X | W | R */
	{ "PDE2M RWX WB",   PA_2M, 1, P_RWX, MT_WB,  0x402003f7ULL },
	/* 2M PDE: A | PS | IPAT | UC | R */
	{ "PDE2M R UC",     PA_2M, 1, P_R,   MT_DEV, 0x402001c1ULL },
	/* 2M PDE: A | PS | IPAT | UC | X */
	{ "PDE2M X UC",     PA_2M, 1, P_X,   MT_DEV, 0x402001c4ULL },
	/* 2M PDE: D | A | PS | IPAT | UC | W | R */
	{ "PDE2M RW UC",    PA_2M, 1, P_RW,  MT_DEV, 0x402003c3ULL },
	/* 2M PDE: A | PS | IPAT | UC | X | R */
	{ "PDE2M RX UC",    PA_2M, 1, P_RX,  MT_DEV, 0x402001c5ULL },
	/* 2M PDE: D | A | PS | IPAT | UC | X | W | R */
	{ "PDE2M RWX UC",   PA_2M, 1, P_RWX, MT_DEV, 0x402003c7ULL },
	/* 1G PDPTE: A | PS | IPAT | WB | R */
	{ "PDPTE1G R WB",   PA_1G, 2, P_R,   MT_WB,  0x1c00001f1ULL },
	/* 1G PDPTE: A | PS | IPAT | WB | X */
	{ "PDPTE1G X WB",   PA_1G, 2, P_X,   MT_WB,  0x1c00001f4ULL },
	/* 1G PDPTE: D | A | PS | IPAT | WB | W | R */
	{ "PDPTE1G RW WB",  PA_1G, 2, P_RW,  MT_WB,  0x1c00003f3ULL },
	/* 1G PDPTE: A | PS | IPAT | WB | X | R */
	{ "PDPTE1G RX WB",  PA_1G, 2, P_RX,  MT_WB,  0x1c00001f5ULL },
	/* 1G PDPTE: D | A | PS | IPAT | WB | X | W | R */
	{ "PDPTE1G RWX WB", PA_1G, 2, P_RWX, MT_WB,  0x1c00003f7ULL },
	/* 1G PDPTE: A | PS | IPAT | UC | R */
	{ "PDPTE1G R UC",   PA_1G, 2, P_R,   MT_DEV, 0x1c00001c1ULL },
	/* 1G PDPTE: A | PS | IPAT | UC | X */
	{ "PDPTE1G X UC",   PA_1G, 2, P_X,   MT_DEV, 0x1c00001c4ULL },
	/* 1G PDPTE: D | A | PS | IPAT | UC | W | R */
	{ "PDPTE1G RW UC",  PA_1G, 2, P_RW,  MT_DEV, 0x1c00003c3ULL },
	/* 1G PDPTE: A | PS | IPAT | UC | X | R */
	{ "PDPTE1G RX UC",  PA_1G, 2, P_RX,  MT_DEV, 0x1c00001c5ULL },
	/* 1G PDPTE: D | A | PS | IPAT | UC | X | W | R */
	{ "PDPTE1G RWX UC", PA_1G, 2, P_RWX, MT_DEV, 0x1c00003c7ULL },
	/* PTE at the top 4K frame, bits 51:12 all set: D A IPAT WB W R */
	{ "PTE max PA",    0x000ffffffffff000ULL, 0, P_RW, MT_WB,
	  0x000ffffffffff373ULL },
	/* 2M PDE at the top 2M frame: bits 51:21; A PS IPAT UC X R */
	{ "PDE2M max PA",  0x000fffffffe00000ULL, 1, P_RX, MT_DEV,
	  0x000fffffffe001c5ULL },
	/* 1G PDPTE at the top 1G frame: bits 51:30; A PS IPAT WB X */
	{ "PDPTE1G max PA", 0x000fffffc0000000ULL, 2, P_X, MT_WB,
	  0x000fffffc00001f4ULL },
	/* PTE with only HPA bit 51; A IPAT WB R */
	{ "PTE bit 51",    BIT_ULL(51), 0, P_R, MT_WB, 0x0008000000000171ULL },
};

/*
 * EPT entries referencing a table (PML5E, PML4E, PDPTE, PDE): R, W, X
 * (0x7) so the leaf decides; bits 7:3 zero (bit 7 must be 0 in PDPTE/PDE);
 * A bit 8 (0x100); address bits 51:12.
 */
static const struct kat_table kat_ept_tables[] = {
	/* PDE -> PT: A | X | W | R */
	{ "PDE",   0x5000ULL,             0x5107ULL },
	/* PDPTE -> PD: A | X | W | R */
	{ "PDPTE", 0x7fffe000ULL,         0x7fffe107ULL },
	/* PML4E -> PDPT at bits 51:12 all set: A | X | W | R */
	{ "PML4E", 0x000ffffffffff000ULL, 0x000ffffffffff107ULL },
	/* PML5E -> PML4 at HPA bit 51 only: A | X | W | R */
	{ "PML5E", BIT_ULL(51),           0x0008000000000107ULL },
};

static void kat_ept_leaf(struct kunit *test)
{
	kat_check_leaves(test, &axas_npt_x86_ept4, kat_ept_leaves,
			 ARRAY_SIZE(kat_ept_leaves));
	kat_check_leaves(test, &axas_npt_x86_ept5, kat_ept_leaves,
			 ARRAY_SIZE(kat_ept_leaves));
}

static void kat_ept_table(struct kunit *test)
{
	kat_check_tables(test, &axas_npt_x86_ept4, kat_ept_tables,
			 ARRAY_SIZE(kat_ept_tables));
	kat_check_tables(test, &axas_npt_x86_ept5, kat_ept_tables,
			 ARRAY_SIZE(kat_ept_tables));
}

struct kat_root {
	const struct axas_npt_fmt *fmt;
	unsigned int levels;
	unsigned int gpa_bits;
	u64 root_pa;
	unsigned int arg;	/* EPTP: A/D enable; VTCR: host PA bits */
	u64 want;
};

/* A table that exists only for the root-register functions to read. */
static struct axas_npt kat_fake_npt(const struct kat_root *r)
{
	return (struct axas_npt){
		.fmt		= r->fmt,
		.root_pa	= r->root_pa,
		.levels		= r->levels,
		.gpa_bits	= r->gpa_bits,
	};
}

/*
 * EPTP: bits 2:0 paging-structure memory type (WB = 6); bits 5:3 page-walk
 * length - 1 (3 -> 0x18, 4 -> 0x20); bit 6 A/D enable (0x40); bits 51:12
 * the PML4 / PML5 table.
 */
static const struct kat_root kat_eptp_rows[] = {
	/* 4-level: walk 3 << 3 | WB 6 */
	{ &axas_npt_x86_ept4, 4, 48, 0x1000ULL, false, 0x101eULL },
	/* 4-level: walk 3 << 3 | A/D bit 6 | WB 6 */
	{ &axas_npt_x86_ept4, 4, 48, 0x1000ULL, true, 0x105eULL },
	/* 5-level: walk 4 << 3 | WB 6 */
	{ &axas_npt_x86_ept5, 5, 57, 0x2000ULL, false, 0x2026ULL },
	/* 5-level: walk 4 << 3 | A/D | WB */
	{ &axas_npt_x86_ept5, 5, 57, 0x2000ULL, true, 0x2066ULL },
	/* 4-level, root at bits 51:12 all set: walk 3 | A/D | WB */
	{ &axas_npt_x86_ept4, 4, 48, 0x000ffffffffff000ULL, true,
	  0x000ffffffffff05eULL },
	/* 5-level, root at HPA bit 51 only: walk 4 | WB */
	{ &axas_npt_x86_ept5, 5, 57, BIT_ULL(51), false,
	  0x0008000000000026ULL },
};

static void kat_ept_eptp(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_eptp_rows); i++) {
		const struct kat_root *r = &kat_eptp_rows[i];
		struct axas_npt npt = kat_fake_npt(r);

		KUNIT_EXPECT_EQ_MSG(test, axas_npt_x86_eptp(&npt, r->arg),
				    r->want, "row %u", i);
	}
}

/*
 * Stage-2 block and page descriptors: bit 0 valid; bit 1 set on pages
 * (lookup level 3, 0b11) and clear on blocks (levels 1 and 2, 0b01);
 * MemAttr[5:2] Normal outer/inner WB = 0b1111 (0x3c), Device-nGnRE =
 * 0b0001 (0x04); S2AP[0] bit 6 (0x40) read, S2AP[1] bit 7 (0x80) write;
 * SH[9:8] = 0b11 inner shareable (0x300) for Normal; AF bit 10 (0x400);
 * XN[1:0] bits 54:53 = 0b10 (bit 54) when not executable, 0b00 when
 * executable at EL1 and EL0; address bits 47:12.
 */
static const struct kat_leaf kat_s2_leaves[] = {
	/* L3 page: XN | AF | SH IS | S2AP R | Normal WB | page | valid */
	{ "page R WB",      PA_4K, 0, P_R,   MT_WB,  0x004000001234577fULL },
	/* L3 page: AF | SH IS | Normal WB | page | valid (execute-only) */
	{ "page X WB",      PA_4K, 0, P_X,   MT_WB,  0x1234573fULL },
	/* L3 page: XN | AF | SH IS | S2AP RW | Normal WB | page | valid */
	{ "page RW WB",     PA_4K, 0, P_RW,  MT_WB,  0x00400000123457ffULL },
	/* L3 page: AF | SH IS | S2AP R | Normal WB | page | valid */
	{ "page RX WB",     PA_4K, 0, P_RX,  MT_WB,  0x1234577fULL },
	/* L3 page: AF | SH IS | S2AP RW | Normal WB | page | valid */
	{ "page RWX WB",    PA_4K, 0, P_RWX, MT_WB,  0x123457ffULL },
	/* L3 page: XN | AF | S2AP R | Device-nGnRE | page | valid */
	{ "page R dev",     PA_4K, 0, P_R,   MT_DEV, 0x0040000012345447ULL },
	/* L3 page: AF | Device-nGnRE | page | valid */
	{ "page X dev",     PA_4K, 0, P_X,   MT_DEV, 0x12345407ULL },
	/* L3 page: XN | AF | S2AP RW | Device-nGnRE | page | valid */
	{ "page RW dev",    PA_4K, 0, P_RW,  MT_DEV, 0x00400000123454c7ULL },
	/* L3 page: AF | S2AP R | Device-nGnRE | page | valid */
	{ "page RX dev",    PA_4K, 0, P_RX,  MT_DEV, 0x12345447ULL },
	/* L3 page: AF | S2AP RW | Device-nGnRE | page | valid */
	{ "page RWX dev",   PA_4K, 0, P_RWX, MT_DEV, 0x123454c7ULL },
	/* L2 2M block: XN | AF | SH IS | S2AP R | Normal WB | valid */
	{ "blk2M R WB",     PA_2M, 1, P_R,   MT_WB,  0x004000004020077dULL },
	/* L2 2M block: AF | SH IS | Normal WB | valid */
	{ "blk2M X WB",     PA_2M, 1, P_X,   MT_WB,  0x4020073dULL },
	/* L2 2M block: XN | AF | SH IS | S2AP RW | Normal WB | valid */
	{ "blk2M RW WB",    PA_2M, 1, P_RW,  MT_WB,  0x00400000402007fdULL },
	/* L2 2M block: AF | SH IS | S2AP R | Normal WB | valid */
	{ "blk2M RX WB",    PA_2M, 1, P_RX,  MT_WB,  0x4020077dULL },
	/* L2 2M block: AF | SH IS | S2AP RW | Normal WB | valid */
	{ "blk2M RWX WB",   PA_2M, 1, P_RWX, MT_WB,  0x402007fdULL },
	/* L2 2M block: XN | AF | S2AP R | Device-nGnRE | valid */
	{ "blk2M R dev",    PA_2M, 1, P_R,   MT_DEV, 0x0040000040200445ULL },
	/* L2 2M block: AF | Device-nGnRE | valid */
	{ "blk2M X dev",    PA_2M, 1, P_X,   MT_DEV, 0x40200405ULL },
	/* L2 2M block: XN | AF | S2AP RW | Device-nGnRE | valid */
	{ "blk2M RW dev",   PA_2M, 1, P_RW,  MT_DEV, 0x00400000402004c5ULL },
	/* L2 2M block: AF | S2AP R | Device-nGnRE | valid */
	{ "blk2M RX dev",   PA_2M, 1, P_RX,  MT_DEV, 0x40200445ULL },
	/* L2 2M block: AF | S2AP RW | Device-nGnRE | valid */
	{ "blk2M RWX dev",  PA_2M, 1, P_RWX, MT_DEV, 0x402004c5ULL },
	/* L1 1G block: XN | AF | SH IS | S2AP R | Normal WB | valid */
	{ "blk1G R WB",     PA_1G, 2, P_R,   MT_WB,  0x00400001c000077dULL },
	/* L1 1G block: AF | SH IS | Normal WB | valid */
	{ "blk1G X WB",     PA_1G, 2, P_X,   MT_WB,  0x1c000073dULL },
	/* L1 1G block: XN | AF | SH IS | S2AP RW | Normal WB | valid */
	{ "blk1G RW WB",    PA_1G, 2, P_RW,  MT_WB,  0x00400001c00007fdULL },
	/* L1 1G block: AF | SH IS | S2AP R | Normal WB | valid */
	{ "blk1G RX WB",    PA_1G, 2, P_RX,  MT_WB,  0x1c000077dULL },
	/* L1 1G block: AF | SH IS | S2AP RW | Normal WB | valid */
	{ "blk1G RWX WB",   PA_1G, 2, P_RWX, MT_WB,  0x1c00007fdULL },
	/* L1 1G block: XN | AF | S2AP R | Device-nGnRE | valid */
	{ "blk1G R dev",    PA_1G, 2, P_R,   MT_DEV, 0x00400001c0000445ULL },
	/* L1 1G block: AF | Device-nGnRE | valid */
	{ "blk1G X dev",    PA_1G, 2, P_X,   MT_DEV, 0x1c0000405ULL },
	/* L1 1G block: XN | AF | S2AP RW | Device-nGnRE | valid */
	{ "blk1G RW dev",   PA_1G, 2, P_RW,  MT_DEV, 0x00400001c00004c5ULL },
	/* L1 1G block: AF | S2AP R | Device-nGnRE | valid */
	{ "blk1G RX dev",   PA_1G, 2, P_RX,  MT_DEV, 0x1c0000445ULL },
	/* L1 1G block: AF | S2AP RW | Device-nGnRE | valid */
	{ "blk1G RWX dev",  PA_1G, 2, P_RWX, MT_DEV, 0x1c00004c5ULL },
	/* page at the top 4K frame, bits 47:12: XN AF SH S2AP RW WB page */
	{ "page max PA",   0x0000fffffffff000ULL, 0, P_RW, MT_WB,
	  0x0040fffffffff7ffULL },
	/* 2M block at the top, bits 47:21: AF S2AP R Device-nGnRE valid */
	{ "blk2M max PA",  0x0000ffffffe00000ULL, 1, P_RX, MT_DEV,
	  0x0000ffffffe00445ULL },
	/* 1G block at the top, bits 47:30: AF SH WB valid (execute-only) */
	{ "blk1G max PA",  0x0000ffffc0000000ULL, 2, P_X, MT_WB,
	  0x0000ffffc000073dULL },
	/* page at OA bit 47 only: XN AF SH S2AP R WB page valid */
	{ "page bit 47",   BIT_ULL(47), 0, P_R, MT_WB, 0x004080000000077fULL },
};

/*
 * Stage-2 table descriptors, at lookup levels 0, 1 and 2: bits 1:0 =
 * 0b11, next-level table address in bits 47:12, every attribute zero.
 */
static const struct kat_table kat_s2_tables[] = {
	/* L2 -> L3: table | valid */
	{ "L2 table", 0x5000ULL,             0x5003ULL },
	/* L1 -> L2: table | valid */
	{ "L1 table", 0x7fffe000ULL,         0x7fffe003ULL },
	/* L0 -> L1 at bits 47:12 all set: table | valid */
	{ "L0 table", 0x0000fffffffff000ULL, 0x0000fffffffff003ULL },
	/* at OA bit 47 only: table | valid */
	{ "bit 47",   BIT_ULL(47),           0x0000800000000003ULL },
};

static void kat_s2_leaf(struct kunit *test)
{
	kat_check_leaves(test, &axas_npt_arm64_s2, kat_s2_leaves,
			 ARRAY_SIZE(kat_s2_leaves));
}

static void kat_s2_table(struct kunit *test)
{
	kat_check_tables(test, &axas_npt_arm64_s2, kat_s2_tables,
			 ARRAY_SIZE(kat_s2_tables));
}

/*
 * Every IPA width: walk levels and concatenated root pages (4 KiB granule:
 * the start level resolves IPA - (12 + 9 * levels - 9) bits, at most 4
 * more than one page's 9), and VTCR_EL2 with PS from the IPA alone.
 * VTCR_EL2: T0SZ[5:0] = 64 - IPA; SL0[7:6] = 0 (start level 2), 1 (level
 * 1), 2 (level 0); IRGN0[9:8] = ORGN0[11:10] = 0b01 WBWA (0x500); SH0[13:12]
 * = 0b11 (0x3000); TG0[15:14] = 0 (4K); PS[18:16] = 0 (32 bits), 1 (36),
 * 2 (40), 3 (42), 4 (44), 5 (48); bit 31 RES1. Common part 0x80003500.
 */
struct kat_ipa {
	unsigned int ipa;
	unsigned int levels;
	unsigned int root_order;
	u64 vtcr;
};

static const struct kat_ipa kat_s2_ipas[] = {
	/* L2 start, 11 bits: 4 pages; PS 0 | SL0 0 | T0SZ 32 */
	{ 32, 2, 2, 0x80003520ULL },
	/* L2 start, 12 bits: 8 pages; PS 1 | SL0 0 | T0SZ 31 */
	{ 33, 2, 3, 0x8001351fULL },
	/* L2 start, 13 bits: 16 pages; PS 1 | SL0 0 | T0SZ 30 */
	{ 34, 2, 4, 0x8001351eULL },
	/* L1 start, 5 bits: 1 page; PS 1 | SL0 1 | T0SZ 29 */
	{ 35, 3, 0, 0x8001355dULL },
	/* L1 start, 6 bits; PS 1 | SL0 1 | T0SZ 28 */
	{ 36, 3, 0, 0x8001355cULL },
	/* L1 start, 7 bits; PS 2 | SL0 1 | T0SZ 27 */
	{ 37, 3, 0, 0x8002355bULL },
	/* L1 start, 8 bits; PS 2 | SL0 1 | T0SZ 26 */
	{ 38, 3, 0, 0x8002355aULL },
	/* L1 start, 9 bits; PS 2 | SL0 1 | T0SZ 25 */
	{ 39, 3, 0, 0x80023559ULL },
	/* L1 start, 10 bits: 2 pages; PS 2 | SL0 1 | T0SZ 24 */
	{ 40, 3, 1, 0x80023558ULL },
	/* L1 start, 11 bits: 4 pages; PS 3 | SL0 1 | T0SZ 23 */
	{ 41, 3, 2, 0x80033557ULL },
	/* L1 start, 12 bits: 8 pages; PS 3 | SL0 1 | T0SZ 22 */
	{ 42, 3, 3, 0x80033556ULL },
	/* L1 start, 13 bits: 16 pages; PS 4 | SL0 1 | T0SZ 21 */
	{ 43, 3, 4, 0x80043555ULL },
	/* L0 start, 5 bits: 1 page; PS 4 | SL0 2 | T0SZ 20 */
	{ 44, 4, 0, 0x80043594ULL },
	/* L0 start, 6 bits; PS 5 | SL0 2 | T0SZ 19 */
	{ 45, 4, 0, 0x80053593ULL },
	/* L0 start, 7 bits; PS 5 | SL0 2 | T0SZ 18 */
	{ 46, 4, 0, 0x80053592ULL },
	/* L0 start, 8 bits; PS 5 | SL0 2 | T0SZ 17 */
	{ 47, 4, 0, 0x80053591ULL },
	/* L0 start, 9 bits; PS 5 | SL0 2 | T0SZ 16 */
	{ 48, 4, 0, 0x80053590ULL },
};

static void kat_s2_geometry(struct kunit *test)
{
	unsigned int i, levels, order;

	for (i = 0; i < ARRAY_SIZE(kat_s2_ipas); i++) {
		const struct kat_ipa *r = &kat_s2_ipas[i];
		struct axas_npt npt = {
			.fmt		= &axas_npt_arm64_s2,
			.levels		= r->levels,
			.gpa_bits	= r->ipa,
		};

		KUNIT_ASSERT_EQ_MSG(test,
				    axas_npt_geometry(&axas_npt_arm64_s2,
						      r->ipa, &levels, &order),
				    0, "ipa %u", r->ipa);
		KUNIT_EXPECT_EQ_MSG(test, levels, r->levels, "ipa %u", r->ipa);
		KUNIT_EXPECT_EQ_MSG(test, order, r->root_order, "ipa %u",
				    r->ipa);
		KUNIT_EXPECT_EQ_MSG(test, axas_npt_arm64_vtcr(&npt, 0), r->vtcr,
				    "ipa %u", r->ipa);
	}
	/* Outside 32..48 bits there is no 4K-granule stage-2 geometry. */
	KUNIT_EXPECT_EQ(test, axas_npt_geometry(&axas_npt_arm64_s2, 31,
						&levels, &order), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_npt_geometry(&axas_npt_arm64_s2, 49,
						&levels, &order), -EINVAL);
}

/* VTCR_EL2 with a host PA width wider than the IPA; VTTBR_EL2.BADDR. */
static const struct kat_root kat_s2_roots[] = {
	/* IPA 40, PA 48: PS 5 | SH0 | ORGN0 | IRGN0 | SL0 1 | T0SZ 24 */
	{ &axas_npt_arm64_s2, 3, 40, 0x80000000ULL, 48, 0x80053558ULL },
	/* IPA 32, PA 40: PS 2 | common | SL0 0 | T0SZ 32 */
	{ &axas_npt_arm64_s2, 2, 32, 0x4000ULL, 40, 0x80023520ULL },
	/* IPA 36, PA 44: PS 4 | common | SL0 1 | T0SZ 28 */
	{ &axas_npt_arm64_s2, 3, 36, 0x1000ULL, 44, 0x8004355cULL },
	/* IPA 44, PA 48: PS 5 | common | SL0 2 | T0SZ 20 */
	{ &axas_npt_arm64_s2, 4, 44, 0x1000ULL, 48, 0x80053594ULL },
	/* IPA 40, PA 52: PS capped at 5 (48-bit output) | SL0 1 | T0SZ 24 */
	{ &axas_npt_arm64_s2, 3, 40, 0x2000ULL, 52, 0x80053558ULL },
};

/* VTTBR_EL2.BADDR[47:1]: the size-aligned root; VMID and CnP are zero. */
static const struct kat_root kat_s2_vttbrs[] = {
	/* IPA 40, 2-page root, 8 KiB aligned */
	{ &axas_npt_arm64_s2, 3, 40, 0x80002000ULL, 0, 0x80002000ULL },
	/* IPA 34, 16-page root at the top, 64 KiB aligned, bits 47:16 */
	{ &axas_npt_arm64_s2, 2, 34, 0x0000ffffffff0000ULL, 0,
	  0x0000ffffffff0000ULL },
	/* IPA 48, 1-page root at the top, bits 47:12 */
	{ &axas_npt_arm64_s2, 4, 48, 0x0000fffffffff000ULL, 0,
	  0x0000fffffffff000ULL },
};

static void kat_s2_root(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_s2_roots); i++) {
		const struct kat_root *r = &kat_s2_roots[i];
		struct axas_npt npt = kat_fake_npt(r);

		KUNIT_EXPECT_EQ_MSG(test, axas_npt_arm64_vtcr(&npt, r->arg),
				    r->want, "vtcr row %u", i);
	}
	for (i = 0; i < ARRAY_SIZE(kat_s2_vttbrs); i++) {
		const struct kat_root *r = &kat_s2_vttbrs[i];
		struct axas_npt npt = kat_fake_npt(r);

		KUNIT_EXPECT_EQ_MSG(test, axas_npt_arm64_vttbr_baddr(&npt),
				    r->want, "vttbr row %u", i);
	}
}

/*
 * G-stage leaves: V bit 0, R bit 1, W bit 2, X bit 3, U bit 4 (0x10)
 * always, G bit 5 never, A bit 6 (0x40) always, D bit 7 (0x80) with W,
 * RSW bit 8 (0x100) on device memory (axas's marker, ignored by hardware),
 * PPN = PA >> 12 in bits 53:10 (so the entry holds PA >> 2), PBMT 62:61
 * and N 63 zero. Leaves look the same at every level.
 */
static const struct kat_leaf kat_gstage_leaves[] = {
	/* 4K: PPN 0x12345 << 10 | A | U | R | V */
	{ "4K R",           PA_4K, 0, P_R,   MT_WB,  0x048d1453ULL },
	/* 4K: A | U | X | V (execute-only) */
	{ "4K X",           PA_4K, 0, P_X,   MT_WB,  0x048d1459ULL },
	/* 4K: D | A | U | W | R | V */
	{ "4K RW",          PA_4K, 0, P_RW,  MT_WB,  0x048d14d7ULL },
	/* 4K: A | U | X | R | V */
	{ "4K RX",          PA_4K, 0, P_RX,  MT_WB,  0x048d145bULL },
	/* 4K: D | A | U | X | W | R | V */
	{ "4K RWX",         PA_4K, 0, P_RWX, MT_WB,  0x048d14dfULL },
	/* 4K: RSW0 | A | U | R | V */
	{ "4K R dev",       PA_4K, 0, P_R,   MT_DEV, 0x048d1553ULL },
	/* 4K: RSW0 | A | U | X | V */
	{ "4K X dev",       PA_4K, 0, P_X,   MT_DEV, 0x048d1559ULL },
	/* 4K: RSW0 | D | A | U | W | R | V */
	{ "4K RW dev",      PA_4K, 0, P_RW,  MT_DEV, 0x048d15d7ULL },
	/* 4K: RSW0 | A | U | X | R | V */
	{ "4K RX dev",      PA_4K, 0, P_RX,  MT_DEV, 0x048d155bULL },
	/* 4K: RSW0 | D | A | U | X | W | R | V */
	{ "4K RWX dev",     PA_4K, 0, P_RWX, MT_DEV, 0x048d15dfULL },
	/* 2M megapage: PPN 0x40200 << 10 | A | U | R | V */
	{ "2M R",           PA_2M, 1, P_R,   MT_WB,  0x10080053ULL },
	/* 2M: A | U | X | V */
	{ "2M X",           PA_2M, 1, P_X,   MT_WB,  0x10080059ULL },
	/* 2M: D | A | U | W | R | V */
	{ "2M RW",          PA_2M, 1, P_RW,  MT_WB,  0x100800d7ULL },
	/* 2M: A | U | X | R | V */
	{ "2M RX",          PA_2M, 1, P_RX,  MT_WB,  0x1008005bULL },
	/* 2M: D | A | U | X | W | R | V */
	{ "2M RWX",         PA_2M, 1, P_RWX, MT_WB,  0x100800dfULL },
	/* 2M: RSW0 | A | U | R | V */
	{ "2M R dev",       PA_2M, 1, P_R,   MT_DEV, 0x10080153ULL },
	/* 2M: RSW0 | A | U | X | V */
	{ "2M X dev",       PA_2M, 1, P_X,   MT_DEV, 0x10080159ULL },
	/* 2M: RSW0 | D | A | U | W | R | V */
	{ "2M RW dev",      PA_2M, 1, P_RW,  MT_DEV, 0x100801d7ULL },
	/* 2M: RSW0 | A | U | X | R | V */
	{ "2M RX dev",      PA_2M, 1, P_RX,  MT_DEV, 0x1008015bULL },
	/* 2M: RSW0 | D | A | U | X | W | R | V */
	{ "2M RWX dev",     PA_2M, 1, P_RWX, MT_DEV, 0x100801dfULL },
	/* 1G gigapage: PPN 0x1c0000 << 10 | A | U | R | V */
	{ "1G R",           PA_1G, 2, P_R,   MT_WB,  0x70000053ULL },
	/* 1G: A | U | X | V */
	{ "1G X",           PA_1G, 2, P_X,   MT_WB,  0x70000059ULL },
	/* 1G: D | A | U | W | R | V */
	{ "1G RW",          PA_1G, 2, P_RW,  MT_WB,  0x700000d7ULL },
	/* 1G: A | U | X | R | V */
	{ "1G RX",          PA_1G, 2, P_RX,  MT_WB,  0x7000005bULL },
	/* 1G: D | A | U | X | W | R | V */
	{ "1G RWX",         PA_1G, 2, P_RWX, MT_WB,  0x700000dfULL },
	/* 1G: RSW0 | A | U | R | V */
	{ "1G R dev",       PA_1G, 2, P_R,   MT_DEV, 0x70000153ULL },
	/* 1G: RSW0 | A | U | X | V */
	{ "1G X dev",       PA_1G, 2, P_X,   MT_DEV, 0x70000159ULL },
	/* 1G: RSW0 | D | A | U | W | R | V */
	{ "1G RW dev",      PA_1G, 2, P_RW,  MT_DEV, 0x700001d7ULL },
	/* 1G: RSW0 | A | U | X | R | V */
	{ "1G RX dev",      PA_1G, 2, P_RX,  MT_DEV, 0x7000015bULL },
	/* 1G: RSW0 | D | A | U | X | W | R | V */
	{ "1G RWX dev",     PA_1G, 2, P_RWX, MT_DEV, 0x700001dfULL },
	/* 4K at the top of a 56-bit PA, PPN bits 53:10 set: D A U W R V */
	{ "4K max PA",    0x00fffffffffff000ULL, 0, P_RW, MT_WB,
	  0x003ffffffffffcd7ULL },
	/* 2M at the top: PPN[0] zero, bits 53:19 set; RSW0 A U X R V */
	{ "2M max PA",    0x00ffffffffe00000ULL, 1, P_RX, MT_DEV,
	  0x003ffffffff8015bULL },
	/* 1G at the top: PPN[1:0] zero, bits 53:28 set; A U X V */
	{ "1G max PA",    0x00ffffffc0000000ULL, 2, P_X, MT_WB,
	  0x003ffffff0000059ULL },
	/* 4K at PA bit 55 only: PPN bit 43 -> bit 53; A U R V */
	{ "4K bit 55",    BIT_ULL(55), 0, P_R, MT_WB, 0x0020000000000053ULL },
};

/* Non-leaf G-stage entries: V only (R = W = X = 0; U, A, D, G clear). */
static const struct kat_table kat_gstage_tables[] = {
	/* PPN 0x4 << 10 | V */
	{ "level 1", 0x4000ULL,             0x1001ULL },
	/* PPN 0x7fffe << 10 | V */
	{ "level 2", 0x7fffe000ULL,         0x1ffff801ULL },
	/* PPN bits 53:10 all set | V */
	{ "level 3", 0x00fffffffffff000ULL, 0x003ffffffffffc01ULL },
	/* PA bit 55 only: PPN bit 53 | V */
	{ "level 4", BIT_ULL(55),           0x0020000000000001ULL },
};

static const struct axas_npt_fmt *const kat_gstage_fmts[] = {
	&axas_npt_riscv_sv39x4,
	&axas_npt_riscv_sv48x4,
	&axas_npt_riscv_sv57x4,
};

static void kat_gstage_leaf(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_gstage_fmts); i++)
		kat_check_leaves(test, kat_gstage_fmts[i], kat_gstage_leaves,
				 ARRAY_SIZE(kat_gstage_leaves));
}

static void kat_gstage_table(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_gstage_fmts); i++)
		kat_check_tables(test, kat_gstage_fmts[i], kat_gstage_tables,
				 ARRAY_SIZE(kat_gstage_tables));
}

/*
 * hgatp (RV64): MODE[63:60] = 8 Sv39x4, 9 Sv48x4, 10 Sv57x4; VMID[57:44]
 * zero (the caller's); PPN[43:0] of the 16 KiB-aligned root (PPN[1:0]
 * zero).
 */
static const struct kat_root kat_hgatp_rows[] = {
	/* MODE 8 | PPN 0x80004 */
	{ &axas_npt_riscv_sv39x4, 3, 41, 0x80004000ULL, 0,
	  0x8000000000080004ULL },
	/* MODE 9 | PPN 0x100000 */
	{ &axas_npt_riscv_sv48x4, 4, 50, 0x100000000ULL, 0,
	  0x9000000000100000ULL },
	/* MODE 10 | PPN 0xffffffffffc (the top 16 KiB of a 56-bit PA) */
	{ &axas_npt_riscv_sv57x4, 5, 59, 0x00ffffffffffc000ULL, 0,
	  0xa0000ffffffffffcULL },
	/* MODE 8 | PPN bit 43 only (PA bit 55) */
	{ &axas_npt_riscv_sv39x4, 3, 41, BIT_ULL(55), 0,
	  0x8000080000000000ULL },
	/* MODE 9 | PPN 0xffffffffffc */
	{ &axas_npt_riscv_sv48x4, 4, 50, 0x00ffffffffffc000ULL, 0,
	  0x90000ffffffffffcULL },
	/* MODE 10 | PPN 0x4 */
	{ &axas_npt_riscv_sv57x4, 5, 59, 0x4000ULL, 0,
	  0xa000000000000004ULL },
};

static void kat_gstage_hgatp(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_hgatp_rows); i++) {
		const struct kat_root *r = &kat_hgatp_rows[i];
		struct axas_npt npt = kat_fake_npt(r);

		KUNIT_EXPECT_EQ_MSG(test, axas_npt_riscv_hgatp(&npt), r->want,
				    "row %u", i);
	}
}

/*
 * Each format's root_info fills the generic fields and its own registers
 * only: EPTP (root | walk length 3 << 3 | WB 6; A/D bit 6 clear: leaves
 * preset A and D, and A/D on would make the guest's paging-structure
 * reads count as writes); VTTBR.BADDR
 * and VTCR_EL2 for a 40-bit IPA, 3 levels, PS for a 48-bit host (T0SZ 24,
 * SL0 1, 0x3500, PS 5, RES1); hgatp MODE 9 (Sv48x4) and the root's PPN.
 */
static void kat_root_info(struct kunit *test)
{
	struct axas_npt ept = { .fmt = &axas_npt_x86_ept4, .levels = 4,
				.gpa_bits = 48, .root_pa = 0x1000 };
	struct axas_npt s2 = { .fmt = &axas_npt_arm64_s2, .levels = 3,
			       .gpa_bits = 40, .root_pa = 0x2000 };
	struct axas_npt gs = { .fmt = &axas_npt_riscv_sv48x4, .levels = 4,
			       .gpa_bits = 50, .root_pa = 0x4000 };
	struct axas_root_info info;

	axas_npt_root_info(&ept, &info);
	KUNIT_EXPECT_EQ(test, info.format, AXAS_FORMAT_X86_EPT4);
	KUNIT_EXPECT_EQ(test, info.levels, 4);
	KUNIT_EXPECT_EQ(test, info.gpa_bits, 48);
	KUNIT_EXPECT_EQ(test, info.root_pa, 0x1000);
	KUNIT_EXPECT_EQ(test, info.root_pages, 1);
	KUNIT_EXPECT_EQ(test, info.eptp, 0x101eULL);
	KUNIT_EXPECT_EQ(test, info.vttbr | info.vtcr | info.hgatp, 0);

	axas_npt_root_info(&s2, &info);
	KUNIT_EXPECT_EQ(test, info.format, AXAS_FORMAT_ARM64_S2);
	KUNIT_EXPECT_EQ(test, info.vttbr, 0x2000ULL);
	KUNIT_EXPECT_EQ(test, info.vtcr, 0x80053558ULL);
	KUNIT_EXPECT_EQ(test, info.eptp | info.hgatp, 0);

	axas_npt_root_info(&gs, &info);
	KUNIT_EXPECT_EQ(test, info.format, AXAS_FORMAT_RISCV_SV48X4);
	KUNIT_EXPECT_EQ(test, info.hgatp, 0x9000000000000004ULL);
	KUNIT_EXPECT_EQ(test, info.eptp | info.vttbr | info.vtcr, 0);
}

/*
 * What the walker writes: a 4K RX normal leaf at GPA 0, a 2M RW device
 * leaf at GPA 2M and a 1G R normal leaf at GPA 1G, read back raw with
 * axas_npt_dump(). Table entries hold a page the walker allocated, so
 * only their bits outside the output address are known.
 */
struct kat_walk {
	const struct axas_npt_fmt *fmt;
	unsigned int gpa_bits;
	u64 oa_mask;		/* address bits of a table entry */
	u64 table_bits;		/* every other bit of a table entry */
	u64 leaf_4k;		/* level 0, index 0 */
	u64 leaf_2m;		/* level 1, index 1 */
	u64 leaf_1g;		/* level 2, index 1 */
};

static const struct kat_walk kat_walks[] = {
	/*
	 * EPT tables A | X | W | R; PTE A | IPAT | WB | X | R; PDE D | A |
	 * PS | IPAT | UC | W | R; PDPTE A | PS | IPAT | WB | R.
	 */
	{ &axas_npt_x86_ept4, 0, GENMASK_ULL(51, 12), 0x107ULL,
	  0x12345175ULL, 0x402003c3ULL, 0x1c00001f1ULL },
	{ &axas_npt_x86_ept5, 0, GENMASK_ULL(51, 12), 0x107ULL,
	  0x12345175ULL, 0x402003c3ULL, 0x1c00001f1ULL },
	/*
	 * Stage 2 (IPA 40, start level 1): tables 0b11; page AF | SH IS |
	 * S2AP R | Normal WB | 0b11; L2 block XN | AF | S2AP RW |
	 * Device-nGnRE | 0b01; L1 block XN | AF | SH IS | S2AP R | Normal WB
	 * | 0b01.
	 */
	{ &axas_npt_arm64_s2, 40, GENMASK_ULL(47, 12), 0x3ULL,
	  0x1234577fULL, 0x00400000402004c5ULL, 0x00400001c000077dULL },
	/*
	 * G-stage: tables V; 4K A | U | X | R | V; 2M RSW0 | D | A | U | W |
	 * R | V; 1G A | U | R | V.
	 */
	{ &axas_npt_riscv_sv39x4, 0, GENMASK_ULL(53, 10), 0x1ULL,
	  0x048d145bULL, 0x100801d7ULL, 0x70000053ULL },
	{ &axas_npt_riscv_sv48x4, 0, GENMASK_ULL(53, 10), 0x1ULL,
	  0x048d145bULL, 0x100801d7ULL, 0x70000053ULL },
	{ &axas_npt_riscv_sv57x4, 0, GENMASK_ULL(53, 10), 0x1ULL,
	  0x048d145bULL, 0x100801d7ULL, 0x70000053ULL },
};

struct kat_dump {
	unsigned int root_level;
	bool seen[AXAS_NPT_MAX_LEVELS];
	u64 e0[AXAS_NPT_MAX_LEVELS];
	u64 e1[AXAS_NPT_MAX_LEVELS];
};

static int kat_dump_cb(void *arg, phys_addr_t pa, u64 gpa, unsigned int level,
		       unsigned int nr, const u64 *entries)
{
	struct kat_dump *d = arg;

	if (level >= AXAS_NPT_MAX_LEVELS || d->seen[level] || nr < 2)
		return -EINVAL;
	d->seen[level] = true;
	d->e0[level] = READ_ONCE(entries[0]);
	d->e1[level] = READ_ONCE(entries[1]);
	return 0;
}

static void kat_walk_one(struct kunit *test, const struct kat_walk *k)
{
	struct axas_npt npt;
	struct kat_dump d = {};
	unsigned int level;

	KUNIT_ASSERT_EQ(test, axas_npt_init(&npt, k->fmt, k->gpa_bits, NULL,
					    NULL), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_map(&npt, 0, PA_4K, SZ_4K, P_RX,
					   MT_WB), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_map(&npt, SZ_2M, PA_2M, SZ_2M,
					   P_RW, MT_DEV), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_map(&npt, SZ_1G, PA_1G, SZ_1G, P_R,
					   MT_WB), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_dump(&npt, kat_dump_cb, &d), 0);
	for (level = 0; level < npt.levels; level++)
		KUNIT_EXPECT_TRUE_MSG(test, d.seen[level], "%s: level %u",
				      k->fmt->name, level);
	KUNIT_EXPECT_EQ_MSG(test, d.e0[0], k->leaf_4k, "%s", k->fmt->name);
	KUNIT_EXPECT_EQ_MSG(test, d.e1[1], k->leaf_2m, "%s", k->fmt->name);
	KUNIT_EXPECT_EQ_MSG(test, d.e1[2], k->leaf_1g, "%s", k->fmt->name);
	for (level = 1; level < npt.levels; level++)
		KUNIT_EXPECT_EQ_MSG(test, d.e0[level] & ~k->oa_mask,
				    k->table_bits, "%s: level %u",
				    k->fmt->name, level);
	axas_npt_destroy(&npt, NULL, NULL);
}

static void kat_walk_written(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kat_walks); i++)
		kat_walk_one(test, &kat_walks[i]);
}

/*
 * Write without read is reserved in the G-stage (RWX = 010, 110) and an
 * EPT misconfiguration; stage 2 could encode it (S2AP = 0b10) but axas
 * documents one rule for every format: the API (map, protect) rejects it
 * with -EINVAL, as it rejects no rights and unknown rights, and changes
 * nothing.
 */
static const unsigned int kat_bad_prots[] = { P_W, P_W | P_X, 0, BIT(3) };

static void kat_reject_one(struct kunit *test, const struct axas_npt_fmt *fmt,
			   phys_addr_t ram)
{
	struct axas_params params = { .format = fmt->id };
	struct axas *as;
	phys_addr_t hpa;
	unsigned int i;

	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, 0, SZ_4K, ram, P_R,
					      AXAS_MEM_NORMAL), 0);
	for (i = 0; i < ARRAY_SIZE(kat_bad_prots); i++) {
		unsigned int prot = kat_bad_prots[i];

		KUNIT_EXPECT_EQ_MSG(test, axas_map_linear(as, SZ_4K, SZ_4K,
							  ram, prot,
							  AXAS_MEM_NORMAL),
				    -EINVAL, "%s: prot %#x", fmt->name, prot);
		KUNIT_EXPECT_EQ_MSG(test, axas_map_alloc(as, SZ_4K, SZ_4K,
							 prot, 0),
				    -EINVAL, "%s: prot %#x", fmt->name, prot);
		KUNIT_EXPECT_EQ_MSG(test, axas_protect(as, 0, SZ_4K, prot),
				    -EINVAL, "%s: prot %#x", fmt->name, prot);
	}
	KUNIT_EXPECT_EQ(test, axas_translate(as, SZ_4K, &hpa), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_translate(as, 0, &hpa), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, 0, P_R | P_W),
			AXAS_FAULT_PERM);
	axas_put(as);
}

static void kat_free_page(void *page)
{
	__free_page(page);
}

static void kat_reject_write_only(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	phys_addr_t ram;

	/* A page of RAM: what a normal linear map may point at. */
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kat_free_page,
							page), 0);
	ram = page_to_phys(page);
	kat_reject_one(test, &axas_npt_x86_ept4, ram);
	kat_reject_one(test, &axas_npt_x86_ept5, ram);
	kat_reject_one(test, &axas_npt_arm64_s2, ram);
	kat_reject_one(test, &axas_npt_riscv_sv39x4, ram);
	kat_reject_one(test, &axas_npt_riscv_sv48x4, ram);
	kat_reject_one(test, &axas_npt_riscv_sv57x4, ram);
}

static struct kunit_case axas_kat_cases[] = {
	KUNIT_CASE(kat_ept_leaf),
	KUNIT_CASE(kat_ept_table),
	KUNIT_CASE(kat_ept_eptp),
	KUNIT_CASE(kat_s2_leaf),
	KUNIT_CASE(kat_s2_table),
	KUNIT_CASE(kat_s2_geometry),
	KUNIT_CASE(kat_s2_root),
	KUNIT_CASE(kat_gstage_leaf),
	KUNIT_CASE(kat_gstage_table),
	KUNIT_CASE(kat_gstage_hgatp),
	KUNIT_CASE(kat_root_info),
	KUNIT_CASE(kat_walk_written),
	KUNIT_CASE(kat_reject_write_only),
	{}
};

static struct kunit_suite axas_kat_suite = {
	.name = "axas_kat",
	.test_cases = axas_kat_cases,
};

kunit_test_suite(axas_kat_suite);
