// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the stage-2 walker and every format, run for every format
 * and geometry on every host: the format files are pure encoders.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "axas_kunit_fail.h"
#include "axas_npt.h"

#define NPT_RW		(AXAS_PROT_READ | AXAS_PROT_WRITE)

struct npt_param {
	const struct axas_npt_fmt *fmt;
	unsigned int gpa_bits;
	unsigned int levels;
	unsigned int root_order;
};

static const struct npt_param npt_params[] = {
	{ &axas_npt_x86_ept4,	  0, 4, 0 },
	{ &axas_npt_x86_ept5,	  0, 5, 0 },
	{ &axas_npt_arm64_s2,	 32, 2, 2 },
	{ &axas_npt_arm64_s2,	 34, 2, 4 },
	{ &axas_npt_arm64_s2,	 35, 3, 0 },
	{ &axas_npt_arm64_s2,	 36, 3, 0 },
	{ &axas_npt_arm64_s2,	 40, 3, 1 },
	{ &axas_npt_arm64_s2,	 42, 3, 3 },
	{ &axas_npt_arm64_s2,	 43, 3, 4 },
	{ &axas_npt_arm64_s2,	 44, 4, 0 },
	{ &axas_npt_arm64_s2,	 48, 4, 0 },
	{ &axas_npt_riscv_sv39x4, 0, 3, 2 },
	{ &axas_npt_riscv_sv48x4, 0, 4, 2 },
	{ &axas_npt_riscv_sv57x4, 0, 5, 2 },
};

static void npt_param_desc(const struct npt_param *p, char *desc)
{
	if (p->fmt == &axas_npt_arm64_s2)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s-ipa%u", p->fmt->name,
			 p->gpa_bits);
	else
		strscpy(desc, p->fmt->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(npt, npt_params, npt_param_desc);

#define NPT_LOG_MAX	32

struct npt_removed {
	u64 gpa;
	phys_addr_t hpa;
	u64 size;
};

struct npt_ctx {
	struct axas_npt npt;
	const struct npt_param *param;
	unsigned int root_pages;
	unsigned int top_leaf;		/* largest leaf level of this table */
	long sec_start;
	unsigned int nr_flush_range;
	unsigned int nr_flush_all;
	u64 last_flush_gpa;
	u64 last_flush_size;
	/* leaves reported by unmap */
	unsigned int nr_removed;
	u64 removed_bytes;
	struct npt_removed removed[NPT_LOG_MAX];
};

static void npt_flush_range(void *cookie, u64 gpa, u64 size)
{
	struct npt_ctx *ctx = cookie;

	ctx->nr_flush_range++;
	ctx->last_flush_gpa = gpa;
	ctx->last_flush_size = size;
}

static void npt_flush_all(void *cookie)
{
	struct npt_ctx *ctx = cookie;

	ctx->nr_flush_all++;
}

static const struct axas_flush_ops npt_test_flush_ops = {
	.flush_range	= npt_flush_range,
	.flush_all	= npt_flush_all,
};

static unsigned int npt_flushes(struct npt_ctx *ctx)
{
	return ctx->nr_flush_range + ctx->nr_flush_all;
}

static void npt_log_removed(void *arg, u64 gpa, phys_addr_t hpa, u64 size)
{
	struct npt_ctx *ctx = arg;

	if (ctx->nr_removed < NPT_LOG_MAX) {
		ctx->removed[ctx->nr_removed].gpa = gpa;
		ctx->removed[ctx->nr_removed].hpa = hpa;
		ctx->removed[ctx->nr_removed].size = size;
	}
	ctx->nr_removed++;
	ctx->removed_bytes += size;
}

static void npt_log_reset(struct npt_ctx *ctx)
{
	ctx->nr_removed = 0;
	ctx->removed_bytes = 0;
}

/*
 * NR_SECONDARY_PAGETABLE, exactly: the global counter plus what each CPU
 * has not folded into it yet (global_node_page_state() alone lags behind
 * by up to the per-CPU threshold and clamps at zero).
 */
static long npt_sec_pages(void)
{
	long before, v;
	int nid, cpu, tries = 10;

	do {
		before = atomic_long_read(&vm_node_stat[NR_SECONDARY_PAGETABLE]);
		v = before;
		for_each_online_node(nid) {
			struct pglist_data *pgdat = NODE_DATA(nid);

			for_each_possible_cpu(cpu)
				v += per_cpu_ptr(pgdat->per_cpu_nodestats, cpu)
					->vm_node_stat_diff[NR_SECONDARY_PAGETABLE];
		}
	} while (before != atomic_long_read(&vm_node_stat[NR_SECONDARY_PAGETABLE]) &&
		 --tries);
	return v;
}

static u64 npt_size(unsigned int level)
{
	return 1ULL << axas_npt_level_shift(level);
}

static int npt_test_init(struct kunit *test)
{
	const struct npt_param *p = test->param_value;
	struct npt_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->param = p;
	ctx->sec_start = npt_sec_pages();
	KUNIT_ASSERT_EQ(test, axas_npt_init(&ctx->npt, p->fmt, p->gpa_bits,
					    &npt_test_flush_ops, ctx), 0);
	ctx->root_pages = 1U << ctx->npt.root_order;
	ctx->top_leaf = min_t(unsigned int, p->fmt->max_leaf_level,
			      ctx->npt.levels - 1);
	KUNIT_ASSERT_EQ(test, atomic_read(&ctx->npt.nr_pages), ctx->root_pages);
	return 0;
}

/* Every test ends with its table pages and SecPageTables back to zero. */
static void npt_test_exit(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;

	if (!ctx)
		return;
	axas_npt_destroy(&ctx->npt, NULL, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->npt.nr_pages), 0);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, npt_sec_pages(), ctx->sec_start);
}

/* Unmap everything and check that only the root is left. */
static void npt_expect_clean(struct kunit *test, struct npt_ctx *ctx)
{
	int ret = axas_npt_unmap(&ctx->npt, 0, BIT_ULL(ctx->npt.gpa_bits),
				 NULL, NULL);

	KUNIT_EXPECT_TRUE(test, ret == 0 || ret == -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->npt.nr_pages), ctx->root_pages);
}

static int npt_hash_cb(void *arg, phys_addr_t pa, u64 gpa, unsigned int level,
		       unsigned int nr, const u64 *entries)
{
	u64 *h = arg;
	unsigned int i;

	*h = (*h ^ pa ^ level ^ ((u64)nr << 32)) * 0x100000001b3ULL;
	for (i = 0; i < nr; i++)
		*h = (*h ^ READ_ONCE(entries[i])) * 0x100000001b3ULL;
	return 0;
}

/* A fingerprint of every table page and entry. */
static u64 npt_hash(struct axas_npt *npt)
{
	u64 h = 0xcbf29ce484222325ULL;

	axas_npt_dump(npt, npt_hash_cb, &h);
	return h;
}

static void npt_expect_leaf(struct kunit *test, struct axas_npt *npt, u64 gpa,
			    phys_addr_t hpa, unsigned int level,
			    unsigned int prot)
{
	struct axas_npt_leaf leaf;

	KUNIT_ASSERT_EQ_MSG(test, axas_npt_lookup(npt, gpa, &leaf), 0,
			    "gpa %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, leaf.hpa, hpa, "gpa %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, leaf.level, level, "gpa %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, leaf.size, npt_size(level), "gpa %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, leaf.prot, prot, "gpa %#llx", gpa);
}

static void npt_expect_none(struct kunit *test, struct axas_npt *npt, u64 gpa)
{
	struct axas_npt_leaf leaf;

	KUNIT_EXPECT_EQ_MSG(test, axas_npt_lookup(npt, gpa, &leaf), -ENOENT,
			    "gpa %#llx", gpa);
}

static const unsigned int npt_prots[] = {
	AXAS_PROT_READ,
	AXAS_PROT_EXEC,
	AXAS_PROT_READ | AXAS_PROT_WRITE,
	AXAS_PROT_READ | AXAS_PROT_EXEC,
	AXAS_PROT_RWX,
};

