// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 host cache maintenance for guest frames (Arm ARM D7.5, "Data and
 * instruction cache maintenance"), as KVM's stage2_map_walker_try_leaf()
 * does before it makes a leaf valid. Built only when CONFIG_ARM64.
 *
 * Without FEAT_S2FWB a guest with its MMU off, or with a non-cacheable
 * stage-1 mapping, reads memory past the host's caches: a frame zeroed
 * (or written by AXAS_WRITE) through the kernel's cacheable alias must be
 * cleaned to the Point of Coherency first, or the guest may see the
 * previous owner's data. FWB is an HCR_EL2 bit the hypervisor that loads
 * the table sets; axas builds tables only, cannot know, and cleans always.
 *
 * Debian's arm64 kernel exports no PoC helper to modules
 * (dcache_clean_inval_poc() is not exported), so the data side is a DC
 * CIVAC loop by CTR_EL0.DminLine, the sanitised smallest line of any CPU.
 * CIVAC rather than CVAC: the kernel's own PoC clean turns CVAC into
 * CIVAC on CPUs with ARM64_WORKAROUND_CLEAN_CACHE, and clean+invalidate
 * is correct everywhere. The instruction side uses the exported
 * caches_clean_inval_pou(), which skips the D-side when CTR_EL0.IDC says
 * it is not needed and the I-cache invalidation when CTR_EL0.DIC does.
 */
#include <linux/align.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>

#include "axas_arch.h"

/* CTR_EL0.DminLine: log2 of the smallest D-cache line, in 4-byte words. */
#define AXAS_CTR_DMINLINE	GENMASK_ULL(19, 16)

/**
 * axas_arch_sync_frame() - make a frame's contents visible to a guest
 * @va:		Kernel (linear map) address of the first byte.
 * @size:	Bytes; the lines holding @va .. @va + @size - 1 are cleaned.
 * @exec:	The frame is mapped executable: invalidate the I-cache too.
 *
 * Cleans and invalidates the data cache to the Point of Coherency and
 * waits for it (DSB SY), then, for @exec, cleans to and invalidates the
 * instruction cache to the Point of Unification. Call it after the last
 * write through the kernel alias and before the leaf mapping the frame
 * is published.
 *
 * Context: Any context.
 */
void axas_arch_sync_frame(void *va, size_t size, bool exec)
{
	unsigned long start = (unsigned long)va, end = start + size;
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	unsigned long line = 4UL << FIELD_GET(AXAS_CTR_DMINLINE, ctr);
	unsigned long addr;

	for (addr = ALIGN_DOWN(start, line); addr < end; addr += line)
		asm volatile("dc civac, %0" : : "r" (addr) : "memory");
	dsb(sy);
	if (exec)
		caches_clean_inval_pou(start, end);
}
