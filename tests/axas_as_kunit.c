// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the address-space core (axas_as.c, axas_backend.c)
 * through the exported in-kernel API, run for every table format: regions,
 * backends, faults, translation, guest read/write, rollback and
 * concurrency. Every test ends with its table pages, frames and the
 * global SecPageTables count back where they started.
 */
#include <kunit/test.h>
#include <linux/axas.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "axas_arch.h"
#include "axas_internal.h"
#include "axas_kunit_fail.h"

#define AS_RW		(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define AS_POP		AXAS_MAP_ALLOC_POPULATE
#define AS_HUGE		AXAS_MAP_ALLOC_HUGE
/* Where the tests put regions: low enough for every width. */
#define AS_GPA		((u64)SZ_1G)
/*
 * A host-physical range for device linear maps that are never accessed:
 * claimed by the suite (as_suite_init()), so it is no System RAM and
 * nothing else appears there; 1 GiB aligned, so every block size fits.
 */
#define AS_HPA_SIZE	((u64)SZ_2G)

static struct resource as_mmio = {
	.name	= "axas-kunit-mmio",
	.flags	= IORESOURCE_MEM,
};

static phys_addr_t as_hpa;

struct as_param {
	enum axas_format format;
	unsigned int gpa_bits;		/* asked for; 0: the default */
	unsigned int bits;		/* what the address space gets */
	unsigned int levels;
	unsigned int root_pages;
	const char *name;
};

static const struct as_param as_params[] = {
	{ AXAS_FORMAT_X86_EPT4,	    0, 48, 4, 1, "x86-ept4" },
	{ AXAS_FORMAT_X86_EPT5,	    0, 57, 5, 1, "x86-ept5" },
	{ AXAS_FORMAT_ARM64_S2,	   36, 36, 3, 1, "arm64-s2-ipa36" },
	{ AXAS_FORMAT_ARM64_S2,	    0, 40, 3, 2, "arm64-s2-ipa40" },
	{ AXAS_FORMAT_ARM64_S2,	   48, 48, 4, 1, "arm64-s2-ipa48" },
	{ AXAS_FORMAT_RISCV_SV39X4, 0, 41, 3, 4, "riscv-sv39x4" },
	{ AXAS_FORMAT_RISCV_SV48X4, 0, 50, 4, 4, "riscv-sv48x4" },
	{ AXAS_FORMAT_RISCV_SV57X4, 0, 59, 5, 4, "riscv-sv57x4" },
};

static void as_param_desc(const struct as_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(as, as_params, as_param_desc);

struct as_ctx {
	const struct as_param *p;
	struct axas *as;
	long sec_start;
};

/*
 * NR_SECONDARY_PAGETABLE, exactly: each node's counter plus what each CPU
 * has not folded into it yet. Not the global counter: vmstat folds a
 * CPU's delta into the node at once but into the global sum only after
 * walking every zone and node, so global + deltas is off meanwhile (by
 * pages freed on another CPU than the one that allocated them, say).
 * Two equal readings in a row rule out a fold in flight.
 */
static long as_sec_pages(void)
{
	long v, prev = LONG_MIN;
	int nid, cpu, tries = 10;

	for (;;) {
		v = 0;
		for_each_online_node(nid) {
			struct pglist_data *pgdat = NODE_DATA(nid);

			v += atomic_long_read(&pgdat->vm_stat[NR_SECONDARY_PAGETABLE]);
			for_each_possible_cpu(cpu)
				v += per_cpu_ptr(pgdat->per_cpu_nodestats, cpu)
					->vm_node_stat_diff[NR_SECONDARY_PAGETABLE];
		}
		if (v == prev || !--tries)
			return v;
		prev = v;
	}
}

/* Out of identifiers: ENOSPC, as documented, not ENOMEM. */
static void as_test_create_enospc(struct kunit *test)
{
	struct axas_params params = { .format = AXAS_FORMAT_X86_EPT4 };
	unsigned int old = axas_id_max, n;
	struct axas *as[4];
	long err = 0;

	/* Ids 0 to 3 at most: a fifth address space finds none. */
	WRITE_ONCE(axas_id_max, ARRAY_SIZE(as) - 1);
	for (n = 0; n <= ARRAY_SIZE(as); n++) {
		struct axas *a = axas_create(&params);

		if (IS_ERR(a)) {
			err = PTR_ERR(a);
			break;
		}
		if (n == ARRAY_SIZE(as)) {	/* cannot happen */
			axas_put(a);
			break;
		}
		as[n] = a;
	}
	WRITE_ONCE(axas_id_max, old);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	while (n--)
		axas_put(as[n]);
	/* Ids are free again. */
	as[0] = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as[0]));
	axas_put(as[0]);
}

static struct axas *as_new(struct kunit *test, u64 max_frames)
{
	struct as_ctx *ctx = test->priv;
	struct axas_params params = {
		.format		= ctx->p->format,
		.gpa_bits	= ctx->p->gpa_bits,
		.max_frames	= max_frames,
	};
	struct axas *as = axas_create(&params);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(as), "axas_create: %ld",
			       PTR_ERR(as));
	return as;
}

static int as_test_init(struct kunit *test)
{
	struct as_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->p = test->param_value;
	rcu_barrier();
	ctx->sec_start = as_sec_pages();
	/* Cases without a format parameter make their own. */
	if (ctx->p)
		ctx->as = as_new(test, 0);
	return 0;
}

/* Drop the test's address space: every table page goes back. */
static void as_test_exit(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;

	if (!ctx)
		return;
	if (ctx->as)
		axas_put(ctx->as);
	ctx->as = NULL;
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, as_sec_pages(), ctx->sec_start);
}

/* Claim the device range the linear maps of every test point at. */
static int as_suite_init(struct kunit_suite *suite)
{
	int ret;

	/* Below every format's output width (48 bits at least). */
	ret = allocate_resource(&iomem_resource, &as_mmio, AS_HPA_SIZE, 0,
				BIT_ULL(40) - 1, SZ_1G, NULL, NULL);
	if (ret)
		return ret;
	as_hpa = as_mmio.start;
	return 0;
}

static void as_suite_exit(struct kunit_suite *suite)
{
	if (as_mmio.parent)
		release_resource(&as_mmio);
}

static void as_folio_put_action(void *folio)
{
	folio_put(folio);
}

/*
 * System RAM for normal linear maps: 2^@order zeroed pages, naturally
 * aligned, freed when the test ends (after its address space is gone:
 * actions run after the exit function).
 */
static phys_addr_t as_ram(struct kunit *test, unsigned int order)
{
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							as_folio_put_action,
							folio), 0);
	return PFN_PHYS(folio_pfn(folio));
}

/*
 * A hole of @size bytes, @size aligned: a free range of the resource tree
 * (claimed to find it, then released again).
 */
static phys_addr_t as_hole(struct kunit *test, u64 size)
{
	struct resource res = { .name = "axas-kunit-hole",
				.flags = IORESOURCE_MEM };

	KUNIT_ASSERT_EQ(test, allocate_resource(&iomem_resource, &res, size, 0,
						BIT_ULL(40) - 1, size, NULL,
						NULL), 0);
	release_resource(&res);
	return res.start;
}

/* Replace the test's address space by one with a frame limit. */
static struct axas *as_renew(struct kunit *test, u64 max_frames)
{
	struct as_ctx *ctx = test->priv;

	axas_put(ctx->as);
	ctx->as = NULL;
	ctx->as = as_new(test, max_frames);
	return ctx->as;
}

static u64 as_top(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;

	return BIT_ULL(ctx->p->bits);
}

static void as_stats(struct axas *as, struct axas_stats *st)
{
	axas_get_stats(as, st);
}

/* The state a failed operation must leave alone (not the event counters). */
static void as_expect_same(struct kunit *test, const struct axas_stats *a,
			   const struct axas_stats *b)
{
	KUNIT_EXPECT_EQ(test, a->regions, b->regions);
	KUNIT_EXPECT_EQ(test, a->frames, b->frames);
	KUNIT_EXPECT_EQ(test, a->leaves_4k, b->leaves_4k);
	KUNIT_EXPECT_EQ(test, a->leaves_2m, b->leaves_2m);
	KUNIT_EXPECT_EQ(test, a->leaves_1g, b->leaves_1g);
	KUNIT_EXPECT_EQ(test, a->table_pages, b->table_pages);
}

/*
 * Unmap the whole width and check that nothing is left but the root: no
 * region, no frame, no leaf.
 */
static void as_expect_empty(struct kunit *test, struct axas *as)
{
	struct as_ctx *ctx = test->priv;
	struct axas_stats st;
	int ret;

	ret = axas_unmap(as, 0, as_top(test));
	KUNIT_EXPECT_TRUE_MSG(test, ret == 0 || ret == -ENOENT, "unmap %d",
			      ret);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 0);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, st.leaves_4k + st.leaves_2m + st.leaves_1g, 0);
	KUNIT_EXPECT_EQ(test, st.table_pages, ctx->p->root_pages);
	KUNIT_EXPECT_EQ(test, atomic_read(&as->npt.nr_pages),
			ctx->p->root_pages);
	KUNIT_EXPECT_EQ(test, atomic64_read(&as->frames), 0);
}

/* The byte a test stores at @gpa: differs between pages and offsets. */
static u8 as_pat(u64 gpa, u8 seed)
{
	u64 x = gpa * 0x9e3779b97f4a7c15ULL + seed;

	return x >> 56;
}

static void as_fill(u8 *buf, u64 gpa, size_t len, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = as_pat(gpa + i, seed);
}

/* Offset of the first byte of @buf that is not the pattern, or -1. */
static long as_check_pat(const u8 *buf, u64 gpa, size_t len, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != as_pat(gpa + i, seed))
			return i;
	return -1;
}

/*
 * Read guest memory behind axas_read()'s back: translate each page and
 * map the frame, so a read/write bug cannot hide behind its own mirror.
 */
static int as_peek(struct axas *as, u64 gpa, u8 *buf, size_t len)
{
	while (len) {
		size_t chunk = min_t(size_t, len, SZ_4K - (gpa & (SZ_4K - 1)));
		phys_addr_t hpa;
		void *va;
		int ret;

		ret = axas_translate(as, gpa, &hpa);
		if (ret)
			return ret;
		if (!pfn_valid(PHYS_PFN(hpa)))
			return -EFAULT;
		va = kmap_local_page(pfn_to_page(PHYS_PFN(hpa)));
		memcpy(buf, va + offset_in_page(hpa), chunk);
		kunmap_local(va);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Write a pattern, then check it with axas_read() and as_peek(). */
static void as_rw_roundtrip(struct kunit *test, struct axas *as, u64 gpa,
			    size_t len, u8 seed, unsigned int flags)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	u8 *back = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, back);
	as_fill(buf, gpa, len, seed);
	KUNIT_ASSERT_EQ_MSG(test, axas_write(as, gpa, buf, len, flags), 0,
			    "write %#llx+%zu", gpa, len);
	memset(back, 0, len);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa, back, len, 0), 0);
	KUNIT_EXPECT_EQ_MSG(test, as_check_pat(back, gpa, len, seed), -1,
			    "read %#llx+%zu", gpa, len);
	memset(back, 0, len);
	KUNIT_EXPECT_EQ(test, as_peek(as, gpa, back, len), 0);
	KUNIT_EXPECT_EQ_MSG(test, as_check_pat(back, gpa, len, seed), -1,
			    "peek %#llx+%zu", gpa, len);
	kunit_kfree(test, buf);
	kunit_kfree(test, back);
}

static phys_addr_t as_xlate(struct kunit *test, struct axas *as, u64 gpa)
{
	phys_addr_t hpa = 0;

	KUNIT_EXPECT_EQ_MSG(test, axas_translate(as, gpa, &hpa), 0,
			    "translate %#llx", gpa);
	return hpa;
}

static void as_expect_unmapped(struct kunit *test, struct axas *as, u64 gpa)
{
	phys_addr_t hpa;

	KUNIT_EXPECT_EQ_MSG(test, axas_translate(as, gpa, &hpa), -ENOENT,
			    "translate %#llx", gpa);
}

/* ------------------------------------------------------------------ */

static void as_test_create_errors(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	const struct as_param *p = ctx->p;
	u64 top = as_top(test);
	struct axas_params params = {
		.format = p->format, .gpa_bits = p->gpa_bits,
	};
	struct axas_params bad;
	struct axas *as;
	phys_addr_t hpa;

	bad = params;
	bad.format = 7;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);
	bad.format = (enum axas_format)-1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);

	bad = params;
	bad.gpa_bits = p->format == AXAS_FORMAT_ARM64_S2 ? 49 : p->bits + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);
	bad.gpa_bits = p->format == AXAS_FORMAT_ARM64_S2 ? 31 : p->bits - 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);
	bad.gpa_bits = 64;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);

	bad = params;
	bad.base = SZ_2K;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);
	bad.base = 0;
	bad.size = SZ_1M + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -EINVAL);
	bad.base = top;
	bad.size = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -ERANGE);
	bad.base = 0;
	bad.size = top + SZ_4K;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -ERANGE);
	bad.base = SZ_4K;
	bad.size = top;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_create(&bad)), -ERANGE);

	/* The last page of the width is a valid window. */
	bad.base = top - SZ_4K;
	bad.size = SZ_4K;
	as = axas_create(&bad);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, top - SZ_4K, SZ_4K, AS_RW,
					     AS_POP), 0);
	KUNIT_EXPECT_EQ(test, axas_translate(as, top - 1, &hpa), 0);
	axas_put(as);

	/* A window [1 GiB, 2 GiB): maps outside it are out of range. */
	bad.base = AS_GPA;
	bad.size = SZ_1G;
	as = axas_create(&bad);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, AS_GPA - SZ_4K, SZ_4K, AS_RW,
					     0), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, AS_GPA - SZ_4K, SZ_8K, AS_RW,
					     0), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, 2 * AS_GPA - SZ_4K, SZ_8K,
					     AS_RW, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, 2 * AS_GPA, SZ_4K, as_hpa,
					      AS_RW, AXAS_MEM_DEVICE), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_4K, AS_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, 2 * AS_GPA - SZ_4K, SZ_4K,
					     AS_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, 0, SZ_4K), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_protect(as, 0, SZ_4K, AS_RW), -ERANGE);
	/* Inside the width but outside the window: not guest memory. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, SZ_4K, AXAS_PROT_READ),
			AXAS_FAULT_NOT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, top, AXAS_PROT_READ),
			-ERANGE);
	axas_put(as);
}

/* %AXAS_FORMAT_DEFAULT is the host's own format. */
static void as_test_create_default(struct kunit *test)
{
	struct axas_params params = {};
	struct axas_root_info info;
	enum axas_format native = AXAS_FORMAT_DEFAULT;
	struct axas *as;

	if (IS_ENABLED(CONFIG_X86_64))
		native = AXAS_FORMAT_X86_EPT4;
	else if (IS_ENABLED(CONFIG_ARM64))
		native = AXAS_FORMAT_ARM64_S2;
	else if (IS_ENABLED(CONFIG_RISCV))
		native = AXAS_FORMAT_RISCV_SV48X4;
	as = axas_create(&params);
	if (native == AXAS_FORMAT_DEFAULT) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(as), -EINVAL);
		return;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	axas_root_info(as, &info);
	KUNIT_EXPECT_EQ(test, info.format, native);
	if (native == AXAS_FORMAT_ARM64_S2)
		KUNIT_EXPECT_EQ(test, info.gpa_bits, 40);
	axas_put(as);
}

