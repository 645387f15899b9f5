// SPDX-License-Identifier: GPL-2.0
/*
 * RISC-V G-stage formats (Sv39x4, Sv48x4, Sv57x4). Pure encoders: no asm/
 * header, no CSR access.
 */
#include "axas_npt.h"

const struct axas_npt_fmt axas_npt_riscv_sv39x4 = {
	.name		= "riscv-sv39x4",
	.id		= AXAS_FORMAT_RISCV_SV39X4,
	.levels		= 3,
	.gpa_bits	= 41,
};

const struct axas_npt_fmt axas_npt_riscv_sv48x4 = {
	.name		= "riscv-sv48x4",
	.id		= AXAS_FORMAT_RISCV_SV48X4,
	.levels		= 4,
	.gpa_bits	= 50,
};

const struct axas_npt_fmt axas_npt_riscv_sv57x4 = {
	.name		= "riscv-sv57x4",
	.id		= AXAS_FORMAT_RISCV_SV57X4,
	.levels		= 5,
	.gpa_bits	= 59,
};
