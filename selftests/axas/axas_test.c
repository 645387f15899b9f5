// SPDX-License-Identifier: GPL-2.0
/*
 * kselftest for the axas uAPI: /dev/axas and address-space fds.
 *
 * - axas_dev: GET_INFO and its size contract.
 * - axas_as, one variant per format and geometry: every ioctl's happy
 *   path, its size contract (as TEST_LENGTH in selftests/iommu), bad
 *   input (the documented errno, and nothing changed), capabilities and
 *   the owner mm, the debugfs table dump against TRANSLATE, a fail-nth
 *   sweep of every allocating ioctl (as iommufd_fail_nth.c), a threaded
 *   stress and a bounded fuzzer (seed from AXAS_FUZZ_SEED).
 *
 * Never READ or WRITE a linear region: its HPA is arbitrary host memory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/axas.h>
#include <linux/capability.h>

#include "kselftest_harness.h"

#define AXAS_DEV	"/dev/axas"
#define AXAS_DEBUGFS	"/sys/kernel/debug/axas"

#define SZ_4K		0x1000ULL
#define SZ_64K		0x10000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL

/* Test GPAs start at 1 GiB: inside the window of every format. */
#define G0		SZ_1G
/* Linear maps point here; such regions are only ever translated. */
#define LINEAR_HPA	0x80000000ULL

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define RO	AXAS_PROT_READ

static uint64_t all_formats(void)
{
	return 1ULL << AXAS_FORMAT_X86_EPT4 | 1ULL << AXAS_FORMAT_X86_EPT5 |
	       1ULL << AXAS_FORMAT_ARM64_S2 | 1ULL << AXAS_FORMAT_RISCV_SV39X4 |
	       1ULL << AXAS_FORMAT_RISCV_SV48X4 |
	       1ULL << AXAS_FORMAT_RISCV_SV57X4;
}

static int native_format(void)
{
#if defined(__x86_64__)
	return AXAS_FORMAT_X86_EPT4;
#elif defined(__aarch64__)
	return AXAS_FORMAT_ARM64_S2;
#elif defined(__riscv)
	return AXAS_FORMAT_RISCV_SV48X4;
#else
	return AXAS_FORMAT_DEFAULT;
#endif
}

/* ioctl() as 0 or -errno, so that one EXPECT_EQ checks both. */
static int ax(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int as_create(int dev, uint32_t format, uint32_t gpa_bits,
		     uint64_t base, uint64_t length, uint64_t max_frames)
{
	struct axas_create c = {
		.size = sizeof(c), .format = format, .gpa_bits = gpa_bits,
		.base = base, .length = length, .max_frames = max_frames,
	};
	int ret = ax(dev, AXAS_CREATE, &c);

	return ret ? ret : (int)c.out_fd;
}

static int as_info(int fd, struct axas_as_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ax(fd, AXAS_AS_INFO, info);
}

static int map_alloc(int fd, uint64_t gpa, uint64_t len, uint32_t prot,
		     uint32_t flags)
{
	struct axas_map_alloc m = {
		.size = sizeof(m), .flags = flags, .gpa = gpa, .length = len,
		.prot = prot,
	};

	return ax(fd, AXAS_MAP_ALLOC, &m);
}

static int map_linear(int fd, uint64_t gpa, uint64_t len, uint64_t hpa,
		      uint32_t prot, uint32_t mt)
{
	struct axas_map_linear m = {
		.size = sizeof(m), .gpa = gpa, .length = len, .hpa = hpa,
		.prot = prot, .memtype = mt,
	};

	return ax(fd, AXAS_MAP_LINEAR, &m);
}

static int unmap(int fd, uint64_t gpa, uint64_t len)
{
	struct axas_unmap u = { .size = sizeof(u), .gpa = gpa, .length = len };

	return ax(fd, AXAS_UNMAP, &u);
}

static int protect(int fd, uint64_t gpa, uint64_t len, uint32_t prot)
{
	struct axas_protect p = {
		.size = sizeof(p), .gpa = gpa, .length = len, .prot = prot,
	};

	return ax(fd, AXAS_PROTECT, &p);
}

/* The outcome (> 0) or -errno. */
static int fault(int fd, uint64_t gpa, uint32_t access)
{
	struct axas_fault f = { .size = sizeof(f), .gpa = gpa,
				.access = access };
	int ret = ax(fd, AXAS_HANDLE_FAULT, &f);

	return ret ? ret : (int)f.out_outcome;
}

static int translate(int fd, uint64_t gpa, uint64_t *hpa, uint64_t *len)
{
	struct axas_translate t = { .size = sizeof(t), .gpa = gpa };
	int ret = ax(fd, AXAS_TRANSLATE, &t);

	if (hpa)
		*hpa = ret ? 0 : t.out_hpa;
	if (len)
		*len = ret ? 0 : t.out_length;
	return ret;
}

static int guest_rw(int fd, bool write, uint64_t gpa, void *buf, uint64_t len,
		    uint32_t flags)
{
	struct axas_rw rw = {
		.size = sizeof(rw), .flags = flags, .gpa = gpa, .length = len,
		.buf = (uintptr_t)buf,
	};

	return ax(fd, write ? AXAS_WRITE : AXAS_READ, &rw);
}

static int get_stats(int fd, struct axas_stats *st)
{
	struct axas_get_stats g = { .size = sizeof(g) };
	int ret = ax(fd, AXAS_GET_STATS, &g);

	*st = g.out;
	return ret;
}

/* A pattern no two (page, seed) pairs share. */
static void fill_pattern(void *buf, size_t len, uint64_t gpa, uint64_t seed)
{
	uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = (gpa + i * 8) * 0x9e3779b97f4a7c15ULL ^ seed;
}

/* Index of the first word that differs from the pattern, or -1. */
static long check_pattern(const void *buf, size_t len, uint64_t gpa,
			  uint64_t seed)
{
	const uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] != ((gpa + i * 8) * 0x9e3779b97f4a7c15ULL ^ seed))
			return i;
	return -1;
}

static bool is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		if (*p++)
			return false;
	return true;
}

/*
 * The observable state of an address space: its counters and how some
 * probe pages translate. A failed call must leave it exactly as it was.
 */
#define NR_PROBES	10

struct snap {
	struct axas_stats st;
	int err[NR_PROBES];
	uint64_t hpa[NR_PROBES], len[NR_PROBES];
};

static void snap_take(int fd, const uint64_t *probes, int nr, struct snap *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	if (get_stats(fd, &s->st))
		memset(&s->st, 0xff, sizeof(s->st));
	for (i = 0; i < nr && i < NR_PROBES; i++)
		s->err[i] = translate(fd, probes[i], &s->hpa[i], &s->len[i]);
}

/*
 * NULL when equal, else what differs. Only if @strict: the fault counters
 * and the flushes (a rolled-back change may flush what it had mapped).
 */
static const char *snap_diff(const struct snap *a, const struct snap *b,
			     bool strict)
{
	static char why[128];
	int i;

#define SNAP_CMP(f)							\
	do {								\
		if (a->st.f != b->st.f) {				\
			snprintf(why, sizeof(why), #f " %llu -> %llu",	\
				 (unsigned long long)a->st.f,		\
				 (unsigned long long)b->st.f);		\
			return why;					\
		}							\
	} while (0)
	SNAP_CMP(regions);
	SNAP_CMP(frames);
	SNAP_CMP(max_frames);
	SNAP_CMP(leaves_4k);
	SNAP_CMP(leaves_2m);
	SNAP_CMP(leaves_1g);
	SNAP_CMP(table_pages);
	if (strict) {
		SNAP_CMP(flushes);
		SNAP_CMP(faults_mapped);
		SNAP_CMP(faults_spurious);
		SNAP_CMP(faults_not_mapped);
		SNAP_CMP(faults_perm);
		SNAP_CMP(faults_nomem);
	}
#undef SNAP_CMP
	for (i = 0; i < NR_PROBES; i++) {
		if (a->err[i] != b->err[i] || a->hpa[i] != b->hpa[i] ||
		    a->len[i] != b->len[i]) {
			snprintf(why, sizeof(why),
				 "probe %d: err %d -> %d, hpa %#llx -> %#llx, len %#llx -> %#llx",
				 i, a->err[i], b->err[i],
				 (unsigned long long)a->hpa[i],
				 (unsigned long long)b->hpa[i],
				 (unsigned long long)a->len[i],
				 (unsigned long long)b->len[i]);
			return why;
		}
	}
	return NULL;
}

#define EXPECT_UNCHANGED(fd, probes, nr, before, strict, what)		\
	do {								\
		struct snap __after;					\
		const char *__d;					\
									\
		snap_take(fd, probes, nr, &__after);			\
		__d = snap_diff(before, &__after, strict);		\
		EXPECT_EQ(0, !!__d)					\
			TH_LOG("%s changed the AS: %s", what, __d);	\
	} while (0)

/* SecPageTables from /proc/meminfo in KiB, or -1. */
static long sec_page_tables_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;
	int fd;

	/* Fold the per-CPU counter deltas in, or the total lags. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		/* EINVAL when some counter is negative: still refreshed. */
		ssize_t ret = write(fd, "1", 1);

		(void)ret;
		close(fd);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The value once frees of earlier tests (after RCU) have settled. */
static long sec_page_tables_start(void)
{
	long prev = -2, now = sec_page_tables_kb();
	int i;

	for (i = 0; i < 30 && now != prev; i++) {
		usleep(100000);
		prev = now;
		now = sec_page_tables_kb();
	}
	return now;
}

/* Table pages are freed after an RCU grace period: wait up to ~3 s. */
static long sec_page_tables_settle(long want)
{
	long now = sec_page_tables_kb();
	int i;

	for (i = 0; i < 60 && now != want; i++) {
		usleep(50000);
		now = sec_page_tables_kb();
	}
	return now;
}

static int lowest_free_fd(void)
{
	int fd = dup(0), spare;

	if (fd < 0) {
		/* No stdin: open something. */
		spare = open("/", O_RDONLY);
		fd = spare;
	}
	close(fd);
	return fd;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A buffer of @len bytes followed by an inaccessible guard page. */
static void *guarded_alloc(size_t len)
{
	size_t pg = getpagesize(), span = (len + pg - 1) / pg * pg;
	char *p = mmap(NULL, span + pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + span, pg, PROT_NONE)) {
		munmap(p, span + pg);
		return NULL;
	}
	memset(p, 0, span);
	return p + span - len;	/* ends right at the guard */
}

/*
 * An address no user access can reach: a PROT_NONE page, kept so that no
 * later mapping takes its place.
 */
static void *unmapped_addr(void)
{
	static void *p;

	if (!p)
		p = mmap(NULL, getpagesize(), PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p;
}

FIXTURE(axas_dev) {
	int fd;
};

FIXTURE_SETUP(axas_dev)
{
	self->fd = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, AXAS_DEV " is absent: is axas.ko loaded?");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(axas_dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(axas_dev, get_info)
{
	struct axas_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, AXAS_GET_INFO, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(all_formats(), info.out_formats);
	EXPECT_EQ(native_format(), info.out_native_format);
	EXPECT_EQ(getpagesize(), 1 << info.out_host_page_shift);
}

/* Every size below the first version of the struct is malformed. */
TEST_F(axas_dev, get_info_short_size)
{
	size_t min = offsetof(struct axas_info, out_host_page_shift) +
		     sizeof(__u32);
	struct axas_info info;
	__u32 size;

	for (size = 0; size < min; size++) {
		memset(&info, 0xa5, sizeof(info));
		info.size = size;
		info.flags = 0;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, AXAS_GET_INFO, &info));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", size);
		/* A rejected call writes nothing back. */
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, info.out_formats);
	}
}

