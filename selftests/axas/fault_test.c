// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: stage-2 faults, lazy and 2 MiB frames, the frame limit.
 */
#include "axas_utils.h"

TEST_F(axas_as, map_alloc_lazy)
{
	uint64_t huge = G0 + 2 * SZ_2M, small = G0 + 8 * SZ_2M;
	uint64_t hpa, hpa2, l;
	struct axas_stats st;
	uint8_t buf[64];

	ASSERT_EQ(0, map_alloc(self->fd, huge, 2 * SZ_2M, RW,
			       AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, map_alloc(self->fd, small, SZ_64K, RO, 0));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(variant->root_pages, st.table_pages);
	EXPECT_EQ(-ENOENT, translate(self->fd, huge, NULL, NULL));
	/* Untouched lazy memory reads as zeroes without faulting it in. */
	memset(buf, 1, sizeof(buf));
	ASSERT_EQ(0, guest_rw(self->fd, false, huge + 100, buf, sizeof(buf), 0));
	EXPECT_TRUE(is_zero(buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, translate(self->fd, huge + 100, NULL, NULL));

	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, huge + SZ_2M + 5,
					   AXAS_PROT_WRITE));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, huge + SZ_2M + 5,
					     AXAS_PROT_WRITE));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, huge + 2 * SZ_2M - 1,
					     AXAS_PROT_READ));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, huge + 7, AXAS_PROT_EXEC));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, small + SZ_4K, RO));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, small, AXAS_PROT_WRITE));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, small + SZ_4K, RW));
	EXPECT_EQ(AXAS_FAULT_NOT_MAPPED, fault(self->fd, G0, RO));
	EXPECT_EQ(AXAS_FAULT_NOT_MAPPED, fault(self->fd, small + SZ_64K, RO));

	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.leaves_2m);
	EXPECT_EQ(1, st.leaves_4k);
	EXPECT_EQ(513, st.frames);
	EXPECT_EQ(2, st.faults_mapped);
	EXPECT_EQ(2, st.faults_spurious);
	EXPECT_EQ(3, st.faults_perm);
	EXPECT_EQ(2, st.faults_not_mapped);
	EXPECT_EQ(0, st.faults_nomem);

	/* The 2 MiB frame is one block. */
	ASSERT_EQ(0, translate(self->fd, huge + SZ_2M, &hpa, &l));
	EXPECT_EQ(SZ_2M, l);
	ASSERT_EQ(0, translate(self->fd, huge + SZ_2M + 0x5000, &hpa2, &l));
	EXPECT_EQ(SZ_2M - 0x5000, l);
	if (is_root()) {
		EXPECT_EQ(hpa + 0x5000, hpa2);
	}
	EXPECT_EQ(-ENOENT, translate(self->fd, huge, NULL, NULL));
	ASSERT_EQ(0, translate(self->fd, small + SZ_4K, NULL, &l));
	EXPECT_EQ(SZ_4K, l);
	EXPECT_EQ(-ENOENT, translate(self->fd, small, NULL, NULL));
}

/* A frame limit: populate fails whole, faults fail with ENOMEM. */
TEST_F(axas_as, max_frames)
{
	struct axas_stats st;
	int fd;

	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0, 8);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOMEM, map_alloc(fd, G0, 9 * SZ_4K, RW,
				     AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, map_alloc(fd, G0, 6 * SZ_4K, RW, AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, map_alloc(fd, G0 + SZ_2M, SZ_2M, RW, AXAS_MAP_ALLOC_HUGE));
	/* No room for a 2 MiB frame: 4 KiB ones until the limit. */
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, G0 + SZ_2M, RW));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, G0 + SZ_2M + SZ_4K, RW));
	EXPECT_EQ(-ENOMEM, fault(fd, G0 + SZ_2M + 2 * SZ_4K, RW));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(8, st.frames);
	EXPECT_EQ(8, st.leaves_4k);
	EXPECT_EQ(1, st.faults_nomem);
	EXPECT_EQ(2, st.regions);
	/* Unmapping gives frames back. */
	ASSERT_EQ(0, unmap(fd, G0, SZ_4K));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, G0 + SZ_2M + 2 * SZ_4K, RW));
	close(fd);
}

/*
 * A table page limit: sparse faults, each under its own root entry, cost
 * levels - 1 table pages per frame; the fault that would pass the limit
 * fails with ENOMEM and changes nothing.
 */