/* Known answers, from the architecture manuals rather than the encoder. */
static void npt_expect_known_bits(struct kunit *test,
				  const struct axas_npt_fmt *fmt)
{
	switch (fmt->id) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		/* RW, WB (6 << 3), IPAT, A, D */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(0x1000, 0, NPT_RW,
						   AXAS_MEM_NORMAL), 0x1373);
		/* RX, UC, IPAT, PS, A */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(SZ_2M, 1, AXAS_PROT_READ |
						   AXAS_PROT_EXEC,
						   AXAS_MEM_DEVICE),
				SZ_2M | 0x1c5);
		KUNIT_EXPECT_EQ(test, fmt->mk_table(0x5000), 0x5107);
		break;
	case AXAS_FORMAT_ARM64_S2:
		/* page, MemAttr 0b1111, S2AP R (bit 6), SH IS, AF, XN */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(0x1000, 0, AXAS_PROT_READ,
						   AXAS_MEM_NORMAL),
				BIT_ULL(54) | 0x177f);
		/* 1 GiB block, device nGnRE, S2AP RW, AF, executable */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(SZ_1G, 2, AXAS_PROT_RWX,
						   AXAS_MEM_DEVICE),
				SZ_1G | 0x4c5);
		/* S2AP[1] (bit 7) is write */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(0, 1, AXAS_PROT_WRITE,
						   AXAS_MEM_DEVICE) & 0xc0,
				0x80);
		KUNIT_EXPECT_EQ(test, fmt->mk_table(0x5000), 0x5003);
		break;
	case AXAS_FORMAT_RISCV_SV39X4:
	case AXAS_FORMAT_RISCV_SV48X4:
	case AXAS_FORMAT_RISCV_SV57X4:
		/* V R W U A D, PPN at bit 10 */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(0x1000, 0, NPT_RW,
						   AXAS_MEM_NORMAL), 0x4d7);
		/* V X U A, RSW device marker */
		KUNIT_EXPECT_EQ(test, fmt->mk_leaf(SZ_2M, 1, AXAS_PROT_EXEC,
						   AXAS_MEM_DEVICE), 0x80159);
		/* non-leaf: V only */
		KUNIT_EXPECT_EQ(test, fmt->mk_table(0x4000), 0x1001);
		break;
	case AXAS_FORMAT_DEFAULT:
		KUNIT_FAIL(test, "format without an id");
		break;
	}
}

static void npt_test_encode(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	const struct axas_npt_fmt *fmt = ctx->param->fmt;
	unsigned int level, i, mt, k;

	npt_expect_known_bits(test, fmt);
	for (level = 0; level <= fmt->max_leaf_level; level++) {
		u64 size = npt_size(level);
		phys_addr_t pas[] = { 0, size * 3,
				      BIT_ULL(fmt->oa_bits) - size };

		for (k = 0; k < ARRAY_SIZE(pas); k++) {
			phys_addr_t pa = pas[k];

			for (i = 0; i < ARRAY_SIZE(npt_prots); i++) {
				for (mt = 0; mt <= AXAS_MEM_DEVICE; mt++) {
					u64 e = fmt->mk_leaf(pa, level,
							     npt_prots[i], mt);
					u64 dead = e & ~fmt->valid_mask;

					KUNIT_EXPECT_TRUE(test,
							  e & fmt->valid_mask);
					KUNIT_EXPECT_FALSE(test,
							   axas_npt_entry_is_table(fmt, e,
										   level));
					KUNIT_EXPECT_EQ(test,
							axas_npt_entry_oa(fmt, e), pa);
					KUNIT_EXPECT_EQ(test, fmt->leaf_prot(e),
							npt_prots[i]);
					KUNIT_EXPECT_EQ(test,
							fmt->leaf_memtype(e), mt);
					/* unmap keeps dead leaves until the flush */
					KUNIT_EXPECT_NE(test, dead, 0);
					KUNIT_EXPECT_EQ(test,
							axas_npt_entry_oa(fmt, dead),
							pa);
				}
			}
		}
	}
	for (level = 1; level < fmt->levels; level++) {
		phys_addr_t pa = BIT_ULL(fmt->oa_bits) - SZ_4K;
		u64 e = fmt->mk_table(pa);

		KUNIT_EXPECT_TRUE(test, e & fmt->valid_mask);
		KUNIT_EXPECT_TRUE(test, axas_npt_entry_is_table(fmt, e, level));
		KUNIT_EXPECT_EQ(test, axas_npt_entry_oa(fmt, e), pa);
	}
}

static const u8 npt_s2_ps_bits[] = { 32, 36, 40, 42, 44, 48 };

static void npt_test_geometry(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	const struct npt_param *p = ctx->param;
	struct axas_npt *npt = &ctx->npt;
	u64 ps;

	KUNIT_EXPECT_EQ(test, npt->levels, p->levels);
	KUNIT_EXPECT_EQ(test, npt->root_order, p->root_order);
	KUNIT_EXPECT_EQ(test, npt->gpa_bits, p->gpa_bits ?: p->fmt->gpa_bits);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(npt->root_pa,
					   PAGE_SIZE << npt->root_order));

	switch (p->fmt->id) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		KUNIT_EXPECT_EQ(test, axas_npt_x86_eptp(npt, false),
				npt->root_pa | (npt->levels - 1) << 3 | 6);
		KUNIT_EXPECT_EQ(test, axas_npt_x86_eptp(npt, true),
				npt->root_pa | (npt->levels - 1) << 3 | 6 |
				BIT(6));
		break;
	case AXAS_FORMAT_ARM64_S2:
		for (ps = 0; ps < ARRAY_SIZE(npt_s2_ps_bits) - 1; ps++)
			if (npt->gpa_bits <= npt_s2_ps_bits[ps])
				break;
		KUNIT_EXPECT_EQ(test, axas_npt_arm64_vttbr_baddr(npt),
				npt->root_pa);
		/* T0SZ, SL0, IRGN0/ORGN0 WBWA, SH0 IS, TG0 4K, PS, RES1 */
		KUNIT_EXPECT_EQ(test, axas_npt_arm64_vtcr(npt, 0),
				(64 - npt->gpa_bits) | (npt->levels - 2) << 6 |
				0x3500 | ps << 16 | BIT(31));
		KUNIT_EXPECT_EQ(test, axas_npt_arm64_vtcr(npt, 48) >> 16 & 7, 5);
		if (npt->gpa_bits == 40)
			KUNIT_EXPECT_EQ(test, axas_npt_arm64_vtcr(npt, 40),
					0x80023558);
		break;
	case AXAS_FORMAT_RISCV_SV39X4:
	case AXAS_FORMAT_RISCV_SV48X4:
	case AXAS_FORMAT_RISCV_SV57X4:
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(npt->root_pa, SZ_16K));
		KUNIT_EXPECT_EQ(test, axas_npt_riscv_hgatp(npt),
				(u64)(8 + npt->levels - 3) << 60 |
				npt->root_pa >> 12);
		break;
	case AXAS_FORMAT_DEFAULT:
		KUNIT_FAIL(test, "format without an id");
		break;
	}
}

struct npt_dump_log {
	unsigned int pages;
	unsigned int calls;
	unsigned int first_level;
	unsigned int first_nr;
	phys_addr_t first_pa;
};

static int npt_dump_cb(void *arg, phys_addr_t pa, u64 gpa, unsigned int level,
		       unsigned int nr, const u64 *entries)
{
	struct npt_dump_log *log = arg;

	if (!log->calls++) {
		log->first_level = level;
		log->first_nr = nr;
		log->first_pa = pa;
	}
	log->pages += DIV_ROUND_UP(nr, 512);
	return 0;
}

static void npt_test_empty(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 top = BIT_ULL(npt->gpa_bits);
	struct npt_dump_log log = {};

	npt_expect_none(test, npt, 0);
	npt_expect_none(test, npt, 42);
	npt_expect_none(test, npt, SZ_1G + SZ_2M);
	npt_expect_none(test, npt, top - 1);
	KUNIT_EXPECT_EQ(test, axas_npt_unmap(npt, 0, top, NULL, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, 0, SZ_4K, NPT_RW), -ENOENT);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), 0);

	KUNIT_EXPECT_EQ(test, axas_npt_dump(npt, npt_dump_cb, &log), 0);
	KUNIT_EXPECT_EQ(test, log.calls, 1);
	KUNIT_EXPECT_EQ(test, log.first_level, npt->levels - 1);
	KUNIT_EXPECT_EQ(test, log.first_pa, npt->root_pa);
	KUNIT_EXPECT_EQ(test, log.first_nr,
			1U << (npt->gpa_bits -
			       axas_npt_level_shift(npt->levels - 1)));
}