/* A newer, larger struct works while its unknown tail is zero. */
TEST_F(axas_dev, get_info_long_size)
{
	struct {
		struct axas_info info;
		__u8 tail[64];
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, AXAS_GET_INFO, &big));
	EXPECT_EQ(all_formats(), big.info.out_formats);
	for (size_t i = 0; i < sizeof(big.tail); i++) {
		ASSERT_EQ(0, big.tail[i]);
	}

	big.tail[sizeof(big.tail) - 1] = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, AXAS_GET_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
}

/* An older caller gets its struct filled, never more. */
TEST_F(axas_dev, get_info_truncated_reply)
{
	size_t min = offsetof(struct axas_info, out_host_page_shift) +
		     sizeof(__u32);
	__u8 buf[sizeof(struct axas_info) + 8];
	struct axas_info *info = (struct axas_info *)buf;

	memset(buf, 0, sizeof(buf));
	info->size = min;
	buf[min] = 0x5a;	/* beyond the declared size: must stay */
	ASSERT_EQ(0, ioctl(self->fd, AXAS_GET_INFO, buf));
	EXPECT_EQ(0x5a, buf[min]);
	EXPECT_EQ(all_formats(), info->out_formats);
}

TEST_F(axas_dev, get_info_unknown_flags)
{
	struct axas_info info;
	int bit;

	for (bit = 0; bit < 32; bit++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.flags = 1U << bit;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, AXAS_GET_INFO, &info));
		EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("flag bit %d", bit);
	}
}

TEST_F(axas_dev, unknown_ioctl)
{
	struct axas_info info = { .size = sizeof(info) };
	unsigned long cmds[] = {
		_IO(AXAS_TYPE, AXAS_CMD_BASE - 1),
		_IO(AXAS_TYPE, 0xff),
		_IO(AXAS_TYPE + 1, AXAS_CMD_GET_INFO),
		_IOWR(AXAS_TYPE, AXAS_CMD_GET_INFO, struct axas_info),
		0,
	};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &info));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(axas_dev, get_info_bad_pointer)
{
	void *unmapped;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, AXAS_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* The struct straddles into a page that is not mapped. */
	unmapped = mmap(NULL, 2 * getpagesize(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, munmap((char *)unmapped + getpagesize(), getpagesize()));
	struct axas_info *info = (struct axas_info *)((char *)unmapped +
						      getpagesize() - 8);
	info->size = sizeof(*info);
	info->flags = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, AXAS_GET_INFO, info));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, getpagesize());
}

/* One address space per test, one variant per format and geometry. */
FIXTURE(axas_as) {
	int dev;
	int fd;
	struct axas_as_info info;
	uint64_t top;		/* 1 << width: first GPA beyond it */
};

FIXTURE_VARIANT(axas_as) {
	uint32_t format;
	uint32_t gpa_bits;	/* asked for; 0: the format's default */
	uint32_t width;		/* expected out_gpa_bits */
	uint32_t levels;
	uint32_t root_pages;
};

FIXTURE_VARIANT_ADD(axas_as, x86_ept4) {
	.format = AXAS_FORMAT_X86_EPT4, .width = 48, .levels = 4,
	.root_pages = 1,
};

FIXTURE_VARIANT_ADD(axas_as, x86_ept5) {
	.format = AXAS_FORMAT_X86_EPT5, .width = 57, .levels = 5,
	.root_pages = 1,
};

/* The default IPA size: three levels, two concatenated root pages. */
FIXTURE_VARIANT_ADD(axas_as, arm64_s2_40) {
	.format = AXAS_FORMAT_ARM64_S2, .width = 40, .levels = 3,
	.root_pages = 2,
};

FIXTURE_VARIANT_ADD(axas_as, arm64_s2_48) {
	.format = AXAS_FORMAT_ARM64_S2, .gpa_bits = 48, .width = 48,
	.levels = 4, .root_pages = 1,
};

/* Two levels, four concatenated root pages. */
FIXTURE_VARIANT_ADD(axas_as, arm64_s2_32) {
	.format = AXAS_FORMAT_ARM64_S2, .gpa_bits = 32, .width = 32,
	.levels = 2, .root_pages = 4,
};

FIXTURE_VARIANT_ADD(axas_as, riscv_sv39x4) {
	.format = AXAS_FORMAT_RISCV_SV39X4, .width = 41, .levels = 3,
	.root_pages = 4,
};

FIXTURE_VARIANT_ADD(axas_as, riscv_sv48x4) {
	.format = AXAS_FORMAT_RISCV_SV48X4, .width = 50, .levels = 4,
	.root_pages = 4,
};

FIXTURE_VARIANT_ADD(axas_as, riscv_sv57x4) {
	.format = AXAS_FORMAT_RISCV_SV57X4, .width = 59, .levels = 5,
	.root_pages = 4,
};

FIXTURE_SETUP(axas_as)
{
	int flags;

	self->fd = -1;
	self->dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT)
		SKIP(return, AXAS_DEV " is absent: is axas.ko loaded?");
	ASSERT_LE(0, self->dev);
	self->fd = as_create(self->dev, variant->format, variant->gpa_bits,
			     0, 0, 0);
	ASSERT_LE(0, self->fd) TH_LOG("AXAS_CREATE: %s", strerror(-self->fd));
	flags = fcntl(self->fd, F_GETFD);
	ASSERT_NE(-1, flags);
	ASSERT_TRUE(flags & FD_CLOEXEC);
	ASSERT_EQ(0, as_info(self->fd, &self->info));
	self->top = 1ULL << variant->width;
}

FIXTURE_TEARDOWN(axas_as)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->dev >= 0)
		close(self->dev);
}

static bool is_root(void)
{
	return geteuid() == 0;
}

/*
 * The fail-nth sweep and most of the fuzzing run on the host's native
 * format and on the deepest walk (EPT5), which keeps the suite near a
 * minute under TCG; AXAS_TEST_FULL=1 runs them on every variant.
 */
static bool heavy(const FIXTURE_VARIANT(axas_as) *variant)
{
	const char *full = getenv("AXAS_TEST_FULL");

	if (full && *full && strcmp(full, "0"))
		return true;
	return (variant->format == (uint32_t)native_format() &&
		!variant->gpa_bits) ||
	       variant->format == AXAS_FORMAT_X86_EPT5;
}

TEST_F(axas_as, as_info)
{
	struct axas_as_info *info = &self->info;
	struct axas_as_info again;

	EXPECT_EQ(variant->format, info->out_format);
	EXPECT_EQ(variant->levels, info->out_levels);
	EXPECT_EQ(variant->width, info->out_gpa_bits);
	EXPECT_EQ(variant->root_pages, info->out_root_pages);
	EXPECT_EQ(0, info->__reserved);
	EXPECT_EQ(0, info->out_base);
	EXPECT_EQ(self->top, info->out_length);

	/* Stable across calls. */
	ASSERT_EQ(0, as_info(self->fd, &again));
	EXPECT_EQ(0, memcmp(info, &again, sizeof(again)));

	switch (variant->format) {
	case AXAS_FORMAT_X86_EPT4:
	case AXAS_FORMAT_X86_EPT5:
		EXPECT_EQ(0, info->out_vttbr);
		EXPECT_EQ(0, info->out_vtcr);
		EXPECT_EQ(0, info->out_hgatp);
		if (!is_root())
			break;
		EXPECT_NE(0, info->out_eptp);
		EXPECT_EQ(info->out_root_pa, info->out_eptp & ~0xfffULL);
		EXPECT_EQ(variant->levels - 1, (info->out_eptp >> 3) & 7);
		EXPECT_EQ(6, info->out_eptp & 7);	/* write-back */
		break;
	case AXAS_FORMAT_ARM64_S2:
		EXPECT_EQ(0, info->out_eptp);
		EXPECT_EQ(0, info->out_hgatp);
		EXPECT_EQ(64 - variant->width, info->out_vtcr & 0x3f);
		EXPECT_EQ(variant->levels - 2, (info->out_vtcr >> 6) & 3);
		if (is_root()) {
			EXPECT_EQ(info->out_root_pa, info->out_vttbr);
		}
		break;
	default:
		EXPECT_EQ(0, info->out_eptp);
		EXPECT_EQ(0, info->out_vttbr);
		EXPECT_EQ(0, info->out_vtcr);
		if (!is_root())
			break;
		EXPECT_EQ(info->out_root_pa >> 12,
			  info->out_hgatp & ((1ULL << 44) - 1));
		EXPECT_EQ(8 + variant->format - AXAS_FORMAT_RISCV_SV39X4,
			  info->out_hgatp >> 60);
		/* The 16 KiB root is 16 KiB aligned. */
		EXPECT_EQ(0, info->out_root_pa & 0x3fff);
		break;
	}
	if (is_root()) {
		EXPECT_NE(0, info->out_root_pa);
		EXPECT_EQ(0, info->out_root_pa & 0xfff);
	}
}

