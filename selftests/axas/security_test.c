// SPDX-License-Identifier: GPL-2.0
/*
 * The security model of /dev/axas: linear maps refuse System RAM and a
 * memory type the host range does not have, a read-only /dev/axas only
 * queries, and a caller without CAP_SYS_ADMIN learns no host-physical
 * address (AS_INFO, TRANSLATE's contiguous length, debugfs). The harness
 * runs each test in a child of its own, so a test may drop capabilities
 * for itself.
 */
#include "axas_utils.h"

/* Drop @cap from the effective and permitted sets of this process. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * The first "System RAM" line of /proc/iomem, or its "Kernel code" child
 * with @kernel; addresses show only to CAP_SYS_ADMIN. 0 on success.
 */
static int iomem_find(bool kernel, uint64_t *start, uint64_t *end)
{
	const char *want = kernel ? " : Kernel code" : " : System RAM";
	unsigned long long s, e;
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strstr(line, want) ||
		    sscanf(line, " %llx-%llx", &s, &e) != 2 || !e)
			continue;
		*start = s;
		*end = e;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/*
 * AXAS_MAP_LINEAR over System RAM would hand the guest, and AXAS_READ,
 * the kernel's own memory: EPERM, and nothing is mapped.
 */
TEST(linear_refuses_ram)
{
	uint64_t start, end, hpa, len;
	int dev, fd, i;

	if (!is_root())
		SKIP(return, "MAP_LINEAR needs CAP_SYS_RAWIO");
	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	fd = as_create(dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, iomem_find(i, &start, &end))
			TH_LOG("no %s in /proc/iomem",
			       i ? "Kernel code" : "System RAM");
		hpa = (start + SZ_4K - 1) & ~(SZ_4K - 1);
		ASSERT_LT(hpa, end);
		EXPECT_EQ(-EPERM, map_linear(fd, G0, SZ_4K, hpa, RO,
					     AXAS_MEM_NORMAL))
			TH_LOG("hpa %#llx", (unsigned long long)hpa);
		EXPECT_EQ(-EPERM, map_linear(fd, G0, SZ_4K, hpa, RW,
					     AXAS_MEM_DEVICE));
		/* A range that only begins below RAM ends in it. */
		if (hpa >= SZ_2M) {
			EXPECT_EQ(-EPERM, map_linear(fd, G0, SZ_2M,
						     hpa - SZ_2M + SZ_4K, RO,
						     AXAS_MEM_DEVICE));
		}
		EXPECT_EQ(-ENOENT, translate(fd, G0, NULL, &len));
	}
	/* Above RAM is still fine. */
	EXPECT_EQ(0, map_linear(fd, G0, SZ_4K, LINEAR_HPA, RW,
				AXAS_MEM_DEVICE));
	close(fd);
	close(dev);
}

/*
 * Memory the host does not have as RAM (here a hole) is device memory: a
 * normal (cacheable) linear map of it is EINVAL, whatever the rights, and
 * leaves nothing behind; checked before the overlap (EEXIST).
 */
TEST(linear_memtype)
{
	struct axas_stats before, st;
	uint64_t len;
	int dev, fd;

	if (!is_root())
		SKIP(return, "MAP_LINEAR needs CAP_SYS_RAWIO");
	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	fd = as_create(dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, map_linear(fd, G0 + SZ_2M, SZ_4K, LINEAR_HPA, RO,
				AXAS_MEM_DEVICE));
	ASSERT_EQ(0, get_stats(fd, &before));
	EXPECT_EQ(-EINVAL, map_linear(fd, G0, SZ_4K, LINEAR_HPA, RW,
				      AXAS_MEM_NORMAL));
	EXPECT_EQ(-EINVAL, map_linear(fd, G0, SZ_4K, LINEAR_HPA, RO,
				      AXAS_MEM_NORMAL));
	EXPECT_EQ(-EINVAL, map_linear(fd, G0, SZ_2M, LINEAR_HPA + SZ_2M,
				      AXAS_PROT_RWX, AXAS_MEM_NORMAL));
	EXPECT_EQ(-EINVAL, map_linear(fd, G0 + SZ_2M, SZ_4K, LINEAR_HPA, RW,
				      AXAS_MEM_NORMAL));
	EXPECT_EQ(-ENOENT, translate(fd, G0, NULL, &len));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(before.regions, st.regions);
	EXPECT_EQ(before.leaves_4k, st.leaves_4k);
	EXPECT_EQ(before.leaves_2m, st.leaves_2m);
	EXPECT_EQ(before.table_pages, st.table_pages);
	/* As device memory it maps. */
	EXPECT_EQ(0, map_linear(fd, G0, SZ_2M, LINEAR_HPA + SZ_2M, RW,
				AXAS_MEM_DEVICE));
	ASSERT_EQ(0, get_stats(fd, &st));
	EXPECT_EQ(before.regions + 1, st.regions);
	EXPECT_EQ(before.leaves_2m + 1, st.leaves_2m);
	close(fd);
	close(dev);
}

