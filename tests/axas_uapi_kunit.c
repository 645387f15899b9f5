// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the /dev/axas ioctl dispatcher: the size contract every
 * command shares, exercised with real user memory; and the uAPI's binary
 * interface (ioctl numbers, constants, struct layouts) pinned to literals.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <uapi/linux/axas.h>

#include "axas_internal.h"
#include "axas_npt.h"

/**
 * struct axas_uapi_ctx - one test's user buffer and /dev/axas "files"
 * @ubuf:	User memory of the test's kthread.
 * @len:	Its size.
 * @rw:		Stands for /dev/axas opened O_RDWR: only f_mode is read.
 * @ro:		Stands for /dev/axas opened O_RDONLY.
 */
struct axas_uapi_ctx {
	void __user *ubuf;
	size_t len;
	struct file rw, ro;
};

static int axas_uapi_init(struct kunit *test)
{
	struct axas_uapi_ctx *ctx;
	unsigned long addr;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->len = PAGE_SIZE;
	ctx->rw.f_mode = FMODE_READ | FMODE_WRITE;
	ctx->ro.f_mode = FMODE_READ;
	addr = kunit_vm_mmap(test, NULL, 0, ctx->len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "vm_mmap failed");
	ctx->ubuf = (void __user *)addr;
	test->priv = ctx;
	return 0;
}

/* Put a struct at the start of the user buffer and call the ioctl. */
static long axas_uapi_call_file(struct kunit *test, struct file *filp,
				unsigned int cmd, const void *arg, size_t len)
{
	struct axas_uapi_ctx *ctx = test->priv;

	KUNIT_ASSERT_LE(test, len, ctx->len);
	KUNIT_ASSERT_EQ(test, clear_user(ctx->ubuf, ctx->len), 0);
	KUNIT_ASSERT_EQ(test, copy_to_user(ctx->ubuf, arg, len), 0);
	return axas_dev_ioctl(filp, cmd, (unsigned long)ctx->ubuf);
}

/* The same on /dev/axas opened for reading and writing. */
static long axas_uapi_call(struct kunit *test, unsigned int cmd,
			   const void *arg, size_t len)
{
	struct axas_uapi_ctx *ctx = test->priv;

	return axas_uapi_call_file(test, &ctx->rw, cmd, arg, len);
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
	struct axas_uapi_ctx *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, axas_dev_ioctl(&ctx->rw, AXAS_GET_INFO, 0),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, axas_dev_ioctl(&ctx->rw, AXAS_GET_INFO,
					     (unsigned long)-8L), -EFAULT);
}

/*
 * /dev/axas opened O_RDONLY answers queries, and refuses AXAS_CREATE with
 * EBADF, as write(2) would, before it even reads the argument: here a bad
 * format, which a writable fd rejects with EINVAL.
 */
static void axas_uapi_read_only(struct kunit *test)
{
	struct axas_uapi_ctx *ctx = test->priv;
	struct axas_info info = { .size = sizeof(info) };
	struct axas_create create = {
		.size = sizeof(create), .format = 7,
	};

	KUNIT_EXPECT_EQ(test, axas_uapi_call_file(test, &ctx->ro,
						  AXAS_GET_INFO, &info,
						  sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, axas_uapi_call_file(test, &ctx->ro, AXAS_CREATE,
						  &create, sizeof(create)),
			-EBADF);
	KUNIT_EXPECT_EQ(test, axas_dev_ioctl(&ctx->ro, AXAS_CREATE, 0),
			-EBADF);
	KUNIT_EXPECT_EQ(test, axas_uapi_call(test, AXAS_CREATE, &create,
					     sizeof(create)), -EINVAL);
}

static void axas_uapi_free_page(void *page)
{
	__free_page(page);
}

static void axas_uapi_release_resource(void *res)
{
	release_resource(res);
}

/*
 * The host ranges AXAS_MAP_LINEAR refuses: System RAM, and any range
 * marked IORESOURCE_EXCLUSIVE; a range in no resource is allowed.
 */
static void axas_uapi_linear_hpa(struct kunit *test)
{
	struct resource *excl, *free;
	struct page *page;
	phys_addr_t pa;
	int ret;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							axas_uapi_free_page,
							page), 0);
	pa = page_to_phys(page);
	KUNIT_EXPECT_EQ(test, axas_linear_hpa_allowed(pa, SZ_4K), -EPERM);

	/* Two free 2 MiB ranges, in no resource: claim one exclusively. */
	excl = kunit_kzalloc(test, sizeof(*excl), GFP_KERNEL);
	free = kunit_kzalloc(test, sizeof(*free), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, excl);
	KUNIT_ASSERT_NOT_NULL(test, free);
	excl->name = "axas-kunit-exclusive";
	excl->flags = IORESOURCE_MEM | IORESOURCE_EXCLUSIVE;
	free->name = "axas-kunit-free";
	free->flags = IORESOURCE_MEM;
	KUNIT_ASSERT_EQ(test, allocate_resource(&iomem_resource, excl, SZ_2M,
						0, ~0UL, SZ_2M,
						NULL, NULL), 0);
	ret = kunit_add_action_or_reset(test, axas_uapi_release_resource, excl);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, allocate_resource(&iomem_resource, free, SZ_2M,
						0, ~0UL, SZ_2M,
						NULL, NULL), 0);
	ret = kunit_add_action_or_reset(test, axas_uapi_release_resource, free);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, axas_linear_hpa_allowed(excl->start + SZ_4K,
						      SZ_4K), -EPERM);
	KUNIT_EXPECT_EQ(test, axas_linear_hpa_allowed(free->start, SZ_2M), 0);
}

