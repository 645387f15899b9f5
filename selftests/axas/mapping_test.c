// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: map, unmap, protect, translate, read and write; the
 * debugfs table dump (pt_raw decoded independently) against TRANSLATE.
 */
#include "axas_utils.h"

TEST_F(axas_as, map_alloc_populate)
{
	uint64_t gpa = G0, len = 16 * SZ_4K, hpa, l, hpa42, i;
	struct axas_stats st;
	uint8_t *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_alloc(self->fd, gpa, len, RW, AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.regions);
	EXPECT_EQ(16, st.frames);
	EXPECT_EQ(16, st.leaves_4k);
	EXPECT_EQ(0, st.leaves_2m);
	EXPECT_EQ(variant->root_pages + variant->levels - 1, st.table_pages);
	EXPECT_EQ(0, st.faults_mapped);

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, translate(self->fd, gpa + i * SZ_4K, &hpa, &l));
		EXPECT_LE(SZ_4K, l);
		EXPECT_GE(len - i * SZ_4K, l);
		EXPECT_EQ(0, l & 0xfff);
		if (is_root()) {
			EXPECT_NE(0, hpa);
			EXPECT_EQ(0, hpa & 0xfff);
			/* The reported run really is contiguous. */
			ASSERT_EQ(0, translate(self->fd, gpa + i * SZ_4K + l - 1,
					       &hpa42, NULL));
			EXPECT_EQ(hpa + l - 1, hpa42);
		}
	}
	/* An offset into the page translates with it. */
	ASSERT_EQ(0, translate(self->fd, gpa, &hpa, &l));
	ASSERT_EQ(0, translate(self->fd, gpa + 42, &hpa42, NULL));
	if (is_root()) {
		EXPECT_EQ(hpa + 42, hpa42);
	}
	EXPECT_EQ(-ENOENT, translate(self->fd, gpa + len, NULL, NULL));
	EXPECT_EQ(-ENOENT, translate(self->fd, gpa - 1, NULL, NULL));

	/* Fresh memory is zeroed; faults on it are spurious. */
	memset(buf, 0xa5, len);
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa, buf, len, 0));
	EXPECT_TRUE(is_zero(buf, len));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa + 5, RW));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults_spurious);
	EXPECT_EQ(16, st.frames);
	free(buf);
}