/* /dev/axas opened O_RDONLY answers GET_INFO and refuses AXAS_CREATE. */
TEST(read_only_dev)
{
	struct axas_info info = { .size = sizeof(info) };
	int dev, fd;

	dev = open(AXAS_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dev);
	EXPECT_EQ(0, ax(dev, AXAS_GET_INFO, &info));
	fd = as_create(dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	EXPECT_EQ(-EBADF, fd);
	if (fd >= 0)
		close(fd);
	/* Before the argument is read. */
	EXPECT_EQ(-EBADF, ax(dev, AXAS_CREATE, NULL));
	close(dev);
}

/* Open debugfs axas/<id>/<name>: 0, or -errno. */
static int debugfs_open(unsigned int id, const char *name)
{
	char path[128];
	int f;

	snprintf(path, sizeof(path), AXAS_DEBUGFS "/%u/%s", id, name);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -errno;
	close(f);
	return 0;
}

/*
 * What an address space shows of host-physical memory, with CAP_SYS_ADMIN
 * (@admin) or without: AS_INFO reports 0, not the caller's input, for
 * every host-physical value; TRANSLATE hides the HPA and stops the
 * contiguous length at the leaf; debugfs refuses to open.
 */
static void check_hpa_view(struct __test_metadata *_metadata, bool admin)
{
	struct axas_as_info info;
	uint64_t hpa, len, gpa = G0 + 2 * SZ_2M;
	int dev, fd, want = admin ? 0 : -EPERM;

	dev = open(AXAS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	fd = as_create(dev, AXAS_FORMAT_DEFAULT, 0, 0, 0, 0);
	ASSERT_LE(0, fd);

	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	info.__reserved = 0;
	ASSERT_EQ(0, ax(fd, AXAS_AS_INFO, &info));
	if (admin) {
		EXPECT_NE(0, info.out_root_pa);
	} else {
		EXPECT_EQ(0, info.out_root_pa);
		EXPECT_EQ(0, info.out_eptp);
		EXPECT_EQ(0, info.out_vttbr);
		EXPECT_EQ(0, info.out_hgatp);
	}

	/* 2 MiB leaves of a 4 MiB linear region (CAP_SYS_RAWIO is kept). */
	ASSERT_EQ(0, map_linear(fd, gpa, 2 * SZ_2M, LINEAR_HPA, RW,
				AXAS_MEM_DEVICE));
	ASSERT_EQ(0, translate(fd, gpa + 0x1234, &hpa, &len));
	EXPECT_EQ(admin ? LINEAR_HPA + 0x1234 : 0, hpa);
	EXPECT_EQ((admin ? 2 * SZ_2M : SZ_2M) - 0x1234, len);
	/* 4 KiB frames: never past the page, adjacent or not. */
	ASSERT_EQ(0, map_alloc(fd, G0, 16 * SZ_4K, RW,
			       AXAS_MAP_ALLOC_POPULATE));
	ASSERT_EQ(0, translate(fd, G0 + 42, &hpa, &len));
	if (!admin) {
		EXPECT_EQ(0, hpa);
		EXPECT_EQ(SZ_4K - 42, len);
	}

	if (access(AXAS_DEBUGFS, F_OK) == 0) {
		EXPECT_EQ(want, debugfs_open(info.out_id, "ptdump"));
		EXPECT_EQ(want, debugfs_open(info.out_id, "pt_raw"));
	} else {
		TH_LOG("no " AXAS_DEBUGFS ": debugfs not checked");
	}
	close(fd);
	close(dev);
}

TEST(no_sys_admin)
{
	if (!is_root())
		SKIP(return, "runs as root, then drops CAP_SYS_ADMIN");
	ASSERT_EQ(0, drop_cap(CAP_SYS_ADMIN));
	check_hpa_view(_metadata, false);
}

/* With CAP_SYS_ADMIN the same calls show everything. */
TEST(sys_admin)
{
	if (!is_root())
		SKIP(return, "needs CAP_SYS_ADMIN");
	check_hpa_view(_metadata, true);
}

TEST_HARNESS_MAIN
