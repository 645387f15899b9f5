// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: mmap() of an address-space fd. The VMM maps the frames
 * of allocated regions at file offset = GPA: coherent with AXAS_READ,
 * AXAS_WRITE and the stage-2 table both ways, lazy pages allocated on a
 * VMM touch, SIGBUS outside allocated regions and after unmap (the zap),
 * MAP_SHARED only, not inherited over fork.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "axas_utils.h"

static sigjmp_buf touch_jb;

static void touch_handler(int sig)
{
	siglongjmp(touch_jb, sig);
}

/*
 * Read (or write @val to) one byte; return 0, or the signal it raised
 * (SIGBUS, SIGSEGV). A read stores what it read in *@val. The accesses
 * are atomic so that the compiler keeps them.
 */
static int touch(uint8_t *p, bool write, uint8_t *val)
{
	struct sigaction sa = { .sa_handler = touch_handler }, obus, osegv;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(touch_jb, 1);
	if (!sig) {
		if (write)
			__atomic_store_n(p, *val, __ATOMIC_RELAXED);
		else
			*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

static int touch_read(uint8_t *p)
{
	uint8_t v;

	return touch(p, false, &v);
}

static int touch_write(uint8_t *p, uint8_t v)
{
	return touch(p, true, &v);
}

static void *as_mmap(int fd, uint64_t gpa, uint64_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)gpa);
}

/* The PFN /proc/self/pagemap shows for @p (0 unless CAP_SYS_ADMIN). */
static uint64_t pagemap_pfn(const void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)p / getpagesize() * 8) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * The VMM writes through mmap(): AXAS_READ and the stage-2 table (the
 * frame TRANSLATE reports) agree; AXAS_WRITE shows through mmap().
 */
TEST_F(axas_as, coherent)
{
	const uint64_t len = 16 * SZ_4K;
	uint8_t *m, *m2, *buf;
	uint64_t hpa, off;

	ASSERT_EQ(0, map_alloc(self->fd, G0, len, RW, AXAS_MAP_ALLOC_POPULATE));
	m = as_mmap(self->fd, G0, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);

	fill_pattern(m, len, G0, 1);
	ASSERT_EQ(0, guest_rw(self->fd, false, G0, buf, len, 0));
	EXPECT_EQ(-1, check_pattern(buf, len, G0, 1));
	for (off = 0; off < len; off += SZ_4K) {
		ASSERT_EQ(0, translate(self->fd, G0 + off, &hpa, NULL));
		if (is_root()) {
			EXPECT_EQ(hpa >> 12, pagemap_pfn(m + off));
		}
	}

	fill_pattern(buf, len, G0, 2);
	ASSERT_EQ(0, guest_rw(self->fd, true, G0, buf, len, 0));
	EXPECT_EQ(-1, check_pattern(m, len, G0, 2));

	/* Unaligned, crossing a page, both ways. */
	memset(m + SZ_4K - 3, 0xa5, 7);
	ASSERT_EQ(0, guest_rw(self->fd, false, G0 + SZ_4K - 3, buf, 7, 0));
	EXPECT_EQ(0xa5, buf[0]);
	EXPECT_EQ(0xa5, buf[6]);

	/* A second mapping of the same range sees the same frames. */
	m2 = as_mmap(self->fd, G0 + SZ_4K, SZ_4K, PROT_READ);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_EQ(0, memcmp(m2, m + SZ_4K, SZ_4K));
	EXPECT_EQ(0, munmap(m2, SZ_4K));
	free(buf);
	EXPECT_EQ(0, munmap(m, len));
}

/*
 * A VMM touch of a lazy page allocates it as a guest fault would (a
 * later guest fault there is spurious), whatever the guest's rights: a
 * read-only guest region is writable through mmap().
 */