static void npt_test_map_sizes(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	struct npt_dump_log log = {};
	unsigned int level, flushes;
	u64 gpa;

	for (level = 0; level <= ctx->top_leaf; level++) {
		u64 size = npt_size(level);
		phys_addr_t hpa = size * 5;

		gpa = size * 3;
		npt_log_reset(ctx);
		flushes = npt_flushes(ctx);
		KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, hpa, size, NPT_RW,
						   AXAS_MEM_NORMAL), 0);
		KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
		npt_expect_leaf(test, npt, gpa + 42, hpa + 42, level, NPT_RW);
		npt_expect_leaf(test, npt, gpa + size - 1, hpa + size - 1,
				level, NPT_RW);
		npt_expect_none(test, npt, gpa - 1);
		npt_expect_none(test, npt, gpa + size);

		KUNIT_EXPECT_EQ(test, axas_npt_unmap(npt, gpa, size,
						     npt_log_removed, ctx), 0);
		KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
		KUNIT_EXPECT_EQ(test, ctx->last_flush_gpa, gpa);
		KUNIT_EXPECT_EQ(test, ctx->last_flush_size, size);
		KUNIT_ASSERT_EQ(test, ctx->nr_removed, 1);
		KUNIT_EXPECT_EQ(test, ctx->removed[0].gpa, gpa);
		KUNIT_EXPECT_EQ(test, ctx->removed[0].hpa, hpa);
		KUNIT_EXPECT_EQ(test, ctx->removed[0].size, size);
		npt_expect_none(test, npt, gpa + 42);
		KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages),
				ctx->root_pages);
	}

	/* 4 KiB, then 2 MiB, then 4 KiB: the largest block that fits. */
	gpa = SZ_1G + SZ_2M - SZ_4K;
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, gpa + SZ_1G,
					   SZ_2M + 2 * SZ_4K,
					   AXAS_PROT_READ, AXAS_MEM_DEVICE),
			0);
	npt_expect_leaf(test, npt, gpa + 42, gpa + SZ_1G + 42, 0,
			AXAS_PROT_READ);
	npt_expect_leaf(test, npt, gpa + SZ_4K + 42, gpa + SZ_4K + SZ_1G + 42,
			1, AXAS_PROT_READ);
	npt_expect_leaf(test, npt, gpa + SZ_2M + SZ_4K, gpa + SZ_2M + SZ_4K +
			SZ_1G, 0, AXAS_PROT_READ);

	/* An HPA aligned to 4 KiB only gives 4 KiB leaves. */
	gpa = 2ULL * SZ_1G;
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, SZ_4K, SZ_2M, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, gpa, SZ_4K, 0, NPT_RW);
	npt_expect_leaf(test, npt, gpa + SZ_2M - 1, SZ_2M + SZ_4K - 1, 0,
			NPT_RW);

	KUNIT_EXPECT_EQ(test, axas_npt_dump(npt, npt_dump_cb, &log), 0);
	KUNIT_EXPECT_EQ(test, log.pages, atomic_read(&npt->nr_pages));
	npt_expect_clean(test, ctx);
}

static void npt_test_overlap(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 gpa = SZ_1G, hash;
	unsigned int pages;

	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, gpa, SZ_2M, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa + 4 * SZ_2M + SZ_4K, 0,
					   SZ_4K, NPT_RW, AXAS_MEM_NORMAL),
			0);
	hash = npt_hash(npt);
	pages = atomic_read(&npt->nr_pages);

	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa, 0, SZ_2M, NPT_RW,
					   AXAS_MEM_NORMAL), -EEXIST);
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa + SZ_4K, 0, SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), -EEXIST);
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa - SZ_4K, 0, 2 * SZ_4K,
					   NPT_RW, AXAS_MEM_NORMAL), -EEXIST);
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa + SZ_2M - SZ_4K, 0,
					   2 * SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), -EEXIST);
	/* Mostly free, with one page mapped at its far end. */
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa + SZ_2M, 0,
					   3 * SZ_2M + 2 * SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), -EEXIST);
	/* A 1 GiB range around everything. */
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, 0, 0, 2ULL * SZ_1G, NPT_RW,
					   AXAS_MEM_NORMAL), -EEXIST);
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), pages);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), 0);

	/* The neighbours are free. */
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa + SZ_2M, 0, SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_map(npt, gpa - SZ_4K, 0, SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, gpa + 42, gpa + 42, 1, NPT_RW);
	npt_expect_clean(test, ctx);
}

/* Check the pieces unmap reported: inside the range, offset kept. */
static void npt_expect_removed(struct kunit *test, struct npt_ctx *ctx,
			       u64 gpa, u64 size, u64 gpa_to_hpa)
{
	unsigned int i;

	KUNIT_EXPECT_EQ(test, ctx->removed_bytes, size);
	for (i = 0; i < min(ctx->nr_removed, NPT_LOG_MAX); i++) {
		struct npt_removed *r = &ctx->removed[i];

		KUNIT_EXPECT_GE(test, r->gpa, gpa);
		KUNIT_EXPECT_LE(test, r->gpa + r->size, gpa + size);
		KUNIT_EXPECT_EQ(test, r->hpa, r->gpa + gpa_to_hpa);
	}
}

static void npt_test_split_unmap(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	unsigned int top = ctx->top_leaf;
	u64 gpa = SZ_1G, hpa = 2ULL * SZ_1G, hole = gpa + SZ_2M + SZ_4K;
	u64 delta = hpa - gpa;
	unsigned int flushes;

	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, hpa, SZ_1G, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, gpa + 42, hpa + 42, top, NPT_RW);

	/* Punch one page out of the block. */
	npt_log_reset(ctx);
	flushes = npt_flushes(ctx);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, hole, SZ_4K, npt_log_removed,
					     ctx), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	KUNIT_ASSERT_EQ(test, ctx->nr_removed, 1);
	KUNIT_EXPECT_EQ(test, ctx->removed[0].gpa, hole);
	KUNIT_EXPECT_EQ(test, ctx->removed[0].hpa, hole + delta);
	KUNIT_EXPECT_EQ(test, ctx->removed[0].size, SZ_4K);
	npt_expect_none(test, npt, hole);
	npt_expect_none(test, npt, hole + SZ_4K - 1);
	npt_expect_leaf(test, npt, gpa + 42, hpa + 42, 1, NPT_RW);
	npt_expect_leaf(test, npt, hole - SZ_4K, hole - SZ_4K + delta, 0,
			NPT_RW);
	npt_expect_leaf(test, npt, hole + SZ_4K + 42, hole + SZ_4K + 42 + delta,
			0, NPT_RW);
	npt_expect_leaf(test, npt, gpa + 2 * SZ_2M, hpa + 2 * SZ_2M, 1,
			NPT_RW);
	npt_expect_leaf(test, npt, gpa + SZ_1G - 1, hpa + SZ_1G - 1, 1,
			NPT_RW);

	/* Remap the hole with another frame. */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, hole, SZ_4K, SZ_4K,
					   AXAS_PROT_READ,
					   AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, hole + 42, SZ_4K + 42, 0, AXAS_PROT_READ);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, hole, SZ_4K, NULL, NULL), 0);

	/* Cut across two 2 MiB blocks: both ends split. */
	npt_log_reset(ctx);
	flushes = npt_flushes(ctx);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, gpa + 5 * SZ_2M + SZ_1M,
					     SZ_2M, npt_log_removed, ctx), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	npt_expect_removed(test, ctx, gpa + 5 * SZ_2M + SZ_1M, SZ_2M, delta);
	npt_expect_leaf(test, npt, gpa + 5 * SZ_2M + SZ_1M - SZ_4K,
			hpa + 5 * SZ_2M + SZ_1M - SZ_4K, 0, NPT_RW);
	npt_expect_none(test, npt, gpa + 5 * SZ_2M + SZ_1M);
	npt_expect_none(test, npt, gpa + 6 * SZ_2M + SZ_1M - 1);
	npt_expect_leaf(test, npt, gpa + 6 * SZ_2M + SZ_1M,
			hpa + 6 * SZ_2M + SZ_1M, 0, NPT_RW);
	npt_expect_leaf(test, npt, gpa + 4 * SZ_2M, hpa + 4 * SZ_2M, 1,
			NPT_RW);
	npt_expect_leaf(test, npt, gpa + 7 * SZ_2M, hpa + 7 * SZ_2M, 1,
			NPT_RW);

	/* Everything else goes in one operation, one flush. */
	npt_log_reset(ctx);
	flushes = npt_flushes(ctx);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, gpa, SZ_1G, npt_log_removed,
					     ctx), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	npt_expect_removed(test, ctx, gpa, SZ_1G - SZ_4K - SZ_2M, delta);
	npt_expect_none(test, npt, gpa);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), ctx->root_pages);
}