TEST_F(axas_as, map_alloc_populate_huge)
{
	uint64_t gpa = G0 + SZ_2M, len = 2 * SZ_2M + 2 * SZ_4K, hpa, l, h2;
	struct axas_stats st;

	ASSERT_EQ(0, map_alloc(self->fd, gpa, len, RW,
			       AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.regions);
	EXPECT_EQ(len / SZ_4K, st.frames);
	/* A fresh VM has 2 MiB blocks free; the tail needs 4 KiB. */
	EXPECT_EQ(2, st.leaves_2m);
	EXPECT_EQ(2, st.leaves_4k);
	EXPECT_EQ(len / SZ_4K, st.leaves_4k + 512 * st.leaves_2m);

	ASSERT_EQ(0, translate(self->fd, gpa + 0x1234, &hpa, &l));
	EXPECT_LE(SZ_2M - 0x1234, l);
	EXPECT_GE(len - 0x1234, l);
	if (is_root()) {
		EXPECT_EQ(0x1234, hpa & (SZ_2M - 1));
		ASSERT_EQ(0, translate(self->fd, gpa + SZ_2M - 1, &h2, NULL));
		EXPECT_EQ(hpa - 0x1234 + SZ_2M - 1, h2);
	}
	/* Without HUGE, 4 KiB leaves only. */
	ASSERT_EQ(0, map_alloc(self->fd, G0 + 8 * SZ_2M, SZ_2M, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.leaves_2m);
	EXPECT_EQ(2 + 512, st.leaves_4k);
}

TEST_F(axas_as, map_linear)
{
	uint64_t gpa = G0 + 4 * SZ_2M, len = SZ_2M + 2 * SZ_4K, hpa, l;
	struct axas_stats st;
	uint8_t buf[16];

	if (!is_root())
		SKIP(return, "MAP_LINEAR needs CAP_SYS_RAWIO");
	ASSERT_EQ(0, map_linear(self->fd, gpa, len, LINEAR_HPA, RW,
				AXAS_MEM_DEVICE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(1, st.leaves_2m);
	EXPECT_EQ(2, st.leaves_4k);
	ASSERT_EQ(0, translate(self->fd, gpa + 0x1234, &hpa, &l));
	EXPECT_EQ(LINEAR_HPA + 0x1234, hpa);
	/* Contiguous across the block and the 4 KiB leaves, to the end. */
	EXPECT_EQ(len - 0x1234, l);
	ASSERT_EQ(0, translate(self->fd, gpa + len - 1, &hpa, &l));
	EXPECT_EQ(LINEAR_HPA + len - 1, hpa);
	EXPECT_EQ(1, l);
	EXPECT_EQ(-ENOENT, translate(self->fd, gpa + len, NULL, NULL));
	/* Device memory is never copied. */
	EXPECT_EQ(-EOPNOTSUPP, guest_rw(self->fd, false, gpa, buf, 16, 0));
	EXPECT_EQ(-EOPNOTSUPP, guest_rw(self->fd, true, gpa, buf, 16,
					AXAS_RW_FAULT_IN));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa + SZ_2M, RO));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, gpa, AXAS_PROT_EXEC));

	/*
	 * 1 GiB alignment of GPA and HPA gives a 1 GiB leaf, device memory
	 * too (a hole is no normal memory: MAP_LINEAR refuses that type).
	 */
	if (self->top >= 4 * SZ_1G && variant->levels >= 3) {
		EXPECT_EQ(-EINVAL, map_linear(self->fd, 2 * SZ_1G, SZ_1G,
					      LINEAR_HPA, AXAS_PROT_RWX,
					      AXAS_MEM_NORMAL));
		ASSERT_EQ(0, map_linear(self->fd, 2 * SZ_1G, SZ_1G, LINEAR_HPA,
					RW, AXAS_MEM_DEVICE));
		ASSERT_EQ(0, get_stats(self->fd, &st));
		EXPECT_EQ(1, st.leaves_1g);
		ASSERT_EQ(0, translate(self->fd, 2 * SZ_1G + 0x123456, &hpa,
				       &l));
		EXPECT_EQ(LINEAR_HPA + 0x123456, hpa);
		EXPECT_EQ(SZ_1G - 0x123456, l);
		ASSERT_EQ(0, unmap(self->fd, 2 * SZ_1G, SZ_1G));
	}
	ASSERT_EQ(0, unmap(self->fd, gpa, len));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.regions);
	EXPECT_EQ(0, st.leaves_4k + st.leaves_2m + st.leaves_1g);
}

