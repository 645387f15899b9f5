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

/*
 * ioctl numbers: _IO(AXAS_TYPE, AXAS_CMD_*). Every value is ABI and is
 * written out, so that reordering or inserting an enumerator can never
 * renumber a command; a new command takes the next free number.
 */
enum {
	AXAS_CMD_BASE = 0x80,
	AXAS_CMD_GET_INFO = 0x80,
	AXAS_CMD_CREATE = 0x81,
	AXAS_CMD_AS_INFO = 0x82,
	AXAS_CMD_MAP_LINEAR = 0x83,
	AXAS_CMD_MAP_ALLOC = 0x84,
	AXAS_CMD_UNMAP = 0x85,
	AXAS_CMD_PROTECT = 0x86,
	AXAS_CMD_HANDLE_FAULT = 0x87,
	AXAS_CMD_TRANSLATE = 0x88,
	AXAS_CMD_READ = 0x89,
	AXAS_CMD_WRITE = 0x8a,
	AXAS_CMD_GET_STATS = 0x8b,
};

/**
 * enum axas_format - stage-2 page-table formats
 * @AXAS_FORMAT_DEFAULT: 0: the host architecture's native format
 *			 (x86_64: EPT4, arm64: ARM64_S2, riscv64:
 *			 RISCV_SV48X4); on any other host there is none,
 *			 and creating an address space with it fails with
 *			 EINVAL.
 * @AXAS_FORMAT_X86_EPT4: 1: Intel EPT, 4-level walk, 48-bit GPA.
 * @AXAS_FORMAT_X86_EPT5: 2: Intel EPT, 5-level walk, 57-bit GPA.
 * @AXAS_FORMAT_ARM64_S2: 3: Arm VMSAv8-64 stage 2, 4 KiB granule, IPA size
 *			  32..48 bits chosen at creation (default 40).
 * @AXAS_FORMAT_RISCV_SV39X4: 4: RISC-V G-stage Sv39x4, 41-bit GPA.
 * @AXAS_FORMAT_RISCV_SV48X4: 5: RISC-V G-stage Sv48x4, 50-bit GPA.
 * @AXAS_FORMAT_RISCV_SV57X4: 6: RISC-V G-stage Sv57x4, 59-bit GPA.
 *
 * Every format is a pure encoder and is available on every host; the
 * native one is what the host CPU's hardware walks. The values are ABI
 * (bit N of &axas_info.out_formats is format N).
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

/*
 * Guest access rights: of a mapping, or of the access that faulted. A
 * mapping needs at least one, and write only with read (EINVAL).
 */
#define AXAS_PROT_READ		(1U << 0)
#define AXAS_PROT_WRITE		(1U << 1)
#define AXAS_PROT_EXEC		(1U << 2)
#define AXAS_PROT_RWX		(AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_PROT_EXEC)

/**
 * enum axas_memtype - memory type of a mapping
 * @AXAS_MEM_NORMAL: 0: normal memory, write-back cacheable: guest RAM
 *		     (frames axas allocates; for a linear map, host System
 *		     RAM or persistent memory).
 * @AXAS_MEM_DEVICE: 1: device memory, uncached, for MMIO and anything
 *		     else that is not RAM; never executable. EPT UC (no
 *		     speculative reads), arm64 Device-nGnRE (no speculative
 *		     data access; XN, since instruction fetches from
 *		     executable device memory may be speculative). RISC-V
 *		     G-stage has no memory type bits (without Svpbmt):
 *		     there the host's PMAs and the guest's own attributes
 *		     decide.
 *
 * Memory that axas allocates is always normal; only AXAS_MAP_LINEAR can
 * map device memory. A linear map's type must be the host range's (see
 * &struct axas_map_linear), as KVM derives it from the host.
 */
enum axas_memtype {
	AXAS_MEM_NORMAL = 0,
	AXAS_MEM_DEVICE = 1,
};

/**
 * enum axas_map_alloc_flags - how guest memory of an allocated region is
 *			       provided
 * @AXAS_MAP_ALLOC_POPULATE: 1 << 0: allocate and map every frame now;
 *			     without it, frames are allocated on the first
 *			     fault (or %AXAS_RW_FAULT_IN access).
 * @AXAS_MAP_ALLOC_HUGE: 1 << 1: allow 2 MiB frames where alignment
 *			 permits, falling back to 4 KiB ones.
 *
 * The values are bits of &axas_map_alloc.flags and of axas_map_alloc()'s
 * flags.
 */
enum axas_map_alloc_flags {
	AXAS_MAP_ALLOC_POPULATE = 1 << 0,
	AXAS_MAP_ALLOC_HUGE = 1 << 1,
};