/*
 * The ABI, pinned: every ioctl number, every uAPI constant, and the size
 * and layout of every uAPI struct, each against a literal written down
 * from the header as released. A change here breaks every VMM built
 * against an older header; if it is intended, it is a new command or an
 * appended field, never an edit of these numbers.
 */
struct axas_abi_const {
	const char *name;
	u64 value;
	u64 expect;
};

#define AXAS_ABI_CONST(_name, _expect) { #_name, (u64)(_name), _expect }

/*
 * _IO(type, nr) is (type << 8) | nr where _IOC_NONE is 0: asm-generic,
 * which x86, arm64 and riscv use.
 */
static const struct axas_abi_const axas_abi_ioctls[] = {
	AXAS_ABI_CONST(AXAS_GET_INFO, 0xaf80),
	AXAS_ABI_CONST(AXAS_CREATE, 0xaf81),
	AXAS_ABI_CONST(AXAS_AS_INFO, 0xaf82),
	AXAS_ABI_CONST(AXAS_MAP_LINEAR, 0xaf83),
	AXAS_ABI_CONST(AXAS_MAP_ALLOC, 0xaf84),
	AXAS_ABI_CONST(AXAS_UNMAP, 0xaf85),
	AXAS_ABI_CONST(AXAS_PROTECT, 0xaf86),
	AXAS_ABI_CONST(AXAS_HANDLE_FAULT, 0xaf87),
	AXAS_ABI_CONST(AXAS_TRANSLATE, 0xaf88),
	AXAS_ABI_CONST(AXAS_READ, 0xaf89),
	AXAS_ABI_CONST(AXAS_WRITE, 0xaf8a),
	AXAS_ABI_CONST(AXAS_GET_STATS, 0xaf8b),
};