TEST_F(axas_as, unmap_partial)
{
	uint64_t gpa = G0, len = 16 * SZ_4K, h[16], hpa;
	struct axas_stats st;
	uint8_t *buf = malloc(len);
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_alloc(self->fd, gpa, len, RW, AXAS_MAP_ALLOC_POPULATE));
	fill_pattern(buf, len, gpa, 1);
	ASSERT_EQ(0, guest_rw(self->fd, true, gpa, buf, len, 0));
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, translate(self->fd, gpa + i * SZ_4K, &h[i], NULL));
	}

	/* The middle: two pieces remain. */
	ASSERT_EQ(0, unmap(self->fd, gpa + 4 * SZ_4K, 4 * SZ_4K));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.regions);
	EXPECT_EQ(12, st.frames);
	EXPECT_EQ(12, st.leaves_4k);
	for (i = 0; i < 16; i++) {
		int ret = translate(self->fd, gpa + i * SZ_4K, &hpa, NULL);

		if (i >= 4 && i < 8) {
			EXPECT_EQ(-ENOENT, ret) TH_LOG("page %d", i);
		} else {
			EXPECT_EQ(0, ret) TH_LOG("page %d", i);
			EXPECT_EQ(h[i], hpa) TH_LOG("page %d", i);
		}
	}
	EXPECT_EQ(AXAS_FAULT_NOT_MAPPED, fault(self->fd, gpa + 5 * SZ_4K, RO));
	EXPECT_EQ(-ENOENT, guest_rw(self->fd, false, gpa, buf, len, 0));
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa, buf, 4 * SZ_4K, 0));
	EXPECT_EQ(-1, check_pattern(buf, 4 * SZ_4K, gpa, 1));
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa + 8 * SZ_4K, buf,
			      8 * SZ_4K, 0));
	EXPECT_EQ(-1, check_pattern(buf, 8 * SZ_4K, gpa + 8 * SZ_4K, 1));

	/* The hole again: ENOENT. Across hole and pieces: fine. */
	EXPECT_EQ(-ENOENT, unmap(self->fd, gpa + 4 * SZ_4K, 4 * SZ_4K));
	ASSERT_EQ(0, unmap(self->fd, gpa + 3 * SZ_4K, 6 * SZ_4K));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.regions);
	EXPECT_EQ(10, st.frames);
	/* The pieces still map and unmap on their own. */
	ASSERT_EQ(0, map_alloc(self->fd, gpa + 3 * SZ_4K, 6 * SZ_4K, RO, 0));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(3, st.regions);
	ASSERT_EQ(0, unmap(self->fd, gpa, len));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(0, st.leaves_4k);
	free(buf);
}

/* Unmapping 4 KiB from a 2 MiB frame splits the block, keeps the rest. */
TEST_F(axas_as, unmap_split_block)
{
	const int sample[] = { 0, 1, 37, 98, 99, 100, 101, 102, 300, 510, 511 };
	uint64_t gpa = G0 + SZ_2M, h0, h, l;
	struct axas_stats st;
	uint8_t *buf = malloc(SZ_2M);
	size_t k;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_alloc(self->fd, gpa, SZ_2M, RW,
			       AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	ASSERT_EQ(1, st.leaves_2m);
	fill_pattern(buf, SZ_2M, gpa, 2);
	ASSERT_EQ(0, guest_rw(self->fd, true, gpa, buf, SZ_2M, 0));
	ASSERT_EQ(0, translate(self->fd, gpa, &h0, NULL));

	ASSERT_EQ(0, unmap(self->fd, gpa + 100 * SZ_4K, SZ_4K));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.leaves_2m);
	EXPECT_EQ(511, st.leaves_4k);
	EXPECT_EQ(511, st.frames);
	EXPECT_EQ(2, st.regions);
	/* Sample pages; out_length vouches for the ones between. */
	for (k = 0; k < ARRAY_SIZE(sample); k++) {
		int ret, i = sample[k];

		ret = translate(self->fd, gpa + i * SZ_4K, &h, &l);

		if (i == 100) {
			EXPECT_EQ(-ENOENT, ret);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("page %d", i);
		EXPECT_EQ(((i < 100 ? 100 : 512) - i) * SZ_4K, l)
			TH_LOG("page %d", i);
		if (is_root()) {
			ASSERT_EQ(h0 + i * SZ_4K, h) TH_LOG("page %d", i);
		}
	}
	memset(buf, 0, SZ_2M);
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa, buf, 100 * SZ_4K, 0));
	EXPECT_EQ(-1, check_pattern(buf, 100 * SZ_4K, gpa, 2));
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa + 101 * SZ_4K, buf,
			      411 * SZ_4K, 0));
	EXPECT_EQ(-1, check_pattern(buf, 411 * SZ_4K, gpa + 101 * SZ_4K, 2));
	free(buf);
}