/* Ids are unique; an empty table holds just its root. */
TEST_F(axas_as, create_more)
{
	struct axas_as_info info;
	struct axas_stats st;
	int fd;

	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, as_info(fd, &info));
	EXPECT_NE(self->info.out_id, info.out_id);
	if (is_root()) {
		EXPECT_NE(self->info.out_root_pa, info.out_root_pa);
	}
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(variant->root_pages, st.table_pages);
	EXPECT_EQ(0, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(0, st.leaves_4k + st.leaves_2m + st.leaves_1g);
	EXPECT_EQ(-ENOENT, translate(fd, G0, NULL, NULL));
	close(fd);

	/* A window: base and length come back. */
	fd = as_create(self->dev, variant->format, variant->gpa_bits,
		       G0, 16 * SZ_2M, 100);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, as_info(fd, &info));
	EXPECT_EQ(G0, info.out_base);
	EXPECT_EQ(16 * SZ_2M, info.out_length);
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(100, st.max_frames);
	close(fd);

	/* AXAS_FORMAT_DEFAULT is the native format. */
	fd = as_create(self->dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, as_info(fd, &info));
	EXPECT_EQ(native_format(), info.out_format);
	close(fd);
}

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

	/* 1 GiB alignment of GPA and HPA gives a 1 GiB leaf (NORMAL). */
	if (self->top >= 4 * SZ_1G && variant->levels >= 3) {
		ASSERT_EQ(0, map_linear(self->fd, 2 * SZ_1G, SZ_1G, 2 * SZ_1G,
					AXAS_PROT_RWX, AXAS_MEM_NORMAL));
		ASSERT_EQ(0, get_stats(self->fd, &st));
		EXPECT_EQ(1, st.leaves_1g);
		ASSERT_EQ(0, translate(self->fd, 2 * SZ_1G + 0x123456, &hpa,
				       &l));
		EXPECT_EQ(2 * SZ_1G + 0x123456, hpa);
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

/*
 * The size contract of one ioctl, as TEST_LENGTH in selftests/iommu:
 * @arg is a call that succeeds; @undo reverts it.
 */
struct contract {
	const char *name;
	unsigned long cmd;
	size_t size;		/* sizeof() the struct */
	size_t min_size;	/* end of its first version */
	uint32_t known_flags;
	int nr_reserved;
	size_t reserved[2];	/* offsets of __u32 fields that must be 0 */
	void (*undo)(int fd, const void *arg);
};

#define TAIL	64

static void undo_map(int fd, const void *arg)
{
	const struct axas_map_alloc *m = arg;	/* gpa, length: same place */

	unmap(fd, m->gpa, m->length);
}

static void undo_unmap(int fd, const void *arg)
{
	const struct axas_unmap *u = arg;

	map_alloc(fd, u->gpa, u->length, RW, AXAS_MAP_ALLOC_POPULATE);
}

static void undo_create(int fd, const void *arg)
{
	close(((const struct axas_create *)arg)->out_fd);
}

static void check_contract(struct __test_metadata *_metadata, int fd,
			   const struct contract *c, const void *arg,
			   int probe_fd, const uint64_t *probes, int nr_probes)
{
	uint8_t buf[256 + TAIL];
	struct snap before;
	size_t s, i;
	int bit, ret;

	ASSERT_GE(sizeof(buf) - TAIL, c->size);
#define PREP(_size)							\
	do {								\
		memset(buf, 0, sizeof(buf));				\
		memcpy(buf, arg, c->size);				\
		((uint32_t *)buf)[0] = (_size);				\
	} while (0)

	/* The call works at its own size. */
	PREP(c->size);
	ret = ax(fd, c->cmd, buf);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", c->name, strerror(-ret));
	if (c->undo)
		c->undo(fd, buf);
	snap_take(probe_fd, probes, nr_probes, &before);

	/* Below the first version: EINVAL, nothing written back. */
	for (s = 0; s < c->min_size; s++) {
		PREP(s);
		EXPECT_EQ(-EINVAL, ax(fd, c->cmd, buf))
			TH_LOG("%s: size %zu", c->name, s);
		EXPECT_EQ(0, memcmp(buf + 4, (const uint8_t *)arg + 4,
				    c->size - 4))
			TH_LOG("%s: size %zu wrote back", c->name, s);
	}
	EXPECT_UNCHANGED(probe_fd, probes, nr_probes, &before, true,
			 "a short size");

	/* Larger with a zero tail: accepted; the reply never reaches it. */
	for (s = c->size + 1; s <= c->size + TAIL; s += TAIL / 2 - 1) {
		PREP(s);
		ret = ax(fd, c->cmd, buf);
		EXPECT_EQ(0, ret) TH_LOG("%s: size %zu: %s", c->name, s,
					 strerror(-ret));
		EXPECT_TRUE(is_zero(buf + c->size, TAIL))
			TH_LOG("%s: size %zu: tail written", c->name, s);
		if (!ret && c->undo)
			c->undo(fd, buf);
	}

	/* A non-zero byte anywhere in the tail: E2BIG, nothing changed. */
	snap_take(probe_fd, probes, nr_probes, &before);
	for (i = c->size; i < c->size + TAIL; i += 7) {
		PREP(c->size + TAIL);
		buf[i] = 0x80;
		EXPECT_EQ(-E2BIG, ax(fd, c->cmd, buf))
			TH_LOG("%s: tail byte %zu", c->name, i - c->size);
	}
	/* Unknown flag bits: EOPNOTSUPP. */
	for (bit = 0; bit < 32; bit++) {
		if (c->known_flags & (1U << bit))
			continue;
		PREP(c->size);
		((uint32_t *)buf)[1] |= 1U << bit;
		EXPECT_EQ(-EOPNOTSUPP, ax(fd, c->cmd, buf))
			TH_LOG("%s: flag bit %d", c->name, bit);
	}
	/* Reserved fields: EINVAL. */
	for (i = 0; i < (size_t)c->nr_reserved; i++) {
		uint32_t v[] = { 1, 0x80000000, ~0U };

		for (s = 0; s < 3; s++) {
			PREP(c->size);
			memcpy(buf + c->reserved[i], &v[s], 4);
			EXPECT_EQ(-EINVAL, ax(fd, c->cmd, buf))
				TH_LOG("%s: reserved at %zu = %#x", c->name,
				       c->reserved[i], v[s]);
		}
	}
	/* No struct at all. */
	EXPECT_EQ(-EFAULT, ax(fd, c->cmd, NULL)) TH_LOG("%s: NULL", c->name);
	EXPECT_EQ(-EFAULT, ax(fd, c->cmd, unmapped_addr()))
		TH_LOG("%s: unmapped", c->name);
	EXPECT_UNCHANGED(probe_fd, probes, nr_probes, &before, true,
			 "a rejected struct");
#undef PREP
}

#define CONTRACT(_name, _struct, _last)					\
	.name = #_name, .cmd = AXAS_##_name,				\
	.size = sizeof(struct _struct),					\
	.min_size = offsetofend(struct _struct, _last)

TEST_F(axas_as, size_contract)
{
	uint8_t data[64];
	const uint64_t probes[] = { G0, G0 + SZ_4K, G0 + 2 * SZ_4K, G0 + SZ_2M,
				    G0 + 4 * SZ_2M };
	struct axas_info info = { 0 };
	struct axas_create create = {
		.format = variant->format, .gpa_bits = variant->gpa_bits,
	};
	struct axas_as_info as_info = { 0 };
	struct axas_map_linear lin = {
		.gpa = G0 + 4 * SZ_2M, .length = SZ_2M, .hpa = LINEAR_HPA,
		.prot = RW, .memtype = AXAS_MEM_DEVICE,
	};
	struct axas_map_alloc alloc = {
		.flags = AXAS_MAP_ALLOC_POPULATE, .gpa = G0 + SZ_2M,
		.length = 2 * SZ_4K, .prot = RW,
	};
	struct axas_unmap um = { .gpa = G0 + SZ_4K, .length = SZ_4K };
	struct axas_protect prot = { .gpa = G0, .length = 2 * SZ_4K,
				     .prot = RW };
	struct axas_fault flt = { .gpa = G0 + 2 * SZ_4K, .access = RO };
	struct axas_translate tr = { .gpa = G0 + 42 };
	struct axas_rw rw = { .gpa = G0 + 8, .length = sizeof(data),
			      .buf = (uintptr_t)data };
	struct axas_get_stats gs = { 0 };
	const struct contract dev_c[] = {
		{ CONTRACT(GET_INFO, axas_info, out_host_page_shift) },
		{ CONTRACT(CREATE, axas_create, __reserved),
		  .nr_reserved = 1,
		  .reserved = { offsetof(struct axas_create, __reserved) },
		  .undo = undo_create },
	};
	const void *dev_a[] = { &info, &create };
	const struct contract as_c[] = {
		{ CONTRACT(AS_INFO, axas_as_info, out_hgatp), .nr_reserved = 1,
		  .reserved = { offsetof(struct axas_as_info, __reserved) } },
		{ CONTRACT(MAP_LINEAR, axas_map_linear, memtype),
		  .undo = undo_map },
		{ CONTRACT(MAP_ALLOC, axas_map_alloc, __reserved),
		  .known_flags = AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE,
		  .nr_reserved = 1,
		  .reserved = { offsetof(struct axas_map_alloc, __reserved) },
		  .undo = undo_map },
		{ CONTRACT(UNMAP, axas_unmap, length), .undo = undo_unmap },
		{ CONTRACT(PROTECT, axas_protect, __reserved),
		  .nr_reserved = 1,
		  .reserved = { offsetof(struct axas_protect, __reserved) } },
		{ CONTRACT(HANDLE_FAULT, axas_fault, out_outcome) },
		{ CONTRACT(TRANSLATE, axas_translate, out_length) },
		{ CONTRACT(READ, axas_rw, buf), .known_flags = AXAS_RW_FAULT_IN },
		{ CONTRACT(WRITE, axas_rw, buf),
		  .known_flags = AXAS_RW_FAULT_IN },
		{ CONTRACT(GET_STATS, axas_get_stats, out.flushes) },
	};
	const void *as_a[] = { &as_info, &lin, &alloc, &um, &prot, &flt, &tr,
			       &rw, &rw, &gs };
	size_t i;

	ASSERT_EQ(ARRAY_SIZE(as_c), ARRAY_SIZE(as_a));
	ASSERT_EQ(0, map_alloc(self->fd, G0, 4 * SZ_4K, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	for (i = 0; i < ARRAY_SIZE(dev_c); i++)
		check_contract(_metadata, self->dev, &dev_c[i], dev_a[i],
			       self->fd, probes, ARRAY_SIZE(probes));
	for (i = 0; i < ARRAY_SIZE(as_c); i++) {
		if (as_c[i].cmd == AXAS_MAP_LINEAR && !is_root())
			continue;
		check_contract(_metadata, self->fd, &as_c[i], as_a[i],
			       self->fd, probes, ARRAY_SIZE(probes));
	}
}

/* Each fd takes only its own commands; unknown numbers: ENOTTY. */
TEST_F(axas_as, unknown_ioctl)
{
	uint8_t buf[256] = { 0 };
	const unsigned long dev_only[] = { AXAS_GET_INFO, AXAS_CREATE };
	const unsigned long as_only[] = {
		AXAS_AS_INFO, AXAS_MAP_LINEAR, AXAS_MAP_ALLOC, AXAS_UNMAP,
		AXAS_PROTECT, AXAS_HANDLE_FAULT, AXAS_TRANSLATE, AXAS_READ,
		AXAS_WRITE, AXAS_GET_STATS,
	};
	const unsigned long neither[] = {
		_IO(AXAS_TYPE, AXAS_CMD_BASE - 1),
		_IO(AXAS_TYPE, AXAS_CMD_GET_STATS + 1),
		_IO(AXAS_TYPE, 0xff),
		_IO(AXAS_TYPE, 0),
		_IO(AXAS_TYPE + 1, AXAS_CMD_MAP_ALLOC),
		_IOW(AXAS_TYPE, AXAS_CMD_MAP_ALLOC, struct axas_map_alloc),
		_IOWR(AXAS_TYPE, AXAS_CMD_TRANSLATE, struct axas_translate),
		_IOR(AXAS_TYPE, AXAS_CMD_GET_STATS, struct axas_get_stats),
		_IO(AXAS_TYPE, AXAS_CMD_MAP_ALLOC) | (8 << _IOC_SIZESHIFT),
		FIONREAD,
		0,
	};
	size_t i;

	*(uint32_t *)buf = 128;
	for (i = 0; i < ARRAY_SIZE(dev_only); i++) {
		EXPECT_EQ(-ENOTTY, ax(self->fd, dev_only[i], buf))
			TH_LOG("cmd %#lx on an AS fd", dev_only[i]);
	}
	for (i = 0; i < ARRAY_SIZE(as_only); i++) {
		EXPECT_EQ(-ENOTTY, ax(self->dev, as_only[i], buf))
			TH_LOG("cmd %#lx on /dev/axas", as_only[i]);
	}
	for (i = 0; i < ARRAY_SIZE(neither); i++) {
		EXPECT_EQ(-ENOTTY, ax(self->fd, neither[i], buf))
			TH_LOG("cmd %#lx on an AS fd", neither[i]);
		EXPECT_EQ(-ENOTTY, ax(self->dev, neither[i], buf))
			TH_LOG("cmd %#lx on /dev/axas", neither[i]);
	}
}

/* A bad AXAS_CREATE: its errno, and no fd, no table left behind. */
TEST_F(axas_as, create_bad)
{
	uint64_t top = self->top;
	struct {
		uint32_t format, gpa_bits, flags, reserved;
		uint64_t base, length;
		int err;
	} bad[] = {
		{ .format = 7, .err = EINVAL },
		{ .format = ~0U, .err = EINVAL },
		{ .format = variant->format, .flags = 1, .err = EOPNOTSUPP },
		{ .format = variant->format, .flags = 1U << 31,
		  .err = EOPNOTSUPP },
		{ .format = variant->format, .reserved = 1, .err = EINVAL },
		{ .format = variant->format, .gpa_bits =
		  variant->format == AXAS_FORMAT_ARM64_S2 ? 49 :
		  variant->width + 1, .err = EINVAL },
		{ .format = variant->format, .gpa_bits = 64, .err = EINVAL },
		{ .format = variant->format, .gpa_bits = 12, .err = EINVAL },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .base = 0x800, .err = EINVAL },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .length = SZ_4K + 1, .err = EINVAL },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .base = top, .err = ERANGE },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .base = ~0xfffULL, .err = ERANGE },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .base = top - SZ_4K, .length = 2 * SZ_4K, .err = ERANGE },
		{ .format = variant->format, .gpa_bits = variant->gpa_bits,
		  .base = SZ_4K, .length = ~0xfffULL, .err = ERANGE },
	};
	long tables = sec_page_tables_start();
	int want_fd = lowest_free_fd();
	size_t i;

	if (variant->format == AXAS_FORMAT_ARM64_S2) {
		/* arm64 takes 32..48 bits, nothing else. */
		EXPECT_EQ(-EINVAL, as_create(self->dev, variant->format, 31, 0,
					     0, 0));
		EXPECT_EQ(-EINVAL, as_create(self->dev, variant->format, 49, 0,
					     0, 0));
	} else {
		/* Everyone else: the format's one width. */
		EXPECT_EQ(-EINVAL, as_create(self->dev, variant->format,
					     variant->width - 1, 0, 0, 0));
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct axas_create c = {
			.size = sizeof(c), .flags = bad[i].flags,
			.format = bad[i].format, .gpa_bits = bad[i].gpa_bits,
			.base = bad[i].base, .length = bad[i].length,
			.__reserved = bad[i].reserved, .out_fd = ~0U,
		};

		EXPECT_EQ(-bad[i].err, ax(self->dev, AXAS_CREATE, &c))
			TH_LOG("case %zu", i);
		EXPECT_EQ(~0U, c.out_fd) TH_LOG("case %zu wrote back", i);
	}
	EXPECT_EQ(want_fd, lowest_free_fd());
	EXPECT_EQ(tables, sec_page_tables_settle(tables));
}

