// SPDX-License-Identifier: GPL-2.0
/*
 * axas-vmm: the example VMM shown by "make run".
 *
 * It opens /dev/axas, asks the module what it offers (AXAS_GET_INFO) and
 * prints a readable report. It grows with each capability of the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/axas.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const format_names[] = {
	[AXAS_FORMAT_X86_EPT4]		= "x86 EPT, 4-level (48-bit GPA)",
	[AXAS_FORMAT_X86_EPT5]		= "x86 EPT, 5-level (57-bit GPA)",
	[AXAS_FORMAT_ARM64_S2]		= "arm64 stage 2, 4K granule (IPA 32..48 bits)",
	[AXAS_FORMAT_RISCV_SV39X4]	= "RISC-V G-stage Sv39x4 (41-bit GPA)",
	[AXAS_FORMAT_RISCV_SV48X4]	= "RISC-V G-stage Sv48x4 (50-bit GPA)",
	[AXAS_FORMAT_RISCV_SV57X4]	= "RISC-V G-stage Sv57x4 (59-bit GPA)",
};

static const char *format_name(unsigned int id)
{
	if (id < ARRAY_SIZE(format_names) &&
	    format_names[id])
		return format_names[id];
	return "unknown format";
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/axas";
	struct axas_info info = { .size = sizeof(info) };
	unsigned int id;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "axas-vmm: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (ioctl(fd, AXAS_GET_INFO, &info)) {
		fprintf(stderr, "axas-vmm: AXAS_GET_INFO: %s\n", strerror(errno));
		close(fd);
		return 1;
	}

	printf("axas-vmm: %s answers AXAS_GET_INFO (%u-byte reply)\n", dev,
	       info.size);
	printf("  host page size     %u KiB\n",
	       (1u << info.out_host_page_shift) / 1024);
	printf("  native format      %s\n", format_name(info.out_native_format));
	printf("  formats available:\n");
	for (id = 0; id < 64; id++)
		if (info.out_formats & (1ULL << id))
			printf("    [%u] %s%s\n", id, format_name(id),
			       id == info.out_native_format ? "  (native)" : "");
	close(fd);
	return 0;
}