TEST_F(axas_as, lazy_allocates)
{
	const uint64_t len = 4 * SZ_4K;
	struct axas_stats st;
	uint8_t *m, v = 0xff;

	ASSERT_EQ(0, map_alloc(self->fd, G0, len, RO, 0));
	m = as_mmap(self->fd, G0, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(-ENOENT, translate(self->fd, G0 + SZ_4K, NULL, NULL));

	/* A read allocates too (no zero page): zeroed. */
	ASSERT_EQ(0, touch(m + SZ_4K + 9, false, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(1, st.frames);
	EXPECT_EQ(1, st.leaves_4k);
	EXPECT_EQ(0, st.faults_mapped);	/* not a guest fault */
	EXPECT_EQ(0, translate(self->fd, G0 + SZ_4K, NULL, NULL));
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, G0 + SZ_4K, RO));
	EXPECT_EQ(AXAS_FAULT_PERM, fault(self->fd, G0 + SZ_4K,
					 AXAS_PROT_WRITE));

	/* The guest may not write here; the VMM may. */
	ASSERT_EQ(0, touch_write(m + 2 * SZ_4K, 0x42));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.frames);
	ASSERT_EQ(0, guest_rw(self->fd, false, G0 + 2 * SZ_4K, &v, 1, 0));
	EXPECT_EQ(0x42, v);
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, G0 + 2 * SZ_4K, RO));
	/* Untouched by anyone: still lazy. */
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, G0, RO));
	EXPECT_EQ(0, munmap(m, len));
}