/**
 * enum axas_fault_outcome - what handling a stage-2 fault did
 * @AXAS_FAULT_MAPPED: 1: a frame was allocated, zeroed and mapped (2 MiB
 *		       or 4 KiB, see %AXAS_MAP_ALLOC_HUGE). Resume the guest.
 * @AXAS_FAULT_SPURIOUS: 2: the address was already mapped with the rights
 *			 the access needs (a duplicate or stale fault, or
 *			 another fault on the same page won the race);
 *			 nothing changed. Resume the guest.
 * @AXAS_FAULT_NOT_MAPPED: 3: no region covers the address: it is not guest
 *			   memory, and the VMM emulates the access as MMIO.
 * @AXAS_FAULT_PERM: 4: a region covers the address but its rights, or
 *		     those of the entry already mapped, do not include the
 *		     access.
 *
 * The checks run in the order NOT_MAPPED, PERM, SPURIOUS, MAPPED. The
 * outcome is &axas_fault.out_outcome, or the positive return value of
 * axas_handle_fault().
 */
enum axas_fault_outcome {
	AXAS_FAULT_MAPPED = 1,
	AXAS_FAULT_SPURIOUS = 2,
	AXAS_FAULT_NOT_MAPPED = 3,
	AXAS_FAULT_PERM = 4,
};

/**
 * struct axas_stats - counters of one address space
 * @regions: Regions: a partly unmapped or protected region counts once
 *	     per piece; adjacent pieces that agree again are merged
 * @frames: Guest frames axas allocated, in 4 KiB units
 * @max_frames: Limit on @frames set at creation; 0 means none
 * @leaves_4k: Valid 4 KiB leaves in the stage-2 table
 * @leaves_2m: Valid 2 MiB leaves
 * @leaves_1g: Valid 1 GiB leaves
 * @table_pages: Pages holding the stage-2 table, root included
 * @faults_mapped: Faults that mapped a frame (%AXAS_FAULT_MAPPED)
 * @faults_spurious: Faults on an address already mapped
 *		     (%AXAS_FAULT_SPURIOUS)
 * @faults_not_mapped: Faults outside every region (%AXAS_FAULT_NOT_MAPPED)
 * @faults_perm: Faults a region's rights refused (%AXAS_FAULT_PERM)
 * @faults_nomem: Faults that failed for lack of memory or a limit
 *		  (ENOMEM)
 * @flushes: TLB flush requests made to the flush operations
 * @max_table_pages: Limit on @table_pages set at creation; 0 means none
 * @frame_limit_hits: Operations (faults, populate, fault-in) that failed
 *		      with ENOMEM because @max_frames was reached
 * @table_limit_hits: Table page allocations that failed because
 *		      @max_table_pages was reached (each fails its operation
 *		      with ENOMEM)
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
	__aligned_u64 max_table_pages;
	__aligned_u64 frame_limit_hits;
	__aligned_u64 table_limit_hits;
};

/**
 * struct axas_info - ioctl(AXAS_GET_INFO) on /dev/axas
 * @size: sizeof(struct axas_info)
 * @flags: Must be 0
 * @out_formats: Bit N is set when format N (enum axas_format) can be
 *		 created by this module
 * @out_native_format: The host's native format (enum axas_format);
 *		       %AXAS_FORMAT_DEFAULT on a host that has none
 * @out_host_page_shift: log2 of the host's page size. Allocated guest
 *			 memory (AXAS_MAP_ALLOC) needs 4 KiB host pages.
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

/**
 * struct axas_create - ioctl(AXAS_CREATE) on /dev/axas
 * @size: sizeof(struct axas_create)
 * @flags: Must be 0
 * @format: enum axas_format; %AXAS_FORMAT_DEFAULT for the host's own
 * @gpa_bits: Guest-physical address width; 0 for the format's largest
 *	      (arm64 stage 2: 40). Sets the walk depth.
 * @base: First GPA of the window regions may use (4 KiB aligned)
 * @length: Size of the window; 0 for everything from @base to the width
 * @max_frames: Limit on guest frames, in 4 KiB units; 0 for none. Table
 *	       pages do not count here (see @max_table_pages)
 * @out_fd: The new address space's file descriptor (close-on-exec)
 * @__reserved: Must be 0
 * @max_table_pages: Limit on the pages of the stage-2 table, root
 *		     included (&axas_stats.table_pages); 0 for none. Below
 *		     the root's page count: EINVAL. Added after the first
 *		     version (48 bytes): a caller whose struct ends before it
 *		     gets no limit, and a kernel that predates it refuses a
 *		     non-zero value with E2BIG
 *
 * Create an address space. Its fd takes the other ioctls; it works only
 * in the process (mm) that created it, and the address space lives until
 * the last reference to the fd is closed.
 */