static void as_test_root_info(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	const struct as_param *p = ctx->p;
	struct axas_root_info info;
	struct axas_stats st;

	axas_root_info(ctx->as, &info);
	KUNIT_EXPECT_EQ(test, info.format, p->format);
	KUNIT_EXPECT_EQ(test, info.levels, p->levels);
	KUNIT_EXPECT_EQ(test, info.gpa_bits, p->bits);
	KUNIT_EXPECT_EQ(test, info.root_pages, p->root_pages);
	KUNIT_EXPECT_NE(test, info.root_pa, 0);
	/* Concatenated roots are aligned to their size. */
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(info.root_pa,
					   SZ_4K * p->root_pages));

	switch (p->format) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		/* WB (6), walk length - 1 in 5:3, A/D (bit 6) off. */
		KUNIT_EXPECT_EQ(test, info.eptp,
				(u64)info.root_pa | (p->levels - 1) << 3 | 6);
		KUNIT_EXPECT_EQ(test, info.vttbr | info.vtcr | info.hgatp, 0);
		break;
	case AXAS_FORMAT_ARM64_S2:
		KUNIT_EXPECT_EQ(test, info.vttbr, (u64)info.root_pa);
		KUNIT_EXPECT_NE(test, info.vtcr, 0);
		KUNIT_EXPECT_EQ(test, info.vtcr & GENMASK_ULL(5, 0),
				64 - p->bits);
		/* SL0: 2 starts at level 0, 1 at level 1 (4 KiB granule). */
		KUNIT_EXPECT_EQ(test, (info.vtcr >> 6) & 3, p->levels - 2);
		KUNIT_EXPECT_EQ(test, info.eptp | info.hgatp, 0);
		break;
	case AXAS_FORMAT_RISCV_SV39X4:
	case AXAS_FORMAT_RISCV_SV48X4:
	case AXAS_FORMAT_RISCV_SV57X4:
		KUNIT_EXPECT_EQ(test, info.hgatp >> 60,
				8 + p->format - AXAS_FORMAT_RISCV_SV39X4);
		KUNIT_EXPECT_EQ(test, info.hgatp & GENMASK_ULL(43, 0),
				(u64)info.root_pa >> 12);
		/* VMID left to the caller. */
		KUNIT_EXPECT_EQ(test, info.hgatp & GENMASK_ULL(57, 44), 0);
		KUNIT_EXPECT_EQ(test, info.eptp | info.vttbr | info.vtcr, 0);
		break;
	case AXAS_FORMAT_DEFAULT:
		KUNIT_FAIL(test, "default format in the table");
		break;
	}

	as_stats(ctx->as, &st);
	KUNIT_EXPECT_EQ(test, st.table_pages, p->root_pages);
	KUNIT_EXPECT_EQ(test, st.regions, 0);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
}

/* Linear: GPA + 42 is HPA + 42, with the largest blocks alignment allows. */
static void as_test_linear_translate(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 size = SZ_1G + SZ_2M + SZ_4K, len;
	u64 gpa2 = AS_GPA + 4 * (u64)SZ_1G;
	struct axas_stats st;
	phys_addr_t hpa;

	KUNIT_ASSERT_EQ(test, axas_map_linear(as, AS_GPA, size, as_hpa, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + 42), as_hpa + 42);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + SZ_1G + 42),
			as_hpa + SZ_1G + 42);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + SZ_1G + SZ_2M + 42),
			as_hpa + SZ_1G + SZ_2M + 42);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + size - 1),
			as_hpa + size - 1);
	as_expect_unmapped(test, as, AS_GPA - 1);
	as_expect_unmapped(test, as, AS_GPA + size);
	KUNIT_EXPECT_EQ(test, axas_translate(as, as_top(test), &hpa), -ERANGE);

	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, AS_GPA + 42, &hpa,
						   &len), 0);
	KUNIT_EXPECT_EQ(test, hpa, as_hpa + 42);
	KUNIT_EXPECT_EQ(test, len, size - 42);

	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_1g, 1);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 1);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 1);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, st.frames, 0);

	/* GPA and HPA in different 2 MiB phases: 4 KiB leaves only. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, gpa2 + SZ_4K, SZ_4M,
					      as_hpa + SZ_8K, AXAS_PROT_READ,
					      AXAS_MEM_DEVICE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 1 + SZ_4M / SZ_4K);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 1);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, gpa2 + SZ_2M + 42),
			as_hpa + SZ_8K + SZ_2M - SZ_4K + 42);
	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, gpa2 + SZ_4K + 8, &hpa,
						   &len), 0);
	KUNIT_EXPECT_EQ(test, len, SZ_4M - 8);

	/* A linear region is mapped: faults on it are spurious or refused. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa2 + SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa2 + SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);

	as_expect_empty(test, as);
}

static void as_free_pages_action(void *page)
{
	__free_pages(page, 1);
}

/*
 * Linear regions over real pages (normal memory) and over device memory:
 * translation reaches them, guest read/write never does (axas never kmaps
 * memory it does not own: it may be absent from the direct map), and a
 * refused access copies nothing.
 */
static void as_test_linear_rw(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA + SZ_1M;
	phys_addr_t pa, hpa;
	struct page *page;
	u8 buf[64], *va;
	unsigned int mt;

	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							as_free_pages_action,
							page), 0);
	pa = page_to_phys(page);
	va = page_address(page);
	memset(va, 0x5a, 2 * PAGE_SIZE);

	for (mt = AXAS_MEM_NORMAL; mt <= AXAS_MEM_DEVICE; mt++) {
		hpa = mt == AXAS_MEM_NORMAL ? pa : as_hpa;
		KUNIT_ASSERT_EQ(test, axas_map_linear(as, gpa, SZ_8K, hpa,
						      AS_RW, mt), 0);
		KUNIT_EXPECT_EQ(test, as_xlate(test, as, gpa + 42), hpa + 42);
		memset(buf, 0xee, sizeof(buf));
		KUNIT_EXPECT_EQ(test, axas_read(as, gpa + SZ_4K - 27, buf, 61,
						0), -EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test, buf[0], 0xee);
		KUNIT_EXPECT_EQ(test, axas_write(as, gpa + SZ_4K - 27, buf, 61,
						 0), -EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test, axas_write(as, gpa, buf, 8,
						 AXAS_RW_FAULT_IN),
				-EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test, va[0], 0x5a);
		KUNIT_EXPECT_EQ(test, va[SZ_4K - 27], 0x5a);
		KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa, SZ_8K), 0);
	}

	/* Read-only: rights come first, then the backend. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, gpa + SZ_2M, SZ_4K, pa,
					      AXAS_PROT_READ,
					      AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, axas_write(as, gpa + SZ_2M, buf, 8, 0), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa + SZ_2M, buf, 8, 0),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, va[0], 0x5a);

	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa, SZ_4M), 0);
	/* axas never frees linear memory: the data is still there. */
	KUNIT_EXPECT_EQ(test, va[SZ_4K + 34], 0x5a);
	as_expect_empty(test, as);
}

/* Populate: every frame at once, 2 MiB frames where allowed and aligned. */
static void as_test_populate(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, huge = AS_GPA + SZ_16M;
	struct axas_stats st;
	phys_addr_t hpa, prev = 0;
	unsigned int i, nr = 64;
	u8 *buf;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, nr * SZ_4K, AS_RW,
					     AS_POP), 0);
	for (i = 0; i < nr; i++) {
		KUNIT_ASSERT_EQ(test, axas_translate(as, gpa + i * SZ_4K + 9,
						     &hpa), 0);
		KUNIT_EXPECT_EQ(test, offset_in_page(hpa), 9);
		KUNIT_EXPECT_TRUE(test, pfn_valid(PHYS_PFN(hpa)));
		KUNIT_EXPECT_NE(test, hpa, prev);
		prev = hpa;
	}
	as_expect_unmapped(test, as, gpa + nr * SZ_4K);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, nr);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, nr);
	KUNIT_EXPECT_EQ(test, st.regions, 1);

	/* Frames are zeroed. */
	buf = kunit_kmalloc(test, nr * SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0xaa, nr * SZ_4K);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa, buf, nr * SZ_4K, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, nr * SZ_4K));
	as_rw_roundtrip(test, as, gpa, nr * SZ_4K, 2, 0);

	/* 2 MiB frames when allowed and aligned. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_4M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, nr);
	KUNIT_EXPECT_EQ(test, st.frames, nr + SZ_4M / SZ_4K);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, huge + SZ_2M - 1) + 1,
			as_xlate(test, as, huge) + SZ_2M);
	as_rw_roundtrip(test, as, huge + SZ_2M - 100, 200, 3, 0);

	/* Allowed but not aligned: no 2 MiB block fits, 4 KiB frames. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge + SZ_8M + SZ_4K, SZ_2M,
					     AS_RW, AS_POP | AS_HUGE), 0);
	/* Aligned but not allowed. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge + SZ_16M, SZ_2M, AS_RW,
					     AS_POP), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, nr + 2 * SZ_2M / SZ_4K);
	KUNIT_EXPECT_EQ(test, st.frames, nr + 2 * SZ_4M / SZ_4K);
	KUNIT_EXPECT_EQ(test, st.regions, 4);

	/* A huge region that is only partly aligned: blocks in the middle. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge + SZ_32M - SZ_8K,
					     SZ_2M + SZ_16K, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 3);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, nr + 2 * SZ_2M / SZ_4K + 4);

	as_expect_empty(test, as);
}

/* Lazy: nothing until the first fault, then never replaced. */
static void as_test_lazy_fault(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, ro = AS_GPA + SZ_1M, pg = gpa + 5 * SZ_4K;
	struct axas_stats st;
	phys_addr_t hpa;
	u8 buf[32];

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 16 * SZ_4K, AS_RW, 0), 0);
	as_expect_unmapped(test, as, pg);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 0);

	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg + 123, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	hpa = as_xlate(test, as, pg + 123);
	KUNIT_EXPECT_EQ(test, offset_in_page(hpa), 123);
	as_expect_unmapped(test, as, pg + SZ_4K);
	as_expect_unmapped(test, as, pg - 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg + 7, AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);

	as_rw_roundtrip(test, as, pg + 100, sizeof(buf), 4, 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg, AXAS_PROT_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, pg + 123), hpa);
	KUNIT_EXPECT_EQ(test, axas_read(as, pg + 100, buf, sizeof(buf), 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, pg + 100, sizeof(buf), 4), -1);

	/* No region: MMIO for the VMM. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa - SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_NOT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 16 * SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_NOT_MAPPED);

	/* The region's rights decide. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, ro, SZ_16K, AXAS_PROT_READ,
					     0), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, ro, AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	as_expect_unmapped(test, as, ro);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, ro, AXAS_PROT_EXEC),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, ro, AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, ro, AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);

	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg, BIT(3)), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, as_top(test),
						AXAS_PROT_READ), -ERANGE);

	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 2);
	KUNIT_EXPECT_EQ(test, st.faults_mapped, 2);
	KUNIT_EXPECT_EQ(test, st.faults_spurious, 2);
	KUNIT_EXPECT_EQ(test, st.faults_not_mapped, 2);
	KUNIT_EXPECT_EQ(test, st.faults_perm, 3);
	KUNIT_EXPECT_EQ(test, st.faults_nomem, 0);

	as_expect_empty(test, as);
}

/* Lazy 2 MiB: only when the aligned block lies inside the region. */
static void as_test_lazy_huge(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 a = AS_GPA, b = AS_GPA + SZ_8M + SZ_4K, c = AS_GPA + SZ_32M;
	struct axas_stats st;
	phys_addr_t hpa;
	u64 len;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, a, SZ_4M, AS_RW, AS_HUGE), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, a + SZ_2M + 0x1234,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	hpa = as_xlate(test, as, a + SZ_2M);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(hpa, SZ_2M));
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, a + SZ_4M - 1),
			hpa + SZ_2M - 1);
	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, a + SZ_2M + 8, &hpa,
						   &len), 0);
	KUNIT_EXPECT_EQ(test, len, SZ_2M - 8);
	as_expect_unmapped(test, as, a);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 1);
	KUNIT_EXPECT_EQ(test, st.frames, SZ_2M / SZ_4K);

	/* Data in the block survives a duplicate fault anywhere in it. */
	as_rw_roundtrip(test, as, a + SZ_2M + SZ_1M - 3, 7, 5, 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, a + SZ_2M + SZ_1M,
						AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);
	as_rw_roundtrip(test, as, a + SZ_2M + SZ_1M + 10, 7, 5, 0);

	/* [8M+4K, 14M-4K): only [10M, 12M) is a whole aligned block. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, b, SZ_8M - SZ_2M - SZ_8K,
					     AS_RW, AS_HUGE), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, b + SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, AS_GPA + SZ_8M + SZ_2M +
						SZ_4K, AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, AS_GPA + SZ_8M + SZ_4M +
						SZ_1M, AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	as_expect_unmapped(test, as, b + SZ_8K);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 2);
	KUNIT_EXPECT_EQ(test, st.frames, 2 * SZ_2M / SZ_4K + 2);

	/* Aligned but not allowed: 4 KiB. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, c, SZ_2M, AS_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, c + SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	as_expect_unmapped(test, as, c);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 3);

	as_expect_empty(test, as);
}

/* Malformed, overlapping and out-of-window requests change nothing. */
static void as_test_map_errors(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 top = as_top(test), gpa = AS_GPA;
	struct axas_stats before, after;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, SZ_32K, AS_RW, AS_POP),
			0);
	as_rw_roundtrip(test, as, gpa, SZ_32K, 6, 0);
	as_stats(as, &before);

	/* Overlap: -EEXIST. */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa, SZ_4K, AS_RW, AS_POP),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa - SZ_4K, SZ_8K, AS_RW, 0),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_16K, SZ_16K, AS_RW,
					     AS_POP), -EEXIST);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_32K - SZ_4K, SZ_8K,
					      as_hpa, AS_RW, AXAS_MEM_DEVICE),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa - SZ_1M, SZ_2M, as_hpa,
					      AS_RW, AXAS_MEM_DEVICE), -EEXIST);

	/*
	 * Out of the window (here: the format's width): -ERANGE, before the
	 * memory type is looked at (normal memory is no device range).
	 */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, top, SZ_4K, AS_RW, 0),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, top - SZ_4K, SZ_8K, AS_RW, 0),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, top - SZ_4K, SZ_8K, as_hpa,
					      AS_RW, AXAS_MEM_NORMAL), -ERANGE);
	/* An HPA range beyond the format's output width: -ERANGE. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_4M, SZ_4K,
					      BIT_ULL(as->npt.fmt->oa_bits),
					      AS_RW, AXAS_MEM_NORMAL), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_4M, SZ_8K,
					      BIT_ULL(as->npt.fmt->oa_bits) -
					      SZ_4K, AS_RW, AXAS_MEM_NORMAL),
			-ERANGE);

	/* Malformed: -EINVAL. */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M + 1, SZ_4K,
					     AS_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K + 1,
					     AS_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, 0, AS_RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, -(u64)SZ_4K, SZ_8K, AS_RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K, BIT(3),
					     0), -EINVAL);
	/* Write without read cannot be encoded (EPT, G-stage): refused. */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K,
					     AXAS_PROT_WRITE, AS_POP), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K,
					     AXAS_PROT_WRITE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_1M, SZ_4K, as_hpa,
					      AXAS_PROT_WRITE,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_1M, SZ_4K,
					      as_hpa + 8, AS_RW,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_1M, SZ_4K, as_hpa,
					      AS_RW, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa + SZ_1M, SZ_8K,
					      -(phys_addr_t)SZ_4K, AS_RW,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_1M, SZ_4K, AS_RW,
					     BIT(5)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 1, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, top - SZ_4K, SZ_8K), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, SZ_4K + 1, AS_RW),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, SZ_4K, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, SZ_4K, AXAS_PROT_WRITE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_protect(as, top, SZ_4K, AS_RW), -ERANGE);

	as_stats(as, &after);
	as_expect_same(test, &before, &after);
	as_rw_roundtrip(test, as, gpa, SZ_32K, 6, 0);
	as_expect_unmapped(test, as, gpa + SZ_1M);
	as_expect_empty(test, as);
}