TEST_F(axas_as, max_table_pages)
{
	uint64_t top = 1ULL << variant->width, step = top / 4;
	uint32_t per = variant->levels - 1;
	struct axas_create c = {
		.size = sizeof(c), .format = variant->format,
		.gpa_bits = variant->gpa_bits,
		.max_table_pages = variant->root_pages + 2 * per,
	};
	struct axas_stats st;
	int fd;

	ASSERT_EQ(0, ax(self->dev, AXAS_CREATE, &c));
	fd = c.out_fd;
	ASSERT_EQ(0, map_alloc(fd, 0, top, RW, 0));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, 0, RW));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, step, RW));
	EXPECT_EQ(-ENOMEM, fault(fd, 2 * step, RW));
	EXPECT_EQ(-ENOENT, translate(fd, 2 * step, NULL, NULL));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(variant->root_pages + 2 * per, st.max_table_pages);
	EXPECT_EQ(variant->root_pages + 2 * per, st.table_pages);
	EXPECT_EQ(2, st.frames);
	EXPECT_EQ(2, st.leaves_4k);
	EXPECT_EQ(1, st.faults_nomem);
	EXPECT_EQ(1, st.table_limit_hits);
	EXPECT_EQ(0, st.frame_limit_hits);
	/* Unmapping a frame frees its tables: room for another one. */
	ASSERT_EQ(0, unmap(fd, 0, SZ_4K));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, 2 * step, RW));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(variant->root_pages + 2 * per, st.table_pages);
	close(fd);

	/* Below the root's pages (0 means none): EINVAL. */
	if (variant->root_pages > 1) {
		c.max_table_pages = variant->root_pages - 1;
		EXPECT_EQ(-EINVAL, ax(self->dev, AXAS_CREATE, &c));
	}
	/* A caller of the first version (48 bytes) gets no table limit. */
	c.size = offsetofend(struct axas_create, __reserved);
	c.max_table_pages = 1;
	ASSERT_EQ(0, ax(self->dev, AXAS_CREATE, &c));
	ASSERT_EQ(0, get_stats(c.out_fd, &st));
	EXPECT_EQ(0, st.max_table_pages);
	close(c.out_fd);
}

/* Data in lazily faulted frames survives unmapping the neighbours. */
TEST_F(axas_as, lazy_data_survives_neighbour_unmap)
{
	uint64_t a = G0, b = G0 + 4 * SZ_4K, c = G0 + SZ_2M, ha[4], hc, h;
	uint8_t buf[4 * SZ_4K];
	int i;

	ASSERT_EQ(0, map_alloc(self->fd, a, 4 * SZ_4K, RW, 0));
	ASSERT_EQ(0, map_alloc(self->fd, b, 4 * SZ_4K, RW, 0));
	ASSERT_EQ(0, map_alloc(self->fd, c, SZ_2M, RW, AXAS_MAP_ALLOC_HUGE));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, a + i * SZ_4K, RW));
	}
	fill_pattern(buf, sizeof(buf), a, 6);
	ASSERT_EQ(0, guest_rw(self->fd, true, a, buf, sizeof(buf), 0));
	ASSERT_EQ(0, guest_rw(self->fd, true, b + 8, buf, 64,
			      AXAS_RW_FAULT_IN));
	ASSERT_EQ(0, guest_rw(self->fd, true, c + 8 * SZ_4K, buf, sizeof(buf),
			      AXAS_RW_FAULT_IN));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, translate(self->fd, a + i * SZ_4K, &ha[i], NULL));
	}
	ASSERT_EQ(0, translate(self->fd, c + 8 * SZ_4K, &hc, NULL));

	/* The adjacent region, then part of the block next to the data. */
	ASSERT_EQ(0, unmap(self->fd, b, 4 * SZ_4K));
	ASSERT_EQ(0, unmap(self->fd, c, 8 * SZ_4K));
	ASSERT_EQ(0, unmap(self->fd, c + 12 * SZ_4K, 4 * SZ_4K));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, guest_rw(self->fd, false, a, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, check_pattern(buf, sizeof(buf), a, 6));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, guest_rw(self->fd, false, c + 8 * SZ_4K, buf, sizeof(buf),
			      0));
	EXPECT_EQ(-1, check_pattern(buf, sizeof(buf), a, 6));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, translate(self->fd, a + i * SZ_4K, &h, NULL));
		EXPECT_EQ(ha[i], h);
		EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, a + i * SZ_4K,
						     RW));
	}
	ASSERT_EQ(0, translate(self->fd, c + 8 * SZ_4K, &h, NULL));
	EXPECT_EQ(hc, h);
	/* A refault of the unmapped neighbour gets a fresh, zeroed frame. */
	ASSERT_EQ(0, map_alloc(self->fd, b, 4 * SZ_4K, RW, 0));
	ASSERT_EQ(0, guest_rw(self->fd, false, b, buf, 64, AXAS_RW_FAULT_IN));
	EXPECT_TRUE(is_zero(buf, 64));
}

TEST_HARNESS_MAIN
