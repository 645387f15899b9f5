// SPDX-License-Identifier: GPL-2.0
/*
 * kselftest for the axas uAPI: /dev/axas and its size contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/axas.h>

#include "kselftest_harness.h"

#define AXAS_DEV "/dev/axas"

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
	for (size_t i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);

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

TEST_HARNESS_MAIN