TEST_F(axas_as, protect)
{
	uint64_t gpa = G0, len = 16 * SZ_4K, hb[512], h, l;
	struct axas_stats st;
	static uint8_t buf[2 * SZ_4K];	/* the largest access below */
	int i;

	ASSERT_EQ(0, map_alloc(self->fd, gpa, len, RW, AXAS_MAP_ALLOC_POPULATE));
	fill_pattern(buf, SZ_4K, gpa + 5 * SZ_4K, 3);
	ASSERT_EQ(0, guest_rw(self->fd, true, gpa + 5 * SZ_4K, buf, SZ_4K, 0));

	ASSERT_EQ(0, protect(self->fd, gpa + 4 * SZ_4K, 4 * SZ_4K, RO));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(3, st.regions);
	EXPECT_EQ(16, st.frames);
	EXPECT_LE(1, st.flushes);	/* rights were taken away */
	EXPECT_EQ(-EACCES, guest_rw(self->fd, true, gpa + 5 * SZ_4K, buf, 8, 0));
	EXPECT_EQ(-EACCES, guest_rw(self->fd, true, gpa + 3 * SZ_4K, buf,
				    2 * SZ_4K, 0));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, gpa + 5 * SZ_4K,
					 AXAS_PROT_WRITE));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa + 5 * SZ_4K, RO));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa + 3 * SZ_4K, RW));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, guest_rw(self->fd, false, gpa + 5 * SZ_4K, buf, SZ_4K, 0));
	EXPECT_EQ(-1, check_pattern(buf, SZ_4K, gpa + 5 * SZ_4K, 3));

	/* Back to RW across three regions; EXEC too. */
	ASSERT_EQ(0, protect(self->fd, gpa, len, AXAS_PROT_RWX));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa + 5 * SZ_4K,
					     AXAS_PROT_RWX));
	ASSERT_EQ(0, guest_rw(self->fd, true, gpa + 5 * SZ_4K, buf, 8, 0));
	/* A gap in the range: ENOENT, nothing changed. */
	EXPECT_EQ(-ENOENT, protect(self->fd, gpa, len + SZ_4K, RO));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, gpa, RW));

	/* Protecting 4 KiB of a block splits it; the HPAs stay. */
	ASSERT_EQ(0, map_alloc(self->fd, G0 + SZ_2M, SZ_2M, RW,
			       AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	ASSERT_EQ(1, st.leaves_2m);
	for (i = 0; i < 512; i++) {
		if (i % 31 && (i < 6 || i > 8))
			continue;
		ASSERT_EQ(0, translate(self->fd, G0 + SZ_2M + i * SZ_4K, &hb[i],
				       NULL));
	}
	ASSERT_EQ(0, protect(self->fd, G0 + SZ_2M + 7 * SZ_4K, SZ_4K, RO));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.leaves_2m);
	EXPECT_EQ(16 + 512, st.leaves_4k);
	/* Sampled; out_length vouches for the pages between. */
	for (i = 0; i < 512; i++) {
		if (i % 31 && (i < 6 || i > 8))
			continue;
		ASSERT_EQ(0, translate(self->fd, G0 + SZ_2M + i * SZ_4K, &h,
				       &l));
		ASSERT_EQ(hb[i], h) TH_LOG("page %d", i);
		EXPECT_EQ(((i < 7 ? 7 : i == 7 ? 8 : 512) - i) * SZ_4K, l)
			TH_LOG("page %d", i);
	}
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, G0 + SZ_2M + 7 * SZ_4K, RW));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, G0 + SZ_2M + 8 * SZ_4K,
					     RW));
}

