/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the axas kselftests: ioctl wrappers, patterns, the
 * address-space snapshot that a failed call must leave unchanged, memory
 * counters, and the axas_as fixture (one variant per format and geometry).
 *
 * Never READ or WRITE a linear region: its HPA is arbitrary host memory.
 */
#ifndef __AXAS_UTILS_H
#define __AXAS_UTILS_H

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
/*
 * Linear maps point here; such regions are only ever translated. 1 TiB,
 * 1 GiB aligned: above the RAM of every test VM (AXAS_MAP_LINEAR refuses
 * System RAM) and within every format's output width.
 */
#define LINEAR_HPA	(SZ_1G * 1024)

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define RO	AXAS_PROT_READ

static inline uint64_t all_formats(void)
{
	return 1ULL << AXAS_FORMAT_X86_EPT4 | 1ULL << AXAS_FORMAT_X86_EPT5 |
	       1ULL << AXAS_FORMAT_ARM64_S2 | 1ULL << AXAS_FORMAT_RISCV_SV39X4 |
	       1ULL << AXAS_FORMAT_RISCV_SV48X4 |
	       1ULL << AXAS_FORMAT_RISCV_SV57X4;
}

static inline int native_format(void)
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
static inline int ax(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int as_create(int dev, uint32_t format, uint32_t gpa_bits,
			    uint64_t base, uint64_t length, uint64_t max_frames)
{
	struct axas_create c = {
		.size = sizeof(c), .format = format, .gpa_bits = gpa_bits,
		.base = base, .length = length, .max_frames = max_frames,
	};
	int ret = ax(dev, AXAS_CREATE, &c);

	return ret ? ret : (int)c.out_fd;
}

static inline int as_info(int fd, struct axas_as_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ax(fd, AXAS_AS_INFO, info);
}

static inline int map_alloc(int fd, uint64_t gpa, uint64_t len, uint32_t prot,
			    uint32_t flags)
{
	struct axas_map_alloc m = {
		.size = sizeof(m), .flags = flags, .gpa = gpa, .length = len,
		.prot = prot,
	};

	return ax(fd, AXAS_MAP_ALLOC, &m);
}

static inline int map_linear(int fd, uint64_t gpa, uint64_t len, uint64_t hpa,
			     uint32_t prot, uint32_t mt)
{
	struct axas_map_linear m = {
		.size = sizeof(m), .gpa = gpa, .length = len, .hpa = hpa,
		.prot = prot, .memtype = mt,
	};

	return ax(fd, AXAS_MAP_LINEAR, &m);
}

static inline int unmap(int fd, uint64_t gpa, uint64_t len)
{
	struct axas_unmap u = { .size = sizeof(u), .gpa = gpa, .length = len };

	return ax(fd, AXAS_UNMAP, &u);
}

static inline int protect(int fd, uint64_t gpa, uint64_t len, uint32_t prot)
{
	struct axas_protect p = {
		.size = sizeof(p), .gpa = gpa, .length = len, .prot = prot,
	};

	return ax(fd, AXAS_PROTECT, &p);
}

/* The outcome (> 0) or -errno. */
static inline int fault(int fd, uint64_t gpa, uint32_t access)
{
	struct axas_fault f = { .size = sizeof(f), .gpa = gpa,
				.access = access };
	int ret = ax(fd, AXAS_HANDLE_FAULT, &f);

	return ret ? ret : (int)f.out_outcome;
}

static inline int translate(int fd, uint64_t gpa, uint64_t *hpa, uint64_t *len)
{
	struct axas_translate t = { .size = sizeof(t), .gpa = gpa };
	int ret = ax(fd, AXAS_TRANSLATE, &t);

	if (hpa)
		*hpa = ret ? 0 : t.out_hpa;
	if (len)
		*len = ret ? 0 : t.out_length;
	return ret;
}

static inline int guest_rw(int fd, bool write, uint64_t gpa, void *buf,
			   uint64_t len, uint32_t flags)
{
	struct axas_rw rw = {
		.size = sizeof(rw), .flags = flags, .gpa = gpa, .length = len,
		.buf = (uintptr_t)buf,
	};

	return ax(fd, write ? AXAS_WRITE : AXAS_READ, &rw);
}

static inline int get_stats(int fd, struct axas_stats *st)
{
	struct axas_get_stats g = { .size = sizeof(g) };
	int ret = ax(fd, AXAS_GET_STATS, &g);

	*st = g.out;
	return ret;
}

/* A pattern no two (page, seed) pairs share. */
static inline void fill_pattern(void *buf, size_t len, uint64_t gpa,
				uint64_t seed)
{
	uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = (gpa + i * 8) * 0x9e3779b97f4a7c15ULL ^ seed;
}

/* Index of the first word that differs from the pattern, or -1. */
static inline long check_pattern(const void *buf, size_t len, uint64_t gpa,
				 uint64_t seed)
{
	const uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] != ((gpa + i * 8) * 0x9e3779b97f4a7c15ULL ^ seed))
			return i;
	return -1;
}

