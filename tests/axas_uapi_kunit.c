// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the /dev/axas ioctl dispatcher: the size contract every
 * command shares, exercised with real user memory.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <uapi/linux/axas.h>

#include "axas_internal.h"
#include "axas_npt.h"

struct axas_uapi_ctx {
	void __user *ubuf;
	size_t len;
};

static int axas_uapi_init(struct kunit *test)
{
	struct axas_uapi_ctx *ctx;
	unsigned long addr;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->len = PAGE_SIZE;
	addr = kunit_vm_mmap(test, NULL, 0, ctx->len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "vm_mmap failed");
	ctx->ubuf = (void __user *)addr;
	test->priv = ctx;
	return 0;
}

/* Put a struct at the start of the user buffer and call the ioctl. */
static long axas_uapi_call(struct kunit *test, unsigned int cmd,
			   const void *arg, size_t len)
{
	struct axas_uapi_ctx *ctx = test->priv;

	KUNIT_ASSERT_LE(test, len, ctx->len);
	KUNIT_ASSERT_EQ(test, clear_user(ctx->ubuf, ctx->len), 0);
	KUNIT_ASSERT_EQ(test, copy_to_user(ctx->ubuf, arg, len), 0);
	return axas_dev_ioctl(NULL, cmd, (unsigned long)ctx->ubuf);
}

static void axas_uapi_get_info(struct kunit *test)
{
	struct axas_uapi_ctx *ctx = test->priv;
	struct axas_info info = { .size = sizeof(info) };
	u64 all = BIT_ULL(AXAS_FORMAT_X86_EPT4) | BIT_ULL(AXAS_FORMAT_X86_EPT5) |
		  BIT_ULL(AXAS_FORMAT_ARM64_S2) |
		  BIT_ULL(AXAS_FORMAT_RISCV_SV39X4) |
		  BIT_ULL(AXAS_FORMAT_RISCV_SV48X4) |
		  BIT_ULL(AXAS_FORMAT_RISCV_SV57X4);

	KUNIT_ASSERT_EQ(test, axas_uapi_call(test, AXAS_GET_INFO, &info,
					     sizeof(info)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&info, ctx->ubuf, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.size, sizeof(info));
	KUNIT_EXPECT_EQ(test, info.out_formats, all);
	KUNIT_EXPECT_EQ(test, info.out_host_page_shift, PAGE_SHIFT);
	KUNIT_EXPECT_NE(test, info.out_native_format, AXAS_FORMAT_DEFAULT);
	KUNIT_EXPECT_TRUE(test, info.out_formats & BIT_ULL(info.out_native_format));
}

static void axas_uapi_short_size(struct kunit *test)
{
	struct axas_info info = {};
	size_t min = offsetofend(struct axas_info, out_host_page_shift);
	u32 sizes[] = { 0, sizeof(u32), offsetofend(struct axas_info, flags),
			min - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		info.size = sizes[i];
		KUNIT_EXPECT_EQ_MSG(test, axas_uapi_call(test, AXAS_GET_INFO,
							 &info, sizeof(info)),
				    -EINVAL, "size %u", sizes[i]);
	}
}

/* A newer, larger struct is accepted when its unknown tail is zero. */
static void axas_uapi_long_size(struct kunit *test)
{
	struct axas_uapi_ctx *ctx = test->priv;
	u8 buf[sizeof(struct axas_info) + 16] = {};
	struct axas_info *info = (struct axas_info *)buf;
	u8 back[sizeof(buf)];

	info->size = sizeof(buf);
	KUNIT_ASSERT_EQ(test, axas_uapi_call(test, AXAS_GET_INFO, buf,
					     sizeof(buf)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(back, ctx->ubuf, sizeof(back)), 0);
	KUNIT_EXPECT_TRUE(test, memchr_inv(back + sizeof(*info), 0,
					   sizeof(back) - sizeof(*info)) == NULL);
	KUNIT_EXPECT_NE(test, ((struct axas_info *)back)->out_formats, 0);

	buf[sizeof(buf) - 1] = 1;
	KUNIT_EXPECT_EQ(test, axas_uapi_call(test, AXAS_GET_INFO, buf,
					     sizeof(buf)), -E2BIG);
}

static void axas_uapi_unknown_flags(struct kunit *test)
{
	struct axas_info info = { .size = sizeof(info) };
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		info.flags = BIT(bit);
		KUNIT_EXPECT_EQ_MSG(test, axas_uapi_call(test, AXAS_GET_INFO,
							 &info, sizeof(info)),
				    -EOPNOTSUPP, "flag bit %u", bit);
	}
}

static void axas_uapi_unknown_ioctl(struct kunit *test)
{
	struct axas_info info = { .size = sizeof(info) };
	unsigned int cmds[] = {
		_IO(AXAS_TYPE, AXAS_CMD_BASE - 1),
		_IO(AXAS_TYPE, 0xff),
		_IO(AXAS_TYPE + 1, AXAS_CMD_GET_INFO),
		_IOWR(AXAS_TYPE, AXAS_CMD_GET_INFO, struct axas_info),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		KUNIT_EXPECT_EQ_MSG(test, axas_uapi_call(test, cmds[i], &info,
							 sizeof(info)),
				    -ENOTTY, "cmd %#x", cmds[i]);
}

static void axas_uapi_bad_pointer(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, axas_dev_ioctl(NULL, AXAS_GET_INFO, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, axas_dev_ioctl(NULL, AXAS_GET_INFO,
					     (unsigned long)-8L), -EFAULT);
}

static struct kunit_case axas_uapi_cases[] = {
	KUNIT_CASE(axas_uapi_get_info),
	KUNIT_CASE(axas_uapi_short_size),
	KUNIT_CASE(axas_uapi_long_size),
	KUNIT_CASE(axas_uapi_unknown_flags),
	KUNIT_CASE(axas_uapi_unknown_ioctl),
	KUNIT_CASE(axas_uapi_bad_pointer),
	{}
};

static struct kunit_suite axas_uapi_suite = {
	.name = "axas_uapi",
	.init = axas_uapi_init,
	.test_cases = axas_uapi_cases,
};

kunit_test_suite(axas_uapi_suite);

MODULE_DESCRIPTION("KUnit tests for axas");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(AXAS);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