struct axas_create {
	__u32 size;
	__u32 flags;
	__u32 format;
	__u32 gpa_bits;
	__aligned_u64 base;
	__aligned_u64 length;
	__aligned_u64 max_frames;
	__u32 out_fd;
	__u32 __reserved;
	__aligned_u64 max_table_pages;
};

#define AXAS_CREATE _IO(AXAS_TYPE, AXAS_CMD_CREATE)

/**
 * struct axas_as_info - ioctl(AXAS_AS_INFO) on an address-space fd
 * @size: sizeof(struct axas_as_info)
 * @flags: Must be 0
 * @out_format: enum axas_format of the table
 * @out_levels: Walk levels, root included
 * @out_gpa_bits: Guest-physical address width
 * @out_id: Identifier, also the name of its debugfs folder axas/<id>/
 * @out_root_pages: Concatenated root pages (arm64 up to 16; RISC-V 4)
 * @__reserved: Must be 0
 * @out_base: First GPA of the window
 * @out_length: Size of the window
 * @out_root_pa: Physical address of the root; 0 without CAP_SYS_ADMIN
 * @out_eptp: x86 EPTP value; 0 on other formats or without CAP_SYS_ADMIN
 * @out_vttbr: arm64 VTTBR_EL2 BADDR (VMID 0); 0 on other formats or
 *	       without CAP_SYS_ADMIN
 * @out_vtcr: arm64 VTCR_EL2 for this table; 0 on other formats
 * @out_hgatp: RISC-V HGATP (VMID 0); 0 on other formats or without
 *	       CAP_SYS_ADMIN
 *
 * The root values describe a table that axas never flushes from a TLB:
 * nothing in user space can load them into hardware. They are for
 * inspection, and for an in-kernel hypervisor that attaches the table and
 * flushes it (struct axas_flush_ops). Callers without CAP_SYS_ADMIN get 0
 * in every host-physical field, whatever they passed in.
 */
struct axas_as_info {
	__u32 size;
	__u32 flags;
	__u32 out_format;
	__u32 out_levels;
	__u32 out_gpa_bits;
	__u32 out_id;
	__u32 out_root_pages;
	__u32 __reserved;
	__aligned_u64 out_base;
	__aligned_u64 out_length;
	__aligned_u64 out_root_pa;
	__aligned_u64 out_eptp;
	__aligned_u64 out_vttbr;
	__aligned_u64 out_vtcr;
	__aligned_u64 out_hgatp;
};

#define AXAS_AS_INFO _IO(AXAS_TYPE, AXAS_CMD_AS_INFO)

/**
 * struct axas_map_linear - ioctl(AXAS_MAP_LINEAR) on an address-space fd
 * @size: sizeof(struct axas_map_linear)
 * @flags: Must be 0
 * @gpa: First guest-physical address (4 KiB aligned)
 * @length: Size (a non-zero multiple of 4 KiB)
 * @hpa: First host-physical address (4 KiB aligned)
 * @prot: AXAS_PROT_*, at least one; write needs read
 * @memtype: enum axas_memtype, the host range's own: %AXAS_MEM_DEVICE for
 *	     MMIO and holes, either type for persistent memory
 *
 * Map a fixed host-physical range (a device's MMIO) with the largest
 * blocks alignment allows. Needs CAP_SYS_RAWIO and an fd open for
 * writing; a range that overlaps System RAM or an IORESOURCE_EXCLUSIVE
 * resource, and any range while the kernel is locked down, is refused with
 * EPERM. A memory type the host range does not have is refused with
 * EINVAL: %AXAS_MEM_NORMAL on anything but persistent memory (all of the
 * range), since a cacheable guest mapping of MMIO or of a hole disagrees
 * with the host's. AXAS_READ and AXAS_WRITE never access a linear region.
 */
struct axas_map_linear {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 length;
	__aligned_u64 hpa;
	__u32 prot;
	__u32 memtype;
};

#define AXAS_MAP_LINEAR _IO(AXAS_TYPE, AXAS_CMD_MAP_LINEAR)

/**
 * struct axas_map_alloc - ioctl(AXAS_MAP_ALLOC) on an address-space fd
 * @size: sizeof(struct axas_map_alloc)
 * @flags: AXAS_MAP_ALLOC_* bits (enum axas_map_alloc_flags)
 * @gpa: First guest-physical address (4 KiB aligned)
 * @length: Size (a non-zero multiple of 4 KiB)
 * @prot: AXAS_PROT_*, at least one; write needs read
 * @__reserved: Must be 0
 *
 * Map guest memory from the page allocator: zeroed, charged to the
 * creator's memory cgroup, counted against the frame limit.
 */