static inline bool is_zero(const void *buf, size_t len)
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

static inline void snap_take(int fd, const uint64_t *probes, int nr,
			     struct snap *s)
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
static inline const char *snap_diff(const struct snap *a, const struct snap *b,
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
static inline long sec_page_tables_kb(void)
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
static inline long sec_page_tables_start(void)
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
static inline long sec_page_tables_settle(long want)
{
	long now = sec_page_tables_kb();
	int i;

	for (i = 0; i < 60 && now != want; i++) {
		usleep(50000);
		now = sec_page_tables_kb();
	}
	return now;
}

static inline int lowest_free_fd(void)
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

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A buffer of @len bytes followed by an inaccessible guard page. */
static inline void *guarded_alloc(size_t len)
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
static inline void *unmapped_addr(void)
{
	static void *p;

	if (!p)
		p = mmap(NULL, getpagesize(), PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p;
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
	/* No /dev/axas is a failure, never a skip: load axas.ko first. */
	self->dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev)
		TH_LOG(AXAS_DEV ": %s: is axas.ko loaded?", strerror(errno));
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

static inline bool is_root(void)
{
	return geteuid() == 0;
}

/*
 * The fail-nth sweep and most of the fuzzing run on the host's native
 * format and on the deepest walk (EPT5), which keeps the suite near a
 * minute under TCG; AXAS_TEST_FULL=1 runs them on every variant.
 */
static inline bool heavy(const FIXTURE_VARIANT(axas_as) *variant)
{
	const char *full = getenv("AXAS_TEST_FULL");

	if (full && *full && strcmp(full, "0"))
		return true;
	return (variant->format == (uint32_t)native_format() &&
		!variant->gpa_bits) ||
	       variant->format == AXAS_FORMAT_X86_EPT5;
}

/* The whole of a (debugfs) file, NUL-terminated; NULL on error. */
static inline void *read_file(const char *path, size_t *len)
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
	buf[n] = 0;	/* n < cap */
	*len = n;
	return buf;
}

/* Entries in /proc/self/fd (the one counting them included), or -1. */
static inline int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The entries of debugfs axas/ (one directory per address space), sorted,
 * one per line; NULL when there is no such directory.
 */
static inline char *axas_debugfs_ids(void)
{
	DIR *d = opendir(AXAS_DEBUGFS);
	char *names[1024], *out;
	struct dirent *e;
	size_t n = 0, i, len = 1;

	if (!d)
		return NULL;
	while ((e = readdir(d)) && n < ARRAY_SIZE(names))
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	out = malloc(len);
	if (out) {
		*out = 0;
		for (i = 0; i < n; i++) {
			strcat(out, names[i]);
			strcat(out, "\n");
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return out;
}

#endif /* __AXAS_UTILS_H */
