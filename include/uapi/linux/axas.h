/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * axas: guest address spaces (stage-2 page tables) for virtual machine
 * monitors.
 *
 * Every ioctl argument starts with "__u32 size; __u32 flags;". The kernel
 * accepts any size from the first version of a struct up to the largest it
 * knows; a larger struct must have a zero tail (else E2BIG). Unknown flag
 * bits give EOPNOTSUPP, an unknown ioctl ENOTTY. New fields are appended,
 * and zero always means the old behaviour; features are discovered with
 * AXAS_GET_INFO, never by a version number.
 */
#ifndef _UAPI_LINUX_AXAS_H
#define _UAPI_LINUX_AXAS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define AXAS_TYPE	0xAF

enum {
	AXAS_CMD_BASE = 0x80,
	AXAS_CMD_GET_INFO = AXAS_CMD_BASE,
};

/**
 * enum axas_format - stage-2 page-table formats
 * @AXAS_FORMAT_DEFAULT: The host architecture's native format.
 * @AXAS_FORMAT_X86_EPT4: Intel EPT, 4-level walk, 48-bit GPA.
 * @AXAS_FORMAT_X86_EPT5: Intel EPT, 5-level walk, 57-bit GPA.
 * @AXAS_FORMAT_ARM64_S2: Arm VMSAv8-64 stage 2, 4 KiB granule, IPA size
 *			  32..48 bits chosen at creation.
 * @AXAS_FORMAT_RISCV_SV39X4: RISC-V G-stage Sv39x4, 41-bit GPA.
 * @AXAS_FORMAT_RISCV_SV48X4: RISC-V G-stage Sv48x4, 50-bit GPA.
 * @AXAS_FORMAT_RISCV_SV57X4: RISC-V G-stage Sv57x4, 59-bit GPA.
 *
 * Every format is a pure encoder and is available on every host; the
 * native one is what the host CPU's hardware walks.
 */
enum axas_format {
	AXAS_FORMAT_DEFAULT = 0,
	AXAS_FORMAT_X86_EPT4 = 1,
	AXAS_FORMAT_X86_EPT5 = 2,
	AXAS_FORMAT_ARM64_S2 = 3,
	AXAS_FORMAT_RISCV_SV39X4 = 4,
	AXAS_FORMAT_RISCV_SV48X4 = 5,
	AXAS_FORMAT_RISCV_SV57X4 = 6,
};

/**
 * struct axas_info - ioctl(AXAS_GET_INFO) on /dev/axas
 * @size: sizeof(struct axas_info)
 * @flags: Must be 0
 * @out_formats: Bit N is set when format N (enum axas_format) can be
 *		 created by this module
 * @out_native_format: The host's native format (enum axas_format)
 * @out_host_page_shift: log2 of the host's page size; guest memory is
 *			 allocated in multiples of it
 *
 * Describe what this module offers. Fields named out_* are written by the
 * kernel; the reply is truncated to @size.
 */
struct axas_info {
	__u32 size;
	__u32 flags;
	__aligned_u64 out_formats;
	__u32 out_native_format;
	__u32 out_host_page_shift;
};

#define AXAS_GET_INFO _IO(AXAS_TYPE, AXAS_CMD_GET_INFO)

#endif /* _UAPI_LINUX_AXAS_H */