struct axas_map_alloc {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 length;
	__u32 prot;
	__u32 __reserved;
};

#define AXAS_MAP_ALLOC _IO(AXAS_TYPE, AXAS_CMD_MAP_ALLOC)

/**
 * struct axas_unmap - ioctl(AXAS_UNMAP) on an address-space fd
 * @size: sizeof(struct axas_unmap)
 * @flags: Must be 0
 * @gpa: First guest-physical address (4 KiB aligned)
 * @length: Size (a non-zero multiple of 4 KiB)
 *
 * Unmap every region or part of a region in the range; allocated memory
 * is freed.
 */
struct axas_unmap {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 length;
};

#define AXAS_UNMAP _IO(AXAS_TYPE, AXAS_CMD_UNMAP)

/**
 * struct axas_protect - ioctl(AXAS_PROTECT) on an address-space fd
 * @size: sizeof(struct axas_protect)
 * @flags: Must be 0
 * @gpa: First guest-physical address (4 KiB aligned)
 * @length: Size (a non-zero multiple of 4 KiB)
 * @prot: New AXAS_PROT_*, at least one; write needs read
 * @__reserved: Must be 0
 */
struct axas_protect {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 length;
	__u32 prot;
	__u32 __reserved;
};

#define AXAS_PROTECT _IO(AXAS_TYPE, AXAS_CMD_PROTECT)

/**
 * struct axas_fault - ioctl(AXAS_HANDLE_FAULT) on an address-space fd
 * @size: sizeof(struct axas_fault)
 * @flags: Must be 0
 * @gpa: The faulting guest-physical address
 * @access: AXAS_PROT_* of the access, at least one
 * @out_outcome: enum axas_fault_outcome
 */
struct axas_fault {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__u32 access;
	__u32 out_outcome;
};

#define AXAS_HANDLE_FAULT _IO(AXAS_TYPE, AXAS_CMD_HANDLE_FAULT)

/**
 * struct axas_translate - ioctl(AXAS_TRANSLATE) on an address-space fd
 * @size: sizeof(struct axas_translate)
 * @flags: Must be 0
 * @gpa: Guest-physical address; any alignment
 * @out_hpa: Host-physical address (page offset included); 0 without
 *	     CAP_SYS_ADMIN
 * @out_length: Bytes from @gpa on mapped to contiguous host memory, within
 *		the region; without CAP_SYS_ADMIN, within the leaf that maps
 *		@gpa
 */
struct axas_translate {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 out_hpa;
	__aligned_u64 out_length;
};

#define AXAS_TRANSLATE _IO(AXAS_TYPE, AXAS_CMD_TRANSLATE)

/**
 * struct axas_rw - ioctl(AXAS_READ) and ioctl(AXAS_WRITE) on an
 *		    address-space fd
 * @size: sizeof(struct axas_rw)
 * @flags: 0 or %AXAS_RW_FAULT_IN (1U << 0): allocate lazy frames the
 *	   range touches
 * @gpa: First guest-physical address; any alignment
 * @length: Bytes to copy, not 0; may cross pages, blocks and regions
 * @buf: User buffer (a pointer)
 *
 * Without %AXAS_RW_FAULT_IN, never-touched lazy memory reads as zeroes and
 * cannot be written. Only alloc regions can be copied: linear regions give
 * EOPNOTSUPP. AXAS_WRITE, and AXAS_READ with %AXAS_RW_FAULT_IN, need an fd
 * open for writing (EBADF).
 */
struct axas_rw {
	__u32 size;
	__u32 flags;
	__aligned_u64 gpa;
	__aligned_u64 length;
	__aligned_u64 buf;
};

#define AXAS_RW_FAULT_IN	(1U << 0)
#define AXAS_READ _IO(AXAS_TYPE, AXAS_CMD_READ)
#define AXAS_WRITE _IO(AXAS_TYPE, AXAS_CMD_WRITE)

/**
 * struct axas_get_stats - ioctl(AXAS_GET_STATS) on an address-space fd
 * @size: sizeof(struct axas_get_stats)
 * @flags: Must be 0
 * @out: The counters; new counters are appended to struct axas_stats,
 *	 which therefore stays the last member
 */
struct axas_get_stats {
	__u32 size;
	__u32 flags;
	struct axas_stats out;
};

#define AXAS_GET_STATS _IO(AXAS_TYPE, AXAS_CMD_GET_STATS)

#endif /* _UAPI_LINUX_AXAS_H */