static const struct axas_abi_const axas_abi_consts[] = {
	AXAS_ABI_CONST(AXAS_TYPE, 0xaf),
	AXAS_ABI_CONST(AXAS_CMD_BASE, 0x80),
	AXAS_ABI_CONST(AXAS_CMD_GET_INFO, 0x80),
	AXAS_ABI_CONST(AXAS_CMD_CREATE, 0x81),
	AXAS_ABI_CONST(AXAS_CMD_AS_INFO, 0x82),
	AXAS_ABI_CONST(AXAS_CMD_MAP_LINEAR, 0x83),
	AXAS_ABI_CONST(AXAS_CMD_MAP_ALLOC, 0x84),
	AXAS_ABI_CONST(AXAS_CMD_UNMAP, 0x85),
	AXAS_ABI_CONST(AXAS_CMD_PROTECT, 0x86),
	AXAS_ABI_CONST(AXAS_CMD_HANDLE_FAULT, 0x87),
	AXAS_ABI_CONST(AXAS_CMD_TRANSLATE, 0x88),
	AXAS_ABI_CONST(AXAS_CMD_READ, 0x89),
	AXAS_ABI_CONST(AXAS_CMD_WRITE, 0x8a),
	AXAS_ABI_CONST(AXAS_CMD_GET_STATS, 0x8b),
	AXAS_ABI_CONST(AXAS_FORMAT_DEFAULT, 0),
	AXAS_ABI_CONST(AXAS_FORMAT_X86_EPT4, 1),
	AXAS_ABI_CONST(AXAS_FORMAT_X86_EPT5, 2),
	AXAS_ABI_CONST(AXAS_FORMAT_ARM64_S2, 3),
	AXAS_ABI_CONST(AXAS_FORMAT_RISCV_SV39X4, 4),
	AXAS_ABI_CONST(AXAS_FORMAT_RISCV_SV48X4, 5),
	AXAS_ABI_CONST(AXAS_FORMAT_RISCV_SV57X4, 6),
	AXAS_ABI_CONST(AXAS_PROT_READ, 0x1),
	AXAS_ABI_CONST(AXAS_PROT_WRITE, 0x2),
	AXAS_ABI_CONST(AXAS_PROT_EXEC, 0x4),
	AXAS_ABI_CONST(AXAS_PROT_RWX, 0x7),
	AXAS_ABI_CONST(AXAS_MEM_NORMAL, 0),
	AXAS_ABI_CONST(AXAS_MEM_DEVICE, 1),
	AXAS_ABI_CONST(AXAS_MAP_ALLOC_POPULATE, 0x1),
	AXAS_ABI_CONST(AXAS_MAP_ALLOC_HUGE, 0x2),
	AXAS_ABI_CONST(AXAS_FAULT_MAPPED, 1),
	AXAS_ABI_CONST(AXAS_FAULT_SPURIOUS, 2),
	AXAS_ABI_CONST(AXAS_FAULT_NOT_MAPPED, 3),
	AXAS_ABI_CONST(AXAS_FAULT_PERM, 4),
	AXAS_ABI_CONST(AXAS_RW_FAULT_IN, 0x1),
};

static void axas_uapi_abi_check_consts(struct kunit *test,
				       const struct axas_abi_const *c,
				       unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, c[i].value, c[i].expect,
				    "ABI break: %s is %#llx, was %#llx",
				    c[i].name, c[i].value, c[i].expect);
}

static void axas_uapi_abi_ioctl_numbers(struct kunit *test)
{
	axas_uapi_abi_check_consts(test, axas_abi_ioctls,
				   ARRAY_SIZE(axas_abi_ioctls));
}

static void axas_uapi_abi_constants(struct kunit *test)
{
	axas_uapi_abi_check_consts(test, axas_abi_consts,
				   ARRAY_SIZE(axas_abi_consts));
}

/* One member: its offset and size, and the literals they must have. */
struct axas_abi_field {
	const char *name;
	size_t off, size;
	size_t expect_off, expect_size;
};

struct axas_abi_struct {
	const char *name;
	size_t size, expect_size;
	const struct axas_abi_field *fields;	/* ends with an empty entry */
};

/*
 * A row of a layout table: offset, size, then the member as offsetof()
 * takes it ("struct axas_info, flags"), which also names it.
 */
#define AXAS_ABI_FIELD(_off, _size, ...)				\
	{ #__VA_ARGS__, offsetof(__VA_ARGS__), sizeof_field(__VA_ARGS__),	\
	  _off, _size }

#define AXAS_ABI_STRUCT(_type, _size, _fields)				\
	{ #_type, sizeof(_type), _size, _fields }

static const struct axas_abi_field axas_abi_stats[] = {
	AXAS_ABI_FIELD(0, 8, struct axas_stats, regions),
	AXAS_ABI_FIELD(8, 8, struct axas_stats, frames),
	AXAS_ABI_FIELD(16, 8, struct axas_stats, max_frames),
	AXAS_ABI_FIELD(24, 8, struct axas_stats, leaves_4k),
	AXAS_ABI_FIELD(32, 8, struct axas_stats, leaves_2m),
	AXAS_ABI_FIELD(40, 8, struct axas_stats, leaves_1g),
	AXAS_ABI_FIELD(48, 8, struct axas_stats, table_pages),
	AXAS_ABI_FIELD(56, 8, struct axas_stats, faults_mapped),
	AXAS_ABI_FIELD(64, 8, struct axas_stats, faults_spurious),
	AXAS_ABI_FIELD(72, 8, struct axas_stats, faults_not_mapped),
	AXAS_ABI_FIELD(80, 8, struct axas_stats, faults_perm),
	AXAS_ABI_FIELD(88, 8, struct axas_stats, faults_nomem),
	AXAS_ABI_FIELD(96, 8, struct axas_stats, flushes),
	AXAS_ABI_FIELD(104, 8, struct axas_stats, max_table_pages),
	AXAS_ABI_FIELD(112, 8, struct axas_stats, frame_limit_hits),
	AXAS_ABI_FIELD(120, 8, struct axas_stats, table_limit_hits),
	{}
};

static const struct axas_abi_field axas_abi_info[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_info, size),
	AXAS_ABI_FIELD(4, 4, struct axas_info, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_info, out_formats),
	AXAS_ABI_FIELD(16, 4, struct axas_info, out_native_format),
	AXAS_ABI_FIELD(20, 4, struct axas_info, out_host_page_shift),
	{}
};