static void npt_test_range(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 top = BIT_ULL(npt->gpa_bits);
	u64 big = npt_size(ctx->top_leaf);
	u64 hash;

	/* The top GPA, and the top block, work. */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, top - big, big, big, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, top - 1, 2 * big - 1, ctx->top_leaf,
			NPT_RW);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, top - SZ_4K, SZ_4K, NULL,
					     NULL), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, top - SZ_4K, SZ_4K, SZ_4K,
					   NPT_RW, AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, top - SZ_4K + 42, SZ_4K + 42, 0, NPT_RW);
	hash = npt_hash(npt);

	/*
	 * Ranges beyond the width and malformed arguments are refused where
	 * they enter axas (axas_as_kunit.c): the engine trusts its callers.
	 */
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), 1);
	npt_expect_clean(test, ctx);
}

static void npt_test_protect(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 gpa = SZ_1G + 4 * SZ_2M, big = SZ_2G + SZ_1G;
	unsigned int flushes = npt_flushes(ctx);
	struct axas_npt_leaf leaf;
	u64 hash;

	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa, gpa, SZ_2M, NPT_RW,
					   AXAS_MEM_DEVICE), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, gpa + SZ_4K, SZ_4K,
					       AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
	npt_expect_leaf(test, npt, gpa + SZ_4K + 42, gpa + SZ_4K + 42, 0,
			AXAS_PROT_READ);
	npt_expect_leaf(test, npt, gpa, gpa, 0, NPT_RW);
	npt_expect_leaf(test, npt, gpa + 2 * SZ_4K, gpa + 2 * SZ_4K, 0, NPT_RW);
	npt_expect_leaf(test, npt, gpa + SZ_2M - 1, gpa + SZ_2M - 1, 0, NPT_RW);
	KUNIT_ASSERT_EQ(test, axas_npt_lookup(npt, gpa + SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.mt, AXAS_MEM_DEVICE);

	/* Already so: nothing changes, nothing is flushed. */
	hash = npt_hash(npt);
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, gpa + 2 * SZ_4K, SZ_1M,
					       NPT_RW), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);

	KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, gpa, SZ_2M,
					       AXAS_PROT_RWX), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
	npt_expect_leaf(test, npt, gpa + SZ_4K, gpa + SZ_4K, 0,
			AXAS_PROT_RWX);
	npt_expect_leaf(test, npt, gpa + SZ_1M, gpa + SZ_1M, 0,
			AXAS_PROT_RWX);

	/* A hole is not an error when something else is mapped. */
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, gpa - SZ_2M, 2 * SZ_2M,
					       AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
	npt_expect_none(test, npt, gpa - SZ_4K);
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, gpa - SZ_2M, SZ_2M,
					       AXAS_PROT_READ), -ENOENT);

	/* Split the largest block twice, in the middle. */
	if (big + SZ_1G <= BIT_ULL(npt->gpa_bits)) {
		u64 mid = big + 3 * SZ_2M + 5 * SZ_4K;

		KUNIT_ASSERT_EQ(test, axas_npt_map(npt, big, big, SZ_1G,
						   NPT_RW, AXAS_MEM_NORMAL),
				0);
		KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, mid, SZ_4K,
						       AXAS_PROT_READ |
						       AXAS_PROT_EXEC), 0);
		KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
		npt_expect_leaf(test, npt, mid, mid, 0,
				AXAS_PROT_READ | AXAS_PROT_EXEC);
		npt_expect_leaf(test, npt, mid + SZ_4K, mid + SZ_4K, 0, NPT_RW);
		npt_expect_leaf(test, npt, big, big, ctx->top_leaf ? 1 : 0,
				NPT_RW);
		npt_expect_leaf(test, npt, big + SZ_1G - 1, big + SZ_1G - 1,
				ctx->top_leaf ? 1 : 0, NPT_RW);
		KUNIT_ASSERT_EQ(test, axas_npt_lookup(npt, mid, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.mt, AXAS_MEM_NORMAL);
	}
	npt_expect_clean(test, ctx);
}

static void npt_test_install(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 gpa = SZ_1G + SZ_2M;
	u64 hash;

	KUNIT_ASSERT_EQ(test, axas_npt_install(npt, gpa, SZ_4K, 0, NPT_RW,
					       AXAS_MEM_NORMAL), 0);
	npt_expect_leaf(test, npt, gpa + 42, SZ_4K + 42, 0, NPT_RW);
	hash = npt_hash(npt);
	/* A duplicate fault keeps the first frame. */
	KUNIT_EXPECT_EQ(test, axas_npt_install(npt, gpa, 2 * SZ_4K, 0,
					       NPT_RW, AXAS_MEM_NORMAL),
			-EEXIST);
	/* A block over a table that holds it. */
	KUNIT_EXPECT_EQ(test, axas_npt_install(npt, gpa, 0, 1, NPT_RW,
					       AXAS_MEM_NORMAL), -EEXIST);
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);
	npt_expect_leaf(test, npt, gpa, SZ_4K, 0, NPT_RW);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages),
			ctx->root_pages + npt->levels - 1);

	/* A page under a block. */
	KUNIT_ASSERT_EQ(test, axas_npt_install(npt, gpa + SZ_2M, SZ_2M,
					       ctx->top_leaf ? 1 : 0,
					       AXAS_PROT_READ,
					       AXAS_MEM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, axas_npt_install(npt, gpa + SZ_2M + SZ_4K, 0, 0,
					       NPT_RW, AXAS_MEM_NORMAL),
			ctx->top_leaf ? -EEXIST : 0);
	npt_expect_leaf(test, npt, gpa + SZ_2M + 42, SZ_2M + 42,
			ctx->top_leaf ? 1 : 0, AXAS_PROT_READ);
	if (ctx->top_leaf == 2) {
		KUNIT_EXPECT_EQ(test, axas_npt_install(npt, 0, SZ_1G, 2,
						       NPT_RW,
						       AXAS_MEM_NORMAL), 0);
		npt_expect_leaf(test, npt, 42, SZ_1G + 42, 2, NPT_RW);
	}
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), 0);
	npt_expect_clean(test, ctx);
}

#define NPT_RACE_PAGES	1024
#define NPT_RACE_TABLES	16

struct npt_race {
	struct axas_npt *npt;
	phys_addr_t hpa;
	struct completion *go;
	struct completion done;
	unsigned int wins;
	int err;
};

static u64 npt_race_gpa(unsigned int i)
{
	return SZ_1G + (u64)(i % NPT_RACE_TABLES) * SZ_2M +
	       (u64)(i / NPT_RACE_TABLES) * SZ_4K;
}