/* A call that must fail with @err and change nothing. */
struct bad_call {
	const char *what;
	unsigned long cmd;
	union {
		struct axas_map_linear lin;
		struct axas_map_alloc alloc;
		struct axas_unmap um;
		struct axas_protect prot;
		struct axas_fault flt;
		struct axas_translate tr;
		struct axas_rw rw;
	} u;
	int err;
};

#define BAD(_what, _cmd, _err, ...)					\
	{ .what = _what, .cmd = _cmd, .err = _err, .u = { __VA_ARGS__ } }
#define LIN(...)	.lin = { .size = sizeof(struct axas_map_linear),	\
				 .prot = RW, .memtype = AXAS_MEM_DEVICE,	\
				 .hpa = LINEAR_HPA, __VA_ARGS__ }
#define ALLOC(...)	.alloc = { .size = sizeof(struct axas_map_alloc),	\
				   .prot = RW, __VA_ARGS__ }
#define UNMAP(...)	.um = { .size = sizeof(struct axas_unmap), __VA_ARGS__ }
#define PROT(...)	.prot = { .size = sizeof(struct axas_protect),	\
				  .prot = RO, __VA_ARGS__ }
#define FLT(...)	.flt = { .size = sizeof(struct axas_fault),	\
				 .access = RO, __VA_ARGS__ }
#define TR(...)		.tr = { .size = sizeof(struct axas_translate),	\
				__VA_ARGS__ }
#define RWS(...)	.rw = { .size = sizeof(struct axas_rw), __VA_ARGS__ }

static void run_bad_calls(struct __test_metadata *_metadata, int fd,
			  struct bad_call *calls, size_t nr,
			  const uint64_t *probes, int nr_probes)
{
	struct snap before;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (calls[i].cmd == AXAS_MAP_LINEAR && !is_root())
			continue;
		snap_take(fd, probes, nr_probes, &before);
		EXPECT_EQ(-calls[i].err, ax(fd, calls[i].cmd, &calls[i].u))
			TH_LOG("%s", calls[i].what);
		EXPECT_UNCHANGED(fd, probes, nr_probes, &before, true,
				 calls[i].what);
	}
}

/*
 * Every bad input: the documented errno, and the address space exactly
 * as it was. Regions: A = populated RW [G0, +64K), B = lazy RW
 * [G0 + 2M, +2M) HUGE with its first 2 MiB block faulted, C = lazy RO
 * [G0 + 8M, +64K), D = linear device at G0 + 16M (root only).
 */