/* A partial unmap splits a region; the pieces keep working. */
static void as_test_unmap_split(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, huge = AS_GPA + SZ_16M, lin = AS_GPA + SZ_64M;
	u64 lazy = AS_GPA + SZ_32M;
	phys_addr_t hpa[16], h;
	struct axas_stats st;
	unsigned int i;
	u8 buf[16];

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 16 * SZ_4K, AS_RW,
					     AS_POP), 0);
	as_rw_roundtrip(test, as, gpa, 16 * SZ_4K, 7, 0);
	for (i = 0; i < 16; i++)
		hpa[i] = as_xlate(test, as, gpa + i * SZ_4K);

	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 4 * SZ_4K, 4 * SZ_4K), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	KUNIT_EXPECT_EQ(test, st.frames, 12);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 12);
	for (i = 0; i < 16; i++) {
		if (i >= 4 && i < 8) {
			as_expect_unmapped(test, as, gpa + i * SZ_4K);
			continue;
		}
		KUNIT_EXPECT_EQ(test, as_xlate(test, as, gpa + i * SZ_4K),
				hpa[i]);
	}
	as_rw_roundtrip(test, as, gpa + 4 * SZ_4K - 8, 8, 7, 0);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa + 8 * SZ_4K, buf, 16, 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, gpa + 8 * SZ_4K, 16, 7), -1);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa + 4 * SZ_4K - 8, buf, 16, 0),
			-ENOENT);

	/* The hole is a hole. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 4 * SZ_4K, 4 * SZ_4K),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 5 * SZ_4K, SZ_4K), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + SZ_1M, SZ_4K), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 5 * SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_NOT_MAPPED);

	/*
	 * Remap the hole, lazily this time: fresh zeroed frames. The three
	 * pieces agree (POPULATE only matters while mapping): one region.
	 */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + 4 * SZ_4K, 4 * SZ_4K,
					     AS_RW, 0), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 5 * SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	memset(buf, 0xaa, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa + 5 * SZ_4K, buf, 16, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, sizeof(buf)));

	/* A range with gaps removes what it covers. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa - SZ_1M, SZ_4M), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 0);
	KUNIT_EXPECT_EQ(test, st.frames, 0);

	/* Splitting a 2 MiB frame: the other 511 pages keep their data. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 1);
	as_rw_roundtrip(test, as, huge, SZ_16K, 8, 0);
	as_rw_roundtrip(test, as, huge + SZ_2M - SZ_4K, SZ_4K, 8, 0);
	h = as_xlate(test, as, huge);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, huge + SZ_4K, SZ_4K), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 0);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 511);
	KUNIT_EXPECT_EQ(test, st.frames, 511);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	as_expect_unmapped(test, as, huge + SZ_4K);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, huge + SZ_8K), h + SZ_8K);
	KUNIT_EXPECT_EQ(test, axas_read(as, huge + SZ_8K, buf, 16, 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, huge + SZ_8K, 16, 8), -1);
	KUNIT_EXPECT_EQ(test, axas_read(as, huge + SZ_2M - 16, buf, 16, 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, huge + SZ_2M - 16, 16, 8), -1);

	/* Linear pieces keep their offset. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin, SZ_4M, as_hpa, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, lin + SZ_2M + SZ_4K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lin + SZ_2M + 42),
			as_hpa + SZ_2M + 42);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lin + SZ_2M + SZ_8K + 42),
			as_hpa + SZ_2M + SZ_8K + 42);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lin + SZ_4M - 1),
			as_hpa + SZ_4M - 1);
	as_expect_unmapped(test, as, lin + SZ_2M + SZ_4K);

	/* A never-faulted lazy region splits as well. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, SZ_64K, AS_RW, 0), 0);
	as_stats(as, &st);
	i = st.regions;
	KUNIT_EXPECT_EQ(test, axas_unmap(as, lazy + SZ_16K, SZ_16K), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, i + 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_32K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_16K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_NOT_MAPPED);

	as_expect_empty(test, as);
}

static void as_test_protect(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, huge = AS_GPA + SZ_16M;
	struct axas_stats st;
	u8 buf[8] = {};

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 8 * SZ_4K, AS_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_rw_roundtrip(test, as, gpa, 8, 9, 0);

	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, 8 * SZ_4K,
					   AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);
	/* An unmapped page of the region still faults in, read-only. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_8K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	as_expect_unmapped(test, as, gpa + SZ_8K);
	KUNIT_EXPECT_EQ(test, axas_write(as, gpa, buf, sizeof(buf), 0),
			-EACCES);
	KUNIT_EXPECT_EQ(test, axas_read(as, gpa, buf, sizeof(buf), 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, gpa, 8, 9), -1);

	/* Gaps: -ENOENT, nothing changed. */
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, 16 * SZ_4K, AS_RW),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa - SZ_4K, SZ_8K, AS_RW),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa + SZ_1M, SZ_4K, AS_RW),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);

	/* Give write back to the middle: the region splits in three. */
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa + SZ_4K, SZ_8K, AS_RW), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 3);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_8K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 3 * SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	/* Across the three pieces at once: one region again. */
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, 8 * SZ_4K, AS_RW), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa, AXAS_PROT_WRITE),
			AXAS_FAULT_SPURIOUS);

	/* Protecting part of a 2 MiB block splits it. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_rw_roundtrip(test, as, huge + SZ_4K - 4, 8, 10, 0);
	KUNIT_EXPECT_EQ(test, axas_protect(as, huge + SZ_4K, SZ_4K,
					   AXAS_PROT_READ), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 0);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 512 + 3);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, huge + SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, huge, AXAS_PROT_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_write(as, huge + SZ_4K - 4, buf, 8, 0),
			-EACCES);
	KUNIT_EXPECT_EQ(test, axas_read(as, huge + SZ_4K - 4, buf, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, huge + SZ_4K - 4, 8, 10), -1);

	as_expect_empty(test, as);
}

/* Read/write across pages, blocks and regions, and the lazy rules. */
static void as_test_rw(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 a = AS_GPA, b = AS_GPA + SZ_4M, c = AS_GPA + SZ_8M;
	struct axas_stats st;
	u8 buf[64], zero[64] = {};

	/* a: two 2 MiB frames; b: 4 KiB frames right after. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, a, SZ_4M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, b, SZ_16K, AS_RW, AS_POP), 0);
	as_rw_roundtrip(test, as, a + SZ_4K - 1, 2, 11, 0);
	as_rw_roundtrip(test, as, a + 3, 1, 11, 0);
	as_rw_roundtrip(test, as, a + SZ_2M - 37, 101, 11, 0);
	as_rw_roundtrip(test, as, b - SZ_4K + 1, 8191, 12, 0);
	as_rw_roundtrip(test, as, b - SZ_512K - 5, SZ_512K + SZ_8K + 77, 13, 0);
	KUNIT_EXPECT_EQ(test, axas_read(as, b, buf, 0, 0), 0);

	/* Into the hole after b: nothing is written. */
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_write(as, b + SZ_16K - 8, buf, 16, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(as, b + SZ_16K - 8, buf, 8, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, 8));
	KUNIT_EXPECT_EQ(test, axas_read(as, b + SZ_16K - 8, buf, 16, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(as, -16ULL, buf, 32, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_read(as, as_top(test) - 16, buf, 32, 0),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, axas_read(as, a, buf, 8, BIT(4)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_write(as, a, buf, 8, BIT(4)), -EOPNOTSUPP);

	/* c: lazy. Without AXAS_RW_FAULT_IN writes need every frame. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, c, SZ_16K, AS_RW, 0), 0);
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_write(as, c + 100, buf, 16, 0), -ENOENT);
	as_expect_unmapped(test, as, c);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, c, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_write(as, c + SZ_4K - 8, buf, 16, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, as_peek(as, c + SZ_4K - 8, buf, 8), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, 8));
	as_expect_unmapped(test, as, c + SZ_4K);
	/* Reads of never-touched pages are zeroes, and fault nothing in. */
	as_rw_roundtrip(test, as, c + SZ_4K - 32, 32, 14, 0);
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_read(as, c + SZ_4K - 32, buf, 64, 0), 0);
	KUNIT_EXPECT_EQ(test, as_check_pat(buf, c + SZ_4K - 32, 32, 14), -1);
	KUNIT_EXPECT_EQ(test, memcmp(buf + 32, zero, 32), 0);
	as_expect_unmapped(test, as, c + SZ_4K);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 2 * SZ_2M / SZ_4K + 4 + 1);

	/* With AXAS_RW_FAULT_IN the frames appear. */
	as_rw_roundtrip(test, as, c + SZ_4K - 32, 64, 15, AXAS_RW_FAULT_IN);
	as_xlate(test, as, c + SZ_4K);
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_read(as, c + 3 * SZ_4K, buf, 64,
					AXAS_RW_FAULT_IN), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, zero, 64), 0);
	as_xlate(test, as, c + 3 * SZ_4K);
	as_expect_unmapped(test, as, c + 2 * SZ_4K);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 2 * SZ_2M / SZ_4K + 4 + 3);

	as_expect_empty(test, as);
}

/*
 * Guest read/write checks the whole range page by page, in address order,
 * before it faults anything in, and faults everything in before it copies:
 * the first bad page's errno wins, and a failed call copies nothing.
 * x: populated read-only [g, +8K), a gap of 4K, y: lazy RW [+12K, +20K),
 * d: linear device [+20K, +24K) (never accessed).
 */
static void as_test_rw_steps(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 x = AS_GPA, y = x + 3 * SZ_4K, d = y + SZ_8K, z = AS_GPA + SZ_1M;
	struct axas_stats before, st;
	u8 buf[32], *big;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, x, SZ_8K, AXAS_PROT_READ,
					     AS_POP), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, y, SZ_8K, AS_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, d, SZ_4K, as_hpa, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	as_stats(as, &before);

	/* The arguments: flags, then an empty range, a wrap, the width. */
	KUNIT_EXPECT_EQ(test, axas_read(as, -16ULL, buf, 32, BIT(4)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_write(as, -16ULL, buf, 0, BIT(4)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_read(as, -16ULL, buf, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_read(as, -16ULL, buf, 32, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_write(as, as_top(test) - 16, buf, 32, 0),
			-ERANGE);

	/* Then page by page: x's EACCES before the gap's ENOENT. */
	KUNIT_EXPECT_EQ(test, axas_write(as, x + SZ_8K - 8, buf, 16,
					 AXAS_RW_FAULT_IN), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_read(as, x + SZ_8K - 8, buf, 16, 0),
			-ENOENT);
	/* y's unmapped page before d's device memory... */
	KUNIT_EXPECT_EQ(test, axas_write(as, d - 8, buf, 16, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(as, d - 8, buf, 16, 0), -EOPNOTSUPP);
	/* ...and d refused before y is faulted in. */
	KUNIT_EXPECT_EQ(test, axas_write(as, d - 8, buf, 16,
					 AXAS_RW_FAULT_IN), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, d - 8, 16, AXAS_RW_FAULT_IN,
					      true, true), -EOPNOTSUPP);
	as_expect_unmapped(test, as, d - SZ_4K);

	/* axas_rw_prepare(): the same answers; it copies nothing. */
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, x + SZ_8K - 8, 16, 0, true,
					      false), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, y, SZ_8K, 0, true, true),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, y, SZ_8K, 0, false, true),
			0);
	/* Without @prefault it only checks. */
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, y, SZ_8K, AXAS_RW_FAULT_IN,
					      true, false), 0);
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	as_expect_unmapped(test, as, y);
	/* With it, the frames appear, and are not counted as faults. */
	KUNIT_EXPECT_EQ(test, axas_rw_prepare(as, y + 8, SZ_8K - 16,
					      AXAS_RW_FAULT_IN, true, true), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, before.frames + 2);
	KUNIT_EXPECT_EQ(test, st.faults_mapped, before.faults_mapped);
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, axas_read(as, y + SZ_4K - 16, buf, 32, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, sizeof(buf)));
	as_expect_empty(test, as);

	/* No room for the second frame: the first one stays zeroes. */
	as = as_renew(test, 1);
	big = kunit_kmalloc(test, SZ_8K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, z, SZ_8K, AS_RW, 0), 0);
	memset(big, 0xee, SZ_8K);
	KUNIT_EXPECT_EQ(test, axas_write(as, z, big, SZ_8K, AXAS_RW_FAULT_IN),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, axas_read(as, z, big, SZ_8K, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(big, 0, SZ_8K));
	as_expect_empty(test, as);
}