static const struct axas_abi_field axas_abi_create[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_create, size),
	AXAS_ABI_FIELD(4, 4, struct axas_create, flags),
	AXAS_ABI_FIELD(8, 4, struct axas_create, format),
	AXAS_ABI_FIELD(12, 4, struct axas_create, gpa_bits),
	AXAS_ABI_FIELD(16, 8, struct axas_create, base),
	AXAS_ABI_FIELD(24, 8, struct axas_create, length),
	AXAS_ABI_FIELD(32, 8, struct axas_create, max_frames),
	AXAS_ABI_FIELD(40, 4, struct axas_create, out_fd),
	AXAS_ABI_FIELD(44, 4, struct axas_create, __reserved),
	AXAS_ABI_FIELD(48, 8, struct axas_create, max_table_pages),
	{}
};

static const struct axas_abi_field axas_abi_as_info[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_as_info, size),
	AXAS_ABI_FIELD(4, 4, struct axas_as_info, flags),
	AXAS_ABI_FIELD(8, 4, struct axas_as_info, out_format),
	AXAS_ABI_FIELD(12, 4, struct axas_as_info, out_levels),
	AXAS_ABI_FIELD(16, 4, struct axas_as_info, out_gpa_bits),
	AXAS_ABI_FIELD(20, 4, struct axas_as_info, out_id),
	AXAS_ABI_FIELD(24, 4, struct axas_as_info, out_root_pages),
	AXAS_ABI_FIELD(28, 4, struct axas_as_info, __reserved),
	AXAS_ABI_FIELD(32, 8, struct axas_as_info, out_base),
	AXAS_ABI_FIELD(40, 8, struct axas_as_info, out_length),
	AXAS_ABI_FIELD(48, 8, struct axas_as_info, out_root_pa),
	AXAS_ABI_FIELD(56, 8, struct axas_as_info, out_eptp),
	AXAS_ABI_FIELD(64, 8, struct axas_as_info, out_vttbr),
	AXAS_ABI_FIELD(72, 8, struct axas_as_info, out_vtcr),
	AXAS_ABI_FIELD(80, 8, struct axas_as_info, out_hgatp),
	{}
};

static const struct axas_abi_field axas_abi_map_linear[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_map_linear, size),
	AXAS_ABI_FIELD(4, 4, struct axas_map_linear, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_map_linear, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_map_linear, length),
	AXAS_ABI_FIELD(24, 8, struct axas_map_linear, hpa),
	AXAS_ABI_FIELD(32, 4, struct axas_map_linear, prot),
	AXAS_ABI_FIELD(36, 4, struct axas_map_linear, memtype),
	{}
};

static const struct axas_abi_field axas_abi_map_alloc[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_map_alloc, size),
	AXAS_ABI_FIELD(4, 4, struct axas_map_alloc, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_map_alloc, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_map_alloc, length),
	AXAS_ABI_FIELD(24, 4, struct axas_map_alloc, prot),
	AXAS_ABI_FIELD(28, 4, struct axas_map_alloc, __reserved),
	{}
};

static const struct axas_abi_field axas_abi_unmap[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_unmap, size),
	AXAS_ABI_FIELD(4, 4, struct axas_unmap, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_unmap, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_unmap, length),
	{}
};

static const struct axas_abi_field axas_abi_protect[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_protect, size),
	AXAS_ABI_FIELD(4, 4, struct axas_protect, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_protect, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_protect, length),
	AXAS_ABI_FIELD(24, 4, struct axas_protect, prot),
	AXAS_ABI_FIELD(28, 4, struct axas_protect, __reserved),
	{}
};

static const struct axas_abi_field axas_abi_fault[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_fault, size),
	AXAS_ABI_FIELD(4, 4, struct axas_fault, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_fault, gpa),
	AXAS_ABI_FIELD(16, 4, struct axas_fault, access),
	AXAS_ABI_FIELD(20, 4, struct axas_fault, out_outcome),
	{}
};