static int npt_race_fn(void *arg)
{
	struct npt_race *r = arg;
	struct axas_npt_leaf leaf;
	unsigned int i;

	wait_for_completion(r->go);
	for (i = 0; i < NPT_RACE_PAGES; i++) {
		u64 gpa = npt_race_gpa(i);
		int ret = axas_npt_install(r->npt, gpa, r->hpa + gpa, 0,
					   NPT_RW, AXAS_MEM_NORMAL);

		if (!ret)
			r->wins++;
		else if (ret != -EEXIST)
			r->err = ret;
		if (axas_npt_lookup(r->npt, gpa, &leaf))
			r->err = -ENOENT;
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/* Two threads fault in the same pages: each page is won exactly once. */
static void npt_test_install_race(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	struct npt_race race[2] = {};
	DECLARE_COMPLETION_ONSTACK(go);
	unsigned int i, j, won[2] = {};

	for (j = 0; j < ARRAY_SIZE(race); j++) {
		struct task_struct *t;

		race[j].npt = npt;
		race[j].hpa = (j + 1) * 4ULL * SZ_1G;
		race[j].go = &go;
		init_completion(&race[j].done);
		t = kthread_run(npt_race_fn, &race[j], "axas-race%u", j);
		if (IS_ERR(t)) {
			/* Let the threads already started finish. */
			complete_all(&go);
			for (i = 0; i < j; i++)
				wait_for_completion(&race[i].done);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t));
			return;
		}
	}
	complete_all(&go);
	for (j = 0; j < ARRAY_SIZE(race); j++) {
		wait_for_completion(&race[j].done);
		KUNIT_EXPECT_EQ(test, race[j].err, 0);
	}
	KUNIT_EXPECT_EQ(test, race[0].wins + race[1].wins, NPT_RACE_PAGES);
	for (i = 0; i < NPT_RACE_PAGES; i++) {
		u64 gpa = npt_race_gpa(i);
		struct axas_npt_leaf leaf;

		KUNIT_ASSERT_EQ(test, axas_npt_lookup(npt, gpa, &leaf), 0);
		for (j = 0; j < ARRAY_SIZE(race); j++)
			if (leaf.hpa == race[j].hpa + gpa)
				won[j]++;
	}
	KUNIT_EXPECT_EQ(test, won[0], race[0].wins);
	KUNIT_EXPECT_EQ(test, won[1], race[1].wins);
	/* Lost races freed their tables: one path plus 16 leaf tables. */
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages),
			ctx->root_pages + npt->levels - 2 + NPT_RACE_TABLES);
	npt_expect_clean(test, ctx);
}

struct npt_reader {
	struct axas_npt *npt;
	u64 delta;
	bool stop;
	struct completion done;
	unsigned long lookups;
	unsigned long hits;
	int err;
	u64 bad_gpa;
};

static int npt_reader_fn(void *arg)
{
	struct npt_reader *r = arg;
	struct axas_npt_leaf leaf;
	struct rnd_state rnd;

	prandom_seed_state(&rnd, 42);
	while (!READ_ONCE(r->stop)) {
		u64 gpa = SZ_1G + (prandom_u32_state(&rnd) % SZ_16M);
		int ret = axas_npt_lookup(r->npt, gpa, &leaf);

		if (!ret) {
			r->hits++;
			if (leaf.hpa != gpa + r->delta && !r->err) {
				r->err = -EINVAL;
				r->bad_gpa = gpa;
			}
		} else if (ret != -ENOENT && !r->err) {
			r->err = ret;
			r->bad_gpa = gpa;
		}
		if (!(++r->lookups & 255))
			cond_resched();
	}
	complete(&r->done);
	return 0;
}

/*
 * Lockless lookups while blocks are mapped, split, protected and freed:
 * every hit is right, and no freed table is touched (KASAN watches).
 */
/* Time budget of one race test; the minimum work is done regardless. */
#define NPT_RACE_BUDGET		(10 * HZ)

static void npt_test_lookup_race(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	struct npt_reader r = { .npt = npt, .delta = 4ULL * SZ_1G };
	unsigned long deadline = jiffies + NPT_RACE_BUDGET;
	struct task_struct *t;
	struct rnd_state rnd;
	unsigned int i, j;

	init_completion(&r.done);
	prandom_seed_state(&rnd, 7);
	t = kthread_run(npt_reader_fn, &r, "axas-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/*
	 * 200 rounds, or as many as fit the budget but at least 20: the
	 * KCSAN VM has one slow vCPU shared with the reader, and a suite
	 * that blocks its loader for 45 s trips the hung-task detector.
	 */
	for (i = 0; i < 200 && (i < 20 || time_before(jiffies, deadline));
	     i++) {
		KUNIT_ASSERT_EQ(test, axas_npt_map(npt, SZ_1G, SZ_1G + r.delta,
						   SZ_16M, NPT_RW,
						   AXAS_MEM_NORMAL), 0);
		for (j = 0; j < 3; j++) {
			u64 off = (prandom_u32_state(&rnd) % (SZ_16M / SZ_4K)) *
				  SZ_4K;
			u64 len = min_t(u64, SZ_16M - off,
					(1 + prandom_u32_state(&rnd) % 1024) *
					SZ_4K);

			axas_npt_unmap(npt, SZ_1G + off, len, NULL, NULL);
			off = (prandom_u32_state(&rnd) % (SZ_16M / SZ_4K)) *
			      SZ_4K;
			axas_npt_protect(npt, SZ_1G + off, SZ_4K * 3,
					 AXAS_PROT_READ);
		}
		KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, SZ_1G, SZ_16M, NULL,
						     NULL), 0);
		cond_resched();
	}
	WRITE_ONCE(r.stop, true);
	wait_for_completion(&r.done);
	KUNIT_EXPECT_EQ_MSG(test, r.err, 0, "gpa %#llx", r.bad_gpa);
	KUNIT_EXPECT_GT(test, r.lookups, 0);
	kunit_info(test, "%u rounds, %lu lookups, %lu hits", i, r.lookups,
		   r.hits);
	npt_expect_clean(test, ctx);
}

/*
 * Run @op with the Nth table allocation failing, for N = 1, 2, ... until
 * it succeeds; each failure must leave the table as it was.
 */
#define NPT_FAIL_NTH(test, ctx, op)					\
do {									\
	struct kunit *__test = (test);					\
	struct axas_npt *__npt = &(ctx)->npt;				\
	int __n, __ret = -ENOMEM;					\
									\
	for (__n = 1; __ret == -ENOMEM && __n < 64; __n++) {		\
		u64 __hash = npt_hash(__npt);				\
		int __pages = atomic_read(&__npt->nr_pages);		\
									\
		axas_kunit_fail_nth(__test, __n);			\
		__ret = (op);						\
		axas_kunit_fail_nth(__test, 0);				\
		if (__ret == -ENOMEM) {					\
			KUNIT_EXPECT_EQ(__test, npt_hash(__npt), __hash); \
			KUNIT_EXPECT_EQ(__test,				\
					atomic_read(&__npt->nr_pages),	\
					__pages);			\
		}							\
	}								\
	KUNIT_EXPECT_EQ_MSG(__test, __ret, 0, "%s", #op);		\
	KUNIT_EXPECT_GT_MSG(__test, __n, 2, "%s never failed", #op);	\
} while (0)

static void npt_test_fail_nth(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 gpa = SZ_1G, big = 2ULL * SZ_1G;

	/* Something already there, sharing the upper tables. */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, gpa + 64 * SZ_2M, 0, SZ_4K,
					   NPT_RW, AXAS_MEM_NORMAL), 0);
	/* 4 KiB leaves across three leaf tables: several allocations. */
	NPT_FAIL_NTH(test, ctx, axas_npt_map(npt, gpa + SZ_2M - SZ_4K, SZ_4K,
					     SZ_4M + 2 * SZ_4K, NPT_RW,
					     AXAS_MEM_NORMAL));
	npt_expect_leaf(test, npt, gpa + SZ_4M, SZ_2M + 2 * SZ_4K, 0, NPT_RW);
	NPT_FAIL_NTH(test, ctx, axas_npt_install(npt, 5ULL * SZ_2M + SZ_4K,
						 0, 0, NPT_RW,
						 AXAS_MEM_NORMAL));
	npt_expect_leaf(test, npt, 5ULL * SZ_2M + SZ_4K, 0, 0, NPT_RW);

	/* Splits for unmap and protect. */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, big, big, SZ_1G, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	NPT_FAIL_NTH(test, ctx, axas_npt_unmap(npt, big + SZ_2M + SZ_4K,
					       SZ_4K, NULL, NULL));
	npt_expect_none(test, npt, big + SZ_2M + SZ_4K);
	npt_expect_leaf(test, npt, big + SZ_2M + 2 * SZ_4K,
			big + SZ_2M + 2 * SZ_4K, 0, NPT_RW);
	NPT_FAIL_NTH(test, ctx, axas_npt_protect(npt, big + 7 * SZ_2M + SZ_4K,
						 SZ_2M, AXAS_PROT_READ));
	npt_expect_leaf(test, npt, big + 7 * SZ_2M + SZ_4K,
			big + 7 * SZ_2M + SZ_4K, 0, AXAS_PROT_READ);
	npt_expect_leaf(test, npt, big + 8 * SZ_2M + SZ_4K,
			big + 8 * SZ_2M + SZ_4K, 0, NPT_RW);
	npt_expect_clean(test, ctx);
}

