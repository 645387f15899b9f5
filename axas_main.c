// SPDX-License-Identifier: GPL-2.0
/*
 * axas: guest address spaces for virtual machine monitors.
 *
 * This file holds the module's entry points, the /dev/axas misc device and
 * the ioctl dispatcher, which enforces the size contract of the uAPI for
 * every command in one place (as iommufd does).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>
#include <uapi/linux/axas.h>

#include "axas_internal.h"
#include "axas_npt.h"

/**
 * struct axas_ucmd - one ioctl call being executed
 * @ubuffer:	The caller's argument.
 * @user_size:	The size the caller declared in the argument's first word.
 * @cmd:	Kernel copy of the argument, zero-extended to the kernel's size.
 */
struct axas_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* Copy a reply back, truncated to what the caller's struct can hold. */
static int axas_ucmd_respond(struct axas_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

static int axas_get_info(struct axas_ucmd *ucmd)
{
	struct axas_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;

	cmd->out_formats = axas_npt_formats_mask();
	cmd->out_native_format = axas_npt_native_format();
	cmd->out_host_page_shift = PAGE_SHIFT;
	return axas_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Large enough for the argument of every command. */
union axas_ucmd_buffer {
	struct axas_info info;
};

/**
 * struct axas_ioctl_op - one entry of an ioctl table
 * @size:	sizeof() the argument struct this kernel knows.
 * @min_size:	Size of the first version of the struct.
 * @ioctl_num:	The full ioctl number, to reject a wrong type or direction.
 * @execute:	The command; called with a validated kernel copy.
 */
struct axas_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct axas_ucmd *ucmd);
};

/* @_name is the command's name without prefix: AXAS_CMD_<name>, AXAS_<name>. */
#define AXAS_IOCTL_OP(_name, _fn, _struct, _last)			\
	[AXAS_CMD_##_name - AXAS_CMD_BASE] = {				\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union axas_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = AXAS_##_name,				\
		.execute = _fn,						\
	}

static const struct axas_ioctl_op axas_dev_ops[] = {
	AXAS_IOCTL_OP(GET_INFO, axas_get_info, struct axas_info,
		      out_host_page_shift),
};

static long axas_ioctl_dispatch(const struct axas_ioctl_op *ops,
				unsigned int nr_ops, unsigned int cmd,
				unsigned long arg)
{
	union axas_ucmd_buffer buf;
	const struct axas_ioctl_op *op;
	struct axas_ucmd ucmd = {};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != AXAS_TYPE || nr < AXAS_CMD_BASE ||
	    nr - AXAS_CMD_BASE >= nr_ops)
		return -ENOTTY;
	op = &ops[nr - AXAS_CMD_BASE];
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;

	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

VISIBLE_IF_KUNIT long axas_dev_ioctl(struct file *filp, unsigned int cmd,
				     unsigned long arg)
{
	return axas_ioctl_dispatch(axas_dev_ops, ARRAY_SIZE(axas_dev_ops),
				   cmd, arg);
}
EXPORT_SYMBOL_IF_KUNIT(axas_dev_ioctl);

static const struct file_operations axas_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= axas_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice axas_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "axas",
	.fops	= &axas_dev_fops,
};

static int __init axas_init(void)
{
	return misc_register(&axas_misc);
}

static void __exit axas_exit(void)
{
	misc_deregister(&axas_misc);
}

module_init(axas_init);
module_exit(axas_exit);

MODULE_DESCRIPTION("Guest address spaces (stage-2 page tables) for VMMs");
MODULE_LICENSE("GPL");
