// SPDX-License-Identifier: GPL-2.0
/*
 * axas kselftest: the uAPI contract of /dev/axas and address-space fds.
 *
 * - axas_dev: GET_INFO and its size contract, unknown ioctls.
 * - axas_as, one variant per format and geometry: AS_INFO, CREATE and its
 *   errors, the size contract of every ioctl (as TEST_LENGTH in
 *   selftests/iommu), bad input (the documented errno, and nothing
 *   changed), the window, capabilities and the owner mm.
 */
#include "axas_utils.h"

FIXTURE(axas_dev) {
	int fd;
};

FIXTURE_SETUP(axas_dev)
{
	/* No /dev/axas is a failure, never a skip: load axas.ko first. */
	self->fd = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd)
		TH_LOG(AXAS_DEV ": %s: is axas.ko loaded?", strerror(errno));
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
		EXPECT_EQ(0, info->out_eptp & (1 << 6));	/* A/D off */
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

/*
 * CREATE whose reply cannot be copied back (a read-only struct): the fd
 * and the address space exist by then; the call must fail with EFAULT and
 * take both back. Nothing new in /proc/self/fd or in debugfs axas/.
 */
TEST_F(axas_as, create_reply_efault)
{
	long pg = getpagesize(), tables = sec_page_tables_start();
	char *ids = axas_debugfs_ids(), *ids_after;
	int fds = nr_open_fds(), want_fd = lowest_free_fd(), i;
	struct axas_create *c;

	ASSERT_NE(NULL, ids) TH_LOG("no %s", AXAS_DEBUGFS);
	c = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	for (i = 0; i < 3; i++) {
		memset(c, 0, sizeof(*c));
		c->size = sizeof(*c);
		c->format = variant->format;
		c->gpa_bits = variant->gpa_bits;
		c->out_fd = ~0U;
		ASSERT_EQ(0, mprotect(c, pg, PROT_READ));
		EXPECT_EQ(-EFAULT, ax(self->dev, AXAS_CREATE, c));
		EXPECT_EQ(~0U, c->out_fd);
		EXPECT_EQ(fds, nr_open_fds());
		EXPECT_EQ(want_fd, lowest_free_fd());
		ids_after = axas_debugfs_ids();
		ASSERT_NE(NULL, ids_after);
		EXPECT_STREQ(ids, ids_after);
		free(ids_after);
		ASSERT_EQ(0, mprotect(c, pg, PROT_READ | PROT_WRITE));
	}
	/* The same struct, writable: works, and takes the lowest fd. */
	c->out_fd = ~0U;
	ASSERT_EQ(0, ax(self->dev, AXAS_CREATE, c));
	EXPECT_EQ(want_fd, (int)c->out_fd);
	close(c->out_fd);
	munmap(c, pg);
	free(ids);
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
		BAD("alloc unknown flag before reserved", AXAS_MAP_ALLOC,
		    EOPNOTSUPP, ALLOC(.gpa = G0 + 16 * SZ_2M, .length = SZ_4K,
				      .flags = 4, .__reserved = 1)),
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
		BAD("linear memtype before the range", AXAS_MAP_LINEAR, EINVAL,
		    LIN(.gpa = T, .length = SZ_2M, .memtype = 2)),
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
		BAD("rw unknown flag before zero length", AXAS_WRITE,
		    EOPNOTSUPP, RWS(.gpa = A, .length = 0, .buf = buf,
				    .flags = 2)),
		BAD("rw unknown flag before a bad buf", AXAS_READ, EOPNOTSUPP,
		    RWS(.gpa = A, .length = 16, .buf = ~0xfffULL,
			.flags = 2)),
		BAD("write wrapping before a bad buf", AXAS_WRITE, EINVAL,
		    RWS(.gpa = ~0ULL - 8, .length = 16, .buf = ~0xfffULL)),
		BAD("read a bad buf before a gap", AXAS_READ, EFAULT,
		    RWS(.gpa = A + SZ_64K, .length = 16, .buf = ~0xfffULL)),
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

TEST_HARNESS_MAIN