TEST_F(axas_as, bad_input_changes_nothing)
{
	const uint64_t A = G0, B = G0 + SZ_2M, C = G0 + 4 * SZ_2M,
		       D = G0 + 8 * SZ_2M, T = self->top;
	const uint64_t probes[] = { A, A + SZ_64K - SZ_4K, A + SZ_64K, B,
				    B + SZ_2M - SZ_4K, C, D, D + SZ_2M,
				    A - SZ_4K, G0 + 16 * SZ_2M };
	uint8_t *gbuf = guarded_alloc(2 * SZ_4K);
	uint8_t *gbig = guarded_alloc(SZ_64K + SZ_4K);
	void *hole = unmapped_addr();
	uint8_t data[2 * SZ_4K];
	uintptr_t buf = (uintptr_t)data;
	struct bad_call calls[] = {
		/* MAP_ALLOC */
		BAD("alloc misaligned gpa", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M + 0x800, .length = SZ_4K)),
		BAD("alloc misaligned length", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K + 8)),
		BAD("alloc zero length", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = 0)),
		BAD("alloc zero length + populate", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = 0,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc wrapping", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = ~0xfffULL, .length = 2 * SZ_4K)),
		BAD("alloc wrapping 2", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0, .length = ~0xfffULL)),
		BAD("alloc beyond width", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = T, .length = SZ_4K)),
		BAD("alloc across the top", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = T - SZ_4K, .length = 2 * SZ_4K,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc far beyond", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = 1ULL << 63, .length = SZ_4K)),
		BAD("alloc over A", AXAS_MAP_ALLOC, EEXIST,
		    ALLOC(.gpa = A, .length = SZ_4K)),
		BAD("alloc overlapping A's end", AXAS_MAP_ALLOC, EEXIST,
		    ALLOC(.gpa = A + SZ_64K - SZ_4K, .length = 2 * SZ_4K,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc covering B", AXAS_MAP_ALLOC, EEXIST,
		    ALLOC(.gpa = G0 + SZ_64K, .length = 4 * SZ_2M,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc inside C", AXAS_MAP_ALLOC, EEXIST,
		    ALLOC(.gpa = C + SZ_4K, .length = SZ_4K)),
		BAD("alloc prot 0", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K, .prot = 0)),
		BAD("alloc prot 8", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K, .prot = 9)),
		BAD("alloc write-only", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			  .prot = AXAS_PROT_WRITE,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc reserved", AXAS_MAP_ALLOC, EINVAL,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			  .__reserved = 1)),
		BAD("alloc unknown flag", AXAS_MAP_ALLOC, EOPNOTSUPP,
		    ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			  .flags = 4)),
		/* MAP_LINEAR */
		BAD("linear misaligned hpa", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			.hpa = LINEAR_HPA + 0x10)),
		BAD("linear misaligned gpa", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M + 1, .length = SZ_4K)),
		BAD("linear misaligned length", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = 0x1800)),
		BAD("linear zero length", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = 0)),
		BAD("linear wrapping hpa", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = 2 * SZ_4K,
			.hpa = ~0xfffULL)),
		BAD("linear wrapping gpa", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = ~0xfffULL, .length = 2 * SZ_4K)),
		BAD("linear beyond width", AXAS_MAP_LINEAR, ERANGE,
		    LIN(.gpa = T, .length = SZ_2M)),
		BAD("linear across the top", AXAS_MAP_LINEAR, ERANGE,
		    LIN(.gpa = T - SZ_2M, .length = 2 * SZ_2M)),
		BAD("linear hpa beyond every format", AXAS_MAP_LINEAR, ERANGE,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			.hpa = 1ULL << 56)),
		BAD("linear hpa far beyond", AXAS_MAP_LINEAR, ERANGE,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_2M,
			.hpa = 1ULL << 62)),
		BAD("linear over D", AXAS_MAP_LINEAR, EEXIST,
		    LIN(.gpa = D + SZ_4K, .length = SZ_4K)),
		BAD("linear over A", AXAS_MAP_LINEAR, EEXIST,
		    LIN(.gpa = A - SZ_4K, .length = 2 * SZ_4K)),
		BAD("linear memtype 2", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K, .memtype = 2)),
		BAD("linear memtype ~0", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			.memtype = ~0U)),
		BAD("linear prot 0", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K, .prot = 0)),
		BAD("linear write-only", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
			.prot = AXAS_PROT_WRITE)),
		BAD("linear unknown flag", AXAS_MAP_LINEAR, EOPNOTSUPP,
		    LIN(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K, .flags = 1)),
		/* UNMAP */
		BAD("unmap misaligned", AXAS_UNMAP, EINVAL,
		    UNMAP(.gpa = A + 8, .length = SZ_4K)),
		BAD("unmap misaligned length", AXAS_UNMAP, EINVAL,
		    UNMAP(.gpa = A, .length = 100)),
		BAD("unmap zero length", AXAS_UNMAP, EINVAL,
		    UNMAP(.gpa = A, .length = 0)),
		BAD("unmap wrapping", AXAS_UNMAP, EINVAL,
		    UNMAP(.gpa = A, .length = ~0xfffULL)),
		BAD("unmap beyond width", AXAS_UNMAP, ERANGE,
		    UNMAP(.gpa = T, .length = SZ_4K)),
		BAD("unmap across the top", AXAS_UNMAP, ERANGE,
		    UNMAP(.gpa = T - SZ_4K, .length = 2 * SZ_4K)),
		BAD("unmap a gap", AXAS_UNMAP, ENOENT,
		    UNMAP(.gpa = A + SZ_64K, .length = SZ_64K)),
		BAD("unmap below A", AXAS_UNMAP, ENOENT,
		    UNMAP(.gpa = 0, .length = A)),
		BAD("unmap unknown flag", AXAS_UNMAP, EOPNOTSUPP,
		    UNMAP(.gpa = A, .length = SZ_4K, .flags = 1)),
		/* PROTECT */
		BAD("protect misaligned", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = A + 1, .length = SZ_4K)),
		BAD("protect zero length", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = A, .length = 0)),
		BAD("protect wrapping", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = ~0xfffULL, .length = SZ_2M)),
		BAD("protect beyond width", AXAS_PROTECT, ERANGE,
		    PROT(.gpa = T, .length = SZ_4K)),
		BAD("protect a gap", AXAS_PROTECT, ENOENT,
		    PROT(.gpa = A + SZ_64K, .length = SZ_4K)),
		BAD("protect A and the gap after", AXAS_PROTECT, ENOENT,
		    PROT(.gpa = A + SZ_4K, .length = SZ_64K)),
		BAD("protect the gap before B and B", AXAS_PROTECT, ENOENT,
		    PROT(.gpa = B - SZ_4K, .length = 2 * SZ_4K)),
		BAD("protect prot 0", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = B + SZ_4K, .length = SZ_4K, .prot = 0)),
		BAD("protect prot 16", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = B + SZ_4K, .length = SZ_4K, .prot = 17)),
		BAD("protect write-only", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = B + SZ_4K, .length = SZ_4K,
			 .prot = AXAS_PROT_WRITE)),
		BAD("protect reserved", AXAS_PROTECT, EINVAL,
		    PROT(.gpa = B + SZ_4K, .length = SZ_4K, .__reserved = 2)),
		/* HANDLE_FAULT */
		BAD("fault access 0", AXAS_HANDLE_FAULT, EINVAL,
		    FLT(.gpa = B + 3 * SZ_2M / 2, .access = 0)),
		BAD("fault access 8", AXAS_HANDLE_FAULT, EINVAL,
		    FLT(.gpa = B + 3 * SZ_2M / 2, .access = 8 | RO)),
		BAD("fault beyond width", AXAS_HANDLE_FAULT, ERANGE,
		    FLT(.gpa = T)),
		BAD("fault far beyond", AXAS_HANDLE_FAULT, ERANGE,
		    FLT(.gpa = ~0ULL)),
		BAD("fault unknown flag", AXAS_HANDLE_FAULT, EOPNOTSUPP,
		    FLT(.gpa = B + 3 * SZ_2M / 2, .flags = 1)),
		/* TRANSLATE */
		BAD("translate beyond width", AXAS_TRANSLATE, ERANGE,
		    TR(.gpa = T)),
		BAD("translate a gap", AXAS_TRANSLATE, ENOENT,
		    TR(.gpa = A + SZ_64K)),
		BAD("translate never faulted", AXAS_TRANSLATE, ENOENT,
		    TR(.gpa = B + SZ_2M)),
		BAD("translate unknown flag", AXAS_TRANSLATE, EOPNOTSUPP,
		    TR(.gpa = A, .flags = 2)),
		/* READ and WRITE */
		BAD("read zero length", AXAS_READ, EINVAL,
		    RWS(.gpa = A, .length = 0, .buf = buf)),
		BAD("write wrapping", AXAS_WRITE, EINVAL,
		    RWS(.gpa = ~0ULL - 8, .length = 16, .buf = buf)),
		BAD("read beyond width", AXAS_READ, ERANGE,
		    RWS(.gpa = T, .length = 16, .buf = buf)),
		BAD("write across the top", AXAS_WRITE, ERANGE,
		    RWS(.gpa = T - 8, .length = 16, .buf = buf,
			.flags = AXAS_RW_FAULT_IN)),
		BAD("read a gap", AXAS_READ, ENOENT,
		    RWS(.gpa = A + SZ_64K, .length = 16, .buf = buf)),
		BAD("read A into the gap", AXAS_READ, ENOENT,
		    RWS(.gpa = A + SZ_64K - 8, .length = 16, .buf = buf,
			.flags = AXAS_RW_FAULT_IN)),
		BAD("write B's block into its lazy rest", AXAS_WRITE, ENOENT,
		    RWS(.gpa = B + SZ_2M - 8, .length = 16, .buf = buf)),
		BAD("write gap then B, fault-in", AXAS_WRITE, ENOENT,
		    RWS(.gpa = B - 8, .length = 16, .buf = buf,
			.flags = AXAS_RW_FAULT_IN)),
		BAD("write read-only C", AXAS_WRITE, EACCES,
		    RWS(.gpa = C, .length = 16, .buf = buf,
			.flags = AXAS_RW_FAULT_IN)),
		BAD("write C's end", AXAS_WRITE, EACCES,
		    RWS(.gpa = C + SZ_64K - 8, .length = 8, .buf = buf)),
		BAD("read device D", AXAS_READ, EOPNOTSUPP,
		    RWS(.gpa = D, .length = 16, .buf = buf)),
		BAD("rw unknown flag", AXAS_READ, EOPNOTSUPP,
		    RWS(.gpa = A, .length = 16, .buf = buf, .flags = 2)),
		BAD("read into NULL", AXAS_READ, EFAULT,
		    RWS(.gpa = A, .length = 16, .buf = 0)),
		BAD("write from NULL", AXAS_WRITE, EFAULT,
		    RWS(.gpa = A, .length = 16, .buf = 0)),
		BAD("read into a hole", AXAS_READ, EFAULT,
		    RWS(.gpa = A, .length = 16, .buf = (uintptr_t)hole)),
		BAD("write from a hole", AXAS_WRITE, EFAULT,
		    RWS(.gpa = A, .length = 16, .buf = (uintptr_t)hole)),
		BAD("write from a hole, fault-in", AXAS_WRITE, EFAULT,
		    RWS(.gpa = B + SZ_2M, .length = 16,
			.buf = (uintptr_t)hole, .flags = AXAS_RW_FAULT_IN)),
		BAD("read into a hole, fault-in", AXAS_READ, EFAULT,
		    RWS(.gpa = B + SZ_2M, .length = 16,
			.buf = (uintptr_t)hole, .flags = AXAS_RW_FAULT_IN)),
		BAD("read past the buffer's end", AXAS_READ, EFAULT,
		    RWS(.gpa = A, .length = 3 * SZ_4K, .buf = (uintptr_t)gbuf)),
		BAD("read past the buffer's end, fault-in", AXAS_READ, EFAULT,
		    RWS(.gpa = B + SZ_2M, .length = 3 * SZ_4K,
			.buf = (uintptr_t)gbuf, .flags = AXAS_RW_FAULT_IN)),
		/* Past the kernel's 64 KiB chunk: the first chunk is fine. */
		BAD("write past the buffer's end", AXAS_WRITE, EFAULT,
		    RWS(.gpa = B, .length = 2 * SZ_64K,
			.buf = (uintptr_t)gbig)),
		BAD("write past the buffer's end, fault-in", AXAS_WRITE, EFAULT,
		    RWS(.gpa = B + SZ_2M, .length = 2 * SZ_64K,
			.buf = (uintptr_t)gbig, .flags = AXAS_RW_FAULT_IN)),
		BAD("read past the buffer's end, 2 chunks, fault-in", AXAS_READ,
		    EFAULT, RWS(.gpa = B + SZ_2M + SZ_64K, .length = 2 * SZ_64K,
				.buf = (uintptr_t)gbig,
				.flags = AXAS_RW_FAULT_IN)),
		BAD("write from a kernel address", AXAS_WRITE, EFAULT,
		    RWS(.gpa = A, .length = 16, .buf = ~0xfffULL)),
		BAD("read a huge length", AXAS_READ, EFAULT,
		    RWS(.gpa = 0, .length = 1ULL << 62, .buf = buf)),
	};
	uint8_t in[SZ_4K], out[SZ_4K], *zeros = calloc(1, SZ_2M);
	size_t i;

	ASSERT_NE(NULL, zeros);
	ASSERT_NE(NULL, gbuf);
	ASSERT_NE(NULL, gbig);
	ASSERT_EQ(0, map_alloc(self->fd, A, SZ_64K, RW, AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, map_alloc(self->fd, B, 2 * SZ_2M, RW, AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(AXAS_FAULT_MAPPED, fault(self->fd, B + 5, RW));
	/* Whether or not that got a 2 MiB frame: B's first 2 MiB mapped. */
	ASSERT_EQ(0, guest_rw(self->fd, true, B, zeros, SZ_2M,
			      AXAS_RW_FAULT_IN));
	ASSERT_EQ(0, map_alloc(self->fd, C, SZ_64K, RO, 0));
	if (is_root()) {
		ASSERT_EQ(0, map_linear(self->fd, D, SZ_2M + SZ_4K, LINEAR_HPA,
					RW, AXAS_MEM_DEVICE));
	}
	fill_pattern(in, sizeof(in), A + SZ_64K - SZ_4K, 7);
	ASSERT_EQ(0, guest_rw(self->fd, true, A + SZ_64K - SZ_4K, in,
			      sizeof(in), 0));
	fill_pattern(in, sizeof(in), B + SZ_2M - SZ_4K, 7);
	ASSERT_EQ(0, guest_rw(self->fd, true, B + SZ_2M - SZ_4K, in,
			      sizeof(in), 0));
	memset(data, 0x5a, sizeof(data));
	memset(gbig, 0x5a, SZ_64K + SZ_4K);

	run_bad_calls(_metadata, self->fd, calls, ARRAY_SIZE(calls), probes,
		      ARRAY_SIZE(probes));

	/* The data is intact, and no failed write wrote part of itself. */
	ASSERT_EQ(0, guest_rw(self->fd, false, A + SZ_64K - SZ_4K, out,
			      sizeof(out), 0));
	EXPECT_EQ(-1, check_pattern(out, sizeof(out), A + SZ_64K - SZ_4K, 7));
	ASSERT_EQ(0, guest_rw(self->fd, false, B + SZ_2M - SZ_4K, out,
			      sizeof(out), 0));
	EXPECT_EQ(-1, check_pattern(out, sizeof(out), B + SZ_2M - SZ_4K, 7));
	ASSERT_EQ(0, guest_rw(self->fd, false, C, out, sizeof(out), 0));
	EXPECT_TRUE(is_zero(out, sizeof(out)));
	/* B's block was zero and was never written. */
	for (i = 0; i < 2 * SZ_64K; i += sizeof(out)) {
		ASSERT_EQ(0, guest_rw(self->fd, false, B + i, out, sizeof(out),
				      0));
		EXPECT_TRUE(is_zero(out, sizeof(out))) TH_LOG("B + %#zx", i);
	}
	free(zeros);
}

/* A window smaller than the width: outside it is ERANGE for regions. */
TEST_F(axas_as, window)
{
	const uint64_t base = G0, len = 8 * SZ_2M;
	const uint64_t probes[] = { base, base + len - SZ_4K };
	uint8_t buf[16];
	struct bad_call calls[] = {
		BAD("alloc below the window", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = base - SZ_4K, .length = SZ_4K)),
		BAD("alloc across the start", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = base - SZ_4K, .length = 2 * SZ_4K,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc across the end", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = base + len - SZ_4K, .length = 2 * SZ_4K,
			  .flags = AXAS_MAP_ALLOC_POPULATE)),
		BAD("alloc past the end", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = base + len, .length = SZ_4K)),
		BAD("alloc at 0", AXAS_MAP_ALLOC, ERANGE,
		    ALLOC(.gpa = 0, .length = SZ_4K)),
		BAD("linear past the end", AXAS_MAP_LINEAR, ERANGE,
		    LIN(.gpa = base + len, .length = SZ_2M)),
		BAD("linear over the whole window and more", AXAS_MAP_LINEAR,
		    ERANGE, LIN(.gpa = base, .length = len + SZ_4K)),
		BAD("unmap past the end", AXAS_UNMAP, ERANGE,
		    UNMAP(.gpa = base + len - SZ_4K, .length = 2 * SZ_4K)),
		BAD("protect below", AXAS_PROTECT, ERANGE,
		    PROT(.gpa = 0, .length = base + SZ_4K)),
		BAD("translate outside: nothing there", AXAS_TRANSLATE, ENOENT,
		    TR(.gpa = base - SZ_4K)),
		BAD("read outside", AXAS_READ, ENOENT,
		    RWS(.gpa = base + len, .length = 16, .buf = (uintptr_t)buf)),
	};
	int fd;

	fd = as_create(self->dev, variant->format, variant->gpa_bits, base,
		       len, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_alloc(fd, base, SZ_4K, RW, AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, map_alloc(fd, base + len - SZ_4K, SZ_4K, RW, 0));
	run_bad_calls(_metadata, fd, calls, ARRAY_SIZE(calls), probes,
		      ARRAY_SIZE(probes));
	EXPECT_EQ(AXAS_FAULT_NOT_MAPPED, fault(fd, base + len, RO));
	EXPECT_EQ(AXAS_FAULT_MAPPED, fault(fd, base + len - 1, RO));
	/* The whole window works, and 0-length means "to the width". */
	ASSERT_EQ(0, unmap(fd, base, len));
	ASSERT_EQ(0, map_alloc(fd, base, len, RO, 0));
	close(fd);
	fd = as_create(self->dev, variant->format, variant->gpa_bits, base, 0,
		       0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, map_alloc(fd, self->top - SZ_4K, SZ_4K, RW, 0));
	EXPECT_EQ(-ERANGE, map_alloc(fd, base - SZ_4K, SZ_4K, RW, 0));
	close(fd);
}

/* The child's own capabilities; @keep is a mask of CAP_* bits. */
static int drop_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (!(keep & (1ULL << cap)))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= keep;
	data[0].permitted &= keep;
	data[0].inheritable = 0;
	data[1].effective &= keep >> 32;
	data[1].permitted &= keep >> 32;
	data[1].inheritable = 0;
	return syscall(SYS_capset, &hdr, data);
}

#define CHILD_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "# child: line %d: %s (%s)\n",	\
				__LINE__, #cond, strerror(errno));	\
			_exit(1);					\
		}							\
	} while (0)

