// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: concurrency. Threads fault, write and check per-page
 * patterns, translate, map and unmap, and create and close address spaces,
 * all at once; then the data must be intact.
 *
 * The race tests after the stress test are seeded (AXAS_TEST_SEED replays
 * one), bounded by an operation count and a wall-clock cap, check every
 * return code against the results legal at that moment and, once the
 * threads joined, the guest data against a model.
 */
#include <limits.h>
#include <stdarg.h>

#include "axas_utils.h"

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
 * Race tests: common parts. Every result an ioctl may give is a bit (bit
 * i: rt_results[i]), so that what is legal at a moment is a mask. Errors
 * are negative, fault outcomes positive, as fault() returns them.
 */
static const struct {
	int ret;
	const char *name;
} rt_results[] = {
	{ 0, "0" },
	{ AXAS_FAULT_MAPPED, "MAPPED" },
	{ AXAS_FAULT_SPURIOUS, "SPURIOUS" },
	{ AXAS_FAULT_NOT_MAPPED, "NOT_MAPPED" },
	{ AXAS_FAULT_PERM, "PERM" },
	{ -ENOENT, "ENOENT" },
	{ -EACCES, "EACCES" },
	{ -EBADF, "EBADF" },
	{ -EEXIST, "EEXIST" },
	{ -EOPNOTSUPP, "EOPNOTSUPP" },
	{ -EINVAL, "EINVAL" },
};

#define RT_OK		0x001
#define RT_MAPPED	0x002
#define RT_SPURIOUS	0x004
#define RT_NOT_MAPPED	0x008
#define RT_PERM		0x010
#define RT_ENOENT	0x020
#define RT_EACCES	0x040
#define RT_EBADF	0x080
#define RT_EEXIST	0x100
#define RT_EOPNOTSUPP	0x200
#define RT_EINVAL	0x400

#define RX		(AXAS_PROT_READ | AXAS_PROT_EXEC)

/* What one test's threads share. */
struct rt_ctx {
	uint64_t seed;
	uint64_t stream;	/* which run of the test (a round) */
	uint64_t deadline;	/* now_ns() after which threads stop */
	int stop;		/* the driving thread is done */
	int failed;		/* failures; the first is in msg */
	char msg[512];
};

struct rt_thread {
	struct rt_ctx *c;
	int id;
	const char *role;
	uint64_t rng;
	unsigned long ops, max_ops;
	uint32_t seq;		/* of the patterns it wrote */
	void *priv;		/* the test's own state */
	pthread_t tid;
};

/* A guest page one thread owns: only it writes there. */
struct rt_page {
	uint64_t gpa;
	uint64_t end;		/* end of the region it lies in, at most */
	int owner;
	bool populated;		/* the owner saw it mapped: it stays mapped */
	uint64_t tag;		/* the owner's last successful write; 0: none */
};

/* A pattern that names the thread and its write. */
#define RT_TAG(thread, seq)	(0xa5ULL << 56 | (uint64_t)(thread) << 32 | \
				 (uint32_t)(seq))
#define RT_MIN_OPS	4

static void rt_init(struct rt_thread *t, struct rt_ctx *c, int id,
		    const char *role, unsigned long max_ops, void *priv)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->id = id;
	t->role = role;
	t->rng = (c->seed + c->stream * 0x9e3779b97f4a7c15ULL) ^
		 (uint64_t)(id + 1) * 0xd1b54a32d192ed03ULL;
	t->max_ops = max_ops;
	t->priv = priv;
}

/* splitmix64 */
static uint64_t rt_rand(struct rt_thread *t)
{
	uint64_t z = (t->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rt_below(struct rt_thread *t, uint64_t n)
{
	return rt_rand(t) % n;
}

static uint32_t rt_pick(struct rt_thread *t, const uint32_t *v, size_t n)
{
	return v[rt_below(t, n)];
}

#define RT_PICK(t, ...)							\
	rt_pick(t, (const uint32_t[]){ __VA_ARGS__ },			\
		ARRAY_SIZE(((const uint32_t[]){ __VA_ARGS__ })))

static const char *rt_name(int ret, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rt_results); i++)
		if (rt_results[i].ret == ret)
			return rt_results[i].name;
	snprintf(buf, len, "%d", ret);
	return buf;
}

/* The first failure is kept, named by seed, thread and GPA. */
__printf(3, 4)
static void rt_fail(struct rt_thread *t, uint64_t gpa, const char *fmt, ...)
{
	struct rt_ctx *c = t->c;
	va_list ap;
	int n;

	if (__atomic_fetch_add(&c->failed, 1, __ATOMIC_SEQ_CST))
		return;
	n = snprintf(c->msg, sizeof(c->msg),
		     "seed %#llx (AXAS_TEST_SEED), thread %d (%s), gpa %#llx: ",
		     (unsigned long long)c->seed, t->id, t->role,
		     (unsigned long long)gpa);
	va_start(ap, fmt);
	vsnprintf(c->msg + n, sizeof(c->msg) - n, fmt, ap);
	va_end(ap);
}

/* Is @ret in @legal? If not, that is the failure. */
static bool rt_allow(struct rt_thread *t, uint64_t gpa, const char *op,
		     int ret, unsigned int legal)
{
	char list[160] = "", b[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rt_results); i++)
		if (rt_results[i].ret == ret && (legal & 1U << i))
			return true;
	for (i = 0; i < ARRAY_SIZE(rt_results); i++) {
		if (legal & 1U << i) {
			strcat(list, " ");
			strcat(list, rt_results[i].name);
		}
	}
	rt_fail(t, gpa, "%s gave %s; legal here:%s", op,
		rt_name(ret, b, sizeof(b)), list);
	return false;
}

static bool rt_failed(struct rt_ctx *c)
{
	return __atomic_load_n(&c->failed, __ATOMIC_RELAXED);
}

/*
 * Go on until the operation count or the deadline, or until the driving
 * thread is done; but at least a few operations each, however slow the
 * machine.
 */
static bool rt_go(struct rt_thread *t)
{
	struct rt_ctx *c = t->c;

	if (rt_failed(c))
		return false;
	if (t->ops < RT_MIN_OPS)
		return true;
	return !__atomic_load_n(&c->stop, __ATOMIC_RELAXED) &&
	       t->ops < t->max_ops && now_ns() < c->deadline;
}

/* The pattern of @tag, or zeroes for tag 0. */
static bool rt_page_is(const void *buf, uint64_t gpa, uint64_t tag)
{
	return tag ? check_pattern(buf, SZ_4K, gpa, tag) == -1 :
		     is_zero(buf, SZ_4K);
}

/* What a page holds, for a failure message. */
static const char *rt_describe(const void *buf, uint64_t gpa, char *out,
			       size_t len)
{
	uint64_t tag = *(const uint64_t *)buf ^ gpa * 0x9e3779b97f4a7c15ULL;
	long bad;

	if (is_zero(buf, SZ_4K)) {
		snprintf(out, len, "zeroes");
		return out;
	}
	bad = check_pattern(buf, SZ_4K, gpa, tag);
	if (tag >> 56 != 0xa5)
		snprintf(out, len, "no pattern (first word %#llx)",
			 (unsigned long long)*(const uint64_t *)buf);
	else if (bad >= 0)
		snprintf(out, len,
			 "thread %d write %u up to word %ld, then other data",
			 (int)(tag >> 32 & 0xffffff), (uint32_t)tag, bad);
	else
		snprintf(out, len, "thread %d write %u",
			 (int)(tag >> 32 & 0xffffff), (uint32_t)tag);
	return out;
}