/* 2 MiB frames: mapped page by page; a partial unmap zaps one page. */
TEST_F(axas_as, huge_frames)
{
	const uint64_t mid = SZ_2M / 2;
	struct axas_stats st;
	uint8_t *m, v;

	ASSERT_EQ(0, map_alloc(self->fd, G0, SZ_2M, RW, AXAS_MAP_ALLOC_HUGE));
	m = as_mmap(self->fd, G0, SZ_2M, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	/* The VMM's touch allocates the 2 MiB frame, as a guest fault. */
	ASSERT_EQ(0, touch_write(m + SZ_4K, 7));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(512, st.frames);
	EXPECT_EQ(1, st.leaves_2m);
	memset(m, 0x3c, SZ_2M);
	ASSERT_EQ(0, unmap(self->fd, G0 + mid, SZ_4K));
	EXPECT_EQ(SIGBUS, touch_read(m + mid));
	ASSERT_EQ(0, touch(m + mid - 1, false, &v));
	EXPECT_EQ(0x3c, v);
	ASSERT_EQ(0, touch(m + mid + SZ_4K, false, &v));
	EXPECT_EQ(0x3c, v);
	ASSERT_EQ(0, guest_rw(self->fd, false, G0 + SZ_2M - 1, &v, 1, 0));
	EXPECT_EQ(0x3c, v);
	EXPECT_EQ(0, munmap(m, SZ_2M));
}

/*
 * SIGBUS outside any region, in a linear region, and after AXAS_UNMAP of
 * a page the VMM had mapped: the old frame is no longer visible.
 */
TEST_F(axas_as, sigbus)
{
	const uint64_t len = 8 * SZ_4K;
	uint8_t *m, v;

	ASSERT_EQ(0, map_alloc(self->fd, G0 + 2 * SZ_4K, 2 * SZ_4K, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	m = as_mmap(self->fd, G0, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);

	EXPECT_EQ(SIGBUS, touch_read(m));
	EXPECT_EQ(SIGBUS, touch_write(m + SZ_4K, 1));
	EXPECT_EQ(SIGBUS, touch_read(m + 4 * SZ_4K));
	ASSERT_EQ(0, touch_write(m + 2 * SZ_4K, 0x5a));
	ASSERT_EQ(0, touch_write(m + 3 * SZ_4K, 0x6b));

	/* The zap: the VMM's mapping goes with the region. */
	ASSERT_EQ(0, unmap(self->fd, G0 + 2 * SZ_4K, SZ_4K));
	EXPECT_EQ(SIGBUS, touch_read(m + 2 * SZ_4K));
	EXPECT_EQ(SIGBUS, touch_write(m + 2 * SZ_4K, 1));
	ASSERT_EQ(0, touch(m + 3 * SZ_4K, false, &v));
	EXPECT_EQ(0x6b, v);
	/* A new region there: a new, zeroed frame, not the old one. */
	ASSERT_EQ(0, map_alloc(self->fd, G0 + 2 * SZ_4K, SZ_4K, RW, 0));
	ASSERT_EQ(0, touch(m + 2 * SZ_4K, false, &v));
	EXPECT_EQ(0, v);

	if (is_root()) {
		/* Linear (device) memory is never mapped to user space. */
		ASSERT_EQ(0, map_linear(self->fd, G0 + 6 * SZ_4K, SZ_4K,
					LINEAR_HPA, RW, AXAS_MEM_DEVICE));
		EXPECT_EQ(0, translate(self->fd, G0 + 6 * SZ_4K, NULL, NULL));
		EXPECT_EQ(SIGBUS, touch_read(m + 6 * SZ_4K));
	}
	EXPECT_EQ(0, munmap(m, len));
}

/* A large unmap over many VMM-mapped pages, then the VMM touches none. */
TEST_F(axas_as, unmap_zaps_all)
{
	const uint64_t len = 256 * SZ_4K;
	struct axas_stats st;
	uint64_t off;
	uint8_t *m;

	ASSERT_EQ(0, map_alloc(self->fd, G0, len, RW, 0));
	m = as_mmap(self->fd, G0, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	for (off = 0; off < len; off += SZ_4K)
		m[off] = 1;
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(256, st.frames);
	ASSERT_EQ(0, unmap(self->fd, G0, len));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.frames);
	for (off = 0; off < len; off += 17 * SZ_4K)
		EXPECT_EQ(SIGBUS, touch_read(m + off));
	EXPECT_EQ(0, munmap(m, len));
}

/* Shared, within the window, only: EINVAL otherwise. */
TEST_F(axas_as, mmap_rules)
{
	uint8_t *m;
	int fd;

	ASSERT_EQ(0, map_alloc(self->fd, G0, SZ_64K, RW, 0));
	m = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE, self->fd, G0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
		 G0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);

	/* A window [G0, G0 + 64 KiB): offsets outside it are refused. */
	fd = as_create(self->dev, variant->format, variant->gpa_bits, G0,
		       SZ_64K, 0);
	ASSERT_LE(0, fd);
	m = as_mmap(fd, G0 - SZ_4K, SZ_4K, PROT_READ);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = as_mmap(fd, G0 + SZ_64K - SZ_4K, 2 * SZ_4K, PROT_READ);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = as_mmap(fd, G0 + SZ_64K, SZ_4K, PROT_READ);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = as_mmap(fd, G0, SZ_64K, PROT_READ);
	ASSERT_NE(MAP_FAILED, m);
	/* No growing past it (VM_DONTEXPAND). */
	EXPECT_EQ(MAP_FAILED, mremap(m, SZ_64K, 2 * SZ_64K, MREMAP_MAYMOVE));
	EXPECT_EQ(0, munmap(m, SZ_64K));
	close(fd);

	/* mprotect() on the VMM side works as on any mapping. */
	m = as_mmap(self->fd, G0, SZ_4K, PROT_READ);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, touch_read(m));
	EXPECT_EQ(SIGSEGV, touch_write(m, 1));
	ASSERT_EQ(0, mprotect(m, SZ_4K, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, touch_write(m, 1));
	EXPECT_EQ(0, munmap(m, SZ_4K));
}

/*
 * fork(): the child does not inherit the mapping (SIGSEGV there) and may
 * not map the inherited fd (EIO: an fd works in its creator only).
 */
TEST_F(axas_as, fork)
{
	uint8_t *m;
	pid_t pid;
	int status;

	ASSERT_EQ(0, map_alloc(self->fd, G0, SZ_4K, RW, 0));
	m = as_mmap(self->fd, G0, SZ_4K, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	m[0] = 0x77;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		void *m2;

		if (touch_read(m) != SIGSEGV)
			_exit(1);
		m2 = as_mmap(self->fd, G0, SZ_4K, PROT_READ);
		if (m2 != MAP_FAILED || errno != EIO)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x77, m[0]);
	EXPECT_EQ(0, munmap(m, SZ_4K));
}

/*
 * AXAS_READ into, and AXAS_WRITE from, a buffer that is itself an mmap()
 * of the same address space: the copies run outside the address space's
 * lock, so the buffer's faults (which take it) do not deadlock.
 */
TEST_F(axas_as, rw_through_own_mapping)
{
	const uint64_t len = 32 * SZ_4K, src = G0, dst = G0 + SZ_2M;
	uint8_t *ms, *md, *buf;

	ASSERT_EQ(0, map_alloc(self->fd, src, len, RW, AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, map_alloc(self->fd, dst, len, RW, 0));	/* lazy */
	ms = as_mmap(self->fd, src, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, ms);
	md = as_mmap(self->fd, dst, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, md);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);

	fill_pattern(buf, len, src, 3);
	ASSERT_EQ(0, guest_rw(self->fd, true, src, buf, len, 0));
	/* Guest src -> VMM's mapping of lazy dst (faults it in). */
	ASSERT_EQ(0, guest_rw(self->fd, false, src, md, len, 0));
	EXPECT_EQ(-1, check_pattern(md, len, src, 3));
	memset(buf, 0, len);
	ASSERT_EQ(0, guest_rw(self->fd, false, dst, buf, len, 0));
	EXPECT_EQ(-1, check_pattern(buf, len, src, 3));

	/* VMM's mapping of src -> guest src itself, then dst. */
	fill_pattern(ms, len, src, 4);
	ASSERT_EQ(0, guest_rw(self->fd, true, src, ms, len, 0));
	ASSERT_EQ(0, guest_rw(self->fd, true, dst, ms, len, 0));
	EXPECT_EQ(-1, check_pattern(md, len, src, 4));
	/* Reading a range into the mapping of that very range. */
	ASSERT_EQ(0, guest_rw(self->fd, false, dst, md, len, 0));
	EXPECT_EQ(-1, check_pattern(md, len, src, 4));
	free(buf);
	EXPECT_EQ(0, munmap(ms, len));
	EXPECT_EQ(0, munmap(md, len));
}

/* The frame limit reached by VMM touches: SIGBUS, counted as a hit. */
TEST_F(axas_as, frame_limit)
{
	struct axas_stats st;
	uint8_t *m;
	int fd;

	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0, 2);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_alloc(fd, G0, 4 * SZ_4K, RW, 0));
	m = as_mmap(fd, G0, 4 * SZ_4K, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, touch_write(m, 1));
	EXPECT_EQ(0, touch_read(m + SZ_4K));
	EXPECT_EQ(SIGBUS, touch_read(m + 2 * SZ_4K));
	EXPECT_EQ(SIGBUS, touch_write(m + 3 * SZ_4K, 1));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(2, st.frames);
	EXPECT_LE(2, st.frame_limit_hits);
	/* Room again after an unmap. */
	ASSERT_EQ(0, unmap(fd, G0, SZ_4K));
	EXPECT_EQ(SIGBUS, touch_read(m));
	EXPECT_EQ(0, touch_write(m + 3 * SZ_4K, 1));
	EXPECT_EQ(0, munmap(m, 4 * SZ_4K));
	close(fd);
}

/*
 * A mapping keeps the address space alive after close(); munmap() then
 * frees it (the memcg check after the run sees the memory returned).
 */
TEST_F(axas_as, close_then_munmap)
{
	const uint64_t len = 64 * SZ_4K;
	uint8_t *m;
	int fd;

	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_alloc(fd, G0, len, RW, 0));
	m = as_mmap(fd, G0, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	fill_pattern(m, len / 2, G0, 5);
	close(fd);
	EXPECT_EQ(-1, check_pattern(m, len / 2, G0, 5));
	/* Lazy pages still come in through the mapping. */
	fill_pattern(m + len / 2, len / 2, G0, 6);
	EXPECT_EQ(-1, check_pattern(m + len / 2, len / 2, G0, 6));
	EXPECT_EQ(0, munmap(m, len));
}

TEST_HARNESS_MAIN
