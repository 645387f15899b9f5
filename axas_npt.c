// SPDX-License-Identifier: GPL-2.0
/*
 * axas generic stage-2 page-table code: the format registry.
 */
#include <linux/kernel.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

static const struct axas_npt_fmt *const axas_npt_formats[] = {
	[AXAS_FORMAT_X86_EPT4]		= &axas_npt_x86_ept4,
	[AXAS_FORMAT_X86_EPT5]		= &axas_npt_x86_ept5,
	[AXAS_FORMAT_ARM64_S2]		= &axas_npt_arm64_s2,
	[AXAS_FORMAT_RISCV_SV39X4]	= &axas_npt_riscv_sv39x4,
	[AXAS_FORMAT_RISCV_SV48X4]	= &axas_npt_riscv_sv48x4,
	[AXAS_FORMAT_RISCV_SV57X4]	= &axas_npt_riscv_sv57x4,
};

/**
 * axas_npt_native_format() - the format the host CPU walks
 *
 * x86-64 hosts use 4-level EPT (5-level only when the guest needs more
 * than 48 bits), arm64 hosts stage 2, and RISC-V hosts Sv48x4, the mode
 * KVM uses when the host does not offer Sv57x4.
 *
 * Return: the native format, or %AXAS_FORMAT_DEFAULT on any other host.
 */
enum axas_format axas_npt_native_format(void)
{
	if (IS_ENABLED(CONFIG_X86_64))
		return AXAS_FORMAT_X86_EPT4;
	if (IS_ENABLED(CONFIG_ARM64))
		return AXAS_FORMAT_ARM64_S2;
	if (IS_ENABLED(CONFIG_RISCV))
		return AXAS_FORMAT_RISCV_SV48X4;
	return AXAS_FORMAT_DEFAULT;
}

/**
 * axas_npt_fmt_get() - look up a format
 * @id: uAPI format identifier; %AXAS_FORMAT_DEFAULT picks the native one
 *
 * Return: the format, or NULL when @id is unknown.
 */
const struct axas_npt_fmt *axas_npt_fmt_get(enum axas_format id)
{
	if (id == AXAS_FORMAT_DEFAULT)
		id = axas_npt_native_format();
	if ((unsigned int)id >= ARRAY_SIZE(axas_npt_formats))
		return NULL;
	return axas_npt_formats[id];
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_fmt_get);

/**
 * axas_npt_formats_mask() - the formats this module can build
 *
 * Return: bit N set when format N (enum axas_format) is available.
 */
u64 axas_npt_formats_mask(void)
{
	u64 mask = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axas_npt_formats); i++)
		if (axas_npt_formats[i])
			mask |= BIT_ULL(i);
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(axas_npt_formats_mask);