/* nx_huge_pages: the leaves of a table whose executable leaves are 4 KiB. */
#define NPT_NX_RANGES	3

struct npt_nx_check {
	u64 delta;			/* hpa - gpa of every leaf */
	u64 xs[NPT_NX_RANGES];		/* ranges that must be executable */
	u64 xe[NPT_NX_RANGES];
	unsigned int leaves[AXAS_NPT_MAX_LEAF_LEVEL + 1];
	unsigned int big_exec;		/* executable leaves above level 0 */
	unsigned int bad;		/* wrong translation, rights or type */
	u64 bad_gpa;
	u64 bytes;
};

static bool npt_nx_exec(const struct npt_nx_check *c, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < NPT_NX_RANGES; i++)
		if (gpa >= c->xs[i] && gpa < c->xe[i])
			return true;
	return false;
}

static int npt_nx_leaf_cb(void *arg, u64 gpa, const struct axas_npt_leaf *leaf)
{
	struct npt_nx_check *c = arg;
	bool x = npt_nx_exec(c, gpa);

	c->leaves[leaf->level]++;
	c->bytes += leaf->size;
	if ((leaf->prot & AXAS_PROT_EXEC) && leaf->level)
		c->big_exec++;
	if (leaf->hpa != gpa + c->delta ||
	    leaf->prot != (x ? AXAS_PROT_RWX : NPT_RW) ||
	    npt_nx_exec(c, gpa + leaf->size - 1) != x ||
	    leaf->mt != AXAS_MEM_DEVICE) {
		if (!c->bad++)
			c->bad_gpa = gpa;
	}
	return 0;
}

/*
 * Every leaf: no executable one above 4 KiB, each translating as mapped
 * (@c->delta), with the rights of its range, @bytes in all.
 */
static void npt_nx_expect(struct kunit *test, struct axas_npt *npt,
			  struct npt_nx_check *c, u64 bytes)
{
	memset(c->leaves, 0, sizeof(c->leaves));
	c->big_exec = 0;
	c->bad = 0;
	c->bytes = 0;
	KUNIT_ASSERT_EQ(test, axas_npt_leaves(npt, npt_nx_leaf_cb, c), 0);
	KUNIT_EXPECT_EQ(test, c->big_exec, 0);
	KUNIT_EXPECT_EQ_MSG(test, c->bad, 0, "first at gpa %#llx", c->bad_gpa);
	KUNIT_EXPECT_EQ(test, c->bytes, bytes);
}

/*
 * Which allocation of @need to fail: each one for x86-ept4 on x86 hosts,
 * where nx_huge_pages applies (a sweep costs @need * @need / 2
 * allocations, seconds under KASAN); elsewhere the first and last four
 * and a sample between.
 */
static bool npt_nx_sweep(const struct npt_ctx *ctx, unsigned int n,
			 unsigned int need)
{
	if (IS_ENABLED(CONFIG_X86) && ctx->param->fmt == &axas_npt_x86_ept4)
		return true;
	return n <= 4 || n + 4 > need || !(n % 101);
}

/*
 * Under nx_huge_pages (max_exec_level 0, as axas_create() sets it on
 * EPT), protect that grants execute splits every block of the range down
 * to 4 KiB leaves, translations unchanged: a 1 GiB block takes 1 + 512
 * table pages, a 2 MiB one 1. Every one of them is allocated before any
 * entry changes: failing any (fault injection or the table page limit)
 * leaves the table as it was, with no page kept. Taking execute away
 * merges nothing. Run on every format: on arm64 the splits go through
 * break-before-make.
 */
static void npt_test_nx_protect(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	unsigned int top = ctx->top_leaf, flushes, pages, n, need;
	struct npt_nx_check c = { .delta = 4ULL * SZ_1G };
	u64 blk = SZ_1G + 8 * SZ_2M, g1 = 2ULL * SZ_1G, g2 = 3ULL * SZ_1G;
	u64 cut = g1 + SZ_2M - SZ_4K, cut_len = SZ_2M + 2 * SZ_4K;
	u64 mapped = SZ_4M + 2ULL * SZ_1G, hash;
	s64 hits;
	int ret = -ENOMEM;

	npt->max_exec_level = 0;
	/* Two 2 MiB blocks; two 1 GiB ones (2 MiB blocks on 2 levels). */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, blk, blk + c.delta, SZ_4M,
					   NPT_RW, AXAS_MEM_DEVICE), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, g1, g1 + c.delta, 2ULL * SZ_1G,
					   NPT_RW, AXAS_MEM_DEVICE), 0);
	npt_nx_expect(test, npt, &c, mapped);
	KUNIT_EXPECT_EQ(test, c.leaves[1], top == 2 ? 2 : 2 + 2 * 512);

	/*
	 * Across a 2 MiB boundary of the first 1 GiB block: the 2 MiB block
	 * wholly inside is split too, not just the two the range cuts.
	 */
	pages = atomic_read(&npt->nr_pages);
	flushes = npt_flushes(ctx);
	KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, cut, cut_len,
					       AXAS_PROT_RWX), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages),
			pages + (top == 2) + 3);
	c.xs[0] = cut;
	c.xe[0] = cut + cut_len;
	npt_nx_expect(test, npt, &c, mapped);
	KUNIT_EXPECT_EQ(test, c.leaves[0], 3 * 512);
	npt_expect_leaf(test, npt, g1 + SZ_2M + 42, g1 + SZ_2M + 42 + c.delta,
			0, AXAS_PROT_RWX);

	/* Two whole 2 MiB blocks: a table each. */
	pages = atomic_read(&npt->nr_pages);
	KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, blk, SZ_4M,
					       AXAS_PROT_RWX), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), pages + 2);
	c.xs[2] = blk;
	c.xe[2] = blk + SZ_4M;
	npt_nx_expect(test, npt, &c, mapped);
	KUNIT_EXPECT_EQ(test, c.leaves[0], 5 * 512);

	/* The whole second block: allocations fail in turn. */
	need = top == 2 ? 1 + 512 : 512;
	pages = atomic_read(&npt->nr_pages);
	flushes = npt_flushes(ctx);
	hash = npt_hash(npt);
	hits = atomic64_read(&npt->limit_hits);
	npt->max_pages = pages + need - 1;
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, g2, SZ_1G, AXAS_PROT_RWX),
			-ENOMEM);
	npt->max_pages = 0;
	KUNIT_EXPECT_EQ(test, atomic64_read(&npt->limit_hits), hits + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), pages);
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);
	for (n = 1; n <= need + 1; n++) {
		if (!npt_nx_sweep(ctx, n, need))
			continue;
		axas_kunit_fail_nth(test, n);
		ret = axas_npt_protect(npt, g2, SZ_1G, AXAS_PROT_RWX);
		axas_kunit_fail_nth(test, 0);
		if (ret != -ENOMEM)
			break;
		if (atomic_read(&npt->nr_pages) != pages ||
		    npt_hash(npt) != hash) {
			KUNIT_FAIL(test, "fail_nth %u changed the table", n);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* Exactly @need pages: the (@need + 1)th allocation never came. */
	KUNIT_EXPECT_EQ(test, n, need + 1);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), pages + need);
	c.xs[1] = g2;
	c.xe[1] = g2 + SZ_1G;
	npt_nx_expect(test, npt, &c, mapped);
	KUNIT_EXPECT_EQ(test, c.leaves[0], 5 * 512 + 512 * 512);
	KUNIT_EXPECT_EQ(test, c.leaves[1], 512 - 3);
	KUNIT_EXPECT_EQ(test, c.leaves[2], 0);

	/* Already executable: nothing changes, nothing is flushed. */
	hash = npt_hash(npt);
	flushes = npt_flushes(ctx);
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, g2, SZ_1G, AXAS_PROT_RWX),
			0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
	KUNIT_EXPECT_EQ(test, npt_hash(npt), hash);

	/* Taking execute away keeps the 4 KiB leaves and their tables. */
	pages = atomic_read(&npt->nr_pages);
	KUNIT_ASSERT_EQ(test, axas_npt_protect(npt, g2, SZ_1G, NPT_RW), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&npt->nr_pages), pages);
	npt_expect_leaf(test, npt, g2, g2 + c.delta, 0, NPT_RW);
	npt_expect_leaf(test, npt, g2 + SZ_1G - 1, g2 + SZ_1G - 1 + c.delta, 0,
			NPT_RW);
	npt_expect_clean(test, ctx);
}

