// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: fail-nth (/proc/self/task/<tid>/fail-nth, as
 * iommufd_fail_nth.c) over every ioctl that allocates.
 */
#include "axas_utils.h"

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

TEST_HARNESS_MAIN