/* Without CAP_SYS_RAWIO no linear maps; without CAP_SYS_ADMIN no HPAs. */
TEST_F(axas_as, capabilities)
{
	int status;
	pid_t pid;

	if (!is_root())
		SKIP(return, "needs root to drop capabilities");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct axas_as_info info;
		uint64_t hpa, len;
		int dev, fd;

		/* Keep CAP_SYS_RAWIO first: HPAs hidden, linear allowed. */
		CHILD_CHECK(drop_caps(1ULL << CAP_SYS_RAWIO |
				      1ULL << CAP_DAC_OVERRIDE) == 0);
		dev = open(AXAS_DEV, O_RDWR);
		CHILD_CHECK(dev >= 0);
		fd = as_create(dev, variant->format, variant->gpa_bits, 0, 0, 0);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(as_info(fd, &info) == 0);
		CHILD_CHECK(info.out_root_pa == 0 && info.out_eptp == 0 &&
			    info.out_vttbr == 0 && info.out_hgatp == 0);
		CHILD_CHECK(info.out_levels == variant->levels);
		CHILD_CHECK(map_linear(fd, G0, SZ_2M, LINEAR_HPA, RW,
				       AXAS_MEM_DEVICE) == 0);
		CHILD_CHECK(translate(fd, G0 + 0x10, &hpa, &len) == 0);
		CHILD_CHECK(hpa == 0 && len == SZ_2M - 0x10);
		CHILD_CHECK(map_alloc(fd, G0 + SZ_2M, SZ_4K, RW,
				      AXAS_MAP_ALLOC_POPULATE) == 0);
		CHILD_CHECK(translate(fd, G0 + SZ_2M, &hpa, &len) == 0);
		CHILD_CHECK(hpa == 0 && len == SZ_4K);

		/* Now nothing: no linear maps, the rest works. */
		CHILD_CHECK(drop_caps(0) == 0);
		CHILD_CHECK(map_linear(fd, G0 + 4 * SZ_2M, SZ_4K, LINEAR_HPA,
				       RW, AXAS_MEM_DEVICE) == -EPERM);
		/* EPERM before the range is looked at. */
		CHILD_CHECK(map_linear(fd, G0, SZ_4K, LINEAR_HPA, RW,
				       AXAS_MEM_DEVICE) == -EPERM);
		CHILD_CHECK(translate(fd, G0 + 4 * SZ_2M, NULL, NULL) ==
			    -ENOENT);
		close(fd);
		fd = as_create(dev, variant->format, variant->gpa_bits, 0, 0, 0);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(as_info(fd, &info) == 0 && info.out_root_pa == 0);
		CHILD_CHECK(map_linear(fd, G0, SZ_4K, LINEAR_HPA, RW,
				       AXAS_MEM_DEVICE) == -EPERM);
		CHILD_CHECK(map_alloc(fd, G0, SZ_4K, RW, 0) == 0);
		CHILD_CHECK(fault(fd, G0, RW) == AXAS_FAULT_MAPPED);
		CHILD_CHECK(translate(fd, G0, &hpa, &len) == 0);
		CHILD_CHECK(hpa == 0 && len == SZ_4K);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* An AS fd works only in the process that created it. */
TEST_F(axas_as, other_mm)
{
	const unsigned long cmds[] = {
		AXAS_AS_INFO, AXAS_MAP_LINEAR, AXAS_MAP_ALLOC, AXAS_UNMAP,
		AXAS_PROTECT, AXAS_HANDLE_FAULT, AXAS_TRANSLATE, AXAS_READ,
		AXAS_WRITE, AXAS_GET_STATS, _IO(AXAS_TYPE, 0xff),
	};
	const uint64_t probes[] = { G0, G0 + SZ_4K };
	struct snap before;
	int status;
	pid_t pid;

	ASSERT_EQ(0, map_alloc(self->fd, G0, 2 * SZ_4K, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	snap_take(self->fd, probes, 2, &before);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t buf[64];
		union {
			struct axas_map_alloc alloc;
			struct axas_rw rw;
			struct axas_as_info info;
			struct axas_get_stats st;
		} u;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(cmds); i++) {
			/* A valid-looking struct, a NULL one: always EIO. */
			memset(&u, 0, sizeof(u));
			u.rw.size = sizeof(u.rw);
			u.rw.gpa = G0;
			u.rw.length = 8;
			u.rw.buf = (uintptr_t)buf;
			CHILD_CHECK(ax(self->fd, cmds[i], &u) == -EIO);
			CHILD_CHECK(ax(self->fd, cmds[i], NULL) == -EIO);
		}
		/* The dev fd has no owner. */
		CHILD_CHECK(as_create(self->dev, variant->format,
				      variant->gpa_bits, 0, 0, 0) >= 0);
		/* Closing the child's copy destroys nothing. */
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_UNCHANGED(self->fd, probes, 2, &before, true, "the child");
	EXPECT_EQ(AXAS_FAULT_SPURIOUS, fault(self->fd, G0, RW));
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

static void *read_file(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
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
	if (access(path, R_OK))
		SKIP(return, "no %s (debugfs?)", path);

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

/*
 * fail-nth: fail the Nth fault-injection point of one call, for N = 1, 2,
 * ... until the call gets through without reaching N. Every failure must
 * be ENOMEM and leave the address space as it was.
 */
static bool fault_injection_ready(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/verbose", "0" },
	};
	char path[128];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	if (access(path, W_OK))
		return false;
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s",
			 knobs[i][0]);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, knobs[i][1], strlen(knobs[i][1])) < 0)
			fprintf(stderr, "# %s: %s\n", path, strerror(errno));
		close(fd);
	}
	return true;
}

