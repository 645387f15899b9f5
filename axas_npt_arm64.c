// SPDX-License-Identifier: GPL-2.0
/*
 * Arm VMSAv8-64 stage-2 format, 4 KiB granule. Pure encoders: no asm/
 * header, no system register access.
 */
#include "axas_npt.h"

const struct axas_npt_fmt axas_npt_arm64_s2 = {
	.name		= "arm64-s2",
	.id		= AXAS_FORMAT_ARM64_S2,
	.levels		= 4,
	.gpa_bits	= 48,
};
