// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: a bounded fuzzer of every address-space ioctl, seed
 * from AXAS_FUZZ_SEED, count from AXAS_FUZZ_CALLS.
 */
#include "axas_utils.h"

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
		  /* EPERM: a random HPA in System RAM; EINVAL: also NORMAL */
		  E(EINVAL) | E(ERANGE) | E(EEXIST) | E(ENOMEM) | E(EPERM) },
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
		bool never_ok = false;
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
			switch (r >> 5 & 7) {
			case 0:
				m->memtype = 2 + fz_rand() % 1000;
				break;
			case 1:
				/* Refused where LINEAR_HPA is, a hole. */
				m->memtype = AXAS_MEM_NORMAL;
				never_ok = r & 1;
				break;
			default:
				m->memtype = AXAS_MEM_DEVICE;
				break;
			}
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
			EXPECT_FALSE(never_ok)
				TH_LOG("call %d: cmd %#lx succeeded", i, cmd);
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