static void rt_expect_page(struct rt_thread *t, uint64_t gpa, const void *buf,
			   uint64_t tag, const char *what)
{
	char d[96];

	if (rt_page_is(buf, gpa, tag))
		return;
	if (tag)
		rt_fail(t, gpa, "%s: want thread %d write %u, found %s", what,
			(int)(tag >> 32 & 0xffffff), (uint32_t)tag,
			rt_describe(buf, gpa, d, sizeof(d)));
	else
		rt_fail(t, gpa, "%s: want zeroes (never written), found %s",
			what, rt_describe(buf, gpa, d, sizeof(d)));
}

/*
 * One random operation of a page's owner: write a new pattern, read it
 * back (it must be the last write), fault, translate. @may_perm: a
 * concurrent protect may take the write right away; @may_miss: a lockless
 * walk may miss while a block is split (arm64 break-before-make);
 * @extra: further legal results (EBADF while the fd is being closed).
 */
static int rt_owner_op(struct rt_thread *t, int fd, struct rt_page *pg,
		       bool may_perm, bool may_miss, unsigned int extra)
{
	uint64_t buf[SZ_4K / 8], tag, gpa = pg->gpa, hpa, len;
	unsigned int legal;
	uint32_t acc, fl;
	int ret;

	switch (rt_below(t, 6)) {
	case 0:
	case 1:
		fl = rt_below(t, 2) ? AXAS_RW_FAULT_IN : 0;
		tag = RT_TAG(t->id, ++t->seq);
		fill_pattern(buf, SZ_4K, gpa, tag);
		ret = guest_rw(fd, true, gpa, buf, SZ_4K, fl);
		legal = RT_OK | extra | (may_perm ? RT_EACCES : 0) |
			(!fl && !pg->populated ? RT_ENOENT : 0);
		if (rt_allow(t, gpa, fl ? "WRITE fault-in" : "WRITE", ret,
			     legal) && !ret) {
			pg->tag = tag;
			pg->populated = true;
		}
		return ret;
	case 2:
	case 3:
		memset(buf, 0x5a, sizeof(buf));
		ret = guest_rw(fd, false, gpa, buf, SZ_4K, 0);
		if (rt_allow(t, gpa, "READ", ret, RT_OK | extra) && !ret)
			rt_expect_page(t, gpa, buf, pg->tag, "READ of own page");
		return ret;
	case 4:
		acc = RT_PICK(t, RO, AXAS_PROT_WRITE, RW);
		gpa += rt_below(t, SZ_4K);
		ret = fault(fd, gpa, acc);
		legal = RT_SPURIOUS | extra |
			(pg->populated ? 0 : RT_MAPPED) |
			(may_perm && (acc & AXAS_PROT_WRITE) ? RT_PERM : 0);
		if (rt_allow(t, gpa, acc == RO ? "FAULT r" : "FAULT w", ret,
			     legal) &&
		    (ret == AXAS_FAULT_MAPPED || ret == AXAS_FAULT_SPURIOUS))
			pg->populated = true;
		return ret;
	default:
		gpa += rt_below(t, SZ_4K);
		ret = translate(fd, gpa, &hpa, &len);
		legal = RT_OK | extra |
			(!pg->populated || may_miss ? RT_ENOENT : 0);
		if (rt_allow(t, gpa, "TRANSLATE", ret, legal) && !ret &&
		    (!len || len > pg->end - gpa ||
		     (is_root() && (hpa ^ gpa) & (SZ_4K - 1))))
			rt_fail(t, gpa, "TRANSLATE: hpa %#llx, length %#llx",
				(unsigned long long)hpa,
				(unsigned long long)len);
		return ret;
	}
}

