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

/* Guest access rights: of a mapping, or of the access that faulted. */
#define AXAS_PROT_READ		(1U << 0)
#define AXAS_PROT_WRITE		(1U << 1)
#define AXAS_PROT_EXEC		(1U << 2)
#define AXAS_PROT_RWX		(AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_PROT_EXEC)

/**
 * enum axas_memtype - memory type of a mapping
 * @AXAS_MEM_NORMAL: Normal memory, write-back cacheable (guest RAM).
 * @AXAS_MEM_DEVICE: Device memory: uncached, no speculative access (EPT
 *		     UC, arm64 Device-nGnRE). RISC-V G-stage has no memory
 *		     type bits (without Svpbmt): there the guest's own
 *		     attributes decide.
 */
enum axas_memtype {
	AXAS_MEM_NORMAL = 0,
	AXAS_MEM_DEVICE = 1,
};

/**
 * enum axas_map_alloc_flags - how guest memory of an allocated region is
 *			       provided
 * @AXAS_MAP_ALLOC_POPULATE: Allocate and map every frame now; without it,
 *			     frames are allocated on the first fault.
 * @AXAS_MAP_ALLOC_HUGE: Allow 2 MiB frames where alignment permits,
 *			 falling back to 4 KiB ones.
 */
enum axas_map_alloc_flags {
	AXAS_MAP_ALLOC_POPULATE = 1 << 0,
	AXAS_MAP_ALLOC_HUGE = 1 << 1,
};

/**
 * enum axas_fault_outcome - what handling a stage-2 fault did
 * @AXAS_FAULT_MAPPED: A frame was allocated and mapped; resume the guest.
 * @AXAS_FAULT_SPURIOUS: The address was already mapped with the rights the
 *			 access needs (a duplicate or stale fault); resume.
 * @AXAS_FAULT_NOT_MAPPED: No region covers the address: not guest memory
 *			   (the VMM emulates it as MMIO).
 * @AXAS_FAULT_PERM: A region covers the address but does not allow the
 *		     access.
 */
enum axas_fault_outcome {
	AXAS_FAULT_MAPPED = 1,
	AXAS_FAULT_SPURIOUS = 2,
	AXAS_FAULT_NOT_MAPPED = 3,
	AXAS_FAULT_PERM = 4,
};

/**
 * struct axas_stats - counters of one address space
 * @regions: Regions (a partly unmapped region counts once per piece)
 * @frames: Guest frames axas allocated, in 4 KiB units
 * @max_frames: Limit on @frames set at creation; 0 means none
 * @leaves_4k: Valid 4 KiB leaves in the stage-2 table
 * @leaves_2m: Valid 2 MiB leaves
 * @leaves_1g: Valid 1 GiB leaves
 * @table_pages: Pages holding the stage-2 table, root included
 * @faults_mapped: Faults that mapped a frame
 * @faults_spurious: Faults on an address already mapped
 * @faults_not_mapped: Faults outside every region
 * @faults_perm: Faults a region's rights refused
 * @faults_nomem: Faults that failed for lack of memory or the limit
 * @flushes: TLB flush requests made to the flush operations
 */
struct axas_stats {
	__aligned_u64 regions;
	__aligned_u64 frames;
	__aligned_u64 max_frames;
	__aligned_u64 leaves_4k;
	__aligned_u64 leaves_2m;
	__aligned_u64 leaves_1g;
	__aligned_u64 table_pages;
	__aligned_u64 faults_mapped;
	__aligned_u64 faults_spurious;
	__aligned_u64 faults_not_mapped;
	__aligned_u64 faults_perm;
	__aligned_u64 faults_nomem;
	__aligned_u64 flushes;
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