/* Lazy regions side by side: one write and one read cross both. */
TEST_F(axas_as, rw_across_regions)
{
	uint64_t a = G0 + SZ_2M - 2 * SZ_4K, len = 5 * SZ_4K - 200;
	struct axas_stats st;
	uint8_t *in = malloc(SZ_2M), *out = malloc(SZ_2M);

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, map_alloc(self->fd, a, 2 * SZ_4K, RW, 0));
	ASSERT_EQ(0, map_alloc(self->fd, G0 + SZ_2M, SZ_2M, RW,
			       AXAS_MAP_ALLOC_HUGE));
	fill_pattern(in, len, 4, 4);
	/* Without FAULT_IN, a write to never-touched memory fails whole. */
	EXPECT_EQ(-ENOENT, guest_rw(self->fd, true, a + 100, in, len, 0));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.frames);

	ASSERT_EQ(0, guest_rw(self->fd, true, a + 100, in, len,
			      AXAS_RW_FAULT_IN));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	/* Two 4 KiB frames, then the 2 MiB block of the second region. */
	EXPECT_EQ(2 + 512, st.frames);
	EXPECT_EQ(1, st.leaves_2m);
	EXPECT_EQ(2, st.leaves_4k);
	EXPECT_EQ(0, st.faults_mapped);	/* not a guest fault */
	memset(out, 0, len);
	ASSERT_EQ(0, guest_rw(self->fd, false, a + 100, out, len, 0));
	EXPECT_EQ(0, memcmp(in, out, len));
	/* The bytes around it are still zero. */
	ASSERT_EQ(0, guest_rw(self->fd, false, a, out, 100, 0));
	EXPECT_TRUE(is_zero(out, 100));

	/* A write larger than the kernel's 64 KiB chunk, unaligned. */
	fill_pattern(in, SZ_2M - 4096, 5, 5);
	ASSERT_EQ(0, guest_rw(self->fd, true, G0 + SZ_2M + 3, in,
			      SZ_2M - 4096, 0));
	memset(out, 0, SZ_2M);
	ASSERT_EQ(0, guest_rw(self->fd, false, G0 + SZ_2M + 3, out,
			      SZ_2M - 4096, 0));
	EXPECT_EQ(0, memcmp(in, out, SZ_2M - 4096));
	/* Reads past the last region fail whole. */
	EXPECT_EQ(-ENOENT, guest_rw(self->fd, false, G0 + 2 * SZ_2M - 8, out,
				    16, 0));
	free(in);
	free(out);
}

/*
 * pt_raw: { u64 hpa; u32 level; u32 nr_entries; u64 entries[]; }, root
 * first. Decode it with the architectures' own rules, not axas's code.
 */
struct pt_rec {
	uint64_t hpa;
	uint32_t level, nr;
	const uint64_t *e;
	int seen;
};

struct pt_leaf {
	uint64_t gpa, hpa;
};

struct pt_walk {
	uint32_t format;
	struct pt_rec *recs;
	int nr_recs;
	struct pt_leaf *leaves;	/* one per mapped 4 KiB page */
	size_t nr_leaves, cap;
	uint64_t count[3];	/* leaves of 4 KiB, 2 MiB, 1 GiB */
	int errors;
};

static bool pte_valid(uint32_t format, uint64_t e)
{
	switch (format) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		return e & 7;			/* any of R, W, X */
	default:
		return e & 1;			/* arm64 valid, RISC-V V */
	}
}

static bool pte_table(uint32_t format, uint64_t e, uint32_t level)
{
	if (!level)
		return false;
	switch (format) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		return !(level <= 2 && (e & (1ULL << 7)));	/* PS */
	case AXAS_FORMAT_ARM64_S2:
		return e & 2;
	default:
		return !(e & 0xe);		/* no R, W, X: a pointer */
	}
}

static uint64_t pte_oa(uint32_t format, uint64_t e)
{
	switch (format) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		return e & 0x000ffffffffff000ULL;	/* 51:12 */
	case AXAS_FORMAT_ARM64_S2:
		return e & 0x0000fffffffff000ULL;	/* 47:12 */
	default:
		return ((e >> 10) & ((1ULL << 44) - 1)) << 12;	/* PPN */
	}
}