/* The frame limit holds for populate, faults and faulting reads/writes. */
static void as_test_frame_limit(struct kunit *test)
{
	struct axas *as = as_renew(test, 16);
	u64 gpa = AS_GPA, lazy = AS_GPA + SZ_1M, huge = AS_GPA + SZ_16M;
	struct axas_stats before, st;
	unsigned int i;
	u8 buf[8] = {};

	as_stats(as, &before);
	KUNIT_EXPECT_EQ(test, before.max_frames, 16);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa, 17 * SZ_4K, AS_RW,
					     AS_POP), -ENOMEM);
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	as_expect_unmapped(test, as, gpa);

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 12 * SZ_4K, AS_RW,
					     AS_POP), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, 8 * SZ_4K, AS_RW, 0),
			0);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + i * SZ_4K,
							AXAS_PROT_WRITE),
				AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + 4 * SZ_4K,
						AXAS_PROT_WRITE), -ENOMEM);
	as_expect_unmapped(test, as, lazy + 4 * SZ_4K);
	KUNIT_EXPECT_EQ(test, axas_write(as, lazy + 5 * SZ_4K, buf, 8,
					 AXAS_RW_FAULT_IN), -ENOMEM);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 16);
	KUNIT_EXPECT_EQ(test, st.faults_nomem, 1);
	KUNIT_EXPECT_EQ(test, st.faults_mapped, 4);

	/* Freeing frames makes room again. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa, 12 * SZ_4K), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 4);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + 4 * SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);

	/* A 2 MiB frame would pass the limit: 4 KiB instead. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_2M, AS_RW, AS_HUGE),
			0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, huge, AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 0);
	KUNIT_EXPECT_EQ(test, st.frames, 6);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, huge + SZ_2M, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), -ENOMEM);

	as_expect_empty(test, as);
}

/* axas_vmm_frame_locked() under the read lock, as the mmap fault path. */
static struct page *as_vmm_frame(struct axas *as, u64 gpa)
{
	struct page *page;

	down_read(&as->lock);
	page = axas_vmm_frame_locked(as, gpa);
	up_read(&as->lock);
	return page;
}

/*
 * The frame behind a VMM mmap() fault: the table's own frame, a lazy one
 * allocated as a guest fault would (not counted as one, whatever the
 * guest's rights, within the frame limit); none outside alloc regions.
 */
static void as_test_vmm_frame(struct kunit *test)
{
	struct axas *as = as_renew(test, 3);
	u64 pop = AS_GPA, lazy = AS_GPA + SZ_1M, lin = AS_GPA + SZ_16M;
	struct axas_stats st;
	struct page *page;
	phys_addr_t hpa;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, pop, SZ_4K, AS_RW, AS_POP), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, 4 * SZ_4K,
					     AXAS_PROT_READ, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin, SZ_4K, as_ram(test, 0),
					      AS_RW, AXAS_MEM_NORMAL), 0);

	page = as_vmm_frame(as, pop + 5);
	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	KUNIT_ASSERT_EQ(test, axas_translate(as, pop, &hpa), 0);
	KUNIT_EXPECT_EQ(test, page_to_phys(page), hpa);

	page = as_vmm_frame(as, lazy + SZ_4K);
	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	KUNIT_ASSERT_EQ(test, axas_translate(as, lazy + SZ_4K, &hpa), 0);
	KUNIT_EXPECT_EQ(test, page_to_phys(page), hpa);
	KUNIT_EXPECT_PTR_EQ(test, as_vmm_frame(as, lazy + SZ_4K), page);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 2);
	KUNIT_EXPECT_EQ(test, st.faults_mapped, 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);

	KUNIT_EXPECT_FALSE(test, IS_ERR(as_vmm_frame(as, lazy)));
	KUNIT_EXPECT_EQ(test, PTR_ERR(as_vmm_frame(as, lazy + 2 * SZ_4K)),
			-ENOMEM);
	as_expect_unmapped(test, as, lazy + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, PTR_ERR(as_vmm_frame(as, lin)), -ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(as_vmm_frame(as, lazy + 4 * SZ_4K)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(as_vmm_frame(as, as_top(test))),
			-ENOENT);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 3);

	/* No fd, no mapping: the zap on unmap is a no-op. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, lazy, 4 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(as_vmm_frame(as, lazy)), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, lin, SZ_4K), 0);
	as_expect_empty(test, as);
}

/*
 * A table page limit: faults, populate and linear maps that need a table
 * page beyond it fail with -ENOMEM and change nothing; stats report it.
 */
static void as_test_table_limit(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas_params params = {
		.format		= ctx->p->format,
		.gpa_bits	= ctx->p->gpa_bits,
	};
	unsigned int root = ctx->p->root_pages, below = ctx->p->levels - 1;
	u64 a = AS_GPA, b = AS_GPA + SZ_2M, far = AS_GPA + SZ_8M;
	struct axas_stats before, st;
	struct axas *as;

	/* Below the root (0 would mean no limit): refused at creation. */
	if (root > 1) {
		params.max_table_pages = root - 1;
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(axas_create(&params)),
				-EINVAL);
	}

	/* Room for the tables of one 4 KiB leaf, and one table more. */
	params.max_table_pages = root + below + 1;
	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	axas_put(ctx->as);
	ctx->as = as;
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.max_table_pages, root + below + 1);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_16M, AS_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, a, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.table_pages, root + below);
	/* The next 2 MiB block needs one more level-0 table: the last one. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, b, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_stats(as, &before);
	KUNIT_EXPECT_EQ(test, before.table_pages, root + below + 1);
	KUNIT_EXPECT_EQ(test, before.table_limit_hits, 0);
	/* A third block: no table left, nothing changes. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, far, AXAS_PROT_WRITE),
			-ENOMEM);
	as_expect_unmapped(test, as, far);
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	KUNIT_EXPECT_EQ(test, st.faults_nomem, 1);
	KUNIT_EXPECT_EQ(test, st.table_limit_hits, 1);
	KUNIT_EXPECT_EQ(test, st.frame_limit_hits, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&as->frames), before.frames);
	/* Populate and linear maps hit it too, and undo what they did. */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, AS_GPA + SZ_32M, SZ_8M,
					     AS_RW, AS_POP), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, AS_GPA + SZ_64M, SZ_4M,
					      as_hpa + SZ_4K, AS_RW,
					      AXAS_MEM_DEVICE), -ENOMEM);
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	KUNIT_EXPECT_EQ(test, st.table_limit_hits, 3);
	/* Freeing a table makes room again. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, b, SZ_4K), 0);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, far, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_expect_empty(test, as);
}

/*
 * A 2 MiB attempt that holds its reservation, then fails: a concurrent
 * 4 KiB fault must not see -ENOMEM while frames remain. The stub holds
 * the 2 MiB fault inside its table allocation (its frames reserved), runs
 * the 4 KiB fault in another thread meanwhile, then fails the allocation.
 */
static struct {
	struct axas *as;
	u64 gpa;
	int ret;
	bool armed;
	bool joined;
	s64 frames_held;
	struct completion go;
	struct completion done;
} as_spec;

static int as_spec_thread(void *arg)
{
	wait_for_completion(&as_spec.go);
	as_spec.ret = axas_handle_fault(as_spec.as, as_spec.gpa,
					AXAS_PROT_WRITE);
	complete(&as_spec.done);
	return 0;
}

static bool as_spec_alloc_should_fail(struct axas_npt *npt)
{
	if (!as_spec.armed)
		return false;
	as_spec.armed = false;
	as_spec.frames_held = atomic64_read(&as_spec.as->frames);
	complete(&as_spec.go);
	/* Long enough for the fault to end, unless it waits for this one. */
	as_spec.joined = wait_for_completion_timeout(&as_spec.done,
						     msecs_to_jiffies(300));
	return true;
}

static void as_test_huge_no_false_nomem(struct kunit *test)
{
	struct axas *as = as_renew(test, 512);
	u64 huge = AS_GPA, small = AS_GPA + SZ_1G / 2;
	struct task_struct *t;
	struct axas_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_4M, AS_RW, AS_HUGE),
			0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, small, SZ_64K, AS_RW, 0), 0);
	as_spec.as = as;
	as_spec.gpa = small;
	as_spec.ret = 0;
	as_spec.joined = false;
	as_spec.frames_held = 0;
	init_completion(&as_spec.go);
	init_completion(&as_spec.done);
	t = kthread_run(as_spec_thread, NULL, "axas-spec");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	as_spec.armed = true;
	kunit_activate_static_stub(test, axas_npt_alloc_should_fail,
				   as_spec_alloc_should_fail);
	/* The 2 MiB install fails: 4 KiB instead. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, huge, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	kunit_deactivate_static_stub(test, axas_npt_alloc_should_fail);
	if (as_spec.armed)
		complete(&as_spec.go);
	if (!as_spec.joined)
		wait_for_completion(&as_spec.done);
	KUNIT_EXPECT_EQ_MSG(test, as_spec.frames_held, 512,
			    "the 2 MiB frame was not reserved when its table was allocated");
	KUNIT_EXPECT_EQ(test, as_spec.ret, AXAS_FAULT_MAPPED);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 2);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 0);
	KUNIT_EXPECT_EQ(test, st.faults_nomem, 0);
	as_expect_empty(test, as);
}

/*
 * Concurrent faults near the limit, each first trying a 2 MiB frame that
 * does not fit: exactly the frames left get mapped.
 */
#define AS_NEAR_THREADS	2
#define AS_NEAR_LEFT	32

struct as_near_thread {
	struct axas *as;
	u64 gpa;
	unsigned int nr;
	unsigned int mapped;
	unsigned int nomem;
	struct completion *start;
	struct completion done;
};

static int as_near_fn(void *arg)
{
	struct as_near_thread *t = arg;
	unsigned int i;
	int ret;

	wait_for_completion(t->start);
	for (i = 0; i < t->nr; i++) {
		/* Each page in its own 2 MiB block: each tries 2 MiB first. */
		ret = axas_handle_fault(t->as, t->gpa + (u64)i * SZ_2M,
					AXAS_PROT_WRITE);
		if (ret == AXAS_FAULT_MAPPED)
			t->mapped++;
		else if (ret == -ENOMEM)
			t->nomem++;
	}
	complete(&t->done);
	return 0;
}

static void as_test_near_limit(struct kunit *test)
{
	struct axas *as = as_renew(test, AS_NEAR_LEFT);
	struct as_near_thread th[AS_NEAR_THREADS] = {};
	u64 span = AS_NEAR_LEFT * (u64)SZ_2M;
	DECLARE_COMPLETION_ONSTACK(start);
	unsigned int round, i, mapped, nomem, over;
	struct task_struct *task;
	struct axas_stats st;

	for (round = 0; round < 16; round++) {
		KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, span, AS_RW,
						     AS_HUGE), 0);
		reinit_completion(&start);
		for (i = 0; i < AS_NEAR_THREADS; i++) {
			th[i] = (struct as_near_thread){
				.as	= as,
				.gpa	= AS_GPA + i * span / AS_NEAR_THREADS,
				.nr	= AS_NEAR_LEFT / AS_NEAR_THREADS,
				.start	= &start,
			};
			init_completion(&th[i].done);
			task = kthread_run(as_near_fn, &th[i], "axas-near%u", i);
			KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		}
		complete_all(&start);
		/* Meanwhile the count never passes the limit. */
		over = 0;
		while (!completion_done(&th[0].done) ||
		       !completion_done(&th[1].done)) {
			if (atomic64_read(&as->frames) > AS_NEAR_LEFT)
				over++;
			cond_resched();
		}
		KUNIT_EXPECT_EQ_MSG(test, over, 0, "round %u", round);
		mapped = 0;
		nomem = 0;
		for (i = 0; i < AS_NEAR_THREADS; i++) {
			wait_for_completion(&th[i].done);
			mapped += th[i].mapped;
			nomem += th[i].nomem;
		}
		KUNIT_EXPECT_EQ_MSG(test, nomem, 0, "round %u", round);
		KUNIT_EXPECT_EQ(test, mapped, AS_NEAR_LEFT);
		as_stats(as, &st);
		KUNIT_EXPECT_EQ(test, st.frames, AS_NEAR_LEFT);
		KUNIT_EXPECT_EQ(test, st.leaves_2m, 0);
		KUNIT_EXPECT_EQ(test, axas_unmap(as, AS_GPA, span), 0);
		if (nomem || over)
			break;
	}
	as_expect_empty(test, as);
}

/*
 * A call waiting for the lock ends with -EINTR on SIGKILL, and changes
 * nothing. The test holds the lock for write; each call runs in a thread
 * that accepts SIGKILL.
 */
enum as_kill_op {
	AS_KILL_MAP,
	AS_KILL_UNMAP,
	AS_KILL_PROTECT,
	AS_KILL_FAULT,
	AS_KILL_READ,
	AS_KILL_WRITE,
	AS_KILL_NR,
};

struct as_kill_thread {
	struct axas *as;
	enum as_kill_op op;
	int ret;
	struct completion started;
	struct completion done;
};

static int as_kill_fn(void *arg)
{
	struct as_kill_thread *k = arg;
	struct axas *as = k->as;
	u8 buf[16] = {};

	allow_signal(SIGKILL);
	complete(&k->started);
	switch (k->op) {
	case AS_KILL_MAP:
		k->ret = axas_map_alloc(as, AS_GPA + SZ_2M, SZ_64K, AS_RW, 0);
		break;
	case AS_KILL_UNMAP:
		k->ret = axas_unmap(as, AS_GPA, SZ_4K);
		break;
	case AS_KILL_PROTECT:
		k->ret = axas_protect(as, AS_GPA, SZ_4K, AXAS_PROT_READ);
		break;
	case AS_KILL_FAULT:
		k->ret = axas_handle_fault(as, AS_GPA + SZ_4K,
					   AXAS_PROT_WRITE);
		break;
	case AS_KILL_READ:
		k->ret = axas_read(as, AS_GPA, buf, sizeof(buf),
				   AXAS_RW_FAULT_IN);
		break;
	case AS_KILL_WRITE:
		k->ret = axas_write(as, AS_GPA + SZ_8K, buf, sizeof(buf),
				    AXAS_RW_FAULT_IN);
		break;
	case AS_KILL_NR:
		break;
	}
	flush_signals(current);
	complete(&k->done);
	return 0;
}

static void as_test_killable(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	struct axas_stats before, st;
	struct as_kill_thread k;
	struct task_struct *t;
	bool ended;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_16K, AS_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_handle_fault(as, AS_GPA, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_stats(as, &before);
	for (k.op = 0; k.op < AS_KILL_NR; k.op++) {
		k.as = as;
		k.ret = 0;
		init_completion(&k.started);
		init_completion(&k.done);
		down_write(&as->lock);
		t = kthread_run(as_kill_fn, &k, "axas-kill");
		if (IS_ERR(t)) {
			up_write(&as->lock);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t));
			return;
		}
		/* Until it allows SIGKILL, a kernel thread drops it. */
		wait_for_completion(&k.started);
		send_sig(SIGKILL, t, 1);
		ended = wait_for_completion_timeout(&k.done, HZ);
		up_write(&as->lock);
		if (!ended)
			wait_for_completion(&k.done);
		KUNIT_EXPECT_TRUE_MSG(test, ended,
				      "op %d waited for the lock despite SIGKILL",
				      k.op);
		KUNIT_EXPECT_EQ_MSG(test, k.ret, -EINTR, "op %d", k.op);
	}
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	KUNIT_EXPECT_EQ(test, st.faults_mapped, before.faults_mapped);
	as_expect_empty(test, as);
}

