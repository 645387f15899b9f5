/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas stage-2 page-table formats and the generic walker.
 *
 * A format is a const table of geometry and pure encode/decode functions;
 * the format files include no asm/ header and touch no register, so every
 * format is built and tested on every host architecture.
 */
#ifndef _AXAS_NPT_H
#define _AXAS_NPT_H

#include <linux/types.h>
#include <uapi/linux/axas.h>

/**
 * struct axas_npt_fmt - one stage-2 page-table format
 * @name:	Name shown in logs, debugfs and test output.
 * @id:		uAPI identifier.
 * @levels:	Walk levels of the largest geometry, root included.
 * @gpa_bits:	Largest guest-physical address width the format can map.
 */
struct axas_npt_fmt {
	const char *name;
	enum axas_format id;
	u8 levels;
	u8 gpa_bits;
};

extern const struct axas_npt_fmt axas_npt_x86_ept4;
extern const struct axas_npt_fmt axas_npt_x86_ept5;
extern const struct axas_npt_fmt axas_npt_arm64_s2;
extern const struct axas_npt_fmt axas_npt_riscv_sv39x4;
extern const struct axas_npt_fmt axas_npt_riscv_sv48x4;
extern const struct axas_npt_fmt axas_npt_riscv_sv57x4;

const struct axas_npt_fmt *axas_npt_fmt_get(enum axas_format id);
u64 axas_npt_formats_mask(void);
enum axas_format axas_npt_native_format(void);

#endif /* _AXAS_NPT_H */