static void pt_walk_table(struct pt_walk *w, int idx, uint64_t base)
{
	struct pt_rec *r = &w->recs[idx];
	uint32_t shift = 12 + 9 * r->level, i;
	uint64_t gpa, oa, off, size;
	int j;

	r->seen++;
	for (i = 0; i < r->nr; i++) {
		uint64_t e = r->e[i];

		if (!pte_valid(w->format, e))
			continue;
		gpa = base + ((uint64_t)i << shift);
		oa = pte_oa(w->format, e);
		if (pte_table(w->format, e, r->level)) {
			for (j = 0; j < w->nr_recs; j++)
				if (w->recs[j].hpa == oa)
					break;
			if (j == w->nr_recs || w->recs[j].level != r->level - 1) {
				fprintf(stderr, "# pt_raw: level %u entry %u -> %#llx: no table\n",
					r->level, i, (unsigned long long)oa);
				w->errors++;
				continue;
			}
			pt_walk_table(w, j, gpa);
			continue;
		}
		if (r->level > 2) {
			w->errors++;
			continue;
		}
		size = 1ULL << shift;
		w->count[r->level]++;
		if (oa & (size - 1))
			w->errors++;
		for (off = 0; off < size; off += SZ_4K) {
			if (w->nr_leaves == w->cap) {
				w->cap = w->cap ? 2 * w->cap : 4096;
				w->leaves = realloc(w->leaves,
						    w->cap * sizeof(*w->leaves));
			}
			w->leaves[w->nr_leaves].gpa = gpa + off;
			w->leaves[w->nr_leaves++].hpa = oa + off;
		}
	}
}

