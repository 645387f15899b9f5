// SPDX-License-Identifier: GPL-2.0
/*
 * Intel EPT formats. Pure encoders: no asm/ header, no VMX instruction.
 */
#include "axas_npt.h"

const struct axas_npt_fmt axas_npt_x86_ept4 = {
	.name		= "x86-ept4",
	.id		= AXAS_FORMAT_X86_EPT4,
	.levels		= 4,
	.gpa_bits	= 48,
};

const struct axas_npt_fmt axas_npt_x86_ept5 = {
	.name		= "x86-ept5",
	.id		= AXAS_FORMAT_X86_EPT5,
	.levels		= 5,
	.gpa_bits	= 57,
};