static int as_kill_stub_count;

/*
 * Send SIGKILL to the populating task at its third table allocation: the
 * level-0 table of the second 2 MiB block, after 512 frames.
 */
static bool as_kill_alloc_should_fail(struct axas_npt *npt)
{
	if (++as_kill_stub_count == 3)
		send_sig(SIGKILL, current, 1);
	return false;
}

/* Populate stops at a fatal signal with -EINTR, leaving nothing mapped. */
static void as_test_populate_killed(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	struct axas_stats before, st;
	int ret;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA - SZ_4K, SZ_4K, AS_RW,
					     AS_POP), 0);
	as_stats(as, &before);
	as_kill_stub_count = 0;
	allow_signal(SIGKILL);
	kunit_activate_static_stub(test, axas_npt_alloc_should_fail,
				   as_kill_alloc_should_fail);
	/* 4 KiB frames over four 2 MiB blocks: a table for each. */
	ret = axas_map_alloc(as, AS_GPA, SZ_8M, AS_RW, AS_POP);
	kunit_deactivate_static_stub(test, axas_npt_alloc_should_fail);
	flush_signals(current);
	disallow_signal(SIGKILL);
	KUNIT_EXPECT_GE(test, as_kill_stub_count, 3);
	KUNIT_EXPECT_EQ(test, ret, -EINTR);
	as_stats(as, &st);
	as_expect_same(test, &before, &st);
	KUNIT_EXPECT_EQ(test, atomic64_read(&as->frames), before.frames);
	as_expect_unmapped(test, as, AS_GPA);
	as_expect_unmapped(test, as, AS_GPA + SZ_8M - SZ_4K);
	/* Without the signal the same populate works. */
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_8M, AS_RW, AS_POP),
			0);
	as_expect_empty(test, as);
}

/*
 * Fail the Nth table allocation, N = 1, 2, ... until the operation
 * succeeds: every failure is -ENOMEM and leaves the address space as it
 * was.
 */
#define AS_FAIL_MAX	32

static void as_fail_sweep_check(struct kunit *test, struct axas *as,
				const struct axas_stats *before, int ret,
				unsigned int n)
{
	struct axas_stats st;

	KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "fail_nth %u", n);
	as_stats(as, &st);
	as_expect_same(test, before, &st);
	KUNIT_EXPECT_EQ(test, atomic_read(&as->npt.nr_pages),
			before->table_pages);
	KUNIT_EXPECT_EQ(test, atomic64_read(&as->frames), before->frames);
}

static void as_test_fail_nth_linear(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 size = SZ_1G + SZ_2M + SZ_4K;
	struct axas_stats before, st;
	unsigned int n;
	int ret = -ENOMEM;

	/* Something unrelated mapped, so rollback has tables to keep. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA - SZ_4K, SZ_4K, AS_RW,
					     AS_POP), 0);
	as_stats(as, &before);
	for (n = 1; n <= AS_FAIL_MAX; n++) {
		axas_kunit_fail_nth(test, n);
		ret = axas_map_linear(as, AS_GPA, size, as_hpa, AS_RW,
				      AXAS_MEM_DEVICE);
		axas_kunit_fail_nth(test, 0);
		if (!ret)
			break;
		as_fail_sweep_check(test, as, &before, ret, n);
		as_expect_unmapped(test, as, AS_GPA);
		as_expect_unmapped(test, as, AS_GPA + size - SZ_4K);
		if (ret != -ENOMEM)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* At least one table allocation was needed, and failed. */
	KUNIT_EXPECT_GT(test, n, 1);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + size - 1),
			as_hpa + size - 1);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	as_expect_empty(test, as);
}

static void as_test_fail_nth_populate(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA + SZ_2M - SZ_8K, size = SZ_2M + SZ_16K;
	struct axas_stats before, st;
	unsigned int n;
	int ret = -ENOMEM;

	as_stats(as, &before);
	for (n = 1; n <= AS_FAIL_MAX; n++) {
		axas_kunit_fail_nth(test, n);
		ret = axas_map_alloc(as, gpa, size, AS_RW, AS_POP | AS_HUGE);
		axas_kunit_fail_nth(test, 0);
		if (!ret)
			break;
		as_fail_sweep_check(test, as, &before, ret, n);
		as_expect_unmapped(test, as, gpa);
		as_expect_unmapped(test, as, gpa + size - SZ_4K);
		if (ret != -ENOMEM)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT(test, n, 1);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, size / SZ_4K);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, 1);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, 4);
	as_rw_roundtrip(test, as, gpa, size, 16, 0);
	as_expect_empty(test, as);
}

/* Splitting a 2 MiB block needs a table: unmap and protect roll back. */
static void as_test_fail_nth_split(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA;
	struct axas_stats before, st;
	unsigned int n;
	int ret = -ENOMEM;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_rw_roundtrip(test, as, gpa + SZ_4K - 8, 16, 17, 0);
	as_stats(as, &before);
	KUNIT_ASSERT_EQ(test, before.leaves_2m, 1);

	for (n = 1; n <= AS_FAIL_MAX; n++) {
		axas_kunit_fail_nth(test, n);
		ret = axas_unmap(as, gpa + SZ_4K, SZ_4K);
		axas_kunit_fail_nth(test, 0);
		if (!ret)
			break;
		as_fail_sweep_check(test, as, &before, ret, n);
		as_xlate(test, as, gpa + SZ_4K);
		if (ret != -ENOMEM)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT(test, n, 1);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	KUNIT_EXPECT_EQ(test, st.frames, 511);

	gpa += SZ_4M;
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	as_stats(as, &before);
	KUNIT_ASSERT_EQ(test, before.leaves_2m, 1);
	for (n = 1; n <= AS_FAIL_MAX; n++) {
		axas_kunit_fail_nth(test, n);
		ret = axas_protect(as, gpa + SZ_16K, SZ_4K, AXAS_PROT_READ);
		axas_kunit_fail_nth(test, 0);
		if (!ret)
			break;
		as_fail_sweep_check(test, as, &before, ret, n);
		KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_16K,
							AXAS_PROT_WRITE),
				AXAS_FAULT_SPURIOUS);
		if (ret != -ENOMEM)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT(test, n, 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + SZ_16K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_PERM);
	as_expect_empty(test, as);
}

/* Destroying with everything still mapped frees everything. */
static void as_test_destroy(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	struct axas_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_64K, AS_RW,
					     AS_POP), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA + SZ_2M, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA + SZ_8M, SZ_4M, AS_RW,
					     AS_HUGE), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, AS_GPA + SZ_8M,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, AS_GPA + SZ_1G, SZ_1G,
					      as_hpa, AS_RW, AXAS_MEM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, AS_GPA + SZ_2M + SZ_1M, SZ_4K),
			0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 16 + 511 + 512);
	KUNIT_EXPECT_GT(test, st.table_pages, ctx->p->root_pages);

	/* A second reference keeps it alive. */
	axas_get(as);
	axas_put(as);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, AS_GPA + SZ_1G + 42),
			as_hpa + 42);
	/* as_test_exit() drops the last reference and checks the tables. */
}

/* ------------------------------------------------------------------ */
/* Concurrency: faults, guest read/write, translation and remapping. */

#define AS_CC_PAGES	64
#define AS_CC_ITERS	300
#define AS_CC_REMAPS	40
#define AS_CC_FAULTERS	2
#define AS_CC_THREADS	(AS_CC_FAULTERS + 2)

struct as_cc {
	struct axas *as;
	u64 lazy;
	u64 remap;
	u64 hpa[AS_CC_PAGES];		/* frame first seen, 0: none yet */
	unsigned long faulted[BITS_TO_LONGS(AS_CC_PAGES)];
	struct completion start;
	atomic_t faulters_left;
	atomic_t errors;
	char msg[128];
};

struct as_cc_thread {
	struct as_cc *cc;
	unsigned int id;
	struct task_struct *task;
	struct completion done;
	u8 page[SZ_4K];
	u8 back[SZ_4K];
};

static __printf(2, 3) void as_cc_fail(struct as_cc *cc, const char *fmt, ...)
{
	va_list args;

	if (atomic_inc_return(&cc->errors) != 1)
		return;
	va_start(args, fmt);
	vsnprintf(cc->msg, sizeof(cc->msg), fmt, args);
	va_end(args);
}

static void as_cc_fault_one(struct as_cc_thread *t, struct rnd_state *rnd)
{
	struct as_cc *cc = t->cc;
	unsigned int pg = prandom_u32_state(rnd) % AS_CC_PAGES;
	u64 gpa = cc->lazy + pg * SZ_4K;
	unsigned int access = prandom_u32_state(rnd) & 1 ? AXAS_PROT_WRITE :
							    AXAS_PROT_READ;
	phys_addr_t hpa;
	u64 old;
	int ret;

	ret = axas_handle_fault(cc->as, gpa + (prandom_u32_state(rnd) &
					       (SZ_4K - 1)), access);
	if (ret != AXAS_FAULT_MAPPED && ret != AXAS_FAULT_SPURIOUS) {
		as_cc_fail(cc, "fault %#llx: %d", gpa, ret);
		return;
	}
	ret = axas_translate(cc->as, gpa, &hpa);
	if (ret) {
		as_cc_fail(cc, "translate after fault %#llx: %d", gpa, ret);
		return;
	}
	old = cmpxchg(&cc->hpa[pg], 0, (u64)hpa);
	if (old && old != hpa) {
		as_cc_fail(cc, "frame of %#llx replaced", gpa);
		return;
	}
	/* Every writer of a page writes the same bytes. */
	as_fill(t->page, gpa, SZ_4K, 18);
	ret = axas_write(cc->as, gpa, t->page, SZ_4K, 0);
	if (!ret)
		ret = axas_read(cc->as, gpa, t->back, SZ_4K, 0);
	if (ret) {
		as_cc_fail(cc, "rw %#llx: %d", gpa, ret);
		return;
	}
	if (as_check_pat(t->back, gpa, SZ_4K, 18) != -1) {
		as_cc_fail(cc, "data of %#llx", gpa);
		return;
	}
	set_bit(pg, cc->faulted);
}

static int as_cc_faulter(void *arg)
{
	struct as_cc_thread *t = arg;
	struct rnd_state rnd;
	unsigned int i;

	prandom_seed_state(&rnd, 0xa5a5 + t->id);
	wait_for_completion(&t->cc->start);
	for (i = 0; i < AS_CC_ITERS && !atomic_read(&t->cc->errors); i++) {
		as_cc_fault_one(t, &rnd);
		cond_resched();
	}
	atomic_dec(&t->cc->faulters_left);
	complete(&t->done);
	return 0;
}

static int as_cc_translator(void *arg)
{
	struct as_cc_thread *t = arg;
	struct as_cc *cc = t->cc;
	struct rnd_state rnd;
	unsigned int i;
	phys_addr_t hpa;
	int ret;

	prandom_seed_state(&rnd, 0x5a5a);
	wait_for_completion(&cc->start);
	for (i = 0; i < 100 * AS_CC_ITERS; i++) {
		unsigned int pg = prandom_u32_state(&rnd) % AS_CC_PAGES;
		u64 gpa = cc->lazy + pg * SZ_4K;
		bool seen = test_bit(pg, cc->faulted);

		/* Pairs with the fully ordered cmpxchg() of the faulter. */
		smp_rmb();
		ret = axas_translate(cc->as, gpa + 5, &hpa);
		if (seen && (ret || hpa != READ_ONCE(cc->hpa[pg]) + 5))
			as_cc_fail(cc, "translate %#llx: %d", gpa, ret);
		else if (ret && ret != -ENOENT)
			as_cc_fail(cc, "translate %#llx: %d", gpa, ret);
		ret = axas_translate(cc->as, cc->remap + (i % 16) * SZ_4K,
				     &hpa);
		if (ret && ret != -ENOENT)
			as_cc_fail(cc, "translate remap: %d", ret);
		if (!(i % 64))
			cond_resched();
		if (!atomic_read(&cc->faulters_left))
			break;
	}
	complete(&t->done);
	return 0;
}

static int as_cc_remapper(void *arg)
{
	struct as_cc_thread *t = arg;
	struct as_cc *cc = t->cc;
	unsigned int i, flags;
	int ret;

	wait_for_completion(&cc->start);
	for (i = 0; i < AS_CC_REMAPS && !atomic_read(&cc->errors); i++) {
		flags = i & 1 ? AS_POP : 0;
		ret = axas_map_alloc(cc->as, cc->remap, 16 * SZ_4K, AS_RW,
				     flags);
		if (ret) {
			as_cc_fail(cc, "remap %u: %d", i, ret);
			break;
		}
		as_fill(t->page, cc->remap + SZ_8K, 64, i);
		ret = axas_write(cc->as, cc->remap + SZ_8K, t->page, 64,
				 AXAS_RW_FAULT_IN);
		if (!ret)
			ret = axas_read(cc->as, cc->remap + SZ_8K, t->back, 64,
					0);
		if (ret || memcmp(t->page, t->back, 64))
			as_cc_fail(cc, "remap rw %u: %d", i, ret);
		ret = axas_unmap(cc->as, cc->remap, 16 * SZ_4K);
		if (ret) {
			as_cc_fail(cc, "unmap %u: %d", i, ret);
			break;
		}
	}
	complete(&t->done);
	return 0;
}