static int fail_nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static void fail_nth_set(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* What is left of N, and switch injection off. 0: it was consumed. */
static unsigned int fail_nth_clear(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (pwrite(fd, "0", 1, 0) != 1)
		abort();
	return n > 0 ? strtoul(buf, NULL, 10) : 0;
}

struct fn_ctx {
	int dev, fd, new_fd;
	uint32_t format, gpa_bits;
	uint8_t buf[3 * SZ_4K];
};

struct fn_case {
	const char *name;
	int (*prep)(struct fn_ctx *c);
	int (*op)(struct fn_ctx *c);
	bool root;
	/*
	 * A fault-in read or write: an -ENOMEM may leave zeroed frames
	 * faulted in, but must copy nothing into [gpa, gpa + len).
	 */
	uint64_t gpa, len;
};

static int fn_none(struct fn_ctx *c)
{
	return 0;
}

static int fn_prep_huge(struct fn_ctx *c)
{
	return map_alloc(c->fd, G0 + SZ_2M, SZ_2M, RW,
			 AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE);
}

static int fn_prep_lazy(struct fn_ctx *c)
{
	return map_alloc(c->fd, G0 + SZ_2M, SZ_2M, RW, AXAS_MAP_ALLOC_HUGE) ?:
	       map_alloc(c->fd, G0 + SZ_2M - 2 * SZ_4K, 2 * SZ_4K, RW, 0) ?:
	       map_alloc(c->fd, G0 + 2 * SZ_2M, 2 * SZ_4K, RW, 0);
}

static int fn_create(struct fn_ctx *c)
{
	int fd = as_create(c->dev, c->format, c->gpa_bits, 0, 0, 0);

	if (fd < 0)
		return fd;
	c->new_fd = fd;
	return 0;
}

static int fn_populate(struct fn_ctx *c)
{
	return map_alloc(c->fd, G0 + SZ_2M - 2 * SZ_4K, 4 * SZ_4K, RW,
			 AXAS_MAP_ALLOC_POPULATE);
}

static int fn_populate_huge(struct fn_ctx *c)
{
	return map_alloc(c->fd, G0 + 2 * SZ_2M, SZ_2M + 2 * SZ_4K, RW,
			 AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE);
}

static int fn_linear(struct fn_ctx *c)
{
	/* 4 KiB, a 2 MiB block, 4 KiB: three levels of tables. */
	return map_linear(c->fd, G0 + 4 * SZ_2M - SZ_4K, SZ_2M + 2 * SZ_4K,
			  LINEAR_HPA - SZ_4K, RW, AXAS_MEM_DEVICE);
}

static int fn_unmap_split(struct fn_ctx *c)
{
	return unmap(c->fd, G0 + SZ_2M + 8 * SZ_4K, SZ_4K);
}

static int fn_protect_split(struct fn_ctx *c)
{
	return protect(c->fd, G0 + SZ_2M + 8 * SZ_4K, 2 * SZ_4K, RO);
}

static int fn_fault_huge(struct fn_ctx *c)
{
	int ret = fault(c->fd, G0 + SZ_2M + 5, RW);

	return ret < 0 ? ret : 0;
}

static int fn_fault_small(struct fn_ctx *c)
{
	int ret = fault(c->fd, G0 + 2 * SZ_2M + SZ_4K, RW);

	return ret < 0 ? ret : 0;
}

static int fn_write_fault_in(struct fn_ctx *c)
{
	/* The last page of one region, into the next one's first block. */
	return guest_rw(c->fd, true, G0 + SZ_2M - SZ_4K + 100, c->buf,
			2 * SZ_4K, AXAS_RW_FAULT_IN);
}

static int fn_write_fault_in_small(struct fn_ctx *c)
{
	/* Two 4 KiB frames of one lazy region. */
	return guest_rw(c->fd, true, G0 + 2 * SZ_2M + 100, c->buf, SZ_4K,
			AXAS_RW_FAULT_IN);
}

static const struct fn_case fn_cases[] = {
	{ "create", fn_none, fn_create },
	{ "map_alloc populate", fn_none, fn_populate },
	{ "map_alloc populate huge", fn_none, fn_populate_huge },
	{ "map_linear", fn_none, fn_linear, true },
	{ "unmap splitting a block", fn_prep_huge, fn_unmap_split },
	{ "protect splitting a block", fn_prep_huge, fn_protect_split },
	{ "fault 2M", fn_prep_lazy, fn_fault_huge },
	{ "fault 4K", fn_prep_lazy, fn_fault_small },
	{ "write fault-in", fn_prep_lazy, fn_write_fault_in, false,
	  G0 + SZ_2M - SZ_4K + 100, 2 * SZ_4K },
	{ "write fault-in, 4K frames", fn_prep_lazy, fn_write_fault_in_small,
	  false, G0 + 2 * SZ_2M + 100, SZ_4K },
};

/* 0 when guest memory in [gpa, gpa + len) still reads as zeroes. */
static int nothing_written(int fd, uint64_t gpa, uint64_t len)
{
	static uint8_t back[4 * SZ_4K];
	uint64_t i;

	if (len > sizeof(back) || guest_rw(fd, false, gpa, back, len, 0))
		return -1;
	for (i = 0; i < len; i++)
		if (back[i])
			return -1;
	return 0;
}

TEST_F_TIMEOUT(axas_as, fail_nth, 120)
{
	const uint64_t probes[] = {
		G0, G0 + SZ_2M - 2 * SZ_4K, G0 + SZ_2M - SZ_4K, G0 + SZ_2M,
		G0 + SZ_2M + 8 * SZ_4K, G0 + SZ_2M + 9 * SZ_4K, G0 + 2 * SZ_2M,
		G0 + 2 * SZ_2M + SZ_4K, G0 + 3 * SZ_2M, G0 + 4 * SZ_2M,
	};
	struct fn_ctx c = { .dev = self->dev, .format = variant->format,
			    .gpa_bits = variant->gpa_bits };
	long tables = sec_page_tables_start();
	unsigned int n, left, total = 0;
	struct snap before;
	int nfd, want_fd, ret;
	size_t i;

	if (!heavy(variant))
		SKIP(return, "swept on the native format and EPT5 only; AXAS_TEST_FULL=1 for all");
	if (!fault_injection_ready())
		SKIP(return, "no fault injection (fail-nth) in this kernel");
	nfd = fail_nth_open();
	ASSERT_LE(0, nfd);
	fill_pattern(c.buf, sizeof(c.buf), 0, 9);

	for (i = 0; i < ARRAY_SIZE(fn_cases); i++) {
		const struct fn_case *fc = &fn_cases[i];

		if (fc->root && !is_root())
			continue;
		c.fd = -1;
		for (n = 1; ; n++) {
			ASSERT_GT(5000, n) TH_LOG("%s: no end", fc->name);
			/* A failed call changed nothing: keep its AS. */
			if (c.fd < 0) {
				c.fd = as_create(self->dev, variant->format,
						 variant->gpa_bits, 0, 0, 0);
				ASSERT_LE(0, c.fd);
				ASSERT_EQ(0, fc->prep(&c))
					TH_LOG("%s: prep", fc->name);
			}
			c.new_fd = -1;
			snap_take(c.fd, probes, ARRAY_SIZE(probes), &before);
			want_fd = lowest_free_fd();

			fail_nth_set(nfd, n);
			ret = fc->op(&c);
			left = fail_nth_clear(nfd);

			if (ret) {
				EXPECT_EQ(-ENOMEM, ret)
					TH_LOG("%s: fail-nth %u: %s", fc->name,
					       n, strerror(-ret));
				EXPECT_EQ(0, left)
					TH_LOG("%s: fail-nth %u: failed without injection",
					       fc->name, n);
				/* The harness's EXPECT is a loop: brace it. */
				if (fc->len) {
					EXPECT_EQ(0, nothing_written(c.fd, fc->gpa,
								     fc->len))
						TH_LOG("%s: fail-nth %u: data copied",
						       fc->name, n);
				} else {
					EXPECT_UNCHANGED(c.fd, probes,
							 ARRAY_SIZE(probes),
							 &before, false,
							 fc->name);
				}
				EXPECT_EQ(want_fd, lowest_free_fd())
					TH_LOG("%s: fail-nth %u: fd leaked",
					       fc->name, n);
			}
			if (c.new_fd >= 0)
				close(c.new_fd);
			if (!ret || _metadata->exit_code == KSFT_FAIL) {
				close(c.fd);
				c.fd = -1;
			}
			if (!ret && left)
				break;
			if (_metadata->exit_code == KSFT_FAIL)
				break;
		}
		total += n - 1;
		if (_metadata->exit_code == KSFT_FAIL)
			break;
	}
	close(nfd);
	TH_LOG("%u injected failures", total);
	EXPECT_EQ(tables, sec_page_tables_settle(tables))
		TH_LOG("SecPageTables kB: a table page leaked");
}

/*
 * Stress: threads fault, write and check per-page patterns, translate,
 * map and unmap a region of their own, and create and close their own
 * address spaces, all at once; then the data must be intact.
 */
#define ST_PAGES	64
#define ST_A		G0			/* lazy HUGE, 4 MiB */
#define ST_A2		(G0 + 2 * SZ_2M)	/* lazy 4 KiB, 256 KiB */
#define ST_B		(G0 + 4 * SZ_2M)	/* mapped and unmapped */

struct stress {
	int dev, fd;
	uint32_t format, gpa_bits;
	uint64_t deadline;
	int failed;
	char msg[256];
	uint64_t seed[ST_PAGES];
	unsigned long ops[6];
};

struct stress_thread {
	struct stress *s;
	int id;
	pthread_t tid;
};

static void stress_fail(struct stress *s, int line, const char *what, int ret)
{
	if (__atomic_fetch_add(&s->failed, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(s->msg, sizeof(s->msg), "line %d: %s: %d", line, what,
			 ret);
}

#define ST_CHECK(s, cond, ret)						\
	do {								\
		if (!(cond))						\
			stress_fail(s, __LINE__, #cond, ret);		\
	} while (0)

/*
 * Run until the deadline, but at least a few rounds each: on a loaded
 * host a thread may not get a CPU before the deadline.
 */
static bool stress_go(struct stress *s, int id)
{
	return !__atomic_load_n(&s->failed, __ATOMIC_RELAXED) &&
	       (s->ops[id] < 4 || now_ns() < s->deadline);
}

static uint64_t st_page(int p)
{
	return ST_A + (uint64_t)p * 16 * SZ_4K;
}

static void *stress_writer(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	uint64_t buf[SZ_4K / 8], it = 0;
	int p, ret;

	/* At least once, however slow the machine. */
	do {
		it++;
		for (p = t->id; p < ST_PAGES; p += 2) {
			uint64_t seed = it << 8 | p;

			fill_pattern(buf, SZ_4K, st_page(p), seed);
			ret = guest_rw(s->fd, true, st_page(p), buf, SZ_4K,
				       AXAS_RW_FAULT_IN);
			ST_CHECK(s, ret == 0, ret);
			memset(buf, 0, SZ_4K);
			ret = guest_rw(s->fd, false, st_page(p), buf, SZ_4K, 0);
			ST_CHECK(s, ret == 0, ret);
			ST_CHECK(s, check_pattern(buf, SZ_4K, st_page(p),
						  seed) == -1, p);
			s->seed[p] = seed;
			ret = fault(s->fd, st_page(p) + 8, RW);
			ST_CHECK(s, ret == AXAS_FAULT_SPURIOUS, ret);
			s->ops[t->id]++;
		}
	} while (stress_go(s, t->id));
	return NULL;
}

static void *stress_faulter(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	unsigned int r = 1;
	uint64_t gpa, v;
	int ret;

	/* At least once, however slow the machine. */
	do {
		r = r * 1103515245 + 12345;
		gpa = ST_A2 + (r >> 8) % 64 * SZ_4K + (r & 0xff);
		ret = fault(s->fd, gpa, r & 1 ? RW : RO);
		ST_CHECK(s, ret == AXAS_FAULT_MAPPED || ret == AXAS_FAULT_SPURIOUS,
			 ret);
		v = 1;
		ret = guest_rw(s->fd, false, gpa & ~7ULL, &v, 8, 0);
		ST_CHECK(s, ret == 0 && v == 0, ret);
		s->ops[t->id]++;
	} while (stress_go(s, t->id));
	return NULL;
}

static void *stress_translator(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	struct axas_stats st;
	unsigned int r = 7;
	uint64_t gpa, hpa, len;
	int ret;

	/* At least once, however slow the machine. */
	do {
		r = r * 1103515245 + 12345;
		gpa = ST_A + (r >> 4) % (2 * SZ_2M);
		ret = translate(s->fd, gpa, &hpa, &len);
		ST_CHECK(s, ret == 0 || ret == -ENOENT, ret);
		ST_CHECK(s, ret || (len && len <= ST_A + 2 * SZ_2M - gpa), ret);
		ret = translate(s->fd, ST_B + (r & 0xffff), &hpa, &len);
		ST_CHECK(s, ret == 0 || ret == -ENOENT, ret);
		ST_CHECK(s, ret || (len && len <= SZ_64K), ret);
		ret = get_stats(s->fd, &st);
		ST_CHECK(s, ret == 0 && st.regions >= 2 && st.regions <= 4,
			 ret);
		s->ops[t->id]++;
	} while (stress_go(s, t->id));
	return NULL;
}

static void *stress_remapper(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	uint64_t buf[SZ_4K / 8], it = 0;
	int ret;

	/* At least once, however slow the machine. */
	do {
		it++;
		ret = map_alloc(s->fd, ST_B, SZ_64K, RW,
				it & 1 ? AXAS_MAP_ALLOC_POPULATE : 0);
		ST_CHECK(s, ret == 0, ret);
		fill_pattern(buf, SZ_4K, ST_B + SZ_4K, it);
		ret = guest_rw(s->fd, true, ST_B + SZ_4K, buf, SZ_4K,
			       AXAS_RW_FAULT_IN);
		ST_CHECK(s, ret == 0, ret);
		ret = protect(s->fd, ST_B, SZ_64K, RO);
		ST_CHECK(s, ret == 0, ret);
		ret = guest_rw(s->fd, true, ST_B + SZ_4K, buf, 8, 0);
		ST_CHECK(s, ret == -EACCES, ret);
		memset(buf, 0, sizeof(buf));
		ret = guest_rw(s->fd, false, ST_B + SZ_4K, buf, SZ_4K, 0);
		ST_CHECK(s, ret == 0, ret);
		ST_CHECK(s, check_pattern(buf, SZ_4K, ST_B + SZ_4K, it) == -1,
			 0);
		ret = unmap(s->fd, ST_B + SZ_4K, SZ_4K);
		ST_CHECK(s, ret == 0, ret);
		ret = unmap(s->fd, ST_B, SZ_64K);
		ST_CHECK(s, ret == 0, ret);
		s->ops[t->id]++;
	} while (stress_go(s, t->id));
	return NULL;
}

static void *stress_recreator(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	uint64_t buf[512], it = 0;
	int fd, ret;

	/* At least once, however slow the machine. */
	do {
		it++;
		fd = as_create(s->dev, s->format, s->gpa_bits, 0, 0, 0);
		ST_CHECK(s, fd >= 0, fd);
		if (fd < 0)
			break;
		ret = map_alloc(fd, G0, 4 * SZ_4K, RW,
				AXAS_MAP_ALLOC_POPULATE);
		ST_CHECK(s, ret == 0, ret);
		fill_pattern(buf, sizeof(buf), G0, it);
		ret = guest_rw(fd, true, G0 + 3 * SZ_4K - 8, buf, sizeof(buf),
			       0);
		ST_CHECK(s, ret == 0, ret);
		memset(buf, 0, sizeof(buf));
		ret = guest_rw(fd, false, G0 + 3 * SZ_4K - 8, buf, sizeof(buf),
			       0);
		ST_CHECK(s, ret == 0, ret);
		ST_CHECK(s, check_pattern(buf, sizeof(buf), G0, it) == -1, 0);
		close(fd);
		s->ops[t->id]++;
	} while (stress_go(s, t->id));
	return NULL;
}

TEST_F(axas_as, stress)
{
	void *(*const fn[])(void *) = {
		stress_writer, stress_writer, stress_faulter,
		stress_translator, stress_remapper, stress_recreator,
	};
	struct stress s = { .dev = self->dev, .fd = self->fd,
			    .format = variant->format,
			    .gpa_bits = variant->gpa_bits };
	struct stress_thread t[ARRAY_SIZE(fn)];
	uint64_t buf[SZ_4K / 8];
	struct axas_stats st;
	size_t i;
	int p;

	ASSERT_EQ(0, map_alloc(self->fd, ST_A, 2 * SZ_2M, RW,
			       AXAS_MAP_ALLOC_HUGE));
	ASSERT_EQ(0, map_alloc(self->fd, ST_A2, 64 * SZ_4K, RW, 0));
	/* ~2 s for all variants together, plus the last iterations. */
	s.deadline = now_ns() + 250 * 1000000ULL;
	for (i = 0; i < ARRAY_SIZE(fn); i++) {
		t[i].s = &s;
		t[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, fn[i], &t[i]));
	}
	for (i = 0; i < ARRAY_SIZE(fn); i++)
		pthread_join(t[i].tid, NULL);
	EXPECT_EQ(0, s.failed) TH_LOG("%s", s.msg);
	for (i = 0; i < ARRAY_SIZE(fn); i++) {
		EXPECT_LT(0, s.ops[i]) TH_LOG("thread %zu did nothing", i);
	}

	for (p = 0; p < ST_PAGES; p++) {
		ASSERT_EQ(0, guest_rw(self->fd, false, st_page(p), buf, SZ_4K,
				      0));
		EXPECT_EQ(-1, check_pattern(buf, SZ_4K, st_page(p), s.seed[p]))
			TH_LOG("page %d", p);
	}
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.regions);
	EXPECT_EQ(st.frames, st.leaves_4k + 512 * st.leaves_2m);
	ASSERT_EQ(0, unmap(self->fd, ST_A, 4 * SZ_2M));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(0, st.leaves_4k + st.leaves_2m);
}

/*
 * Fuzz: random calls with random structs on a fresh address space. Each
 * must return 0 or an errno its command documents.
 */
static uint64_t fz_state;

static uint64_t fz_rand(void)
{
	fz_state ^= fz_state >> 12;
	fz_state ^= fz_state << 25;
	fz_state ^= fz_state >> 27;
	return fz_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t fz_pick(const uint64_t *v, size_t n)
{
	return v[fz_rand() % n];
}

static uint64_t fz_gpa(uint64_t top)
{
	uint64_t r = fz_rand(), gpa;

	switch (r % 10) {
	case 0: case 1: case 2:
		gpa = G0 + (fz_rand() % 96) * SZ_4K;
		break;
	case 3: case 4:
		gpa = G0 + (fz_rand() % 16) * SZ_2M;
		break;
	case 5:
		gpa = G0 + (fz_rand() % 16) * SZ_2M - SZ_4K;
		break;
	case 6: {
		const uint64_t edge[] = { 0, top - SZ_4K, top, top - SZ_2M,
					  ~0xfffULL, 1ULL << 63, SZ_4K, G0 - SZ_4K };
		gpa = fz_pick(edge, ARRAY_SIZE(edge));
		break;
	}
	case 7:
		gpa = fz_rand() & (top - 1) & ~0xfffULL;
		break;
	default:
		gpa = fz_rand() & ~0xfffULL;
		break;
	}
	if (!(r >> 8 & 7))
		gpa += fz_rand() % SZ_4K;	/* misaligned */
	return gpa;
}

static uint64_t fz_len(uint64_t top, bool bounded)
{
	uint64_t r = fz_rand() % 12;

	switch (r) {
	case 0: case 1: case 2: case 3:
		return (1 + fz_rand() % 24) * SZ_4K;
	case 4:
		return SZ_2M;
	case 5:
		return SZ_2M + SZ_4K;
	case 6:
		return 0;
	case 7:
		return 1 + fz_rand() % SZ_4K;
	case 8:
		return ~0xfffULL;
	case 9:
		return bounded ? 4 * SZ_2M : top;
	case 10:
		return bounded ? SZ_64K - SZ_4K : (fz_rand() % 48 + 12) << 30;
	default:
		return bounded ? 32 * SZ_4K : (fz_rand() & (top - 1) & ~0xfffULL);
	}
}

/* A set of errnos; they are all below 64 but EOPNOTSUPP. */
#define E(x)	(1ULL << ((x) == EOPNOTSUPP ? 63 : (x)))

static bool errno_in(uint64_t set, int e)
{
	if (e == EOPNOTSUPP)
		e = 63;
	else if (e <= 0 || e >= 63)
		return false;
	return set & (1ULL << e);
}

TEST_F_TIMEOUT(axas_as, fuzz, 120)
{
	const struct {
		unsigned long cmd;
		size_t size, min;
		uint32_t flags;
		uint64_t errs;
	} ops[] = {
		{ AXAS_AS_INFO, sizeof(struct axas_as_info),
		  offsetofend(struct axas_as_info, out_hgatp), 0, E(EINVAL) },
		{ AXAS_MAP_LINEAR, sizeof(struct axas_map_linear),
		  offsetofend(struct axas_map_linear, memtype), 0,
		  E(EINVAL) | E(ERANGE) | E(EEXIST) | E(ENOMEM) },
		{ AXAS_MAP_ALLOC, sizeof(struct axas_map_alloc),
		  offsetofend(struct axas_map_alloc, __reserved),
		  AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE,
		  E(EINVAL) | E(ERANGE) | E(EEXIST) | E(ENOMEM) },
		{ AXAS_UNMAP, sizeof(struct axas_unmap),
		  offsetofend(struct axas_unmap, length), 0,
		  E(EINVAL) | E(ERANGE) | E(ENOENT) | E(ENOMEM) },
		{ AXAS_PROTECT, sizeof(struct axas_protect),
		  offsetofend(struct axas_protect, __reserved), 0,
		  E(EINVAL) | E(ERANGE) | E(ENOENT) | E(ENOMEM) },
		{ AXAS_HANDLE_FAULT, sizeof(struct axas_fault),
		  offsetofend(struct axas_fault, out_outcome), 0,
		  E(EINVAL) | E(ERANGE) | E(ENOMEM) },
		{ AXAS_TRANSLATE, sizeof(struct axas_translate),
		  offsetofend(struct axas_translate, out_length), 0,
		  E(ERANGE) | E(ENOENT) },
		{ AXAS_READ, sizeof(struct axas_rw),
		  offsetofend(struct axas_rw, buf), AXAS_RW_FAULT_IN,
		  E(EINVAL) | E(ERANGE) | E(ENOENT) | E(EACCES) | E(EFAULT) |
		  E(EOPNOTSUPP) | E(ENOMEM) },
		{ AXAS_WRITE, sizeof(struct axas_rw),
		  offsetofend(struct axas_rw, buf), AXAS_RW_FAULT_IN,
		  E(EINVAL) | E(ERANGE) | E(ENOENT) | E(EACCES) | E(EFAULT) |
		  E(EOPNOTSUPP) | E(ENOMEM) },
		{ AXAS_GET_STATS, sizeof(struct axas_get_stats),
		  offsetofend(struct axas_get_stats, out.flushes), 0, 0 },
	};
	const char *env = getenv("AXAS_FUZZ_SEED");
	const size_t bufsz = SZ_64K + 2 * SZ_4K;
	uint8_t *gbuf = guarded_alloc(bufsz);
	long tables = sec_page_tables_start();
	unsigned long count[ARRAY_SIZE(ops) + 1] = { 0 }, ok = 0;
	uint64_t seed, top = self->top;
	struct axas_stats st;
	int fd, i, calls = heavy(variant) ? 3000 : 1000;

	ASSERT_NE(NULL, gbuf);
	seed = env ? strtoull(env, NULL, 0) : 0x5eed0000ULL + variant->format +
							 variant->width;
	env = getenv("AXAS_FUZZ_CALLS");
	if (env)
		calls = atoi(env);
	TH_LOG("seed %#llx, %d calls (AXAS_FUZZ_SEED, AXAS_FUZZ_CALLS)",
	       (unsigned long long)seed, calls);
	fz_state = seed ?: 1;
	/* A frame limit bounds what populate and faults can allocate. */
	fd = as_create(self->dev, variant->format, variant->gpa_bits, 0, 0,
		       4096);
	ASSERT_LE(0, fd);

	for (i = 0; i < calls; i++) {
		uint8_t arg[256];
		uint32_t *w = (uint32_t *)arg, size, forced = 0;
		size_t k = fz_rand() % (ARRAY_SIZE(ops) + 1);
		uint64_t r = fz_rand();
		unsigned long cmd;
		int ret;

		memset(arg, 0, sizeof(arg));
		if (k == ARRAY_SIZE(ops)) {
			/* An unknown command. */
			const uint64_t bad[] = {
				_IO(AXAS_TYPE, AXAS_CMD_GET_STATS + 1 + r % 100),
				_IO(AXAS_TYPE, r % AXAS_CMD_BASE),
				AXAS_GET_INFO, AXAS_CREATE,
				_IOWR(AXAS_TYPE, AXAS_CMD_MAP_ALLOC, struct axas_map_alloc),
			};

			cmd = fz_pick(bad, ARRAY_SIZE(bad));
			w[0] = 64;
			ret = ax(fd, cmd, arg);
			EXPECT_EQ(-ENOTTY, ret) TH_LOG("call %d: cmd %#lx", i, cmd);
			count[k]++;
			continue;
		}
		cmd = ops[k].cmd;
		if (cmd == AXAS_MAP_LINEAR && !is_root())
			continue;
		switch (cmd) {
		case AXAS_MAP_LINEAR: {
			struct axas_map_linear *m = (void *)arg;
			const uint64_t lens[] = { SZ_4K, 3 * SZ_4K, SZ_2M,
						  SZ_2M + SZ_4K, 0, 0x1800,
						  ~0xfffULL, 64 * SZ_4K };

			m->gpa = fz_gpa(top);
			m->length = fz_pick(lens, ARRAY_SIZE(lens));
			m->hpa = r & 1 ? LINEAR_HPA + (fz_rand() % 1024) * SZ_4K :
				 fz_rand() & ~0xfffULL;
			if (!(r >> 1 & 15))
				m->hpa |= fz_rand() & 0xfff;
			m->prot = fz_rand() % 16;
			/* Never NORMAL: its memory would be copied. */
			m->memtype = r >> 5 & 7 ? AXAS_MEM_DEVICE :
				     2 + fz_rand() % 1000;
			break;
		}
		case AXAS_MAP_ALLOC: {
			struct axas_map_alloc *m = (void *)arg;

			m->gpa = fz_gpa(top);
			m->prot = fz_rand() % 16;
			m->flags = fz_rand() & 3;
			/* Populating all of a huge range is just ENOMEM. */
			m->length = fz_len(top, false);
			if (!(r & 31))
				m->__reserved = fz_rand();
			break;
		}
		case AXAS_UNMAP: {
			struct axas_unmap *u = (void *)arg;

			u->gpa = fz_gpa(top);
			u->length = fz_len(top, false);
			break;
		}
		case AXAS_PROTECT: {
			struct axas_protect *p = (void *)arg;

			p->gpa = fz_gpa(top);
			p->length = fz_len(top, false);
			p->prot = fz_rand() % 16;
			if (!(r & 31))
				p->__reserved = fz_rand();
			break;
		}
		case AXAS_HANDLE_FAULT: {
			struct axas_fault *f = (void *)arg;

			f->gpa = fz_gpa(top) + fz_rand() % SZ_4K;
			f->access = fz_rand() % 16;
			break;
		}
		case AXAS_TRANSLATE:
			((struct axas_translate *)arg)->gpa = fz_gpa(top) +
							      fz_rand() % SZ_4K;
			break;
		case AXAS_READ:
		case AXAS_WRITE: {
			struct axas_rw *rw = (void *)arg;
			const uint64_t far[] = { 0, ~0ULL, 1ULL << 62, 1ULL << 48 };

			rw->gpa = fz_gpa(top) + fz_rand() % SZ_4K;
			rw->flags = fz_rand() & 1;
			/* Within the buffer, just past it, or absurd. */
			switch (r % 8) {
			case 0:
				rw->length = fz_pick(far, ARRAY_SIZE(far));
				break;
			case 1:
				rw->length = bufsz + 1 + fz_rand() % SZ_64K;
				break;
			default:
				rw->length = 1 + fz_rand() % bufsz;
				break;
			}
			rw->buf = r >> 3 & 15 ? (uintptr_t)gbuf :
				  r >> 7 & 1 ? 0 : (uintptr_t)unmapped_addr();
			break;
		}
		case AXAS_AS_INFO:
			if (!(r & 31))
				((struct axas_as_info *)arg)->__reserved = 1;
			break;
		}
		/* Unknown flags, odd sizes, non-zero tails. */
		if (!(r >> 16 & 15))
			w[1] = fz_rand();
		size = ops[k].size;
		switch (r >> 24 & 31) {
		case 0:
			size = fz_rand() % ops[k].min;
			break;
		case 1:
			size = ops[k].size + 1 + fz_rand() % 64;
			break;
		case 2:
			size = ops[k].size + 1 + fz_rand() % 64;
			arg[size - 1 - fz_rand() % (size - ops[k].size)] = 1;
			break;
		}
		w[0] = size;
		if (size < ops[k].min)
			forced = EINVAL;
		else if (size > ops[k].size &&
			 !is_zero(arg + ops[k].size, size - ops[k].size))
			forced = E2BIG;
		else if (w[1] & ~ops[k].flags)
			forced = EOPNOTSUPP;

		ret = ax(fd, cmd, arg);
		count[k]++;
		if (forced) {
			EXPECT_EQ(-(int)forced, ret)
				TH_LOG("call %d: cmd %#lx size %u flags %#x", i,
				       cmd, size, w[1]);
		} else if (ret) {
			EXPECT_TRUE(errno_in(ops[k].errs, -ret))
				TH_LOG("call %d: cmd %#lx: unexpected %s", i,
				       cmd, strerror(-ret));
		} else {
			ok++;
		}
		if (_metadata->exit_code == KSFT_FAIL)
			break;
	}
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_GE(st.max_frames, st.frames);
	TH_LOG("%d calls, %lu succeeded; %llu regions, %llu frames, %llu table pages",
	       i, ok, (unsigned long long)st.regions,
	       (unsigned long long)st.frames,
	       (unsigned long long)st.table_pages);
	EXPECT_LT(calls / 20, ok);
	close(fd);
	EXPECT_EQ(tables, sec_page_tables_settle(tables));
}

TEST_HARNESS_MAIN