/* The oracle: the mapped intervals, in no particular order. */
#define NPT_ORACLE_MAX	1024

struct npt_iv {
	u64 gpa;
	u64 hpa;
	u64 size;
};

struct npt_oracle {
	unsigned int nr;
	struct npt_iv iv[NPT_ORACLE_MAX];
};

static struct npt_iv *npt_oracle_find(struct npt_oracle *o, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < o->nr; i++)
		if (gpa >= o->iv[i].gpa && gpa - o->iv[i].gpa < o->iv[i].size)
			return &o->iv[i];
	return NULL;
}

static u64 npt_oracle_overlap(struct npt_oracle *o, u64 gpa, u64 size)
{
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < o->nr; i++) {
		u64 s = max(gpa, o->iv[i].gpa);
		u64 e = min(gpa + size, o->iv[i].gpa + o->iv[i].size);

		if (s < e)
			bytes += e - s;
	}
	return bytes;
}

/* Remove [gpa, gpa + size); false when the table would overflow. */
static bool npt_oracle_remove(struct npt_oracle *o, u64 gpa, u64 size)
{
	u64 end = gpa + size;
	unsigned int i = 0;

	while (i < o->nr) {
		struct npt_iv iv = o->iv[i];
		u64 iv_end = iv.gpa + iv.size;

		if (iv_end <= gpa || iv.gpa >= end) {
			i++;
			continue;
		}
		o->iv[i] = o->iv[--o->nr];
		if (iv.gpa < gpa) {
			if (o->nr >= NPT_ORACLE_MAX)
				return false;
			o->iv[o->nr++] = (struct npt_iv){ iv.gpa, iv.hpa,
							  gpa - iv.gpa };
		}
		if (iv_end > end) {
			if (o->nr >= NPT_ORACLE_MAX)
				return false;
			o->iv[o->nr++] = (struct npt_iv){
				end, iv.hpa + (end - iv.gpa), iv_end - end };
		}
	}
	return true;
}

static void npt_oracle_check(struct kunit *test, struct axas_npt *npt,
			     struct npt_oracle *o, u64 gpa)
{
	struct npt_iv *iv = npt_oracle_find(o, gpa);
	struct axas_npt_leaf leaf;
	int ret = axas_npt_lookup(npt, gpa, &leaf);
	u64 base;

	if (!iv) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT, "gpa %#llx", gpa);
		return;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "gpa %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, leaf.hpa, iv->hpa + (gpa - iv->gpa),
			    "gpa %#llx", gpa);
	/* The leaf never reaches past what was mapped. */
	base = ALIGN_DOWN(gpa, leaf.size);
	KUNIT_EXPECT_GE_MSG(test, base, iv->gpa, "gpa %#llx", gpa);
	KUNIT_EXPECT_LE_MSG(test, base + leaf.size, iv->gpa + iv->size,
			    "gpa %#llx", gpa);
}

/* Every page of a small range; ends, block edges and samples of a big one. */
static void npt_oracle_check_range(struct kunit *test, struct axas_npt *npt,
				   struct npt_oracle *o, u64 gpa, u64 size,
				   struct rnd_state *rnd)
{
	u64 a;
	int i;

	if (size <= SZ_4M) {
		for (a = gpa; a < gpa + size; a += SZ_4K)
			npt_oracle_check(test, npt, o, a);
	} else {
		for (a = ALIGN(gpa, SZ_2M); a < gpa + size; a += SZ_2M) {
			npt_oracle_check(test, npt, o, a);
			if (a)
				npt_oracle_check(test, npt, o, a - SZ_4K);
		}
		for (i = 0; i < 64; i++)
			npt_oracle_check(test, npt, o, gpa +
					 ((u64)prandom_u32_state(rnd) << 12) %
					 size);
	}
	if (gpa)
		npt_oracle_check(test, npt, o, gpa - SZ_4K);
	if (gpa + size < BIT_ULL(npt->gpa_bits))
		npt_oracle_check(test, npt, o, gpa + size);
}

struct npt_removed_check {
	struct kunit *test;
	struct npt_oracle *o;
	u64 bytes;
};

static void npt_removed_check_cb(void *arg, u64 gpa, phys_addr_t hpa,
				 u64 size)
{
	struct npt_removed_check *c = arg;
	struct npt_iv *iv = npt_oracle_find(c->o, gpa);

	c->bytes += size;
	KUNIT_EXPECT_NOT_NULL_MSG(c->test, iv, "gpa %#llx", gpa);
	if (!iv)
		return;
	KUNIT_EXPECT_EQ_MSG(c->test, hpa, iv->hpa + (gpa - iv->gpa),
			    "gpa %#llx", gpa);
	KUNIT_EXPECT_LE_MSG(c->test, gpa + size, iv->gpa + iv->size,
			    "gpa %#llx", gpa);
}

static void npt_test_random(struct kunit *test)
{
	static const u64 spans[] = { SZ_8M, SZ_64M, 4ULL * SZ_1G };
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 space = BIT_ULL(npt->gpa_bits);
	struct npt_oracle *o;
	struct rnd_state rnd;
	unsigned int op;

	o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	prandom_seed_state(&rnd, 0x61786173);

	for (op = 0; op < 400; op++) {
		unsigned int level = prandom_u32_state(&rnd) % 3;
		u64 bsize = npt_size(level);
		u64 span = min(spans[level], space);
		u64 nblocks = 1 + prandom_u32_state(&rnd) % 3;
		u64 gpa = (prandom_u32_state(&rnd) % (span / bsize)) * bsize;
		u64 size = min(nblocks * bsize, span - gpa);
		int ret;

		if (prandom_u32_state(&rnd) % 5 < 3) {
			/* Map; an HPA aligned to 4 KiB only now and then. */
			u64 hpa = ((u64)prandom_u32_state(&rnd) % 64) * SZ_1G;
			u64 mapped = npt_oracle_overlap(o, gpa, size);

			if (prandom_u32_state(&rnd) % 4 == 0)
				hpa += SZ_4K;
			if (o->nr >= NPT_ORACLE_MAX / 2)
				continue;
			ret = axas_npt_map(npt, gpa, hpa, size, NPT_RW,
					   AXAS_MEM_NORMAL);
			KUNIT_ASSERT_EQ_MSG(test, ret, mapped ? -EEXIST : 0,
					    "op %u map %#llx+%#llx", op, gpa,
					    size);
			if (!ret)
				o->iv[o->nr++] = (struct npt_iv){ gpa, hpa,
								  size };
		} else {
			/* Unmap at 4 KiB granularity, cutting blocks. */
			struct npt_removed_check c = { test, o, 0 };
			u64 mapped;

			gpa += ((u64)prandom_u32_state(&rnd) % 512) * SZ_4K;
			if (gpa >= span)
				gpa = span - SZ_4K;
			size = min_t(u64, size, span - gpa);
			mapped = npt_oracle_overlap(o, gpa, size);
			ret = axas_npt_unmap(npt, gpa, size,
					     npt_removed_check_cb, &c);
			KUNIT_ASSERT_EQ_MSG(test, ret, mapped ? 0 : -ENOENT,
					    "op %u unmap %#llx+%#llx", op, gpa,
					    size);
			KUNIT_EXPECT_EQ(test, c.bytes, mapped);
			KUNIT_ASSERT_TRUE(test,
					  npt_oracle_remove(o, gpa, size));
		}
		npt_oracle_check_range(test, npt, o, gpa, size, &rnd);
	}
	for (op = 0; op < o->nr; op++)
		npt_oracle_check_range(test, npt, o, o->iv[op].gpa,
				       o->iv[op].size, &rnd);
	npt_expect_clean(test, ctx);
}