static int leaf_cmp(const void *a, const void *b)
{
	const struct pt_leaf *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

TEST_F(axas_as, pt_raw_matches_translate)
{
	const struct { uint64_t gpa, len; } ranges[] = {
		{ G0, SZ_64K }, { G0 + SZ_2M, SZ_2M + 2 * SZ_4K },
		{ G0 + 8 * SZ_2M, SZ_64K }, { G0 + 16 * SZ_2M, SZ_2M },
		{ G0 + 32 * SZ_2M, SZ_2M + SZ_4K },
	};
	struct pt_walk w = { .format = variant->format };
	struct axas_stats st;
	char path[128];
	uint8_t *raw, *p;
	size_t len, i, nr_mapped = 0;
	uint64_t gpa, hpa;
	int ret;

	snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u/pt_raw",
		 self->info.out_id);
	/* debugfs is part of the contract (config): no file is a failure. */
	ASSERT_EQ(0, access(path, R_OK))
		TH_LOG("%s: %s (CONFIG_DEBUG_FS, mounted?)", path,
		       strerror(errno));

	ASSERT_EQ(0, map_alloc(self->fd, G0, SZ_64K, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, unmap(self->fd, G0 + 4 * SZ_4K, SZ_4K));
	ASSERT_EQ(0, map_alloc(self->fd, G0 + SZ_2M, SZ_2M + 2 * SZ_4K, RW,
			       AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, map_alloc(self->fd, G0 + 8 * SZ_2M, SZ_64K, RO, 0));
	ASSERT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, G0 + 8 * SZ_2M, RO));
	ASSERT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, G0 + 8 * SZ_2M + 0x9000,
					   RO));
	ASSERT_EQ(0, map_alloc(self->fd, G0 + 16 * SZ_2M, SZ_2M, RW,
			       AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, G0 + 16 * SZ_2M + 8, RW));
	if (is_root()) {
		ASSERT_EQ(0, map_linear(self->fd, G0 + 32 * SZ_2M,
					SZ_2M + SZ_4K, LINEAR_HPA, RO,
					AXAS_MEM_DEVICE));
	}
	/* Split a block by protecting part of it. */
	ASSERT_EQ(0, protect(self->fd, G0 + 2 * SZ_2M - SZ_4K, SZ_4K, RO));

	raw = read_file(path, &len);
	ASSERT_NE(NULL, raw) TH_LOG("%s: %s", path, strerror(errno));
	/* Parse every record. */
	for (p = raw; p + 16 <= raw + len; ) {
		struct pt_rec r;

		memcpy(&r.hpa, p, 8);
		memcpy(&r.level, p + 8, 4);
		memcpy(&r.nr, p + 12, 4);
		r.e = (const uint64_t *)(p + 16);
		r.seen = 0;
		ASSERT_GE((size_t)(raw + len - p - 16), (size_t)r.nr * 8);
		w.recs = realloc(w.recs, (w.nr_recs + 1) * sizeof(r));
		w.recs[w.nr_recs++] = r;
		p += 16 + (size_t)r.nr * 8;
	}
	ASSERT_EQ(raw + len, p);
	ASSERT_LE(1, w.nr_recs);
	EXPECT_EQ(variant->levels - 1, w.recs[0].level);
	EXPECT_EQ(512 * variant->root_pages, w.recs[0].nr);
	if (is_root()) {
		EXPECT_EQ(self->info.out_root_pa, w.recs[0].hpa);
	}
	for (i = 1; i < (size_t)w.nr_recs; i++) {
		EXPECT_EQ(512, w.recs[i].nr);
	}

	pt_walk_table(&w, 0, 0);
	EXPECT_EQ(0, w.errors);
	/* Every table is reachable, once; the counters agree. */
	for (i = 0; i < (size_t)w.nr_recs; i++) {
		EXPECT_EQ(1, w.recs[i].seen) TH_LOG("record %zu", i);
	}
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(st.table_pages, w.nr_recs - 1 + variant->root_pages);
	EXPECT_EQ(st.leaves_4k, w.count[0]);
	EXPECT_EQ(st.leaves_2m, w.count[1]);
	EXPECT_EQ(st.leaves_1g, w.count[2]);
	EXPECT_LE(1, w.count[1]);

	qsort(w.leaves, w.nr_leaves, sizeof(*w.leaves), leaf_cmp);
	for (i = 1; i < w.nr_leaves; i++) {
		ASSERT_NE(w.leaves[i - 1].gpa, w.leaves[i].gpa);
	}
	/*
	 * Walk the ranges with TRANSLATE: a mapped GPA must be a leaf page
	 * with the same HPA, and so must every page of the contiguous run
	 * out_length reports; an unmapped one must be no leaf page.
	 */
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		gpa = ranges[i].gpa - SZ_4K;
		while (gpa < ranges[i].gpa + ranges[i].len + SZ_4K) {
			struct pt_leaf key = { .gpa = gpa }, *leaf;
			uint64_t l, off;

			leaf = bsearch(&key, w.leaves, w.nr_leaves, sizeof(key),
				       leaf_cmp);
			ret = translate(self->fd, gpa, &hpa, &l);
			ASSERT_EQ(leaf ? 0 : -ENOENT, ret)
				TH_LOG("gpa %#llx", (unsigned long long)gpa);
			if (ret) {
				gpa += SZ_4K;
				continue;
			}
			ASSERT_LE(SZ_4K, l);
			for (off = 0; off < l; off += SZ_4K, leaf++) {
				ASSERT_GT(w.leaves + w.nr_leaves, leaf);
				ASSERT_EQ(gpa + off, leaf->gpa);
				if (is_root()) {
					ASSERT_EQ(hpa + off, leaf->hpa)
						TH_LOG("gpa %#llx",
						       (unsigned long long)leaf->gpa);
				}
				nr_mapped++;
			}
			gpa += l;
		}
	}
	/* Nothing else is mapped. */
	EXPECT_EQ(w.nr_leaves, nr_mapped);
	free(raw);
	free(w.recs);
	free(w.leaves);

	/* ptdump: a header and a line per run. */
	snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u/ptdump",
		 self->info.out_id);
	raw = read_file(path, &len);
	ASSERT_NE(NULL, raw);
	EXPECT_LT(100, len);
	EXPECT_EQ('#', raw[0]);
	raw[len - 1] = 0;
	EXPECT_NE(NULL, strstr((char *)raw, "0x0000000040000000-"));
	free(raw);
}