static const struct axas_abi_field axas_abi_translate[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_translate, size),
	AXAS_ABI_FIELD(4, 4, struct axas_translate, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_translate, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_translate, out_hpa),
	AXAS_ABI_FIELD(24, 8, struct axas_translate, out_length),
	{}
};

static const struct axas_abi_field axas_abi_rw[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_rw, size),
	AXAS_ABI_FIELD(4, 4, struct axas_rw, flags),
	AXAS_ABI_FIELD(8, 8, struct axas_rw, gpa),
	AXAS_ABI_FIELD(16, 8, struct axas_rw, length),
	AXAS_ABI_FIELD(24, 8, struct axas_rw, buf),
	{}
};

static const struct axas_abi_field axas_abi_get_stats[] = {
	AXAS_ABI_FIELD(0, 4, struct axas_get_stats, size),
	AXAS_ABI_FIELD(4, 4, struct axas_get_stats, flags),
	AXAS_ABI_FIELD(8, 128, struct axas_get_stats, out),
	{}
};

static const struct axas_abi_struct axas_abi_structs[] = {
	AXAS_ABI_STRUCT(struct axas_stats, 128, axas_abi_stats),
	AXAS_ABI_STRUCT(struct axas_info, 24, axas_abi_info),
	AXAS_ABI_STRUCT(struct axas_create, 56, axas_abi_create),
	AXAS_ABI_STRUCT(struct axas_as_info, 88, axas_abi_as_info),
	AXAS_ABI_STRUCT(struct axas_map_linear, 40, axas_abi_map_linear),
	AXAS_ABI_STRUCT(struct axas_map_alloc, 32, axas_abi_map_alloc),
	AXAS_ABI_STRUCT(struct axas_unmap, 24, axas_abi_unmap),
	AXAS_ABI_STRUCT(struct axas_protect, 32, axas_abi_protect),
	AXAS_ABI_STRUCT(struct axas_fault, 24, axas_abi_fault),
	AXAS_ABI_STRUCT(struct axas_translate, 32, axas_abi_translate),
	AXAS_ABI_STRUCT(struct axas_rw, 32, axas_abi_rw),
	AXAS_ABI_STRUCT(struct axas_get_stats, 136, axas_abi_get_stats),
};

/*
 * Every struct's size, and every member's offset and size. The expected
 * members must tile the expected struct with no gap or overlap, so a new
 * member cannot be pinned by its struct's size alone, and no struct has
 * implicit padding that differs between ABIs.
 */
static void axas_uapi_abi_structs(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axas_abi_structs); i++) {
		const struct axas_abi_struct *s = &axas_abi_structs[i];
		const struct axas_abi_field *f;
		size_t end = 0;

		KUNIT_EXPECT_EQ_MSG(test, s->size, s->expect_size,
				    "ABI break: sizeof(%s) is %zu, was %zu",
				    s->name, s->size, s->expect_size);
		for (f = s->fields; f->name; f++) {
			KUNIT_EXPECT_EQ_MSG(test, f->off, f->expect_off,
					    "ABI break: offsetof(%s) is %zu, was %zu",
					    f->name, f->off, f->expect_off);
			KUNIT_EXPECT_EQ_MSG(test, f->size, f->expect_size,
					    "ABI break: sizeof_field(%s) is %zu, was %zu",
					    f->name, f->size, f->expect_size);
			KUNIT_EXPECT_EQ_MSG(test, f->expect_off, end,
					    "%s: the pinned members leave a gap or overlap",
					    f->name);
			end = f->expect_off + f->expect_size;
		}
		KUNIT_EXPECT_EQ_MSG(test, end, s->expect_size,
				    "%s: the pinned members do not end at its size",
				    s->name);
	}
}

static struct kunit_case axas_uapi_cases[] = {
	KUNIT_CASE(axas_uapi_get_info),
	KUNIT_CASE(axas_uapi_short_size),
	KUNIT_CASE(axas_uapi_long_size),
	KUNIT_CASE(axas_uapi_unknown_flags),
	KUNIT_CASE(axas_uapi_unknown_ioctl),
	KUNIT_CASE(axas_uapi_bad_pointer),
	KUNIT_CASE(axas_uapi_read_only),
	KUNIT_CASE(axas_uapi_linear_hpa),
	KUNIT_CASE(axas_uapi_abi_ioctl_numbers),
	KUNIT_CASE(axas_uapi_abi_constants),
	KUNIT_CASE(axas_uapi_abi_structs),
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
