// SPDX-License-Identifier: GPL-2.0
/*
 * x86 host facts axas needs; built on x86 only, apart from the pure EPT
 * encoders (axas_npt_x86.c), which are built on every host.
 */
#include <asm/cpufeature.h>

#include "axas_npt.h"

/**
 * axas_host_itlb_multihit() - does the host have the ITLB multihit erratum
 *
 * Context: Any context.
 * Return: true when the kernel reports X86_BUG_ITLB_MULTIHIT
 * (CVE-2018-12207), which KVM's nx_huge_pages=auto follows.
 */
bool axas_host_itlb_multihit(void)
{
	return boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT);
}