static void as_test_concurrency(struct kunit *test)
{
	static int (* const fns[AS_CC_THREADS])(void *) = {
		as_cc_faulter, as_cc_faulter, as_cc_translator, as_cc_remapper,
	};
	struct as_ctx *ctx = test->priv;
	struct as_cc_thread *threads;
	struct axas_stats st;
	struct as_cc *cc;
	unsigned int i, nr = 0, faulted = 0;
	u8 *back;

	cc = kunit_kzalloc(test, sizeof(*cc), GFP_KERNEL);
	threads = kunit_kcalloc(test, AS_CC_THREADS, sizeof(*threads),
				GFP_KERNEL);
	back = kunit_kmalloc(test, SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cc);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	KUNIT_ASSERT_NOT_NULL(test, back);
	cc->as = ctx->as;
	cc->lazy = AS_GPA;
	cc->remap = AS_GPA + SZ_64M;
	init_completion(&cc->start);
	atomic_set(&cc->faulters_left, AS_CC_FAULTERS);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(cc->as, cc->lazy,
					     AS_CC_PAGES * SZ_4K, AS_RW, 0), 0);

	for (i = 0; i < AS_CC_THREADS; i++) {
		struct as_cc_thread *t = &threads[i];

		t->cc = cc;
		t->id = i;
		init_completion(&t->done);
		t->task = kthread_run(fns[i], t, "axas-as-cc%u", i);
		if (IS_ERR(t->task)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t->task));
			break;
		}
		get_task_struct(t->task);
		nr++;
	}
	complete_all(&cc->start);
	for (i = 0; i < nr; i++) {
		if (!wait_for_completion_timeout(&threads[i].done, 120 * HZ))
			KUNIT_FAIL(test, "thread %u hangs", i);
		kthread_stop_put(threads[i].task);
	}
	KUNIT_ASSERT_EQ(test, nr, AS_CC_THREADS);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&cc->errors), 0, "%s", cc->msg);

	/* Every page that was faulted holds its pattern, in its frame. */
	for (i = 0; i < AS_CC_PAGES; i++) {
		u64 gpa = cc->lazy + i * SZ_4K;
		phys_addr_t hpa;

		if (!test_bit(i, cc->faulted)) {
			KUNIT_EXPECT_EQ(test, cc->hpa[i], 0);
			continue;
		}
		faulted++;
		KUNIT_EXPECT_EQ(test, axas_translate(cc->as, gpa, &hpa), 0);
		KUNIT_EXPECT_EQ(test, hpa, cc->hpa[i]);
		KUNIT_EXPECT_EQ(test, as_peek(cc->as, gpa, back, SZ_4K), 0);
		KUNIT_EXPECT_EQ_MSG(test, as_check_pat(back, gpa, SZ_4K, 18),
				    -1, "page %u", i);
	}
	/* 600 random faults over 64 pages touch nearly all of them. */
	KUNIT_EXPECT_GT(test, faulted, AS_CC_PAGES / 2);
	as_stats(cc->as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, st.frames, faulted);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, faulted);
	as_expect_empty(test, cc->as);
}

/* Counting flush ops for the fault-flush test. */
struct as_flush_log {
	unsigned int nr_range;
	unsigned int nr_all;
	u64 gpa;
	u64 size;
};

static void as_log_flush_range(void *cookie, u64 gpa, u64 size)
{
	struct as_flush_log *log = cookie;

	log->nr_range++;
	log->gpa = gpa;
	log->size = size;
}

static void as_log_flush_all(void *cookie)
{
	struct as_flush_log *log = cookie;

	log->nr_all++;
}

static const struct axas_flush_ops as_log_flush_ops = {
	.flush_range	= as_log_flush_range,
	.flush_all	= as_log_flush_all,
};

static bool as_is_riscv(const struct as_param *p)
{
	return p->format == AXAS_FORMAT_RISCV_SV39X4 ||
	       p->format == AXAS_FORMAT_RISCV_SV48X4 ||
	       p->format == AXAS_FORMAT_RISCV_SV57X4;
}

static bool as_is_ept(const struct as_param *p)
{
	return p->format == AXAS_FORMAT_X86_EPT4 ||
	       p->format == AXAS_FORMAT_X86_EPT5;
}

/*
 * A G-stage hart may keep using a cached invalid entry until HFENCE.GVMA,
 * so a fault that maps a leaf, or finds it mapped (spurious), flushes the
 * leaf's range through the caller's ops; EPT and stage 2 never cache
 * invalid entries and are not flushed.
 */
static void as_test_fault_flush(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct as_flush_log log = {};
	struct axas_params params = {
		.format		= ctx->p->format,
		.gpa_bits	= ctx->p->gpa_bits,
		.flush_ops	= &as_log_flush_ops,
		.flush_cookie	= &log,
	};
	bool riscv = as_is_riscv(ctx->p);
	u64 pg = AS_GPA + 5 * SZ_4K, huge = AS_GPA + SZ_4M;
	struct axas *as;

	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	axas_put(ctx->as);
	ctx->as = as;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_64K, AS_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_2M, AS_RW, AS_HUGE),
			0);
	KUNIT_EXPECT_EQ(test, log.nr_range + log.nr_all, 0);

	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg + 7, AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, log.nr_range, riscv ? 1 : 0);
	if (riscv) {
		KUNIT_EXPECT_EQ(test, log.gpa, pg);
		KUNIT_EXPECT_EQ(test, log.size, SZ_4K);
	}
	/* Resumed with the stale invalid entry cached: flushed again. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg, AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, log.nr_range, riscv ? 2 : 0);

	/* A 2 MiB leaf: its whole range. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, huge + SZ_64K + 3,
						AXAS_PROT_READ),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, log.nr_range, riscv ? 3 : 0);
	if (riscv) {
		KUNIT_EXPECT_EQ(test, log.gpa, huge);
		KUNIT_EXPECT_EQ(test, log.size, SZ_2M);
	}

	/* Outcomes that map nothing flush nothing. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, AS_GPA - SZ_4K,
						AXAS_PROT_READ),
			AXAS_FAULT_NOT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pg, AXAS_PROT_EXEC),
			AXAS_FAULT_PERM);
	KUNIT_EXPECT_EQ(test, log.nr_range, riscv ? 3 : 0);
	KUNIT_EXPECT_EQ(test, log.nr_all, 0);
	as_expect_empty(test, as);
}

/*
 * nx_huge_pages: with the setting on, EPT maps executable memory with
 * 4 KiB leaves only (ITLB multihit, CVE-2018-12207), whatever backs it;
 * non-executable memory keeps its 2 MiB leaves, and other formats are
 * unaffected.
 */
static void as_test_nx_huge(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	bool ept = as_is_ept(ctx->p);
	u64 x = AS_GPA, nx = AS_GPA + SZ_2M, lazy = AS_GPA + SZ_4M;
	u64 lin = AS_GPA + 3 * SZ_2M;
	int saved = axas_nx_huge_pages;
	struct axas_stats st;
	phys_addr_t hpa, ram;
	struct axas *as;
	u64 len;

	axas_nx_huge_pages = AXAS_NX_HUGE_ON;
	as = as_renew(test, 0);
	axas_nx_huge_pages = saved;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, x, SZ_2M, AXAS_PROT_RWX,
					     AS_POP | AS_HUGE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, nx, SZ_2M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, SZ_2M, AXAS_PROT_RWX,
					     AS_HUGE), 0);
	/* Executable, so normal memory: a 2 MiB block of RAM. */
	ram = as_ram(test, get_order(SZ_2M));
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin, SZ_2M, ram,
					      AXAS_PROT_READ | AXAS_PROT_EXEC,
					      AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_64K,
						AXAS_PROT_EXEC),
			AXAS_FAULT_MAPPED);
	/* The whole 2 MiB frame is mapped, in 4 KiB pieces. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_1M,
						AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);

	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 3 * 512);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, ept ? 1 : 4);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, ept ? 3 * 512 : 0);
	/* Still one contiguous 2 MiB frame behind the 4 KiB leaves. */
	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, lazy, &hpa, &len), 0);
	KUNIT_EXPECT_EQ(test, len, SZ_2M);
	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, lin, &hpa, &len), 0);
	KUNIT_EXPECT_EQ(test, hpa, ram);
	as_expect_empty(test, as);
}

/* HPAs of a few pages of a range, to see that protect keeps them. */
#define AS_NX_PROBES	8

static void as_nx_probe(struct kunit *test, struct axas *as, u64 gpa,
			phys_addr_t *hpa)
{
	unsigned int i;

	for (i = 0; i < AS_NX_PROBES; i++)
		hpa[i] = as_xlate(test, as, gpa + i * (SZ_4M / AS_NX_PROBES) +
				  i * SZ_4K + 8 * i);
}

static void as_nx_expect_probes(struct kunit *test, struct axas *as, u64 gpa,
				const phys_addr_t *hpa)
{
	phys_addr_t now[AS_NX_PROBES];
	unsigned int i;

	as_nx_probe(test, as, gpa, now);
	for (i = 0; i < AS_NX_PROBES; i++)
		KUNIT_EXPECT_EQ_MSG(test, now[i], hpa[i], "probe %u", i);
}

/*
 * nx_huge_pages and protect: granting execute to memory mapped with 2 MiB
 * leaves splits them into 4 KiB leaves on EPT (same frames, same
 * translations, one table page per block), all or nothing when a table
 * allocation fails; taking execute away merges nothing back. A lazy
 * region made executable then faults its 2 MiB frames in as 4 KiB
 * leaves. Other formats keep their blocks.
 */
static void as_test_nx_huge_protect(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	bool ept = as_is_ept(ctx->p);
	u64 pop = AS_GPA, lazy = AS_GPA + SZ_8M;
	phys_addr_t hp[AS_NX_PROBES], hl, hpa;
	int saved = axas_nx_huge_pages, ret = -ENOMEM;
	struct axas_stats before, st;
	struct axas *as;
	unsigned int n;
	u64 len;

	axas_nx_huge_pages = AXAS_NX_HUGE_ON;
	as = as_renew(test, 0);
	axas_nx_huge_pages = saved;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, pop, SZ_4M, AS_RW,
					     AS_POP | AS_HUGE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, SZ_4M, AS_RW, AS_HUGE),
			0);
	KUNIT_ASSERT_EQ(test, axas_handle_fault(as, lazy + SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_stats(as, &before);
	/* A fresh VM has 2 MiB frames to spare. */
	KUNIT_ASSERT_EQ(test, before.leaves_2m, 3);
	as_nx_probe(test, as, pop, hp);
	hl = as_xlate(test, as, lazy + 42);

	/* One block: its split table fails to come, then comes. */
	for (n = 1; n <= AS_FAIL_MAX; n++) {
		axas_kunit_fail_nth(test, n);
		ret = axas_protect(as, pop, SZ_2M, AXAS_PROT_RWX);
		axas_kunit_fail_nth(test, 0);
		if (!ret)
			break;
		as_fail_sweep_check(test, as, &before, ret, n);
		KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pop + SZ_4K,
							AXAS_PROT_EXEC),
				AXAS_FAULT_PERM);
		if (ret != -ENOMEM)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* EPT needs one table page, the other formats none. */
	KUNIT_EXPECT_EQ(test, n, ept ? 2 : 1);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, before.frames);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, ept ? 2 : 3);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, ept ? 512 : 0);
	KUNIT_EXPECT_EQ(test, st.table_pages, before.table_pages + ept);
	as_nx_expect_probes(test, as, pop, hp);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pop + SZ_4K,
						AXAS_PROT_EXEC),
			AXAS_FAULT_SPURIOUS);
	/* Still one contiguous 2 MiB frame behind the 4 KiB leaves. */
	KUNIT_EXPECT_EQ(test, axas_translate_limit(as, pop, &hpa, &len), 0);
	KUNIT_EXPECT_EQ(test, hpa, hp[0]);
	KUNIT_EXPECT_EQ(test, len, SZ_2M);

	/* Both regions whole: the faulted lazy block splits too. */
	KUNIT_ASSERT_EQ(test, axas_protect(as, pop, SZ_4M, AXAS_PROT_RWX), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(as, lazy, SZ_4M, AXAS_PROT_RWX), 0);
	as_nx_expect_probes(test, as, pop, hp);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lazy + 42), hl);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, ept ? 0 : 3);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, ept ? 3 * 512 : 0);
	KUNIT_EXPECT_EQ(test, st.table_pages, before.table_pages + 3 * ept);
	/* The unfaulted lazy block comes in as 4 KiB leaves now. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy + SZ_2M + 8,
						AXAS_PROT_EXEC),
			AXAS_FAULT_MAPPED);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, before.frames + 512);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, ept ? 0 : 4);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, ept ? 4 * 512 : 0);

	/* Execute taken away: the leaves stay 4 KiB, nothing is freed. */
	before = st;
	KUNIT_ASSERT_EQ(test, axas_protect(as, pop, SZ_4M, AS_RW), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_2m, before.leaves_2m);
	KUNIT_EXPECT_EQ(test, st.leaves_4k, before.leaves_4k);
	KUNIT_EXPECT_EQ(test, st.table_pages, before.table_pages);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, pop + SZ_4K,
						AXAS_PROT_EXEC),
			AXAS_FAULT_PERM);
	as_nx_expect_probes(test, as, pop, hp);
	as_expect_empty(test, as);
}

struct as_xl_thread {
	struct axas *as;
	u64 gpa;
	phys_addr_t hpa;
	u64 len;
	int ret;
	struct completion done;
};

static int as_xl_fn(void *arg)
{
	struct as_xl_thread *t = arg;

	t->ret = axas_translate_limit(t->as, t->gpa, &t->hpa, &t->len);
	complete(&t->done);
	return 0;
}

/*
 * axas_translate_limit() retries when the region it found no longer
 * covers the address (a split moved it to a new piece). Hold that state
 * still, as axas_unsplit_at() used to between storing the merged head and
 * growing its last address: the retry is bounded, and the answer stays
 * true (the rest of the leaf).
 */
static void as_test_translate_bounded(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	struct as_xl_thread t = { .as = as, .gpa = AS_GPA + SZ_4K };
	struct task_struct *task;
	struct axas_region *r;
	unsigned long index = AS_GPA;
	bool done;
	u64 last;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_8K, AS_RW, AS_POP),
			0);
	init_completion(&t.done);
	down_write(&as->lock);
	r = mt_find(&as->regions, &index, AS_GPA);
	KUNIT_ASSERT_NOT_NULL(test, r);
	last = r->last;
	WRITE_ONCE(r->last, AS_GPA + SZ_4K - 1);
	up_write(&as->lock);

	task = kthread_run(as_xl_fn, &t, "axas-kunit-xl");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	done = wait_for_completion_timeout(&t.done, msecs_to_jiffies(500));
	WRITE_ONCE(r->last, last);	/* let a spinning reader go */
	if (!done)
		wait_for_completion(&t.done);
	KUNIT_EXPECT_TRUE_MSG(test, done, "translate_limit spun");
	KUNIT_EXPECT_EQ(test, t.ret, 0);
	KUNIT_EXPECT_EQ(test, t.hpa, as_xlate(test, as, t.gpa));
	KUNIT_EXPECT_EQ(test, t.len, SZ_4K);
	as_expect_empty(test, as);
}

/*
 * Cache maintenance (axas_frame_sync()): counted through its static stub
 * on every host; on arm64 the real clean runs in every other test.
 */
#define AS_SYNC_MAX	16

static struct as_sync {
	struct kunit *test;
	unsigned int calls;
	unsigned int exec;
	size_t bytes;
	void *va[AS_SYNC_MAX];
	size_t size[AS_SYNC_MAX];
	/* Fault path: this GPA must not translate yet when the CMO runs. */
	struct axas *as;
	u64 gpa;
} as_sync;

