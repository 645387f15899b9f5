// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: fail-nth (/proc/self/task/<tid>/fail-nth, as
 * iommufd_fail_nth.c) over every ioctl that allocates.
 */
#include "axas_utils.h"

/*
 * fail-nth: fail the Nth fault-injection point of one call, for N = 1, 2,
 * ... until the call gets through without reaching N. Every failure must
 * be ENOMEM and leave the address space as it was: its counters, its
 * debugfs ptdump, what translates and what reads (regions show as readable
 * GPAs, holes as ENOENT), the process's fds and the debugfs axas/ entries.
 */
/*
 * 1 when this kernel has no fail-nth (stock kernels: a skip), 0 when it is
 * ready, -1 when fail-nth exists but a knob is missing (@why): a kernel
 * that has it but ignores GFP_KERNEL allocations would sweep nothing.
 */
static int fault_injection_setup(char *why, size_t len)
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
		return 1;
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s",
			 knobs[i][0]);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, knobs[i][1], strlen(knobs[i][1])) < 0) {
			snprintf(why, len, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
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

/*
 * Where the cases work. LAZY: lazy 4 KiB [2M - 8K, 2M), lazy HUGE
 * [2M, 4M), lazy 4 KiB [4M, 4M + 8K) and a populated bystander at 8M.
 * TREE: FN_TREE_NR regions of 8 KiB every 16 KiB from 16M, every fourth
 * one populated, so that the region tree has several levels of nodes.
 * All offsets from G0.
 */
#define FN_TREE		(G0 + 8 * SZ_2M)
#define FN_TREE_NR	48
#define FN_TREE_R(i)	(FN_TREE + (uint64_t)(i) * 4 * SZ_4K)
#define FN_BIG		(SZ_64K + SZ_4K + 8)	/* two bounce chunks */

struct fn_ctx {
	int dev, fd, new_fd;
	uint32_t format, gpa_bits;
	struct axas_create *ro_create;	/* a read-only page */
	uint8_t buf[FN_BIG];
};

struct fn_case {
	const char *name;
	int (*prep)(struct fn_ctx *c);
	int (*op)(struct fn_ctx *c);
	bool root;		/* MAP_LINEAR: root only */
	bool allocates;		/* must reach an injection point */
	int final;		/* the result without injection: 0 or -errno */
	/*
	 * A read or write: [gpa, gpa + len) must read as zeroes after a
	 * failure. With AXAS_RW_FAULT_IN (@fault_in), an -ENOMEM may leave
	 * zeroed frames mapped in the 2 MiB blocks around the range (the
	 * guest may already use them: never taken back); all else as before.
	 */
	uint64_t gpa, len;
	bool fault_in;
	/* Tables play no part: swept on the native format only. */
	bool no_tables;
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
	       map_alloc(c->fd, G0 + 2 * SZ_2M, 2 * SZ_4K, RW, 0) ?:
	       map_alloc(c->fd, G0 + 4 * SZ_2M, 2 * SZ_4K, RW,
			 AXAS_MAP_ALLOC_POPULATE);
}

static int fn_prep_tree(struct fn_ctx *c)
{
	int i, ret = 0;

	for (i = 0; i < FN_TREE_NR && !ret; i++)
		ret = map_alloc(c->fd, FN_TREE_R(i), 2 * SZ_4K, RW,
				i % 4 ? 0 : AXAS_MAP_ALLOC_POPULATE);
	return ret;
}

static int fn_create(struct fn_ctx *c)
{
	int fd = as_create(c->dev, c->format, c->gpa_bits, 0, 0, 0);

	if (fd < 0)
		return fd;
	c->new_fd = fd;
	return 0;
}

/* The reply cannot be written: EFAULT after the fd was made. */
static int fn_create_ro(struct fn_ctx *c)
{
	int ret = ax(c->dev, AXAS_CREATE, c->ro_create);

	if (!ret)
		c->new_fd = c->ro_create->out_fd;
	return ret;
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

static int fn_lazy_huge(struct fn_ctx *c)
{
	return map_alloc(c->fd, G0 + SZ_2M, 2 * SZ_2M, RW,
			 AXAS_MAP_ALLOC_HUGE);
}

/* Into the gap between two regions of the tree, touching both. */
static int fn_lazy_in_tree(struct fn_ctx *c)
{
	return map_alloc(c->fd, FN_TREE_R(40) + 2 * SZ_4K, 2 * SZ_4K, RW, 0);
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

static int fn_unmap_whole_block(struct fn_ctx *c)
{
	return unmap(c->fd, G0 + SZ_2M, SZ_2M);
}

/* A populated region with gaps on both sides. */
static int fn_unmap_one_region(struct fn_ctx *c)
{
	return unmap(c->fd, FN_TREE_R(20), 2 * SZ_4K);
}

/* Sixteen regions and the gaps between them. */
static int fn_unmap_regions(struct fn_ctx *c)
{
	return unmap(c->fd, FN_TREE_R(8) - SZ_4K, 16 * 4 * SZ_4K);
}

/* Cuts region 28 (populated) and region 34 (lazy): two region splits. */
static int fn_unmap_cut_regions(struct fn_ctx *c)
{
	return unmap(c->fd, FN_TREE_R(28) + SZ_4K, 6 * 4 * SZ_4K);
}

static int fn_protect_split(struct fn_ctx *c)
{
	return protect(c->fd, G0 + SZ_2M + 8 * SZ_4K, 2 * SZ_4K, RO);
}

/* A lazy region, nothing mapped: only the region tree changes. */
static int fn_protect_split_lazy(struct fn_ctx *c)
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

static int fn_fault_spurious(struct fn_ctx *c)
{
	int ret = fault(c->fd, G0 + SZ_2M + 5, RW);

	return ret == AXAS_FAULT_SPURIOUS ? 0 : ret < 0 ? ret : -EPROTO;
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

static int fn_read_fault_in(struct fn_ctx *c)
{
	return guest_rw(c->fd, false, G0 + SZ_2M - SZ_4K + 100, c->buf,
			2 * SZ_4K, AXAS_RW_FAULT_IN);
}

static int fn_read_fault_in_small(struct fn_ctx *c)
{
	return guest_rw(c->fd, false, G0 + 2 * SZ_2M + 100, c->buf, SZ_4K,
			AXAS_RW_FAULT_IN);
}

/* Mapped memory: the bounce buffer is all that allocates. */
static int fn_read(struct fn_ctx *c)
{
	return guest_rw(c->fd, false, G0 + SZ_2M + 100, c->buf, 3 * SZ_4K, 0);
}

static int fn_write_big(struct fn_ctx *c)
{
	return guest_rw(c->fd, true, G0 + SZ_2M + 8, c->buf, FN_BIG, 0);
}

static int fn_translate(struct fn_ctx *c)
{
	return translate(c->fd, G0 + SZ_2M + 42, NULL, NULL);
}

static int fn_get_stats(struct fn_ctx *c)
{
	struct axas_stats st;

	return get_stats(c->fd, &st);
}

static int fn_as_info(struct fn_ctx *c)
{
	struct axas_as_info info;

	return as_info(c->fd, &info);
}

static int fn_get_info(struct fn_ctx *c)
{
	struct axas_info info = { .size = sizeof(info) };

	return ax(c->dev, AXAS_GET_INFO, &info);
}

#define FN_RW(_gpa, _len, _fault_in)	\
	.gpa = (_gpa), .len = (_len), .fault_in = (_fault_in)
#define FN_NT	.no_tables = true

static const struct fn_case fn_cases[] = {
	{ "create", fn_none, fn_create, .allocates = true },
	{ "create, read-only reply", fn_none, fn_create_ro, .allocates = true,
	  .final = -EFAULT, FN_NT },
	{ "map_alloc populate", fn_none, fn_populate, .allocates = true },
	{ "map_alloc populate huge", fn_none, fn_populate_huge,
	  .allocates = true },
	{ "map_alloc lazy huge", fn_none, fn_lazy_huge, .allocates = true },
	{ "map_alloc lazy into the tree", fn_prep_tree, fn_lazy_in_tree,
	  .allocates = true, FN_NT },
	{ "map_linear", fn_none, fn_linear, true, true },
	{ "unmap splitting a block", fn_prep_huge, fn_unmap_split,
	  .allocates = true },
	{ "unmap a whole block region", fn_prep_huge, fn_unmap_whole_block,
	  .allocates = true },
	{ "unmap a whole region in the tree", fn_prep_tree,
	  fn_unmap_one_region, .allocates = true },
	{ "unmap regions and gaps", fn_prep_tree, fn_unmap_regions,
	  .allocates = true, FN_NT },
	{ "unmap cutting two regions", fn_prep_tree, fn_unmap_cut_regions,
	  .allocates = true },
	{ "protect splitting a block", fn_prep_huge, fn_protect_split,
	  .allocates = true },
	{ "protect splitting a lazy region", fn_prep_lazy,
	  fn_protect_split_lazy, .allocates = true, FN_NT },
	{ "fault 2M", fn_prep_lazy, fn_fault_huge, .allocates = true },
	{ "fault 4K", fn_prep_lazy, fn_fault_small, .allocates = true },
	{ "write fault-in", fn_prep_lazy, fn_write_fault_in, .allocates = true,
	  FN_RW(G0 + SZ_2M - SZ_4K + 100, 2 * SZ_4K, true) },
	{ "write fault-in, 4K frames", fn_prep_lazy, fn_write_fault_in_small,
	  .allocates = true, FN_RW(G0 + 2 * SZ_2M + 100, SZ_4K, true) },
	{ "read fault-in", fn_prep_lazy, fn_read_fault_in, .allocates = true,
	  FN_RW(G0 + SZ_2M - SZ_4K + 100, 2 * SZ_4K, true) },
	{ "read fault-in, 4K frames", fn_prep_lazy, fn_read_fault_in_small,
	  .allocates = true, FN_RW(G0 + 2 * SZ_2M + 100, SZ_4K, true) },
	{ "read, bounce buffer", fn_prep_huge, fn_read, .allocates = true,
	  FN_RW(G0 + SZ_2M + 100, 3 * SZ_4K, false), FN_NT },
	{ "write, bounce buffer of two chunks", fn_prep_huge, fn_write_big,
	  .allocates = true, FN_RW(G0 + SZ_2M + 8, FN_BIG, false), FN_NT },
	/* These allocate nothing: one injection point would be news. */
	{ "fault, spurious", fn_prep_huge, fn_fault_spurious, FN_NT },
	{ "translate", fn_prep_huge, fn_translate, FN_NT },
	{ "get_stats", fn_prep_huge, fn_get_stats, FN_NT },
	{ "as_info", fn_none, fn_as_info, FN_NT },
	{ "get_info", fn_none, fn_get_info, FN_NT },
};

/* Every region boundary of the layouts above, and some pages inside. */
static const uint64_t fn_probes[] = {
	G0, G0 + SZ_2M - 2 * SZ_4K, G0 + SZ_2M - SZ_4K, G0 + SZ_2M,
	G0 + SZ_2M + 8 * SZ_4K, G0 + SZ_2M + 9 * SZ_4K,
	G0 + SZ_2M + 10 * SZ_4K, G0 + 2 * SZ_2M, G0 + 2 * SZ_2M + SZ_4K,
	G0 + 3 * SZ_2M, G0 + 4 * SZ_2M - SZ_4K, G0 + 4 * SZ_2M,
	G0 + 4 * SZ_2M + SZ_4K, G0 + 5 * SZ_2M,
	FN_TREE_R(0), FN_TREE_R(7) + SZ_4K, FN_TREE_R(8), FN_TREE_R(16),
	FN_TREE_R(20), FN_TREE_R(20) + SZ_4K, FN_TREE_R(24) - SZ_4K,
	FN_TREE_R(28), FN_TREE_R(28) + SZ_4K, FN_TREE_R(32),
	FN_TREE_R(34) + SZ_4K, FN_TREE_R(40) + 2 * SZ_4K, FN_TREE_R(41),
	FN_TREE_R(47) + SZ_4K,
};

#define FN_NR_PROBES	ARRAY_SIZE(fn_probes)

/* What a failed call must leave as it was. */
struct fn_snap {
	struct axas_stats st;
	int tr_err[FN_NR_PROBES], rd_err[FN_NR_PROBES];
	uint64_t hpa[FN_NR_PROBES], len[FN_NR_PROBES], val[FN_NR_PROBES];
	char *ptdump;		/* debugfs axas/<id>/ptdump */
	char *ids;		/* debugfs axas/: every address space */
	int nr_fds, low_fd;
};

static void fn_snap_free(struct fn_snap *s)
{
	free(s->ptdump);
	free(s->ids);
	s->ptdump = NULL;
	s->ids = NULL;
}

/*
 * Translations only when @tr: elsewhere the ptdump shows every leaf, and
 * under TCG a debug kernel makes each ioctl count.
 */
static void fn_snap_take(int fd, uint32_t id, bool tr, struct fn_snap *s)
{
	char path[64];
	size_t len;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (get_stats(fd, &s->st))
		memset(&s->st, 0xff, sizeof(s->st));
	for (i = 0; i < FN_NR_PROBES; i++) {
		if (tr)
			s->tr_err[i] = translate(fd, fn_probes[i], &s->hpa[i],
						 &s->len[i]);
		/* A region reads (zeroes if never faulted); a hole: ENOENT. */
		s->rd_err[i] = guest_rw(fd, false, fn_probes[i], &s->val[i],
					sizeof(s->val[i]), 0);
	}
	snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u/ptdump", id);
	s->ptdump = read_file(path, &len);
	s->ids = axas_debugfs_ids();
	s->nr_fds = nr_open_fds();
	s->low_fd = lowest_free_fd();
}

/* @line (of a ptdump) maps something in [lo, hi). */
static bool fn_line_in(const char *line, uint64_t lo, uint64_t hi)
{
	unsigned long long start, end;

	if (sscanf(line, "0x%llx-0x%llx", &start, &end) != 2)
		return false;
	return start < hi && end >= lo;
}

/* The ptdumps equal but for lines in [lo, hi) (none when lo == hi). */
static bool fn_ptdump_eq(const char *a, const char *b, uint64_t lo,
			 uint64_t hi)
{
	const char *ea, *eb;

	for (;;) {
		while (*a && fn_line_in(a, lo, hi))
			a = strchrnul(a, '\n') + !!*strchrnul(a, '\n');
		while (*b && fn_line_in(b, lo, hi))
			b = strchrnul(b, '\n') + !!*strchrnul(b, '\n');
		if (!*a || !*b)
			return !*a && !*b;
		ea = strchrnul(a, '\n');
		eb = strchrnul(b, '\n');
		if (ea - a != eb - b || memcmp(a, b, ea - a))
			return false;
		a = ea + !!*ea;
		b = eb + !!*eb;
	}
}

/*
 * NULL when @b shows the same address space, fds and debugfs entries as
 * @a, else what differs. [lo, hi): where fault-in may have added frames.
 */
static const char *fn_snap_diff(const struct fn_snap *a,
				const struct fn_snap *b, uint64_t lo,
				uint64_t hi)
{
	static char why[256];
	char where[32] = "";
	size_t i;

#define FN_CMP(f)							\
	do {								\
		if (a->f != b->f) {					\
			snprintf(why, sizeof(why), "%s" #f " %#llx -> %#llx", \
				 where, (unsigned long long)a->f,	\
				 (unsigned long long)b->f);		\
			return why;					\
		}							\
	} while (0)
	FN_CMP(st.regions);
	FN_CMP(st.max_frames);
	FN_CMP(nr_fds);
	FN_CMP(low_fd);
	if (lo == hi) {
		FN_CMP(st.frames);
		FN_CMP(st.leaves_4k);
		FN_CMP(st.leaves_2m);
		FN_CMP(st.leaves_1g);
		FN_CMP(st.table_pages);
	} else if (b->st.frames < a->st.frames ||
		   b->st.frames != b->st.leaves_4k + 512 * b->st.leaves_2m) {
		snprintf(why, sizeof(why),
			 "frames %llu -> %llu, leaves 4K %llu 2M %llu",
			 (unsigned long long)a->st.frames,
			 (unsigned long long)b->st.frames,
			 (unsigned long long)b->st.leaves_4k,
			 (unsigned long long)b->st.leaves_2m);
		return why;
	}
	for (i = 0; i < FN_NR_PROBES; i++) {
		bool in = fn_probes[i] >= lo && fn_probes[i] < hi;

		snprintf(where, sizeof(where), "probe %#llx: ",
			 (unsigned long long)fn_probes[i]);
		/* Regions and data are the same everywhere. */
		FN_CMP(rd_err[i]);
		FN_CMP(val[i]);
		/* Fault-in may map zeroed frames, never move a mapped one. */
		if (in && a->tr_err[i])
			continue;
		FN_CMP(tr_err[i]);
		FN_CMP(hpa[i]);
		if (!in)
			FN_CMP(len[i]);
	}
#undef FN_CMP
	if (!a->ptdump || !b->ptdump)
		return "no debugfs ptdump";
	if (!fn_ptdump_eq(a->ptdump, b->ptdump, lo, hi))
		return "the ptdump changed";
	if (!a->ids || !b->ids)
		return "no debugfs " AXAS_DEBUGFS;
	if (strcmp(a->ids, b->ids))
		return "the address spaces in debugfs changed";
	return NULL;
}

/* 0 when guest memory in [gpa, gpa + len) still reads as zeroes. */
static int nothing_written(int fd, uint64_t gpa, uint64_t len)
{
	static uint8_t back[FN_BIG];
	uint64_t i;

	if (len > sizeof(back) || guest_rw(fd, false, gpa, back, len, 0))
		return -1;
	for (i = 0; i < len; i++)
		if (back[i])
			return -1;
	return 0;
}

TEST_F_TIMEOUT(axas_as, fail_nth, 240)
{
	long tables = sec_page_tables_start();
	unsigned int n, left, total = 0;
	struct fn_snap before = { 0 }, after;
	bool have_before = false, native;
	struct axas_as_info info;
	struct fn_ctx *c;
	const char *diff, *full;
	char why[192];
	int nfd, ret;
	size_t i;

	if (!heavy(variant))
		SKIP(return, "swept on the native format and EPT5 only; AXAS_TEST_FULL=1 for all");
	ret = fault_injection_setup(why, sizeof(why));
	if (ret > 0)
		SKIP(return, "no fault injection (fail-nth) in this kernel");
	ASSERT_EQ(0, ret) TH_LOG("fail-nth without its knobs: %s", why);
	/* The other heavy variant sweeps only what walks the tables. */
	full = getenv("AXAS_TEST_FULL");
	native = variant->format == (uint32_t)native_format() ||
		 (full && *full && strcmp(full, "0"));
	nfd = fail_nth_open();
	ASSERT_LE(0, nfd);
	c = calloc(1, sizeof(*c));
	ASSERT_NE(NULL, c);
	c->dev = self->dev;
	c->format = variant->format;
	c->gpa_bits = variant->gpa_bits;
	c->ro_create = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c->ro_create);
	c->ro_create->size = sizeof(*c->ro_create);
	c->ro_create->format = variant->format;
	c->ro_create->gpa_bits = variant->gpa_bits;
	ASSERT_EQ(0, mprotect(c->ro_create, getpagesize(), PROT_READ));
	fill_pattern(c->buf, sizeof(c->buf), 0, 9);

	for (i = 0; i < ARRAY_SIZE(fn_cases); i++) {
		const struct fn_case *fc = &fn_cases[i];
		uint64_t lo = 0, hi = 0;

		if ((fc->root && !is_root()) || (fc->no_tables && !native))
			continue;
		if (fc->fault_in) {
			lo = fc->gpa & ~(SZ_2M - 1);
			hi = (fc->gpa + fc->len + SZ_2M - 1) & ~(SZ_2M - 1);
		}
		c->fd = -1;
		for (n = 1; ; n++) {
			ASSERT_GT(5000, n) TH_LOG("%s: no end", fc->name);
			/* A failed call changed nothing: keep its AS. */
			if (c->fd < 0) {
				c->fd = as_create(self->dev, variant->format,
						  variant->gpa_bits, 0, 0, 0);
				ASSERT_LE(0, c->fd);
				ASSERT_EQ(0, fc->prep(c))
					TH_LOG("%s: prep", fc->name);
				ASSERT_EQ(0, as_info(c->fd, &info));
			}
			c->new_fd = -1;
			/* After a failure, what it left is the next before. */
			if (!have_before)
				fn_snap_take(c->fd, info.out_id, fc->fault_in,
					     &before);
			have_before = true;
			ASSERT_NE(NULL, before.ptdump)
				TH_LOG("no ptdump in " AXAS_DEBUGFS "/%u",
				       info.out_id);

			fail_nth_set(nfd, n);
			ret = fc->op(c);
			left = fail_nth_clear(nfd);

			if (left) {
				/* No N-th injection point: the plain call. */
				EXPECT_EQ(fc->final, ret)
					TH_LOG("%s: without injection: %s",
					       fc->name, strerror(-ret));
			} else if (ret) {
				if (ret != fc->final) {
					EXPECT_EQ(-ENOMEM, ret)
						TH_LOG("%s: fail-nth %u: %s",
						       fc->name, n,
						       strerror(-ret));
				}
				fn_snap_take(c->fd, info.out_id, fc->fault_in,
					     &after);
				diff = fn_snap_diff(&before, &after, lo, hi);
				EXPECT_EQ(NULL, diff)
					TH_LOG("%s: fail-nth %u: %s", fc->name,
					       n, diff);
				fn_snap_free(&before);
				before = after;
				/* The harness's EXPECT is a loop: brace it. */
				if (fc->len) {
					EXPECT_EQ(0, nothing_written(c->fd,
								     fc->gpa,
								     fc->len))
						TH_LOG("%s: fail-nth %u: data copied",
						       fc->name, n);
				}
			}
			if (c->new_fd >= 0)
				close(c->new_fd);
			if (!ret || left || _metadata->exit_code == KSFT_FAIL) {
				fn_snap_free(&before);
				have_before = false;
			}
			if (!ret || _metadata->exit_code == KSFT_FAIL) {
				close(c->fd);
				c->fd = -1;
			}
			if (left || _metadata->exit_code == KSFT_FAIL)
				break;
		}
		if (c->fd >= 0)
			close(c->fd);
		if (_metadata->exit_code == KSFT_FAIL)
			break;
		if (fc->allocates) {
			EXPECT_LT(1, n)
				TH_LOG("%s: reached no injection point", fc->name);
		} else {
			EXPECT_EQ(1, n)
				TH_LOG("%s: allocates: add it to the sweep", fc->name);
		}
		total += n - 1;
	}
	close(nfd);
	munmap(c->ro_create, getpagesize());
	free(c);
	TH_LOG("%u injected failures", total);
	EXPECT_EQ(tables, sec_page_tables_settle(tables))
		TH_LOG("SecPageTables kB: a table page leaked");
}

/*
 * The 64 KiB bounce buffer of AXAS_READ and AXAS_WRITE is kvmalloc()ed:
 * when its first, physically contiguous, attempt fails (the first
 * injection point of the call), it falls back to vmalloc() instead of
 * failing the copy.
 */
TEST(bounce_fallback)
{
	static uint8_t buf[SZ_64K];
	char why[192];
	int dev, fd, nfd, ret;

	ret = fault_injection_setup(why, sizeof(why));
	if (ret > 0)
		SKIP(return, "no fault injection (fail-nth) in this kernel");
	ASSERT_EQ(0, ret) TH_LOG("fail-nth without its knobs: %s", why);
	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	fd = as_create(dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_alloc(fd, G0, SZ_64K, RW, AXAS_MAP_ALLOC_POPULATE));
	nfd = fail_nth_open();
	ASSERT_LE(0, nfd);
	fill_pattern(buf, sizeof(buf), 0, 3);
	fail_nth_set(nfd, 1);
	ret = guest_rw(fd, true, G0, buf, sizeof(buf), 0);
	fail_nth_clear(nfd);
	EXPECT_EQ(0, ret) TH_LOG("AXAS_WRITE: %s", strerror(-ret));
	memset(buf, 0, sizeof(buf));
	fail_nth_set(nfd, 1);
	ret = guest_rw(fd, false, G0, buf, sizeof(buf), 0);
	fail_nth_clear(nfd);
	EXPECT_EQ(0, ret) TH_LOG("AXAS_READ: %s", strerror(-ret));
	EXPECT_EQ(-1, check_pattern(buf, sizeof(buf), 0, 3));
	close(nfd);
	close(fd);
	close(dev);
}

TEST_HARNESS_MAIN
