/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas internals shared by the module's files and its KUnit tests.
 */
#ifndef _AXAS_INTERNAL_H
#define _AXAS_INTERNAL_H

#include <linux/fs.h>
#include <linux/types.h>
#include <kunit/visibility.h>

#if IS_ENABLED(CONFIG_KUNIT)
long axas_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
#endif

#endif /* _AXAS_INTERNAL_H */