static void as_sync_stub(void *va, size_t size, unsigned int prot)
{
	struct as_sync *s = &as_sync;
	phys_addr_t hpa;

	if (s->calls < AS_SYNC_MAX) {
		s->va[s->calls] = va;
		s->size[s->calls] = size;
	}
	s->calls++;
	s->bytes += size;
	if (prot & AXAS_PROT_EXEC)
		s->exec++;
	if (s->as)
		KUNIT_EXPECT_EQ_MSG(s->test, axas_translate(s->as, s->gpa, &hpa),
				    -ENOENT, "leaf visible before its CMO");
}

static void as_sync_reset(struct kunit *test)
{
	memset(&as_sync, 0, sizeof(as_sync));
	as_sync.test = test;
}

/* Call @i mapped the frame @gpa translates to, @size bytes long. */
static void as_sync_expect(struct kunit *test, struct axas *as,
			   unsigned int i, u64 gpa, size_t size)
{
	KUNIT_ASSERT_LT(test, i, AS_SYNC_MAX);
	KUNIT_EXPECT_EQ_MSG(test, virt_to_phys(as_sync.va[i]),
			    as_xlate(test, as, gpa), "call %u", i);
	KUNIT_EXPECT_EQ_MSG(test, as_sync.size[i], size, "call %u", i);
}

/* One CMO per cacheable frame before its leaf is installed, and per write. */
static void as_test_frame_sync(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 pop = AS_GPA, huge = AS_GPA + SZ_16M, lazy = AS_GPA + SZ_32M;
	u64 lazy2m = AS_GPA + SZ_64M, lin = AS_GPA + SZ_128M;
	unsigned int i, rx = AXAS_PROT_READ | AXAS_PROT_EXEC;
	u8 buf[100] = { 1 };

	as_sync_reset(test);
	kunit_activate_static_stub(test, axas_frame_sync, as_sync_stub);

	/* Populate: one call per 4 KiB frame, not executable. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, pop, 8 * SZ_4K, AS_RW,
					     AS_POP), 0);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 8);
	KUNIT_EXPECT_EQ(test, as_sync.exec, 0);
	for (i = 0; i < 8; i++)
		as_sync_expect(test, as, i, pop + i * SZ_4K, SZ_4K);

	/* Populate with 2 MiB frames, executable: the I-side too. */
	as_sync_reset(test);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, huge, SZ_4M, AXAS_PROT_RWX,
					     AS_POP | AS_HUGE), 0);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 2);
	KUNIT_EXPECT_EQ(test, as_sync.exec, 2);
	as_sync_expect(test, as, 0, huge, SZ_2M);
	as_sync_expect(test, as, 1, huge + SZ_2M, SZ_2M);

	/* Faults: one call per installed leaf, before it is visible. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy, 16 * SZ_4K, rx, 0), 0);
	for (i = 0; i < 3; i++) {
		as_sync_reset(test);
		as_sync.as = as;
		as_sync.gpa = lazy + i * SZ_4K;
		KUNIT_EXPECT_EQ(test, axas_handle_fault(as, as_sync.gpa + 8,
							AXAS_PROT_READ),
				AXAS_FAULT_MAPPED);
		as_sync.as = NULL;
		KUNIT_EXPECT_EQ(test, as_sync.calls, 1);
		KUNIT_EXPECT_EQ(test, as_sync.exec, 1);
		as_sync_expect(test, as, 0, lazy + i * SZ_4K, SZ_4K);
	}
	as_sync_reset(test);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy, AXAS_PROT_EXEC),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 0);

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, lazy2m, SZ_2M, AS_RW,
					     AS_HUGE), 0);
	as_sync.as = as;
	as_sync.gpa = lazy2m;
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, lazy2m + SZ_1M,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	as_sync.as = NULL;
	KUNIT_EXPECT_EQ(test, as_sync.calls, 1);
	KUNIT_EXPECT_EQ(test, as_sync.exec, 0);
	as_sync_expect(test, as, 0, lazy2m, SZ_2M);

	/* A write: one call per page it touches, for the bytes written. */
	as_sync_reset(test);
	KUNIT_EXPECT_EQ(test, axas_write(as, pop + SZ_4K - 30, buf,
					 sizeof(buf), 0), 0);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 2);
	KUNIT_EXPECT_EQ(test, as_sync.bytes, sizeof(buf));
	KUNIT_EXPECT_EQ(test, virt_to_phys(as_sync.va[0]),
			as_xlate(test, as, pop + SZ_4K - 30));
	KUNIT_EXPECT_EQ(test, virt_to_phys(as_sync.va[1]),
			as_xlate(test, as, pop + SZ_4K));
	/* Reads clean nothing. */
	as_sync_reset(test);
	KUNIT_EXPECT_EQ(test, axas_read(as, pop, buf, sizeof(buf), 0), 0);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 0);

	/* Linear memory, even RAM, has no kernel alias axas wrote through. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin, SZ_8K, as_ram(test, 1),
					      AS_RW, AXAS_MEM_NORMAL), 0);
	KUNIT_ASSERT_EQ(test, axas_handle_fault(as, lin, AXAS_PROT_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, as_sync.calls, 0);

	kunit_deactivate_static_stub(test, axas_frame_sync);
	as_expect_empty(test, as);
}

/* Device memory is never executable: X is refused, never encoded. */
static void as_test_device_noexec(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, nx = AS_GPA + SZ_2M;
	unsigned int rx = AXAS_PROT_READ | AXAS_PROT_EXEC;
	struct axas_npt_leaf leaf;
	struct axas_stats before, after;

	as_stats(as, &before);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_4K, as_hpa, rx,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_4K, as_hpa,
					      AXAS_PROT_EXEC,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_2M, as_hpa,
					      AXAS_PROT_RWX,
					      AXAS_MEM_DEVICE), -EINVAL);
	as_stats(as, &after);
	as_expect_same(test, &before, &after);
	as_expect_unmapped(test, as, gpa);

	/* Without X it maps; protect cannot add X later. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, nx, SZ_2M, as_hpa, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	as_stats(as, &before);
	KUNIT_EXPECT_EQ(test, axas_protect(as, nx, SZ_4K, AXAS_PROT_RWX),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_protect(as, nx, SZ_2M, rx), -EINVAL);
	as_stats(as, &after);
	as_expect_same(test, &before, &after);
	KUNIT_ASSERT_EQ(test, axas_npt_lookup(&as->npt, nx + SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, AS_RW);
	KUNIT_EXPECT_EQ(test, leaf.mt, AXAS_MEM_DEVICE);
	KUNIT_EXPECT_EQ(test, axas_protect(as, nx, SZ_4K, AXAS_PROT_READ), 0);

	/* Normal linear memory (RAM) may be executable. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_4K, as_ram(test, 0),
					      rx, AXAS_MEM_NORMAL), 0);
	as_expect_empty(test, as);
}

/* walk_iomem_res_desc() callback: a System RAM end followed by no RAM. */
static int as_ram_end_one(struct resource *res, void *arg)
{
	phys_addr_t *end = arg;

	if (resource_size(res) < SZ_4K || !IS_ALIGNED(res->end + 1, SZ_4K) ||
	    region_intersects(res->end + 1, SZ_4K, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return 0;
	*end = res->end + 1;
	return 1;
}

/*
 * The first byte past a System RAM range, 4 KiB aligned, where no RAM
 * follows (a hole or a device); 0 if there is none below 1 TiB.
 */
static phys_addr_t as_ram_end(void)
{
	phys_addr_t end = 0;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, 0,
			    BIT_ULL(40) - 1, &end, as_ram_end_one);
	return end;
}

static void as_release_resource_action(void *res)
{
	release_resource(res);
}

/* Claim [@start, @start + @size) as persistent memory of kind @desc. */
static void as_claim_pmem(struct kunit *test, phys_addr_t start, u64 size,
			  unsigned long desc)
{
	struct resource *res = kunit_kzalloc(test, sizeof(*res), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, res);
	res->name = "axas-kunit-pmem";
	res->flags = IORESOURCE_MEM;
	res->desc = desc;
	res->start = start;
	res->end = start + size - 1;
	KUNIT_ASSERT_EQ(test, request_resource(&iomem_resource, res), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  as_release_resource_action,
						  res), 0);
}

/*
 * axas_linear_memtype_ok(): System RAM is normal memory only, persistent
 * memory either type, the rest (a device, a hole) device memory only; a
 * range that changes kind on the way is refused, holes included, which
 * region_intersects() alone would call RAM (or persistent memory).
 */
static void as_test_linear_memtype_ok(struct kunit *test)
{
	phys_addr_t ram = as_ram(test, 1), end = as_ram_end();
	phys_addr_t hole, legacy_end;
	enum axas_memtype mt;

	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(ram, SZ_8K,
						       AXAS_MEM_NORMAL));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(ram, SZ_8K,
							AXAS_MEM_DEVICE));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(ram + SZ_4K, SZ_4K,
							AXAS_MEM_DEVICE));
	/* A claimed device range, large and small. */
	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(as_hpa, AS_HPA_SIZE,
						       AXAS_MEM_DEVICE));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(as_hpa, AS_HPA_SIZE,
							AXAS_MEM_NORMAL));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(as_hpa + SZ_1G, SZ_4K,
							AXAS_MEM_NORMAL));

	/*
	 * An 8 MiB hole: persistent memory [0, 4M) in two resources, legacy
	 * persistent memory [4M, 6M), nothing in [6M, 8M).
	 */
	hole = as_hole(test, SZ_8M);
	legacy_end = hole + 3 * SZ_2M;
	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(hole, SZ_8M,
						       AXAS_MEM_DEVICE));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(hole, SZ_8M,
							AXAS_MEM_NORMAL));
	as_claim_pmem(test, hole, SZ_2M, IORES_DESC_PERSISTENT_MEMORY);
	as_claim_pmem(test, hole + SZ_2M, SZ_2M, IORES_DESC_PERSISTENT_MEMORY);
	as_claim_pmem(test, hole + SZ_4M, SZ_2M,
		      IORES_DESC_PERSISTENT_MEMORY_LEGACY);
	for (mt = AXAS_MEM_NORMAL; mt <= AXAS_MEM_DEVICE; mt++) {
		KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(hole, SZ_4M,
							       mt));
		KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(hole + SZ_4M,
							       SZ_2M, mt));
	}
	/* Two kinds of persistent memory; the legacy kind and a hole. */
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(hole + SZ_2M, SZ_4M,
							AXAS_MEM_NORMAL));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(hole + SZ_4M, SZ_4M,
							AXAS_MEM_NORMAL));
	KUNIT_EXPECT_FALSE(test, axas_linear_memtype_ok(legacy_end - SZ_4K,
							SZ_8K,
							AXAS_MEM_NORMAL));
	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(hole + SZ_4M, SZ_4M,
						       AXAS_MEM_DEVICE));

	/* The end of System RAM: neither type fits a range across it. */
	if (!end) {
		kunit_info(test, "no System RAM end followed by no RAM\n");
		return;
	}
	for (mt = AXAS_MEM_NORMAL; mt <= AXAS_MEM_DEVICE; mt++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       axas_linear_memtype_ok(end - SZ_4K,
							      SZ_8K, mt),
				       "RAM end %pa, type %u", &end, mt);
	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(end - SZ_4K, SZ_4K,
						       AXAS_MEM_NORMAL));
	KUNIT_EXPECT_TRUE(test, axas_linear_memtype_ok(end, SZ_4K,
						       AXAS_MEM_DEVICE));
}

/*
 * axas_map_linear() refuses a memory type the host range does not have
 * with -EINVAL, after the range checks and before the overlap check, and
 * changes nothing; the right type maps.
 */