/* The seed: AXAS_TEST_SEED, else from the clock; printed either way. */
static uint64_t rt_seed(struct __test_metadata *_metadata)
{
	const char *env = getenv("AXAS_TEST_SEED");
	uint64_t seed;

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else
		seed = now_ns() ^ (uint64_t)getpid() << 40;
	TH_LOG("seed %#llx (AXAS_TEST_SEED=%#llx replays it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

/*
 * Wall-clock cap and operation count of the driving thread: the native
 * format and EPT5 get the most, which keeps the program well under a
 * minute under TCG.
 */
static uint64_t rt_budget_ns(const FIXTURE_VARIANT(axas_as) *variant)
{
	return (heavy(variant) ? 1500 : 400) * 1000000ULL;
}

static unsigned long rt_driver_ops(const FIXTURE_VARIANT(axas_as) *variant)
{
	return heavy(variant) ? 400 : 100;
}

static int rt_run(struct rt_thread *t, size_t n, void *(*const *fn)(void *))
{
	size_t i, j;
	int ret;

	for (i = 0; i < n; i++) {
		ret = pthread_create(&t[i].tid, NULL, fn[i], &t[i]);
		if (ret) {
			__atomic_store_n(&t[0].c->failed, 1, __ATOMIC_SEQ_CST);
			for (j = 0; j < i; j++)
				pthread_join(t[j].tid, NULL);
			return -ret;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	return 0;
}

/*
 * UNMAP and PROTECT of one region racing faults, guest read/write and
 * translation. A lazy 4 MiB region (2 MiB frames where possible) is
 * followed at 64 pages, one per 64 KiB. Most are stable: never unmapped,
 * each owned by one of two writers that write and read back their own
 * patterns while the mutator protects 512 KiB-aligned ranges (splitting
 * blocks and the region). Every eighth page is volatile: the mutator
 * unmaps it and maps it again (4 KiB, lazy or populated) while one
 * writer writes and reads it, and a prober and a translator walk
 * everything. At most 8 holes are punched into the region.
 */
#define UP_BASE		G0
#define UP_LEN		(2 * SZ_2M)
#define UP_SLOTS	64
#define UP_GRAIN	(512 * 1024ULL)
#define UP_VOL(i)	((i) % 8 == 5)

enum {
	UP_OWNER0, UP_OWNER1, UP_VWRITER, UP_MUTATOR, UP_PROBER,
	UP_TRANSLATOR, UP_THREADS
};

struct up_slot {
	struct rt_page pg;	/* stable: the owner's model */
	bool vol;
	/* volatile: the volatile writer's last successful write */
	uint64_t vtag, vstart, vend;	/* now_ns() before and after it */
	/* the mutator's model */
	bool mapped;
	uint32_t prot;
	uint64_t unmap_start;	/* now_ns() before the last unmap */
	uint64_t remap_end;	/* now_ns() once the last map returned */
};

struct up {
	struct rt_ctx c;
	int fd;
	bool bbm;
	struct up_slot s[UP_SLOTS];
	int vol[UP_SLOTS], nr_vol;
};

static void *up_owner(void *arg)
{
	struct rt_thread *t = arg;
	struct up *u = t->priv;
	int mine[UP_SLOTS], n = 0, i;

	for (i = 0; i < UP_SLOTS; i++)
		if (!u->s[i].vol && u->s[i].pg.owner == t->id)
			mine[n++] = i;
	for (; rt_go(t); t->ops++)
		rt_owner_op(t, u->fd, &u->s[mine[rt_below(t, n)]].pg, true,
			    u->bbm, 0);
	return NULL;
}

static void *up_vwriter(void *arg)
{
	struct rt_thread *t = arg;
	struct up *u = t->priv;
	uint64_t buf[SZ_4K / 8], tag, start, gpa;
	struct up_slot *s;
	char d[96];
	uint32_t fl, acc;
	int ret;

	for (; rt_go(t); t->ops++) {
		s = &u->s[u->vol[rt_below(t, u->nr_vol)]];
		gpa = s->pg.gpa;
		switch (rt_below(t, 3)) {
		case 0:
			fl = rt_below(t, 2) ? AXAS_RW_FAULT_IN : 0;
			tag = RT_TAG(t->id, ++t->seq);
			fill_pattern(buf, SZ_4K, gpa, tag);
			start = now_ns();
			ret = guest_rw(u->fd, true, gpa, buf, SZ_4K, fl);
			if (rt_allow(t, gpa, "WRITE", ret,
				     RT_OK | RT_ENOENT | RT_EACCES) && !ret) {
				s->vtag = tag;
				s->vstart = start;
				s->vend = now_ns();
			}
			break;
		case 1:
			/* Its last write, or zeroes if mapped again since. */
			ret = guest_rw(u->fd, false, gpa, buf, SZ_4K, 0);
			if (rt_allow(t, gpa, "READ", ret, RT_OK | RT_ENOENT) &&
			    !ret && !is_zero(buf, SZ_4K) &&
			    !(s->vtag && rt_page_is(buf, gpa, s->vtag)))
				rt_fail(t, gpa,
					"READ: want zeroes or thread %d write %u, found %s",
					t->id, (uint32_t)s->vtag,
					rt_describe(buf, gpa, d, sizeof(d)));
			break;
		default:
			acc = RT_PICK(t, RO, RW);
			ret = fault(u->fd, gpa + rt_below(t, SZ_4K), acc);
			rt_allow(t, gpa, "FAULT", ret,
				 RT_MAPPED | RT_SPURIOUS | RT_NOT_MAPPED |
				 (acc == RW ? RT_PERM : 0));
			break;
		}
	}
	return NULL;
}

static void up_protect(struct rt_thread *t, struct up *u)
{
	uint64_t a = rt_below(t, UP_LEN / UP_GRAIN), b, gpa, len;
	uint32_t prot = RT_PICK(t, RO, RW, AXAS_PROT_RWX);
	int i, want = 0, ret;

	b = a + 1 + rt_below(t, UP_LEN / UP_GRAIN - a);
	gpa = UP_BASE + a * UP_GRAIN;
	len = (b - a) * UP_GRAIN;
	/* Only the holes at unmapped volatile pages are gaps. */
	for (i = 0; i < UP_SLOTS; i++)
		if (u->s[i].pg.gpa - gpa < len && u->s[i].vol &&
		    !u->s[i].mapped)
			want = -ENOENT;
	ret = protect(u->fd, gpa, len, prot);
	if (ret != want) {
		rt_fail(t, gpa, "PROTECT of %#llx bytes to %#x gave %d, want %d",
			(unsigned long long)len, prot, ret, want);
		return;
	}
	for (i = 0; !ret && i < UP_SLOTS; i++)
		if (u->s[i].pg.gpa - gpa < len)
			u->s[i].prot = prot;
}

static void up_toggle(struct rt_thread *t, struct up *u)
{
	struct up_slot *s = &u->s[u->vol[rt_below(t, u->nr_vol)]];
	uint64_t gpa = s->pg.gpa;
	uint32_t prot, fl;
	int ret;

	if (s->mapped) {
		s->unmap_start = now_ns();
		ret = unmap(u->fd, gpa, SZ_4K);
		if (ret)
			rt_fail(t, gpa, "UNMAP gave %d", ret);
		s->mapped = false;
		return;
	}
	prot = rt_below(t, 4) ? RW : RO;
	fl = rt_below(t, 2) ? AXAS_MAP_ALLOC_POPULATE : 0;
	ret = map_alloc(u->fd, gpa, SZ_4K, prot, fl);
	s->remap_end = now_ns();
	if (ret)
		rt_fail(t, gpa, "MAP_ALLOC (flags %#x) gave %d", fl, ret);
	s->mapped = true;
	s->prot = prot;
}

static void *up_mutator(void *arg)
{
	struct rt_thread *t = arg;
	struct up *u = t->priv;
	uint64_t gpa;
	int r, ret;

	for (; rt_go(t); t->ops++) {
		r = rt_below(t, 8);
		if (r < 3) {
			up_protect(t, u);
		} else if (r < 7) {
			up_toggle(t, u);
		} else {
			/* Nothing may be mapped over a stable page. */
			gpa = u->s[rt_below(t, UP_SLOTS / 8) * 8].pg.gpa;
			ret = map_alloc(u->fd, gpa, SZ_4K, RW, 0);
			rt_allow(t, gpa, "MAP_ALLOC over a region", ret,
				 RT_EEXIST);
		}
	}
	__atomic_store_n(&t->c->stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *up_prober(void *arg)
{
	struct rt_thread *t = arg;
	struct up *u = t->priv;
	uint64_t buf[SZ_4K / 8], gpa;
	struct axas_stats st;
	struct up_slot *s;
	uint32_t acc, len;
	int ret;

	for (; rt_go(t); t->ops++) {
		s = &u->s[rt_below(t, UP_SLOTS)];
		gpa = s->pg.gpa + rt_below(t, SZ_4K);
		switch (rt_below(t, 4)) {
		case 0:
			acc = RT_PICK(t, RO, AXAS_PROT_WRITE, RW,
				      AXAS_PROT_EXEC, AXAS_PROT_RWX);
			ret = fault(u->fd, gpa, acc);
			rt_allow(t, gpa, "FAULT", ret,
				 RT_MAPPED | RT_SPURIOUS |
				 (acc != RO ? RT_PERM : 0) |
				 (s->vol ? RT_NOT_MAPPED : 0));
			break;
		case 1:
			len = 1 + rt_below(t, SZ_4K - (gpa & (SZ_4K - 1)));
			ret = guest_rw(u->fd, false, gpa, buf, len, 0);
			rt_allow(t, gpa, "READ", ret,
				 RT_OK | (s->vol ? RT_ENOENT : 0));
			break;
		case 2:
			ret = get_stats(u->fd, &st);
			rt_allow(t, UP_BASE, "GET_STATS", ret, RT_OK);
			break;
		default:
			gpa = UP_BASE + UP_LEN + rt_below(t, SZ_2M);
			ret = fault(u->fd, gpa, RO);
			rt_allow(t, gpa, "FAULT outside every region", ret,
				 RT_NOT_MAPPED);
			break;
		}
	}
	return NULL;
}

static void *up_translator(void *arg)
{
	struct rt_thread *t = arg;
	struct up *u = t->priv;
	uint64_t gpa, hpa, len;
	int ret;

	for (; rt_go(t); t->ops++) {
		gpa = u->s[rt_below(t, UP_SLOTS)].pg.gpa + rt_below(t, SZ_4K);
		ret = translate(u->fd, gpa, &hpa, &len);
		if (rt_allow(t, gpa, "TRANSLATE", ret, RT_OK | RT_ENOENT) &&
		    !ret && (!len || len > UP_BASE + UP_LEN - gpa ||
			     (is_root() && (hpa ^ gpa) & (SZ_4K - 1))))
			rt_fail(t, gpa, "TRANSLATE: hpa %#llx, length %#llx",
				(unsigned long long)hpa,
				(unsigned long long)len);
	}
	return NULL;
}

/* After the join: every page against the model. */
static void up_check(struct up *u)
{
	struct rt_thread chk;
	uint64_t buf[SZ_4K / 8], gpa;
	struct up_slot *s;
	char d[96];
	int i, ret;
	bool w;

	for (i = 0; i < UP_SLOTS && !rt_failed(&u->c); i++) {
		s = &u->s[i];
		gpa = s->pg.gpa;
		w = s->prot & AXAS_PROT_WRITE;
		rt_init(&chk, &u->c, s->vol ? UP_VWRITER : s->pg.owner,
			"final check", 0, NULL);
		ret = guest_rw(u->fd, false, gpa, buf, SZ_4K, 0);
		if (!s->vol) {
			if (rt_allow(&chk, gpa, "READ", ret, RT_OK))
				rt_expect_page(&chk, gpa, buf, s->pg.tag,
					       "READ after the race");
			ret = translate(u->fd, gpa, NULL, NULL);
			rt_allow(&chk, gpa, "TRANSLATE", ret,
				 RT_OK | (s->pg.tag ? 0 : RT_ENOENT));
			ret = fault(u->fd, gpa, RW);
			rt_allow(&chk, gpa, "FAULT w", ret, !w ? RT_PERM :
				 RT_SPURIOUS | (s->pg.tag ? 0 : RT_MAPPED));
		} else if (!s->mapped) {
			rt_allow(&chk, gpa, "READ of an unmapped page", ret,
				 RT_ENOENT);
			ret = translate(u->fd, gpa, NULL, NULL);
			rt_allow(&chk, gpa, "TRANSLATE of an unmapped page",
				 ret, RT_ENOENT);
			ret = fault(u->fd, gpa, RO);
			rt_allow(&chk, gpa, "FAULT on an unmapped page", ret,
				 RT_NOT_MAPPED);
		} else if (rt_allow(&chk, gpa, "READ", ret, RT_OK)) {
			/*
			 * The last write that succeeded if it was issued
			 * after the last map returned; zeroes if there was
			 * none or it returned before the last unmap was
			 * issued; either if they overlapped.
			 */
			if (s->vtag && s->vstart > s->remap_end)
				rt_expect_page(&chk, gpa, buf, s->vtag,
					       "READ after the race");
			else if (!s->vtag || s->vend < s->unmap_start)
				rt_expect_page(&chk, gpa, buf, 0,
					       "READ after unmap and map");
			else if (!is_zero(buf, SZ_4K) &&
				 !(s->vtag && rt_page_is(buf, gpa, s->vtag)))
				rt_fail(&chk, gpa,
					"READ after the race: want zeroes or thread %d write %u, found %s",
					UP_VWRITER, (uint32_t)s->vtag,
					rt_describe(buf, gpa, d, sizeof(d)));
			ret = fault(u->fd, gpa, RW);
			rt_allow(&chk, gpa, "FAULT w", ret, !w ? RT_PERM :
				 RT_SPURIOUS | RT_MAPPED);
		}
	}
}

TEST_F(axas_as, race_unmap_protect)
{
	void *(*const fn[UP_THREADS])(void *) = {
		up_owner, up_owner, up_vwriter, up_mutator, up_prober,
		up_translator,
	};
	static const char *const role[UP_THREADS] = {
		"owner", "owner", "volatile writer", "mutator", "prober",
		"translator",
	};
	struct rt_thread t[UP_THREADS];
	unsigned long n = rt_driver_ops(variant);
	struct axas_stats st;
	struct up *u;
	int i;

	u = calloc(1, sizeof(*u));
	ASSERT_NE(NULL, u);
	u->c.seed = rt_seed(_metadata);
	u->fd = self->fd;
	u->bbm = variant->format == AXAS_FORMAT_ARM64_S2;
	for (i = 0; i < UP_SLOTS; i++) {
		struct up_slot *s = &u->s[i];

		s->pg.gpa = UP_BASE + i * SZ_64K + (i % 16) * SZ_4K;
		s->pg.end = UP_BASE + UP_LEN;
		s->pg.owner = i % 2 ? UP_OWNER1 : UP_OWNER0;
		s->vol = UP_VOL(i);
		s->mapped = true;
		s->prot = RW;
		if (s->vol)
			u->vol[u->nr_vol++] = i;
	}
	ASSERT_EQ(0, map_alloc(self->fd, UP_BASE, UP_LEN, RW,
			       AXAS_MAP_ALLOC_HUGE));
	u->c.deadline = now_ns() + rt_budget_ns(variant);
	for (i = 0; i < UP_THREADS; i++)
		rt_init(&t[i], &u->c, i, role[i],
			i == UP_MUTATOR ? n : 64 * n, u);
	ASSERT_EQ(0, rt_run(t, UP_THREADS, fn));
	if (!u->c.failed)
		up_check(u);
	EXPECT_EQ(0, u->c.failed) TH_LOG("%s", u->c.msg);
	TH_LOG("ops: owners %lu %lu, volatile writer %lu, mutator %lu, prober %lu, translator %lu",
	       t[0].ops, t[1].ops, t[2].ops, t[3].ops, t[4].ops, t[5].ops);

	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(st.frames, st.leaves_4k + 512 * st.leaves_2m);
	ASSERT_EQ(0, unmap(self->fd, UP_BASE, UP_LEN));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(0, st.leaves_4k + st.leaves_2m);
	free(u);
}

/*
 * MAP_LINEAR racing faults in other regions. Two mappers map, split,
 * protect and unmap linear regions of their own (2 MiB blocks, 4 KiB
 * leaves, a 1 GiB block where the geometry has one; device memory, as
 * the HPA is a hole: a normal map of it and execute rights are refused
 * and change nothing) and check each at once: translation to the fixed
 * HPA, the length to the region's end, fault outcomes from its rights. Meanwhile two owners
 * fault, write and read back their pages of a lazy region in the same
 * 1 GiB, and a prober faults and translates everywhere: a fault in a
 * linear region never maps anything.
 */
#define LM_A		G0			/* lazy, 2 MiB frames, RW */
#define LM_ALEN		(2 * SZ_2M)
#define LM_PAGES	32			/* followed: one per 128 KiB */
#define LM_GAP		(G0 + 24 * SZ_2M)	/* never mapped */

static const struct lm_def {
	uint64_t gpa, hpa, max;
} lm_defs[] = {
	{ G0 + 32 * SZ_2M, LINEAR_HPA, 2 * SZ_2M },
	/* GPA and HPA 2 MiB apart in alignment: 4 KiB leaves only */
	{ G0 + 40 * SZ_2M + SZ_4K, LINEAR_HPA + 2 * SZ_4K, 256 * SZ_4K },
	/* the prober READs it (EOPNOTSUPP) */
	{ G0 + 48 * SZ_2M, LINEAR_HPA, SZ_64K },
	/* needs three levels and a 4 GiB width (lm_slots) */
	{ 2 * SZ_1G, LINEAR_HPA, SZ_1G },
};

#define LM_SLOTS	ARRAY_SIZE(lm_defs)

enum {
	LM_OWNER0, LM_OWNER1, LM_PROBER, LM_MAPPER0, LM_MAPPER1, LM_THREADS
};

struct lm_slot {	/* the mapper's model */
	bool mapped;
	uint64_t len;
	uint32_t prot;
};

struct lm {
	struct rt_ctx c;
	int fd;
	unsigned int nr_slots;
	struct rt_page pg[LM_PAGES];
	struct lm_slot s[LM_SLOTS];
};

static void *lm_owner(void *arg)
{
	struct rt_thread *t = arg;
	struct lm *m = t->priv;

	for (; rt_go(t); t->ops++)
		rt_owner_op(t, m->fd,
			    &m->pg[rt_below(t, LM_PAGES / 2) * 2 + t->id],
			    false, false, 0);
	return NULL;
}

/* The mapper's exact checks of a slot it just changed. */
static void lm_verify(struct rt_thread *t, struct lm *m, unsigned int i)
{
	const struct lm_def *d = &lm_defs[i];
	struct lm_slot *s = &m->s[i];
	uint64_t off, gpa, hpa, len, v;
	uint32_t acc;
	int ret;

	if (!s->mapped) {
		gpa = d->gpa + rt_below(t, d->max);
		ret = translate(m->fd, gpa, NULL, NULL);
		rt_allow(t, gpa, "TRANSLATE after UNMAP", ret, RT_ENOENT);
		ret = fault(m->fd, gpa, RO);
		rt_allow(t, gpa, "FAULT after UNMAP", ret, RT_NOT_MAPPED);
		return;
	}
	off = rt_below(t, s->len);
	gpa = d->gpa + off;
	ret = translate(m->fd, gpa, &hpa, &len);
	if (rt_allow(t, gpa, "TRANSLATE", ret, RT_OK) &&
	    ((is_root() && hpa != d->hpa + off) || len != s->len - off))
		rt_fail(t, gpa,
			"TRANSLATE: hpa %#llx length %#llx, want %#llx and %#llx",
			(unsigned long long)hpa, (unsigned long long)len,
			(unsigned long long)(d->hpa + off),
			(unsigned long long)(s->len - off));
	if (s->len < d->max) {
		ret = translate(m->fd, d->gpa + s->len, NULL, NULL);
		rt_allow(t, d->gpa + s->len, "TRANSLATE past the end", ret,
			 RT_ENOENT);
	}
	acc = RT_PICK(t, RO, AXAS_PROT_WRITE, AXAS_PROT_EXEC);
	ret = fault(m->fd, gpa, acc);
	rt_allow(t, gpa, "FAULT on a linear region", ret,
		 acc & ~s->prot ? RT_PERM : RT_SPURIOUS);
	ret = guest_rw(m->fd, false, gpa & ~7ULL, &v, 8, 0);
	rt_allow(t, gpa, "READ of device memory", ret, RT_EOPNOTSUPP);
}

static void lm_change(struct rt_thread *t, struct lm *m, unsigned int i)
{
	const struct lm_def *d = &lm_defs[i];
	struct lm_slot *s = &m->s[i];
	uint64_t gpa;
	int ret;

	if (!s->mapped) {
		switch (rt_below(t, 4)) {
		case 0:
			s->len = d->max;
			break;
		case 1:
			s->len = SZ_4K;
			break;
		case 2:
			s->len = d->max > SZ_2M + SZ_64K ? SZ_2M + SZ_64K :
							   d->max / 2;
			break;
		default:
			s->len = SZ_4K * (1 + rt_below(t, d->max / SZ_4K));
			break;
		}
		if (!rt_below(t, 4)) {
			/* A hole is no normal memory. */
			s->prot = RT_PICK(t, RO, RW, AXAS_PROT_RWX, RX);
			ret = map_linear(m->fd, d->gpa, s->len, d->hpa, s->prot,
					 AXAS_MEM_NORMAL);
			rt_allow(t, d->gpa, "MAP_LINEAR of normal memory", ret,
				 RT_EINVAL);
			return;
		}
		s->prot = RT_PICK(t, RO, RW);
		ret = map_linear(m->fd, d->gpa, s->len, d->hpa, s->prot,
				 AXAS_MEM_DEVICE);
		if (rt_allow(t, d->gpa, "MAP_LINEAR", ret, RT_OK))
			s->mapped = true;
		return;
	}
	switch (rt_below(t, 4)) {
	case 0:
		/* Unmap the last page: splits a block at the end. */
		gpa = d->gpa + s->len - SZ_4K;
		if (s->len == SZ_4K) {
			ret = unmap(m->fd, d->gpa, SZ_4K);
			if (rt_allow(t, gpa, "UNMAP", ret, RT_OK))
				s->mapped = false;
			break;
		}
		ret = unmap(m->fd, gpa, SZ_4K);
		if (rt_allow(t, gpa, "UNMAP of the last page", ret, RT_OK))
			s->len -= SZ_4K;
		break;
	case 1:
		/* The slot's whole range: a gap at its end is allowed. */
		ret = unmap(m->fd, d->gpa, d->max);
		if (rt_allow(t, d->gpa, "UNMAP", ret, RT_OK))
			s->mapped = false;
		break;
	case 2:
		if (!rt_below(t, 4)) {
			/* Device memory is never executable. */
			ret = protect(m->fd, d->gpa, s->len,
				      RT_PICK(t, AXAS_PROT_RWX, RX));
			rt_allow(t, d->gpa, "PROTECT with execute", ret,
				 RT_EINVAL);
			break;
		}
		s->prot = RT_PICK(t, RO, RW);
		ret = protect(m->fd, d->gpa, s->len, s->prot);
		rt_allow(t, d->gpa, "PROTECT", ret, RT_OK);
		break;
	default:
		gpa = d->gpa + rt_below(t, s->len / SZ_4K) * SZ_4K;
		ret = map_linear(m->fd, gpa, SZ_4K, d->hpa, RO,
				 AXAS_MEM_DEVICE);
		rt_allow(t, gpa, "MAP_LINEAR over itself", ret, RT_EEXIST);
		gpa = LM_A + rt_below(t, LM_ALEN / SZ_4K) * SZ_4K;
		ret = map_linear(m->fd, gpa, SZ_4K, d->hpa, RO,
				 AXAS_MEM_DEVICE);
		rt_allow(t, gpa, "MAP_LINEAR over the lazy region", ret,
			 RT_EEXIST);
		break;
	}
}

static void *lm_mapper(void *arg)
{
	struct rt_thread *t = arg;
	struct lm *m = t->priv;
	unsigned int i;

	for (; rt_go(t); t->ops++) {
		/* Mapper 0 has slots 0 and 1, mapper 1 the others. */
		i = (t->id - LM_MAPPER0) * 2 + rt_below(t, 2);
		if (i >= m->nr_slots)
			i = 2;
		lm_change(t, m, i);
		lm_verify(t, m, i);
	}
	if (t->id == LM_MAPPER0)
		__atomic_store_n(&t->c->stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *lm_prober(void *arg)
{
	struct rt_thread *t = arg;
	struct lm *m = t->priv;
	uint64_t gpa, hpa, len, off, v;
	const struct lm_def *d;
	uint32_t acc;
	int ret;

	for (; rt_go(t); t->ops++) {
		d = &lm_defs[rt_below(t, m->nr_slots)];
		off = rt_below(t, d->max);
		gpa = d->gpa + off;
		acc = RT_PICK(t, RO, AXAS_PROT_WRITE, RW, AXAS_PROT_EXEC);
		switch (rt_below(t, 5)) {
		case 0:
			gpa = LM_A + rt_below(t, LM_ALEN);
			ret = fault(m->fd, gpa, acc);
			rt_allow(t, gpa, "FAULT", ret,
				 acc & AXAS_PROT_EXEC ? RT_PERM :
				 RT_MAPPED | RT_SPURIOUS);
			break;
		case 1:
			ret = fault(m->fd, gpa, acc);
			rt_allow(t, gpa, "FAULT on a linear slot", ret,
				 RT_SPURIOUS | RT_PERM | RT_NOT_MAPPED);
			break;
		case 2:
			ret = translate(m->fd, gpa, &hpa, &len);
			if (rt_allow(t, gpa, "TRANSLATE of a linear slot", ret,
				     RT_OK | RT_ENOENT) && !ret &&
			    (!len || len > d->max - off ||
			     (is_root() && hpa != d->hpa + off)))
				rt_fail(t, gpa,
					"TRANSLATE: hpa %#llx length %#llx",
					(unsigned long long)hpa,
					(unsigned long long)len);
			break;
		case 3:
			d = &lm_defs[2];
			gpa = d->gpa + rt_below(t, d->max / 8) * 8;
			ret = guest_rw(m->fd, false, gpa, &v, 8, 0);
			rt_allow(t, gpa, "READ of the device slot", ret,
				 RT_EOPNOTSUPP | RT_ENOENT);
			break;
		default:
			gpa = LM_GAP + rt_below(t, SZ_2M);
			ret = fault(m->fd, gpa, acc);
			rt_allow(t, gpa, "FAULT outside every region", ret,
				 RT_NOT_MAPPED);
			break;
		}
	}
	return NULL;
}

static void lm_check(struct lm *m)
{
	uint64_t buf[SZ_4K / 8], hpa, len;
	struct rt_thread chk;
	struct rt_page *pg;
	unsigned int i;
	int ret;

	for (i = 0; i < LM_PAGES && !rt_failed(&m->c); i++) {
		pg = &m->pg[i];
		rt_init(&chk, &m->c, pg->owner, "final check", 0, NULL);
		ret = guest_rw(m->fd, false, pg->gpa, buf, SZ_4K, 0);
		if (rt_allow(&chk, pg->gpa, "READ", ret, RT_OK))
			rt_expect_page(&chk, pg->gpa, buf, pg->tag,
				       "READ after the race");
		ret = translate(m->fd, pg->gpa, NULL, NULL);
		rt_allow(&chk, pg->gpa, "TRANSLATE", ret,
			 RT_OK | (pg->tag ? 0 : RT_ENOENT));
		ret = fault(m->fd, pg->gpa, RW);
		rt_allow(&chk, pg->gpa, "FAULT w", ret,
			 RT_SPURIOUS | (pg->tag ? 0 : RT_MAPPED));
	}
	for (i = 0; i < m->nr_slots && !rt_failed(&m->c); i++) {
		const struct lm_def *d = &lm_defs[i];
		struct lm_slot *s = &m->s[i];

		rt_init(&chk, &m->c, LM_MAPPER0 + i / 2, "final check", 0,
			NULL);
		ret = translate(m->fd, d->gpa, &hpa, &len);
		if (!s->mapped) {
			rt_allow(&chk, d->gpa, "TRANSLATE", ret, RT_ENOENT);
			continue;
		}
		if (rt_allow(&chk, d->gpa, "TRANSLATE", ret, RT_OK) &&
		    ((is_root() && hpa != d->hpa) || len != s->len))
			rt_fail(&chk, d->gpa,
				"TRANSLATE: hpa %#llx length %#llx, want %#llx and %#llx",
				(unsigned long long)hpa,
				(unsigned long long)len,
				(unsigned long long)d->hpa,
				(unsigned long long)s->len);
	}
}

TEST_F(axas_as, race_map_linear)
{
	void *(*const fn[LM_THREADS])(void *) = {
		lm_owner, lm_owner, lm_prober, lm_mapper, lm_mapper,
	};
	static const char *const role[LM_THREADS] = {
		"owner", "owner", "prober", "mapper", "mapper",
	};
	struct rt_thread t[LM_THREADS];
	unsigned long n = rt_driver_ops(variant);
	struct axas_stats st;
	unsigned int i;
	struct lm *m;

	if (!is_root())
		SKIP(return, "MAP_LINEAR needs CAP_SYS_RAWIO");
	m = calloc(1, sizeof(*m));
	ASSERT_NE(NULL, m);
	m->c.seed = rt_seed(_metadata);
	m->fd = self->fd;
	/* The 1 GiB slot needs a 1 GiB block and room for it. */
	m->nr_slots = self->top >= 4 * SZ_1G && variant->levels >= 3 ?
		      LM_SLOTS : LM_SLOTS - 1;
	for (i = 0; i < LM_PAGES; i++) {
		m->pg[i].gpa = LM_A + i * (LM_ALEN / LM_PAGES) +
			       (i % 8) * SZ_4K;
		m->pg[i].end = LM_A + LM_ALEN;
		m->pg[i].owner = i % 2;
	}
	ASSERT_EQ(0, map_alloc(self->fd, LM_A, LM_ALEN, RW,
			       AXAS_MAP_ALLOC_HUGE));
	m->c.deadline = now_ns() + rt_budget_ns(variant);
	for (i = 0; i < LM_THREADS; i++)
		rt_init(&t[i], &m->c, i, role[i],
			i >= LM_MAPPER0 ? n / 2 : 64 * n, m);
	ASSERT_EQ(0, rt_run(t, LM_THREADS, fn));
	if (!m->c.failed)
		lm_check(m);
	EXPECT_EQ(0, m->c.failed) TH_LOG("%s", m->c.msg);
	TH_LOG("ops: owners %lu %lu, prober %lu, mappers %lu %lu",
	       t[0].ops, t[1].ops, t[2].ops, t[3].ops, t[4].ops);

	ASSERT_EQ(0, unmap(self->fd, LM_A, LM_ALEN));
	for (i = 0; i < m->nr_slots; i++)
		EXPECT_EQ(m->s[i].mapped ? 0 : -ENOENT,
			  unmap(self->fd, lm_defs[i].gpa, lm_defs[i].max));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.regions);
	EXPECT_EQ(0, st.frames);
	EXPECT_EQ(0, st.leaves_4k + st.leaves_2m + st.leaves_1g);
	free(m);
}

/*
 * Closing an address-space fd while other threads are inside ioctls on
 * it. Each round creates an address space; two threads use its fd number
 * (raw), two hold a dup of it, one more issues long ioctls on the number
 * (1 MiB reads and writes, 2 MiB populate and unmap, protect). The main
 * thread closes the number after a seeded count of operations. A raw
 * call then completes normally or gives EBADF: EBADF never before the
 * close, always once close() returned, and never anything else after
 * it. In half of the rounds the dup holders go on and check every page
 * against the model, then close their dups, the last one possibly while
 * the other is inside an ioctl; in the other half they close their dups
 * first, so that the last reference goes while raw threads are inside
 * ioctls. Afterwards no fd is left open, the address space's debugfs
 * folder is gone and SecPageTables is back where it started.
 */
#define CL_P		G0			/* lazy, owned pages */
#define CL_PAGES	32
#define CL_Q		(G0 + SZ_2M)		/* populated, 2 MiB frames */
#define CL_QLEN		(2 * SZ_2M)
#define CL_CHUNK	(1024 * 1024ULL)
#define CL_QCHUNKS	(CL_QLEN / CL_CHUNK)
#define CL_R		(G0 + 4 * SZ_2M)	/* mapped and unmapped */

enum { CL_RAW0, CL_RAW1, CL_DUP0, CL_DUP1, CL_LONG, CL_THREADS };

struct cl {
	struct rt_ctx c;
	int fd;			/* the number main closes */
	int dupfd[2];		/* of CL_DUP0 and CL_DUP1 */
	int closing;		/* main is about to close fd */
	int close_done;		/* close(fd) returned */
	int raw_done;		/* raw threads that finished */
	int dups_closed;	/* dup holders that closed their dup */
	bool early;		/* the dups are closed before the number */
	unsigned long total_ops;
	uint64_t hard_deadline;
	struct rt_page pg[CL_PAGES];
	bool qwritten[CL_QCHUNKS];
	bool rmapped;
	void *big;		/* CL_CHUNK bytes */
};

/* Legal results on the raw number around its close; see above. */
static void cl_raw_after(struct rt_thread *t, struct cl *u, int ret,
			 bool done_before, bool *saw, uint64_t gpa)
{
	char b[16];

	if (ret == -EBADF) {
		if (!__atomic_load_n(&u->closing, __ATOMIC_SEQ_CST))
			rt_fail(t, gpa, "EBADF before the fd was closed");
		*saw = true;
	} else if (done_before) {
		rt_fail(t, gpa, "a call issued after close() returned gave %s, not EBADF",
			rt_name(ret, b, sizeof(b)));
	} else if (*saw) {
		rt_fail(t, gpa, "the fd gave %s after EBADF",
			rt_name(ret, b, sizeof(b)));
	}
	__atomic_fetch_add(&u->total_ops, 1, __ATOMIC_RELAXED);
}

static bool cl_done(struct cl *u)
{
	return __atomic_load_n(&u->close_done, __ATOMIC_SEQ_CST);
}

static bool cl_go(struct rt_thread *t, struct cl *u)
{
	return !rt_failed(&u->c) && now_ns() < u->hard_deadline &&
	       t->ops < t->max_ops;
}

static void cl_raw_end(struct rt_thread *t, struct cl *u, bool saw)
{
	struct axas_stats st;
	int ret;

	if (!saw && !rt_failed(&u->c))
		rt_fail(t, 0, "never saw EBADF (%lu operations)", t->ops);
	/* Closed for good. */
	ret = get_stats(u->fd, &st);
	if (saw)
		rt_allow(t, 0, "GET_STATS after EBADF", ret, RT_EBADF);
	__atomic_fetch_add(&u->raw_done, 1, __ATOMIC_SEQ_CST);
}

static void *cl_raw(void *arg)
{
	struct rt_thread *t = arg;
	struct cl *u = t->priv;
	struct rt_page *pg;
	bool saw = false, done;
	int ret;

	for (; !saw && cl_go(t, u); t->ops++) {
		pg = &u->pg[rt_below(t, CL_PAGES / 4) * 4 + t->id];
		done = cl_done(u);
		ret = rt_owner_op(t, u->fd, pg, false, false, RT_EBADF);
		cl_raw_after(t, u, ret, done, &saw, pg->gpa);
	}
	cl_raw_end(t, u, saw);
	return NULL;
}

static void *cl_long(void *arg)
{
	struct rt_thread *t = arg;
	struct cl *u = t->priv;
	uint64_t gpa, k;
	bool saw = false, done;
	const char *op;
	int ret;

	for (; !saw && cl_go(t, u); t->ops++) {
		k = rt_below(t, CL_QCHUNKS);
		gpa = CL_Q + k * CL_CHUNK;
		done = cl_done(u);
		/* Every other call a 1 MiB write. */
		switch (t->ops % 2 ? 1 + rt_below(t, 3) : 0) {
		case 0:
			/* The same data every time: a chunk's own pattern. */
			fill_pattern(u->big, CL_CHUNK, gpa, RT_TAG(t->id, k));
			op = "WRITE of 1 MiB";
			ret = guest_rw(u->fd, true, gpa, u->big, CL_CHUNK,
				       AXAS_RW_FAULT_IN);
			if (rt_allow(t, gpa, op, ret, RT_OK | RT_EBADF) &&
			    !ret)
				u->qwritten[k] = true;
			break;
		case 1:
			op = "READ of 1 MiB";
			ret = guest_rw(u->fd, false, gpa, u->big, CL_CHUNK, 0);
			if (rt_allow(t, gpa, op, ret, RT_OK | RT_EBADF) &&
			    !ret &&
			    (u->qwritten[k] ?
			     check_pattern(u->big, CL_CHUNK, gpa,
					   RT_TAG(t->id, k)) != -1 :
			     !is_zero(u->big, CL_CHUNK)))
				rt_fail(t, gpa, "%s: not what was written",
					op);
			break;
		case 2:
			gpa = CL_R;
			if (!u->rmapped) {
				op = "MAP_ALLOC populate 2 MiB";
				ret = map_alloc(u->fd, gpa, SZ_2M, RW,
						AXAS_MAP_ALLOC_POPULATE |
						(rt_below(t, 2) ?
						 AXAS_MAP_ALLOC_HUGE : 0));
			} else {
				op = "UNMAP 2 MiB";
				ret = unmap(u->fd, gpa, SZ_2M);
			}
			if (rt_allow(t, gpa, op, ret, RT_OK | RT_EBADF) &&
			    !ret)
				u->rmapped = !u->rmapped;
			break;
		default:
			op = "PROTECT";
			ret = protect(u->fd, CL_Q, CL_QLEN, RW);
			rt_allow(t, gpa, op, ret, RT_OK | RT_EBADF);
			break;
		}
		cl_raw_after(t, u, ret, done, &saw, gpa);
	}
	cl_raw_end(t, u, saw);
	return NULL;
}

/* A dup holder's check of a page it did not write. */
static void cl_check_page(struct rt_thread *t, int fd, struct rt_page *pg)
{
	uint64_t buf[SZ_4K / 8];
	int ret;

	ret = guest_rw(fd, false, pg->gpa, buf, SZ_4K, 0);
	if (rt_allow(t, pg->gpa, "READ after the close", ret, RT_OK))
		rt_expect_page(t, pg->gpa, buf, pg->tag,
			       "READ after the close");
}

static void *cl_dup(void *arg)
{
	struct rt_thread *t = arg;
	struct cl *u = t->priv;
	int fd = u->dupfd[t->id - CL_DUP0], i, ret;
	unsigned long after = 0, more = 5 + rt_below(t, 30);
	struct axas_stats st;
	uint64_t buf[SZ_4K / 8];
	struct rt_page *pg;

	/* Work until a few operations after the close. */
	for (; cl_go(t, u) && after < more; t->ops++) {
		pg = &u->pg[rt_below(t, CL_PAGES / 4) * 4 + t->id];
		rt_owner_op(t, fd, pg, false, false, 0);
		__atomic_fetch_add(&u->total_ops, 1, __ATOMIC_RELAXED);
		if (u->early || cl_done(u))
			after++;
	}
	if (!u->early && !cl_done(u) && !rt_failed(&u->c))
		rt_fail(t, 0, "the fd was never closed");
	/* Own pages; dup 0 also checks the raw threads' once they end. */
	for (i = t->id; i < CL_PAGES; i += 4)
		cl_check_page(t, fd, &u->pg[i]);
	if (t->id == CL_DUP0 && !u->early) {
		while (__atomic_load_n(&u->raw_done, __ATOMIC_SEQ_CST) < 3 &&
		       !rt_failed(&u->c) && now_ns() < u->hard_deadline)
			usleep(1000);
		for (i = 0; i < CL_PAGES; i++)
			if (i % 4 == CL_RAW0 || i % 4 == CL_RAW1)
				cl_check_page(t, fd, &u->pg[i]);
		for (i = 0; i < (int)CL_QCHUNKS; i++) {
			uint64_t gpa = CL_Q + i * CL_CHUNK;

			ret = guest_rw(fd, false, gpa, buf, SZ_4K, 0);
			if (rt_allow(t, gpa, "READ after the close", ret,
				     RT_OK) &&
			    (u->qwritten[i] ?
			     check_pattern(buf, SZ_4K, gpa,
					   RT_TAG(CL_LONG, i)) != -1 :
			     !is_zero(buf, SZ_4K)))
				rt_fail(t, gpa, "READ after the close: written %d, data differs",
					u->qwritten[i]);
		}
		ret = translate(fd, CL_R, NULL, NULL);
		rt_allow(t, CL_R, "TRANSLATE after the close", ret,
			 u->rmapped ? RT_OK : RT_ENOENT);
	}
	close(fd);
	/* No one opens anything meanwhile: the number stays unused. */
	ret = get_stats(fd, &st);
	rt_allow(t, 0, "GET_STATS on the closed dup", ret, RT_EBADF);
	__atomic_fetch_add(&u->dups_closed, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F(axas_as, race_close)
{
	void *(*const fn[CL_THREADS])(void *) = {
		cl_raw, cl_raw, cl_dup, cl_dup, cl_long,
	};
	static const char *const role[CL_THREADS] = {
		"raw fd", "raw fd", "dup", "dup", "raw fd, long ioctls",
	};
	int rounds = heavy(variant) ? 8 : 2, round, fds, i;
	uint64_t budget = rt_budget_ns(variant), seed, when;
	struct rt_thread t[CL_THREADS], m;
	struct axas_as_info info;
	unsigned long ops = 0, k;
	long sec_start, sec_end;
	char path[64];
	struct stat sb;
	struct cl *u;

	seed = rt_seed(_metadata);
	u = calloc(1, sizeof(*u));
	ASSERT_NE(NULL, u);
	u->big = malloc(CL_CHUNK);
	ASSERT_NE(NULL, u->big);
	sec_start = sec_page_tables_start();
	fds = nr_open_fds();
	for (round = 0; round < rounds; round++) {
		memset(u, 0, offsetof(struct cl, big));
		/* One stream per round, all from the printed seed. */
		u->c.seed = seed;
		u->c.stream = round;
		rt_init(&m, &u->c, 99, "main", 0, NULL);
		u->fd = as_create(self->dev, variant->format,
				  variant->gpa_bits, 0, 0, 0);
		ASSERT_LE(0, u->fd);
		ASSERT_EQ(0, as_info(u->fd, &info));
		ASSERT_EQ(0, map_alloc(u->fd, CL_P, CL_PAGES * SZ_4K, RW, 0));
		ASSERT_EQ(0, map_alloc(u->fd, CL_Q, CL_QLEN, RW,
				       AXAS_MAP_ALLOC_POPULATE |
				       AXAS_MAP_ALLOC_HUGE));
		for (i = 0; i < CL_PAGES; i++) {
			u->pg[i].gpa = CL_P + i * SZ_4K;
			u->pg[i].end = CL_P + CL_PAGES * SZ_4K;
			u->pg[i].owner = i % 4;
		}
		for (i = 0; i < 2; i++) {
			u->dupfd[i] = dup(u->fd);
			ASSERT_LE(0, u->dupfd[i]);
		}
		u->early = rt_below(&m, 2);
		u->hard_deadline = now_ns() + budget / rounds + 10000000000ULL;
		for (i = 0; i < CL_THREADS; i++)
			rt_init(&t[i], &u->c, i, role[i], ULONG_MAX, u);
		for (i = 0; i < CL_THREADS; i++)
			ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, fn[i],
						    &t[i]));
		while (u->early &&
		       __atomic_load_n(&u->dups_closed, __ATOMIC_SEQ_CST) < 2 &&
		       now_ns() < u->hard_deadline && !rt_failed(&u->c))
			usleep(200);
		/* Close after a seeded number of operations (0: at once). */
		k = rt_below(&m, 60);
		k += __atomic_load_n(&u->total_ops, __ATOMIC_RELAXED);
		when = now_ns() + budget / rounds / 2;
		while (__atomic_load_n(&u->total_ops, __ATOMIC_RELAXED) < k &&
		       now_ns() < when && !rt_failed(&u->c))
			usleep(200);
		__atomic_store_n(&u->closing, 1, __ATOMIC_SEQ_CST);
		EXPECT_EQ(0, close(u->fd));
		__atomic_store_n(&u->close_done, 1, __ATOMIC_SEQ_CST);
		for (i = 0; i < CL_THREADS; i++)
			pthread_join(t[i].tid, NULL);
		EXPECT_EQ(0, u->c.failed)
			TH_LOG("round %d (%s), closed at operation %lu: %s",
			       round, u->early ? "dups closed first" :
			       "dups kept", k, u->c.msg);
		for (i = 0; i < CL_THREADS; i++)
			ops += t[i].ops;
		/* Gone: the number, the dups, the address space. */
		EXPECT_EQ(-1, fcntl(u->fd, F_GETFD));
		EXPECT_EQ(fds, nr_open_fds()) TH_LOG("round %d", round);
		snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u", info.out_id);
		if (!stat(AXAS_DEBUGFS, &sb)) {
			EXPECT_NE(0, stat(path, &sb))
				TH_LOG("round %d: %s is still there", round,
				       path);
		}
		if (u->c.failed)
			break;
	}
	sec_end = sec_page_tables_settle(sec_start);
	EXPECT_EQ(sec_start, sec_end) TH_LOG("SecPageTables (kB) leaked");
	TH_LOG("%d rounds, %lu operations", round < rounds ? round + 1 : round,
	       ops);
	free(u->big);
	free(u);
}

/*
 * ptdump while faults install tables: one thread faults pages spread over
 * a lazy region in a seeded order (each fault may add table pages), the
 * test reads debugfs ptdump and pt_raw meanwhile. Every read succeeds and
 * every ptdump line describes leaves inside the region; a table installed
 * in the middle of a dump is seen or not, never an error.
 */
#define PD_LEN		(64 * SZ_2M)

struct pd {
	int fd;
	uint64_t seed;
	uint64_t budget;
	int failed, done;
	unsigned long faults;
};

static void *pd_faulter(void *arg)
{
	struct pd *p = arg;
	uint64_t r = p->seed, t0 = now_ns(), gpa;
	int ret;

	do {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		/* 2 MiB apart: most faults need a new level-0 table. */
		gpa = G0 + (r >> 33) % (PD_LEN / SZ_2M) * SZ_2M +
		      (r >> 20) % 512 * SZ_4K;
		ret = fault(p->fd, gpa, RW);
		if (ret != AXAS_FAULT_MAPPED && ret != AXAS_FAULT_SPURIOUS) {
			__atomic_store_n(&p->failed, ret ?: -1, __ATOMIC_SEQ_CST);
			break;
		}
		p->faults++;
	} while (now_ns() - t0 < p->budget && p->faults < 4096);
	__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F(axas_as, race_ptdump)
{
	struct pd p = { .fd = self->fd };
	unsigned long dumps = 0, lines = 0;
	char path[64], raw[64], *buf, *line;
	struct axas_as_info info;
	unsigned long long lo, hi;
	pthread_t tid;
	size_t len;

	/* A missing debugfs fails, as everywhere in the suite. */
	ASSERT_EQ(0, access(AXAS_DEBUGFS, R_OK));
	p.seed = rt_seed(_metadata);
	p.budget = rt_budget_ns(variant);
	ASSERT_EQ(0, as_info(self->fd, &info));
	snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u/ptdump", info.out_id);
	snprintf(raw, sizeof(raw), AXAS_DEBUGFS "/%u/pt_raw", info.out_id);
	ASSERT_EQ(0, map_alloc(self->fd, G0, PD_LEN, RW, 0));
	ASSERT_EQ(0, pthread_create(&tid, NULL, pd_faulter, &p));
	do {
		buf = read_file(path, &len);
		if (!buf) {
			__atomic_store_n(&p.failed, -errno, __ATOMIC_SEQ_CST);
			break;
		}
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (line[0] == '#')
				continue;
			if (sscanf(line, "0x%llx-0x%llx", &lo, &hi) != 2 ||
			    lo < G0 || hi > G0 + PD_LEN || lo >= hi) {
				TH_LOG("bad ptdump line: %s", line);
				__atomic_store_n(&p.failed, -EIO, __ATOMIC_SEQ_CST);
				break;
			}
			lines++;
		}
		free(buf);
		buf = read_file(raw, &len);
		if (!buf) {
			__atomic_store_n(&p.failed, -errno, __ATOMIC_SEQ_CST);
			break;
		}
		free(buf);
		dumps++;
	} while (!__atomic_load_n(&p.done, __ATOMIC_SEQ_CST) && !p.failed);
	pthread_join(tid, NULL);
	TH_LOG("%lu faults, %lu dumps, %lu ptdump lines", p.faults, dumps,
	       lines);
	ASSERT_EQ(0, p.failed);
	ASSERT_LT(0, dumps);
}

TEST_HARNESS_MAIN
