/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host cache maintenance for guest frames. The stage-2 encoders stay pure
 * (axas_npt_{x86,arm64,riscv}.c, built on every host); what the host CPU
 * must do to its own caches before a guest sees a frame's contents lives
 * here, with an arm64 body in axas_arch_arm64.c and nothing elsewhere:
 * x86 caches are coherent with every memory type EPT can give a frame,
 * and RISC-V has no standard cache-maintenance instruction a G-stage
 * mapping of coherent RAM needs.
 */
#ifndef _AXAS_ARCH_H
#define _AXAS_ARCH_H

#include <linux/types.h>

#ifdef CONFIG_ARM64
void axas_arch_sync_frame(void *va, size_t size, bool exec);
#else
static inline void axas_arch_sync_frame(void *va, size_t size, bool exec)
{
}
#endif

void axas_frame_sync(void *va, size_t size, unsigned int prot);

#endif /* _AXAS_ARCH_H */
