// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: the region tree under many pieces, and pieces merging
 * again.
 *
 * The hole sweep: one lazy 64 MiB region with N single pages unmapped at
 * 8 KiB steps (N + 1 pieces), in a fresh address space for every N, ended
 * once by close() and once by one unmap over everything. On 6.12 kernels
 * a region tree of exactly 16 leaves under a full root (119-127 holes)
 * made the maple tree free a bogus node on either ending: a host crash.
 * The stock-kernel runs boot with slub_debug=FZPU,maple_node, which makes
 * such a bad free fail at once.
 */
#include "axas_utils.h"

#define HOLES_BASE	G0
#define HOLES_SIZE	(32 * SZ_2M)	/* 64 MiB */

static const unsigned int holes_more[] = {
	320, 384, 448, 512, 640, 768, 1024, 1536, 2048, 3072,
};

/* One address space with @holes holes; 0, or the first failing step. */
static const char *holes_once(int dev, unsigned int holes, bool big)
{
	struct axas_stats st;
	const char *err = NULL;
	unsigned int k;
	int fd;

	fd = as_create(dev, native_format(), 0, 0, 0, 0);
	if (fd < 0)
		return "AXAS_CREATE";
	if (map_alloc(fd, HOLES_BASE, HOLES_SIZE, RW, 0)) {
		err = "AXAS_MAP_ALLOC";
		goto out;
	}
	for (k = 0; k < holes; k++) {
		if (unmap(fd, HOLES_BASE + SZ_4K + k * 2 * SZ_4K, SZ_4K)) {
			err = "AXAS_UNMAP of a page";
			goto out;
		}
	}
	if (get_stats(fd, &st) || st.regions != holes + 1) {
		err = "region count after the holes";
		goto out;
	}
	if (big) {
		if (unmap(fd, HOLES_BASE, HOLES_SIZE)) {
			err = "AXAS_UNMAP of everything";
			goto out;
		}
		if (get_stats(fd, &st) || st.regions) {
			err = "region count after the large unmap";
			goto out;
		}
	}
out:
	close(fd);
	return err;
}

static void holes_sweep(struct __test_metadata *_metadata, bool big)
{
	unsigned int n, count = 0;
	const char *err;
	int dev;

	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev) TH_LOG(AXAS_DEV ": %s", strerror(errno));
	for (n = 1; n <= 300 + ARRAY_SIZE(holes_more); n++) {
		unsigned int holes = n <= 300 ? n : holes_more[n - 301];

		err = holes_once(dev, holes, big);
		ASSERT_EQ(NULL, err) TH_LOG("%u holes: %s", holes, err);
		count++;
	}
	TH_LOG("%u address spaces, 1-300 holes and %zu larger counts",
	       count, ARRAY_SIZE(holes_more));
	close(dev);
}

FIXTURE(sweep) {
	int unused;
};

FIXTURE_SETUP(sweep)
{
}

FIXTURE_TEARDOWN(sweep)
{
}

/* Minutes on a debug kernel under TCG: the harness default is 30 s. */
TEST_F_TIMEOUT(sweep, holes_then_close, 1200)
{
	uint64_t t = now_ns();

	holes_sweep(_metadata, false);
	TH_LOG("%.1f s", (now_ns() - t) / 1e9);
}

TEST_F_TIMEOUT(sweep, holes_then_unmap_all, 1200)
{
	uint64_t t = now_ns();

	holes_sweep(_metadata, true);
	TH_LOG("%.1f s", (now_ns() - t) / 1e9);
}

static uint64_t nr_regions(struct __test_metadata *_metadata, int fd)
{
	struct axas_stats st;

	EXPECT_EQ(0, get_stats(fd, &st));
	return st.regions;
}

/* Pieces that agree again are one region again: the count stays bounded. */
TEST(merge)
{
	uint64_t g = HOLES_BASE;
	unsigned int k;
	int dev, fd;

	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	fd = as_create(dev, native_format(), 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_alloc(fd, g, 1024 * SZ_4K, RW, 0));

	for (k = 0; k < 1024; k += 2)
		ASSERT_EQ(0, protect(fd, g + k * SZ_4K, SZ_4K, RO));
	EXPECT_EQ(1024, nr_regions(_metadata, fd));
	for (k = 0; k < 1024; k += 2)
		ASSERT_EQ(0, protect(fd, g + k * SZ_4K, SZ_4K, RW));
	EXPECT_EQ(1, nr_regions(_metadata, fd));

	/* Protect round trips at two thousand places: still one region. */
	for (k = 0; k < 2000; k++) {
		ASSERT_EQ(0, protect(fd, g + (k * 7 % 1023) * SZ_4K, 2 * SZ_4K,
				     RO));
		ASSERT_EQ(0, protect(fd, g + (k * 7 % 1023) * SZ_4K, 2 * SZ_4K,
				     RW));
	}
	EXPECT_EQ(1, nr_regions(_metadata, fd));

	/* Unmap and map back alike, page by page: one region again. */
	for (k = 1; k < 1023; k += 3) {
		ASSERT_EQ(0, unmap(fd, g + k * SZ_4K, SZ_4K));
		ASSERT_EQ(0, map_alloc(fd, g + k * SZ_4K, SZ_4K, RW, 0));
	}
	EXPECT_EQ(1, nr_regions(_metadata, fd));
	/* Different rights stay apart. */
	ASSERT_EQ(0, unmap(fd, g + 8 * SZ_4K, SZ_4K));
	ASSERT_EQ(0, map_alloc(fd, g + 8 * SZ_4K, SZ_4K, RO, 0));
	EXPECT_EQ(3, nr_regions(_metadata, fd));
	/* Device memory whose host range continues merges too. */
	ASSERT_EQ(0, map_linear(fd, g + SZ_1G, SZ_4K, LINEAR_HPA, RW,
				AXAS_MEM_DEVICE));
	ASSERT_EQ(0, map_linear(fd, g + SZ_1G + SZ_4K, SZ_4K,
				LINEAR_HPA + SZ_4K, RW, AXAS_MEM_DEVICE));
	EXPECT_EQ(4, nr_regions(_metadata, fd));
	ASSERT_EQ(0, map_linear(fd, g + SZ_1G + 2 * SZ_4K, SZ_4K,
				LINEAR_HPA + SZ_2M, RW, AXAS_MEM_DEVICE));
	EXPECT_EQ(5, nr_regions(_metadata, fd));
	close(fd);
	close(dev);
}

TEST_HARNESS_MAIN