static void as_test_linear_memtype(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	phys_addr_t ram = as_ram(test, 1), end = as_ram_end();
	phys_addr_t hole = as_hole(test, SZ_2M);
	u64 gpa = AS_GPA, gpa2 = AS_GPA + SZ_2M;
	struct axas_stats before, after;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA + SZ_4M, SZ_8K, AS_RW,
					     AS_POP), 0);
	as_stats(as, &before);
	/* RAM as device memory: the kernel's cacheable alias disagrees. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_8K, ram, AS_RW,
					      AXAS_MEM_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_4K, ram + SZ_4K,
					      AXAS_PROT_READ,
					      AXAS_MEM_DEVICE), -EINVAL);
	/* A device range or a hole as normal memory. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_2M, as_hpa, AS_RW,
					      AXAS_MEM_NORMAL), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_4K, hole,
					      AXAS_PROT_RWX,
					      AXAS_MEM_NORMAL), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_2M, hole,
					      AXAS_PROT_READ,
					      AXAS_MEM_NORMAL), -EINVAL);
	/* Across the end of RAM: neither type. */
	if (end) {
		KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_8K,
						      end - SZ_4K, AS_RW,
						      AXAS_MEM_NORMAL),
				-EINVAL);
		KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_8K,
						      end - SZ_4K, AS_RW,
						      AXAS_MEM_DEVICE),
				-EINVAL);
	} else {
		kunit_info(test, "no System RAM end followed by no RAM\n");
	}
	/* Range checks come first, the overlap check after. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, as_top(test), SZ_4K, hole,
					      AS_RW, AXAS_MEM_NORMAL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, AS_GPA + SZ_4M, SZ_4K, hole,
					      AS_RW, AXAS_MEM_NORMAL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, AS_GPA + SZ_4M, SZ_4K, ram,
					      AS_RW, AXAS_MEM_DEVICE),
			-EINVAL);
	as_stats(as, &after);
	as_expect_same(test, &before, &after);
	as_expect_unmapped(test, as, gpa);
	as_expect_unmapped(test, as, gpa + SZ_4K);

	/* The right types map. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa, SZ_8K, ram,
					      AXAS_PROT_RWX,
					      AXAS_MEM_NORMAL), 0);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, gpa + SZ_4K + 42),
			ram + SZ_4K + 42);
	KUNIT_EXPECT_EQ(test, axas_map_linear(as, gpa2, SZ_2M, hole, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, gpa2 + 42), hole + 42);
	as_stats(as, &after);
	KUNIT_EXPECT_EQ(test, after.regions, before.regions + 2);
	KUNIT_EXPECT_EQ(test, after.leaves_2m, before.leaves_2m + 1);
	as_expect_empty(test, as);
}

/* Adjacent pieces that agree merge again, so splits do not pile up. */
static void as_test_region_merge(struct kunit *test)
{
	struct as_ctx *ctx = test->priv;
	struct axas *as = ctx->as;
	u64 gpa = AS_GPA, lin = AS_GPA + SZ_64M;
	struct axas_stats st;
	unsigned int k;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 64 * SZ_4K, AS_RW, 0), 0);
	/* Every other page read-only: 64 pieces; then all writable: one. */
	for (k = 0; k < 64; k += 2)
		KUNIT_EXPECT_EQ(test, axas_protect(as, gpa + k * SZ_4K, SZ_4K,
						   AXAS_PROT_READ), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 64);
	for (k = 0; k < 64; k += 2)
		KUNIT_EXPECT_EQ(test, axas_protect(as, gpa + k * SZ_4K, SZ_4K,
						   AS_RW), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	/* A thousand protect round trips at different pages leave one. */
	for (k = 0; k < 1000; k++) {
		KUNIT_EXPECT_EQ(test, axas_protect(as, gpa + k % 63 * SZ_4K,
						   SZ_8K, AXAS_PROT_READ), 0);
		KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, 64 * SZ_4K, AS_RW),
				0);
	}
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);

	/* Unmap a page, map it back alike: one region; unlike: three. */
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 5 * SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_MAPPED);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 5 * SZ_4K, SZ_4K), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + 5 * SZ_4K, SZ_4K, AS_RW,
					     AS_POP), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_EXPECT_EQ(test, axas_handle_fault(as, gpa + 5 * SZ_4K,
						AXAS_PROT_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + 6 * SZ_4K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + 6 * SZ_4K, SZ_4K,
					     AS_RW, AS_HUGE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 3);
	/* The merged region unmaps as one. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa, 64 * SZ_4K), 0);

	/* Linear pieces merge only where the host range continues. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin, SZ_4K, as_hpa, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin + SZ_4K, SZ_4K,
					      as_hpa + SZ_4K, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, lin + SZ_8K, SZ_4K,
					      as_hpa + SZ_1M, AS_RW,
					      AXAS_MEM_DEVICE), 0);
	as_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lin + SZ_4K + 8),
			as_hpa + SZ_4K + 8);
	KUNIT_EXPECT_EQ(test, as_xlate(test, as, lin + SZ_8K + 8),
			as_hpa + SZ_1M + 8);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, lin, 3 * SZ_4K), 0);
	as_expect_empty(test, as);
}

/* A lockless reader that stays in its RCU section until let go (or 10 s). */
struct as_rcu_hold {
	struct completion inside;
	struct completion done;
	atomic_t let_go;
	bool let_go_in_time;
};

static int as_rcu_holder(void *arg)
{
	struct as_rcu_hold *h = arg;
	unsigned long end = jiffies + 10 * HZ;

	rcu_read_lock();
	complete(&h->inside);
	while (!atomic_read(&h->let_go) && time_before(jiffies, end))
		cpu_relax();
	h->let_go_in_time = atomic_read(&h->let_go);
	rcu_read_unlock();
	complete(&h->done);
	return 0;
}

/*
 * An unmap that frees frames returns without waiting for a grace period
 * (the frames go after it, by a work item): with a reader inside its RCU
 * section until the unmap returned, the old synchronize_rcu() waited for
 * the reader's 10 s timeout.
 */
static void as_test_unmap_no_gp_wait(struct kunit *test)
{
	struct axas_params params = {};
	struct task_struct *t;
	struct as_rcu_hold h;
	struct axas_stats st;
	struct axas *as;

	/* The reader must not keep the unmap off the only CPU. */
	if (!IS_ENABLED(CONFIG_PREEMPT_RCU) && num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs or preemptible RCU");
	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, 16 * SZ_4K, AS_RW,
					     AS_POP), 0);
	init_completion(&h.inside);
	init_completion(&h.done);
	atomic_set(&h.let_go, 0);
	t = kthread_run(as_rcu_holder, &h, "axas-rcu-hold");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&h.inside);
	KUNIT_EXPECT_EQ(test, axas_unmap(as, AS_GPA, 16 * SZ_4K), 0);
	atomic_set(&h.let_go, 1);
	wait_for_completion(&h.done);
	KUNIT_EXPECT_TRUE_MSG(test, h.let_go_in_time,
			      "the unmap waited for the reader's grace period");
	axas_get_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	axas_put(as);
}

struct as_inval_log {
	unsigned int calls;
	u64 gpa, size;
	bool frame_alive;	/* the watched page still allocated then */
	struct page *watch;
};

static void as_inval_cb(void *cookie, u64 gpa, u64 size)
{
	struct as_inval_log *log = cookie;

	log->calls++;
	log->gpa = gpa;
	log->size = size;
	if (log->watch)
		log->frame_alive = page_ref_count(log->watch) >= 2;
}

static const struct axas_invalidate_ops as_inval_ops = {
	.invalidate = as_inval_cb,
};

/*
 * The lifetime contract for in-kernel callers: a frame reference outlives
 * an unmap, the invalidation sequence and callback see unmap and protect
 * (not map, faults or reads), and the callback runs before frames go.
 */
static void as_test_lifetime(struct kunit *test)
{
	struct as_inval_log log = {};
	struct axas_params params = {
		.invalidate_ops		= &as_inval_ops,
		.invalidate_cookie	= &log,
	};
	u64 gpa = AS_GPA;
	struct page *page, *p2;
	unsigned int seq, i;
	struct axas *as;
	u8 buf[8], *va;

	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, gpa, 4 * SZ_4K, AS_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(as, gpa + SZ_1M, SZ_4K, as_hpa,
					      AS_RW, AXAS_MEM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, axas_get_frame(as, gpa, &page), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_get_frame(as, gpa + SZ_1M, &page),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_get_frame(as, gpa + SZ_2M, &page), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_get_frame(as, BIT_ULL(60), &page), -ERANGE);

	seq = axas_invalidate_begin(as);
	memcpy(buf, "axasfrm", 8);
	KUNIT_ASSERT_EQ(test, axas_write(as, gpa + SZ_4K + 16, buf, 8,
					 AXAS_RW_FAULT_IN), 0);
	KUNIT_ASSERT_EQ(test, axas_get_frame(as, gpa + SZ_4K + 16, &page), 0);
	KUNIT_EXPECT_EQ(test, page_to_phys(page),
			as_xlate(test, as, gpa + SZ_4K));
	KUNIT_ASSERT_EQ(test, axas_get_frame(as, gpa + SZ_4K, &p2), 0);
	KUNIT_EXPECT_PTR_EQ(test, p2, page);
	axas_put_frame(p2);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(as, gpa + SZ_8M, SZ_4K, AS_RW, 0),
			0);
	/* Maps, faults and writes do not invalidate. */
	KUNIT_EXPECT_FALSE(test, axas_invalidate_retry(as, seq));
	KUNIT_EXPECT_EQ(test, log.calls, 0);

	/* A protect does, once, with its range. */
	KUNIT_EXPECT_EQ(test, axas_protect(as, gpa, 4 * SZ_4K, AXAS_PROT_READ),
			0);
	KUNIT_EXPECT_TRUE(test, axas_invalidate_retry(as, seq));
	KUNIT_EXPECT_EQ(test, log.calls, 1);
	KUNIT_EXPECT_EQ(test, log.gpa, gpa);
	KUNIT_EXPECT_EQ(test, log.size, 4 * SZ_4K);

	/* An unmap too; the callback runs before the frame is freed. */
	seq = axas_invalidate_begin(as);
	KUNIT_EXPECT_FALSE(test, axas_invalidate_retry(as, seq));
	log.watch = page;
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + SZ_4K, SZ_4K), 0);
	KUNIT_EXPECT_TRUE(test, axas_invalidate_retry(as, seq));
	KUNIT_EXPECT_EQ(test, log.calls, 2);
	KUNIT_EXPECT_EQ(test, log.gpa, gpa + SZ_4K);
	KUNIT_EXPECT_EQ(test, log.size, SZ_4K);
	KUNIT_EXPECT_TRUE(test, log.frame_alive);
	log.watch = NULL;
	KUNIT_EXPECT_EQ(test, axas_get_frame(as, gpa + SZ_4K, &p2), -ENOENT);
	/* Our reference keeps the old frame and its bytes. */
	rcu_barrier();
	for (i = 0; i < 250 && page_ref_count(page) > 1; i++)
		msleep(20);	/* axas's reference goes by a work item */
	va = kmap_local_page(page);
	KUNIT_EXPECT_EQ(test, memcmp(va + 16, "axasfrm", 8), 0);
	kunmap_local(va);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	axas_put_frame(page);

	/* Failed and empty operations do not call back. */
	KUNIT_EXPECT_EQ(test, axas_unmap(as, gpa + SZ_4K, SZ_4K), -ENOENT);
	KUNIT_EXPECT_EQ(test, log.calls, 2);
	axas_put(as);
}

/*
 * One lazy 64 MiB region with @holes single pages unmapped at 8 KiB
 * steps, in a fresh address space; then one large unmap (@big) or the
 * last reference dropped. 119-127 holes used to leave a region tree
 * whose destroy freed a bogus maple node (see axas_create()).
 */
static void as_holes_once(struct kunit *test, unsigned int holes, bool big)
{
	struct axas_params params = {};
	struct axas_stats st;
	struct axas *as;
	unsigned int k;

	as = axas_create(&params);
	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(as, AS_GPA, SZ_64M, AS_RW, 0), 0);
	for (k = 0; k < holes; k++)
		KUNIT_ASSERT_EQ(test, axas_unmap(as, AS_GPA + SZ_4K + k * SZ_8K,
						 SZ_4K), 0);
	axas_get_stats(as, &st);
	KUNIT_EXPECT_EQ(test, st.regions, holes + 1);
	if (big) {
		KUNIT_EXPECT_EQ(test, axas_unmap(as, AS_GPA, SZ_64M), 0);
		axas_get_stats(as, &st);
		KUNIT_EXPECT_EQ(test, st.regions, 0);
	}
	axas_put(as);
	/* The tree's nodes are freed by RCU callbacks: run them now. */
	rcu_barrier();
}

/*
 * Every hole count from 1 to 300, then in steps to a few thousand: one
 * case per 20 counts or per larger count, so that none runs for minutes
 * (the hung-task detector watches the KUnit runner's wait).
 */
static const unsigned int as_holes_more[] = { 320, 384, 448, 512, 640, 768,
					      1024, 1536, 2048, 3072 };
#define AS_HOLES_CHUNK		20
#define AS_HOLES_NR_CHUNKS	(300 / AS_HOLES_CHUNK)

/* The hole counts of case @i: a chunk of 1-300, or one larger count. */
static void as_holes_range(unsigned int i, unsigned int *first,
			   unsigned int *last)
{
	if (i < AS_HOLES_NR_CHUNKS) {
		*first = i * AS_HOLES_CHUNK + 1;
		*last = *first + AS_HOLES_CHUNK - 1;
	} else {
		*first = as_holes_more[i - AS_HOLES_NR_CHUNKS];
		*last = *first;
	}
}

/* The parameter is the case's index + 1 (never NULL). */
static const void *as_holes_gen(const void *prev, char *desc)
{
	unsigned int i = (uintptr_t)prev, first, last;

	if (i >= AS_HOLES_NR_CHUNKS + ARRAY_SIZE(as_holes_more))
		return NULL;
	as_holes_range(i, &first, &last);
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "holes-%u-%u", first, last);
	return (const void *)(uintptr_t)(i + 1);
}

static void as_test_region_holes(struct kunit *test)
{
	unsigned int n, first, last;

	as_holes_range((uintptr_t)test->param_value - 1, &first, &last);
	for (n = first; n <= last; n++) {
		as_holes_once(test, n, false);
		as_holes_once(test, n, true);
		cond_resched();
	}
}

static struct kunit_case axas_as_cases[] = {
	KUNIT_CASE_PARAM(as_test_create_errors, as_gen_params),
	KUNIT_CASE(as_test_create_default),
	KUNIT_CASE(as_test_create_enospc),
	KUNIT_CASE(as_test_unmap_no_gp_wait),
	KUNIT_CASE(as_test_lifetime),
	KUNIT_CASE_PARAM(as_test_root_info, as_gen_params),
	KUNIT_CASE_PARAM(as_test_linear_translate, as_gen_params),
	KUNIT_CASE_PARAM(as_test_linear_rw, as_gen_params),
	KUNIT_CASE_PARAM(as_test_populate, as_gen_params),
	KUNIT_CASE_PARAM(as_test_lazy_fault, as_gen_params),
	KUNIT_CASE_PARAM(as_test_lazy_huge, as_gen_params),
	KUNIT_CASE_PARAM(as_test_map_errors, as_gen_params),
	KUNIT_CASE_PARAM(as_test_unmap_split, as_gen_params),
	KUNIT_CASE_PARAM(as_test_protect, as_gen_params),
	KUNIT_CASE_PARAM(as_test_region_merge, as_gen_params),
	KUNIT_CASE_PARAM(as_test_rw, as_gen_params),
	KUNIT_CASE_PARAM(as_test_rw_steps, as_gen_params),
	KUNIT_CASE_PARAM(as_test_frame_limit, as_gen_params),
	KUNIT_CASE_PARAM(as_test_vmm_frame, as_gen_params),
	KUNIT_CASE_PARAM(as_test_table_limit, as_gen_params),
	KUNIT_CASE_PARAM(as_test_huge_no_false_nomem, as_gen_params),
	KUNIT_CASE_PARAM(as_test_near_limit, as_gen_params),
	KUNIT_CASE_PARAM(as_test_killable, as_gen_params),
	KUNIT_CASE_PARAM(as_test_populate_killed, as_gen_params),
	KUNIT_CASE_PARAM(as_test_fail_nth_linear, as_gen_params),
	KUNIT_CASE_PARAM(as_test_fail_nth_populate, as_gen_params),
	KUNIT_CASE_PARAM(as_test_fail_nth_split, as_gen_params),
	KUNIT_CASE_PARAM(as_test_destroy, as_gen_params),
	KUNIT_CASE_PARAM(as_test_fault_flush, as_gen_params),
	KUNIT_CASE_PARAM(as_test_nx_huge, as_gen_params),
	KUNIT_CASE_PARAM(as_test_nx_huge_protect, as_gen_params),
	KUNIT_CASE_PARAM(as_test_translate_bounded, as_gen_params),
	KUNIT_CASE_PARAM(as_test_frame_sync, as_gen_params),
	KUNIT_CASE_PARAM(as_test_device_noexec, as_gen_params),
	KUNIT_CASE(as_test_linear_memtype_ok),
	KUNIT_CASE_PARAM(as_test_linear_memtype, as_gen_params),
	KUNIT_CASE_PARAM_ATTR(as_test_concurrency, as_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_as_suite = {
	.name = "axas_as",
	.suite_init = as_suite_init,
	.suite_exit = as_suite_exit,
	.init = as_test_init,
	.exit = as_test_exit,
	.test_cases = axas_as_cases,
};

/* Region-tree shapes: no address space of the axas_as fixture. */
static struct kunit_case axas_regions_cases[] = {
	KUNIT_CASE_PARAM_ATTR(as_test_region_holes, as_holes_gen,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_regions_suite = {
	.name = "axas_regions",
	.test_cases = axas_regions_cases,
};

kunit_test_suites(&axas_as_suite, &axas_regions_suite);
