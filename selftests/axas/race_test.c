// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: concurrency. Threads fault, write and check per-page
 * patterns, translate, map and unmap, and create and close address spaces,
 * all at once; then the data must be intact.
 */
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

TEST_HARNESS_MAIN