static void npt_test_flush(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	unsigned int flushes = 0;

	/* 4 MiB of 4 KiB pages: two leaf tables go in one flush. */
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, SZ_1G, SZ_4K, SZ_4M, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, 0, 0, SZ_2M, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
	npt_log_reset(ctx);
	KUNIT_ASSERT_EQ(test, axas_npt_unmap(npt, SZ_1G - SZ_2M, SZ_4M + SZ_4M,
					     npt_log_removed, ctx), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
	KUNIT_EXPECT_EQ(test, ctx->last_flush_gpa, SZ_1G - SZ_2M);
	KUNIT_EXPECT_EQ(test, ctx->last_flush_size, SZ_4M + SZ_4M);
	KUNIT_EXPECT_EQ(test, ctx->nr_removed, 1024);
	KUNIT_EXPECT_EQ(test, ctx->removed_bytes, SZ_4M);
	KUNIT_EXPECT_EQ(test, axas_npt_unmap(npt, SZ_1G, SZ_4M, NULL, NULL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
	KUNIT_EXPECT_EQ(test, axas_npt_install(npt, SZ_1G, 0, 0, NPT_RW,
					       AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), flushes);
	KUNIT_EXPECT_EQ(test, axas_npt_protect(npt, 0, SZ_2G, AXAS_PROT_READ),
			0);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);

	/* Destroy flushes everything once and reports what is left. */
	npt_log_reset(ctx);
	KUNIT_EXPECT_EQ(test, ctx->nr_flush_all, 0);
	axas_npt_destroy(npt, npt_log_removed, ctx);
	KUNIT_EXPECT_EQ(test, ctx->nr_flush_all, 1);
	KUNIT_EXPECT_EQ(test, npt_flushes(ctx), ++flushes);
	KUNIT_EXPECT_EQ(test, ctx->removed_bytes, SZ_2M + SZ_4K);
}

/* What the walker showed a recording visitor. */
struct npt_walk_log {
	struct kunit *test;
	unsigned int leaves, pre, post, depth, stop_at;
	u64 last_addr;
	u64 leaf_addr[4];
	unsigned int leaf_level[4];
	u64 *stack[AXAS_NPT_MAX_LEVELS];
};

static int npt_walk_record(struct axas_npt_visit_ctx *ctx,
			   enum axas_npt_walk_flags visit)
{
	struct npt_walk_log *log = ctx->arg;
	struct kunit *test = log->test;

	KUNIT_EXPECT_TRUE(test, ctx->live);
	KUNIT_EXPECT_LT(test, ctx->addr, ctx->end);
	KUNIT_EXPECT_LE(test, ctx->end - ctx->addr, npt_size(ctx->level));
	KUNIT_EXPECT_EQ(test, ctx->old, READ_ONCE(*ctx->ptep));
	switch (visit) {
	case AXAS_NPT_WALK_TABLE_PRE:
		/* Address order: a table starts where the walk stands. */
		KUNIT_EXPECT_GE(test, ctx->addr, log->last_addr);
		log->last_addr = ctx->addr;
		KUNIT_ASSERT_LT(test, log->depth, AXAS_NPT_MAX_LEVELS);
		log->stack[log->depth++] = ctx->child;
		log->pre++;
		break;
	case AXAS_NPT_WALK_TABLE_POST:
		/* Each table closes after its entries, innermost first. */
		KUNIT_ASSERT_GT(test, log->depth, 0);
		KUNIT_EXPECT_PTR_EQ(test, log->stack[--log->depth], ctx->child);
		log->post++;
		break;
	case AXAS_NPT_WALK_LEAF:
		KUNIT_EXPECT_GE(test, ctx->addr, log->last_addr);
		log->last_addr = ctx->end;
		if (!(ctx->old & ctx->npt->fmt->valid_mask))
			break;
		if (log->leaves < ARRAY_SIZE(log->leaf_addr)) {
			log->leaf_addr[log->leaves] = ctx->addr;
			log->leaf_level[log->leaves] = ctx->level;
		}
		if (++log->leaves == log->stop_at)
			return 42;
		break;
	}
	return 0;
}

/*
 * The walker: address order, every table visited before and after its
 * entries in matching pairs, partial ranges clipped, a visitor's non-zero
 * return ends the walk and is returned.
 */
static void npt_test_walk(struct kunit *test)
{
	struct npt_ctx *ctx = test->priv;
	struct axas_npt *npt = &ctx->npt;
	u64 big = npt_size(ctx->top_leaf), top = BIT_ULL(npt->gpa_bits);
	struct npt_walk_log log = { .test = test };
	struct axas_npt_walker walker = {
		.cb	= npt_walk_record,
		.arg	= &log,
		.flags	= AXAS_NPT_WALK_LEAF | AXAS_NPT_WALK_TABLE_PRE |
			  AXAS_NPT_WALK_TABLE_POST,
	};

	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, SZ_4K, SZ_4K, SZ_4K, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, SZ_4M, SZ_4M, SZ_2M, NPT_RW,
					   AXAS_MEM_NORMAL), 0);
	KUNIT_ASSERT_EQ(test, axas_npt_map(npt, 3 * big, big, big, NPT_RW,
					   AXAS_MEM_NORMAL), 0);

	KUNIT_EXPECT_EQ(test, axas_npt_walk(npt, 0, top, &walker), 0);
	KUNIT_EXPECT_EQ(test, log.leaves, 3);
	KUNIT_EXPECT_EQ(test, log.leaf_addr[0], SZ_4K);
	KUNIT_EXPECT_EQ(test, log.leaf_level[0], 0);
	KUNIT_EXPECT_EQ(test, log.leaf_addr[1], SZ_4M);
	KUNIT_EXPECT_EQ(test, log.leaf_level[1], 1);
	KUNIT_EXPECT_EQ(test, log.leaf_addr[2], 3 * big);
	KUNIT_EXPECT_EQ(test, log.leaf_level[2], ctx->top_leaf);
	KUNIT_EXPECT_EQ(test, log.pre, log.post);
	KUNIT_EXPECT_EQ(test, log.depth, 0);
	KUNIT_EXPECT_EQ(test, log.pre,
			atomic_read(&npt->nr_pages) - ctx->root_pages);

	/* Part of the 2 MiB block: one visit, clipped to the range. */
	memset(&log, 0, sizeof(log));
	log.test = test;
	walker.flags = AXAS_NPT_WALK_LEAF;
	KUNIT_EXPECT_EQ(test, axas_npt_walk(npt, SZ_4M + SZ_8K, SZ_16K,
					    &walker), 0);
	KUNIT_EXPECT_EQ(test, log.leaves, 1);
	KUNIT_EXPECT_EQ(test, log.leaf_addr[0], SZ_4M + SZ_8K);
	KUNIT_EXPECT_EQ(test, log.last_addr, SZ_4M + SZ_8K + SZ_16K);

	/* Stop at the second leaf: 42 comes back, nothing after it. */
	memset(&log, 0, sizeof(log));
	log.test = test;
	log.stop_at = 2;
	KUNIT_EXPECT_EQ(test, axas_npt_walk(npt, 0, top, &walker), 42);
	KUNIT_EXPECT_EQ(test, log.leaves, 2);
	KUNIT_EXPECT_EQ(test, log.last_addr, SZ_4M + SZ_2M);
	npt_expect_clean(test, ctx);
}

static struct kunit_case axas_npt_cases[] = {
	KUNIT_CASE_PARAM(npt_test_encode, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_geometry, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_empty, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_map_sizes, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_overlap, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_split_unmap, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_range, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_protect, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_install, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_install_race, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_lookup_race, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_fail_nth, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_nx_protect, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_random, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_flush, npt_gen_params),
	KUNIT_CASE_PARAM(npt_test_walk, npt_gen_params),
	{}
};

static struct kunit_suite axas_npt_suite = {
	.name = "axas_npt",
	.init = npt_test_init,
	.exit = npt_test_exit,
	.test_cases = axas_npt_cases,
};

kunit_test_suite(axas_npt_suite);