#define NX_HUGE_PARAM	"/sys/module/axas/parameters/nx_huge_pages"

/* The nx_huge_pages parameter, "off", "on" or "auto"; 0 or -errno. */
static int nx_huge_get(char *buf, size_t len)
{
	int fd = open(NX_HUGE_PARAM, O_RDONLY), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n <= 0) {
		ret = n ? -errno : -EIO;
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
	}
	close(fd);
	return ret;
}

static int nx_huge_set(const char *val)
{
	int fd = open(NX_HUGE_PARAM, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * nx_huge_pages=on (x86 ITLB multihit) applies to address spaces created
 * from then on: on EPT, granting execute to a populated range of 2 MiB
 * frames splits their blocks into 4 KiB leaves, one table page each, the
 * translations unchanged; taking execute away merges nothing. Other
 * formats keep their blocks.
 */
TEST_F(axas_as, nx_huge_protect)
{
	bool ept = variant->format == AXAS_FORMAT_X86_EPT4 ||
		   variant->format == AXAS_FORMAT_X86_EPT5;
	uint64_t gpa = G0 + SZ_2M, len = 2 * SZ_2M, hb[NR_PROBES], h;
	struct axas_stats st0, st;
	char saved[16];
	int fd, ret, i;

	if (!is_root())
		SKIP(return, "setting nx_huge_pages needs root");
	ASSERT_EQ(0, nx_huge_get(saved, sizeof(saved)));
	ASSERT_EQ(0, nx_huge_set("on"));
	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0, 0);
	ret = nx_huge_set(saved);	/* before anything can fail */
	ASSERT_LE(0, fd) TH_LOG("AXAS_CREATE: %s", strerror(-fd));
	close(self->fd);
	self->fd = fd;
	ASSERT_EQ(0, ret) TH_LOG("restoring nx_huge_pages=%s", saved);

	ASSERT_EQ(0, map_alloc(fd, gpa, len, RW,
			       AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, get_stats(fd, &st0));
	/* A fresh VM has 2 MiB blocks free. */
	ASSERT_EQ(2, st0.leaves_2m);
	for (i = 0; i < NR_PROBES; i++)
		ASSERT_EQ(0, translate(fd, gpa + i * (len / NR_PROBES) +
				       i * SZ_4K, &hb[i], NULL));

	ASSERT_EQ(0, protect(fd, gpa, SZ_2M, AXAS_PROT_RWX));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(ept ? 1 : 2, st.leaves_2m);
	EXPECT_EQ(ept ? 512 : 0, st.leaves_4k);
	EXPECT_EQ(st0.table_pages + ept, st.table_pages);
	EXPECT_EQ(st0.frames, st.frames);
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(fd, gpa + 5, AXAS_PROT_EXEC));

	ASSERT_EQ(0, protect(fd, gpa, len, AXAS_PROT_RWX));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(ept ? 0 : 2, st.leaves_2m);
	EXPECT_EQ(ept ? 1024 : 0, st.leaves_4k);
	EXPECT_EQ(st0.table_pages + 2 * ept, st.table_pages);

	/* Execute taken away: still 4 KiB leaves, no table freed. */
	ASSERT_EQ(0, protect(fd, gpa, len, RW));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(ept ? 0 : 2, st.leaves_2m);
	EXPECT_EQ(ept ? 1024 : 0, st.leaves_4k);
	EXPECT_EQ(st0.table_pages + 2 * ept, st.table_pages);
	EXPECT_EQ(AXAS_FAULT_PERM, fault(fd, gpa + 5, AXAS_PROT_EXEC));
	for (i = 0; i < NR_PROBES; i++) {
		ASSERT_EQ(0, translate(fd, gpa + i * (len / NR_PROBES) +
				       i * SZ_4K, &h, NULL));
		EXPECT_EQ(hb[i], h) TH_LOG("probe %d", i);
	}
}

TEST_HARNESS_MAIN
