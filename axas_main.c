// SPDX-License-Identifier: GPL-2.0
/*
 * axas: guest address spaces for virtual machine monitors.
 *
 * This file holds the module's entry points, the /dev/axas misc device and
 * the ioctl dispatcher, which enforces the size contract of the uAPI for
 * every command in one place (as iommufd does).
 */
#include <linux/anon_inodes.h>
#include <linux/axas.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/security.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>
#include <uapi/linux/axas.h>

#include "axas_internal.h"
#include "axas_npt.h"

/**
 * struct axas_file - what an address-space fd holds
 * @as:	The address space; the fd owns one reference.
 * @mm:	The creator's mm: the fd works in this process only (as KVM's).
 */
struct axas_file {
	struct axas *as;
	struct mm_struct *mm;
};

/**
 * struct axas_ucmd - one ioctl call being executed
 * @ubuffer:	The caller's argument.
 * @user_size:	The size the caller declared in the argument's first word.
 * @cmd:	Kernel copy of the argument, zero-extended to the kernel's size.
 * @as:		The address space, for commands on an address-space fd.
 * @writable:	The fd was opened for writing (FMODE_WRITE).
 */
struct axas_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	struct axas *as;
	bool writable;
};

/*
 * Host-physical addresses, and what they reveal, are for the administrator
 * only. Callers ask on every AS_INFO and TRANSLATE, and a refusal is not
 * an error, only a hidden value: check without an audit record.
 */
static bool axas_hpa_visible(void)
{
	return ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

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

static int axas_as_release(struct inode *inode, struct file *filp)
{
	struct axas_file *af = filp->private_data;

	/*
	 * Every mmap() holds the file: none is left. An in-kernel reference
	 * may keep the address space alive; the inode goes now.
	 */
	down_write(&af->as->lock);
	af->as->mapping = NULL;
	up_write(&af->as->lock);
	axas_put(af->as);
	mmdrop(af->mm);
	kfree(af);
	return 0;
}

static long axas_as_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg);

/*
 * Take the address space's lock for a VMM fault: killable where the fault
 * may be retried (the mm then drops its own lock and the task dies), and
 * not at all where it may not wait.
 */
static vm_fault_t axas_vm_lock(struct vm_fault *vmf, struct axas *as)
{
	const unsigned int nowait = FAULT_FLAG_ALLOW_RETRY |
				    FAULT_FLAG_RETRY_NOWAIT;

	if (down_read_trylock(&as->lock))
		return 0;
	if ((vmf->flags & nowait) == nowait)
		return VM_FAULT_RETRY;
	if (!(vmf->flags & FAULT_FLAG_KILLABLE)) {
		down_read(&as->lock);
		return 0;
	}
	if (!down_read_killable(&as->lock))
		return 0;
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		return VM_FAULT_SIGBUS;
	release_fault_lock(vmf);
	return VM_FAULT_RETRY;
}

/*
 * A VMM access to guest memory it has mmap()ed: map the frame the stage-2
 * table maps there, allocating a lazy one as a guest fault would. The
 * entry is installed under the address space's lock, so an unmap, which
 * zaps the VMM's mappings under the lock for write before it frees the
 * frames, either zaps it or makes this fault find no region.
 */
static vm_fault_t axas_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct axas_file *af = vma->vm_file->private_data;
	struct axas *as = af->as;
	u64 gpa = (u64)vmf->pgoff << PAGE_SHIFT;
	struct page *page;
	vm_fault_t ret;
	int err;

	if (gpa < as->base || gpa > as->last)
		return VM_FAULT_SIGBUS;
	ret = axas_vm_lock(vmf, as);
	if (ret)
		return ret;
	page = axas_vmm_frame_locked(as, gpa);
	if (IS_ERR(page)) {
		/* No region, a linear one, or no frame (limits included). */
		ret = VM_FAULT_SIGBUS;
	} else {
		/* A normal, refcounted page: GUP and direct I/O work on it. */
		err = vm_insert_page(vma, vmf->address, page);
		if (!err || err == -EBUSY)	/* -EBUSY: a racing fault won */
			ret = VM_FAULT_NOPAGE;
		else if (err == -ENOMEM)
			ret = VM_FAULT_OOM;
		else
			ret = VM_FAULT_SIGBUS;
	}
	up_read(&as->lock);
	return ret;
}

static const struct vm_operations_struct axas_vm_ops = {
	.fault	= axas_vm_fault,
};

/*
 * mmap() of an address-space fd: file offset = GPA. Shared only (a private
 * copy would diverge from the guest), within the window, in the creating
 * process; not inherited over fork (as VFIO), not grown by mremap(), not
 * dumped (a core dump would allocate every lazy page).
 */
static int axas_as_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct axas_file *af = filp->private_data;
	struct axas *as = af->as;
	u64 gpa = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;

	if (current->mm != af->mm)
		return -EIO;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* An offset is an off_t: vm_pgoff << PAGE_SHIFT fits in 64 bits. */
	if (gpa < as->base || gpa > as->last || len - 1 > as->last - gpa)
		return -EINVAL;
	/*
	 * VM_MIXEDMAP lets the fault handler insert the page itself, under
	 * the address space's lock; the pages stay normal ones.
	 */
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTCOPY | VM_DONTEXPAND |
		     VM_DONTDUMP);
	vma->vm_ops = &axas_vm_ops;
	return 0;
}

static const struct file_operations axas_as_fops = {
	.owner		= THIS_MODULE,
	.release	= axas_as_release,
	.unlocked_ioctl	= axas_as_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= axas_as_mmap,
};

static int axas_create_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_create *cmd = ucmd->cmd;
	struct axas_params params = {
		.format		= cmd->format,
		.gpa_bits	= cmd->gpa_bits,
		.base		= cmd->base,
		.size		= cmd->length,
		.max_frames	= cmd->max_frames,
		.max_table_pages = cmd->max_table_pages,
	};
	struct axas_file *af;
	struct file *file;
	int fd, ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	af = kzalloc(sizeof(*af), GFP_KERNEL_ACCOUNT);
	if (!af)
		return -ENOMEM;
	af->as = axas_create(&params);
	if (IS_ERR(af->as)) {
		ret = PTR_ERR(af->as);
		kfree(af);
		return ret;
	}
	af->mm = current->mm;
	mmgrab(af->mm);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put;
	}
	/*
	 * Only a writable /dev/axas fd gets here: the new fd is O_RDWR. Its
	 * own inode, not the shared anonymous one: its mapping holds the
	 * VMM's mmap()s of this address space, for unmap to zap.
	 */
	file = anon_inode_create_getfile("[axas]", &axas_as_fops, af, O_RDWR,
					 NULL);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	af->as->mapping = file->f_mapping;
	cmd->out_fd = fd;
	ret = axas_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		fput(file);	/* releases af and the address space */
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, file);
	return 0;

err_fd:
	put_unused_fd(fd);
err_put:
	axas_put(af->as);
	mmdrop(af->mm);
	kfree(af);
	return ret;
}

static int axas_as_info_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_as_info *cmd = ucmd->cmd;
	struct axas *as = ucmd->as;
	struct axas_root_info ri;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	axas_root_info(as, &ri);
	cmd->out_format = ri.format;
	cmd->out_levels = ri.levels;
	cmd->out_gpa_bits = ri.gpa_bits;
	cmd->out_id = as->id;
	cmd->out_root_pages = ri.root_pages;
	cmd->out_base = as->base;
	cmd->out_length = as->last - as->base + 1;
	cmd->out_vtcr = ri.vtcr;
	/* Zero, not the caller's own input, when they are hidden. */
	if (!axas_hpa_visible())
		memset(&ri, 0, sizeof(ri));
	cmd->out_root_pa = ri.root_pa;
	cmd->out_eptp = ri.eptp;
	cmd->out_vttbr = ri.vttbr;
	cmd->out_hgatp = ri.hgatp;
	return axas_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * axas_linear_hpa_allowed() - may user space map this host range linearly
 * @hpa:	First host-physical address, 4 KiB aligned.
 * @size:	Size, non-zero; the range does not wrap.
 *
 * The guards of /dev/mem, for a guest's window on host memory: linear maps
 * are for device memory. System RAM (kernel text and data, page cache,
 * other processes' memory, pages absent from the direct map) is refused,
 * and so is any range marked IORESOURCE_EXCLUSIVE (iomem_is_exclusive(),
 * which modules cannot call) and everything under lockdown.
 *
 * Context: Process context.
 * Return: 0, or -EPERM.
 */
VISIBLE_IF_KUNIT int axas_linear_hpa_allowed(phys_addr_t hpa, u64 size)
{
	int ret;

	ret = security_locked_down(LOCKDOWN_DEV_MEM);
	if (ret)
		return ret;
	if (region_intersects(hpa, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	if (region_intersects(hpa, size, IORESOURCE_MEM | IORESOURCE_EXCLUSIVE,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_linear_hpa_allowed);

static int axas_map_linear_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_map_linear *cmd = ucmd->cmd;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	/* A fixed HPA can point at any memory or device. */
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	/*
	 * axas_map_linear() refuses it too, but after the range: a bad
	 * memtype outside the window is EINVAL here, not ERANGE.
	 */
	if (cmd->memtype > AXAS_MEM_DEVICE)
		return -EINVAL;
	/*
	 * Only a well-formed host range within the format's output width is
	 * looked up; axas_map_linear() rejects the others with EINVAL or
	 * ERANGE.
	 */
	if (cmd->length && IS_ALIGNED(cmd->hpa, SZ_4K) &&
	    IS_ALIGNED(cmd->length, SZ_4K) &&
	    cmd->hpa + cmd->length - 1 >= cmd->hpa &&
	    cmd->hpa + cmd->length <= BIT_ULL(ucmd->as->npt.fmt->oa_bits)) {
		ret = axas_linear_hpa_allowed(cmd->hpa, cmd->length);
		if (ret)
			return ret;
	}
	return axas_map_linear(ucmd->as, cmd->gpa, cmd->length, cmd->hpa,
			       cmd->prot, cmd->memtype);
}

static int axas_map_alloc_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_map_alloc *cmd = ucmd->cmd;

	/* axas_map_alloc() refuses them too: here they go before __reserved. */
	if (cmd->flags & ~(AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE))
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	return axas_map_alloc(ucmd->as, cmd->gpa, cmd->length, cmd->prot,
			      cmd->flags);
}

static int axas_unmap_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_unmap *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	return axas_unmap(ucmd->as, cmd->gpa, cmd->length);
}

static int axas_protect_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_protect *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	return axas_protect(ucmd->as, cmd->gpa, cmd->length, cmd->prot);
}

static int axas_fault_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_fault *cmd = ucmd->cmd;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ret = axas_handle_fault(ucmd->as, cmd->gpa, cmd->access);
	if (ret < 0)
		return ret;
	cmd->out_outcome = ret;
	return axas_ucmd_respond(ucmd, sizeof(*cmd));
}

static int axas_translate_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_translate *cmd = ucmd->cmd;
	struct axas_npt_leaf leaf;
	phys_addr_t hpa;
	u64 len, cap;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ret = axas_translate_limit(ucmd->as, cmd->gpa, &hpa, &len);
	if (ret)
		return ret;
	if (!axas_hpa_visible()) {
		/*
		 * Which separately allocated frames are adjacent is an HPA
		 * fact too (pagemap hides PFNs): stop at the end of the
		 * leaf, or of the page if the leaf changed meanwhile.
		 */
		cap = AXAS_NPT_GRANULE - (cmd->gpa & (AXAS_NPT_GRANULE - 1));
		if (!axas_npt_lookup(&ucmd->as->npt, cmd->gpa, &leaf) &&
		    leaf.hpa == hpa)
			cap = ALIGN_DOWN(cmd->gpa, leaf.size) + leaf.size -
			      cmd->gpa;
		len = min(len, cap);
		hpa = 0;
	}
	cmd->out_hpa = hpa;
	cmd->out_length = len;
	return axas_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * The bounce buffer: 64 KiB of kvmalloc(), so a fragmented host falls back
 * to vmalloc() instead of failing for want of an order-4 block.
 */
#define AXAS_RW_CHUNK	SZ_64K

static int axas_rw_ioctl(struct axas_ucmd *ucmd, bool write)
{
	struct axas_rw *cmd = ucmd->cmd;
	void __user *ubuf = u64_to_user_ptr(cmd->buf);
	u64 done = 0, chunk;
	void *bounce;
	int ret;

	/*
	 * axas_rw_prepare() refuses unknown flags and a wrapping range too,
	 * but the uAPI puts them before a bad buf (EFAULT), and a length of
	 * 0, which the kernel API takes as a no-op, between them.
	 */
	if (cmd->flags & ~AXAS_RW_FAULT_IN)
		return -EOPNOTSUPP;
	/* Allocating frames changes the address space, as a fault does. */
	if ((cmd->flags & AXAS_RW_FAULT_IN) && !ucmd->writable)
		return -EBADF;
	if (!cmd->length || cmd->gpa + cmd->length - 1 < cmd->gpa ||
	    cmd->length > SIZE_MAX)
		return -EINVAL;
	if (!access_ok(ubuf, cmd->length))
		return -EFAULT;
	bounce = kvmalloc(min_t(u64, cmd->length, AXAS_RW_CHUNK), GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	/*
	 * The copy goes chunk by chunk: check the guest range, then the whole
	 * user buffer, then fault the range's frames in, so that an error
	 * copies nothing and a bad buffer allocates nothing.
	 */
	ret = axas_rw_prepare(ucmd->as, cmd->gpa, cmd->length, cmd->flags,
			      write, false);
	if (ret)
		goto out;
	ret = -EFAULT;
	if (write ? fault_in_readable(ubuf, cmd->length) :
		    fault_in_safe_writeable(ubuf, cmd->length))
		goto out;
	if (cmd->flags & AXAS_RW_FAULT_IN) {
		ret = axas_rw_prepare(ucmd->as, cmd->gpa, cmd->length,
				      cmd->flags, write, true);
		if (ret)
			goto out;
	}

	ret = 0;
	while (done < cmd->length) {
		chunk = min_t(u64, cmd->length - done, AXAS_RW_CHUNK);
		if (write) {
			ret = -EFAULT;
			if (copy_from_user(bounce, ubuf + done, chunk))
				break;
			ret = axas_write(ucmd->as, cmd->gpa + done, bounce,
					 chunk, 0);
		} else {
			ret = axas_read(ucmd->as, cmd->gpa + done, bounce,
					chunk, 0);
			if (!ret && copy_to_user(ubuf + done, bounce, chunk))
				ret = -EFAULT;
		}
		if (ret)
			break;
		done += chunk;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
out:
	kvfree(bounce);
	return ret;
}

static int axas_read_ioctl(struct axas_ucmd *ucmd)
{
	return axas_rw_ioctl(ucmd, false);
}

static int axas_write_ioctl(struct axas_ucmd *ucmd)
{
	return axas_rw_ioctl(ucmd, true);
}

static int axas_get_stats_ioctl(struct axas_ucmd *ucmd)
{
	struct axas_get_stats *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	axas_get_stats(ucmd->as, &cmd->out);
	return axas_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Large enough for the argument of every command. */
union axas_ucmd_buffer {
	struct axas_info info;
	struct axas_create create;
	struct axas_as_info as_info;
	struct axas_map_linear map_linear;
	struct axas_map_alloc map_alloc;
	struct axas_unmap unmap;
	struct axas_protect protect;
	struct axas_fault fault;
	struct axas_translate translate;
	struct axas_rw rw;
	struct axas_get_stats stats;
};

/**
 * struct axas_ioctl_op - one entry of an ioctl table
 * @size:	sizeof() the argument struct this kernel knows.
 * @min_size:	Size of the first version of the struct.
 * @ioctl_num:	The full ioctl number, to reject a wrong type or direction.
 * @write:	The command changes state: the fd needs FMODE_WRITE.
 * @execute:	The command; called with a validated kernel copy.
 */
struct axas_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	bool write;
	int (*execute)(struct axas_ucmd *ucmd);
};

/*
 * @_name is the command's name without prefix: AXAS_CMD_<name>, AXAS_<name>;
 * AXAS_IOCTL_OP() is a query, AXAS_IOCTL_OP_W() a command that changes state.
 */
#define AXAS_IOCTL_OP(_name, _fn, _struct, _last)			\
	__AXAS_IOCTL_OP(AXAS_CMD_##_name, AXAS_##_name, _fn, _struct,	\
			_last, false)
#define AXAS_IOCTL_OP_W(_name, _fn, _struct, _last)			\
	__AXAS_IOCTL_OP(AXAS_CMD_##_name, AXAS_##_name, _fn, _struct,	\
			_last, true)
#define __AXAS_IOCTL_OP(_cmd, _num, _fn, _struct, _last, _write)	\
	[(_cmd) - AXAS_CMD_BASE] = {					\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union axas_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _num,					\
		.write = _write,					\
		.execute = _fn,						\
	}

/* Commands on /dev/axas. */
static const struct axas_ioctl_op axas_dev_ops[] = {
	AXAS_IOCTL_OP(GET_INFO, axas_get_info, struct axas_info,
		      out_host_page_shift),
	AXAS_IOCTL_OP_W(CREATE, axas_create_ioctl, struct axas_create,
			__reserved),
};

/* Commands on an address-space fd. */
static const struct axas_ioctl_op axas_as_ops[] = {
	AXAS_IOCTL_OP(AS_INFO, axas_as_info_ioctl, struct axas_as_info,
		      out_hgatp),
	AXAS_IOCTL_OP_W(MAP_LINEAR, axas_map_linear_ioctl,
			struct axas_map_linear, memtype),
	AXAS_IOCTL_OP_W(MAP_ALLOC, axas_map_alloc_ioctl, struct axas_map_alloc,
			__reserved),
	AXAS_IOCTL_OP_W(UNMAP, axas_unmap_ioctl, struct axas_unmap, length),
	AXAS_IOCTL_OP_W(PROTECT, axas_protect_ioctl, struct axas_protect,
			__reserved),
	AXAS_IOCTL_OP_W(HANDLE_FAULT, axas_fault_ioctl, struct axas_fault,
			out_outcome),
	AXAS_IOCTL_OP(TRANSLATE, axas_translate_ioctl, struct axas_translate,
		      out_length),
	AXAS_IOCTL_OP(READ, axas_read_ioctl, struct axas_rw, buf),
	AXAS_IOCTL_OP_W(WRITE, axas_write_ioctl, struct axas_rw, buf),
	AXAS_IOCTL_OP(GET_STATS, axas_get_stats_ioctl, struct axas_get_stats,
		      out.flushes),
};

static long axas_ioctl_dispatch(const struct axas_ioctl_op *ops,
				unsigned int nr_ops, struct file *filp,
				struct axas *as, unsigned int cmd,
				unsigned long arg)
{
	union axas_ucmd_buffer buf;
	const struct axas_ioctl_op *op;
	struct axas_ucmd ucmd = {
		.as		= as,
		.writable	= filp->f_mode & FMODE_WRITE,
	};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != AXAS_TYPE || nr < AXAS_CMD_BASE ||
	    nr - AXAS_CMD_BASE >= nr_ops)
		return -ENOTTY;
	op = &ops[nr - AXAS_CMD_BASE];
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;
	/* As write(2) on an fd opened O_RDONLY. */
	if (op->write && !ucmd.writable)
		return -EBADF;

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
				   filp, NULL, cmd, arg);
}
EXPORT_SYMBOL_IF_KUNIT(axas_dev_ioctl);

static long axas_as_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct axas_file *af = filp->private_data;

	/* Guest memory and faults belong to the creating process. */
	if (current->mm != af->mm)
		return -EIO;
	return axas_ioctl_dispatch(axas_as_ops, ARRAY_SIZE(axas_as_ops),
				   filp, af->as, cmd, arg);
}

static const char *const axas_nx_huge_names[] = {
	[AXAS_NX_HUGE_OFF]	= "off",
	[AXAS_NX_HUGE_ON]	= "on",
	[AXAS_NX_HUGE_AUTO]	= "auto",
};

/*
 * nx_huge_pages=off|on|auto, as KVM's: "on" keeps executable EPT leaves at
 * 4 KiB (ITLB multihit, CVE-2018-12207); "auto" does when the host has the
 * erratum. Address spaces created later follow a change.
 */
int axas_nx_huge_pages = AXAS_NX_HUGE_AUTO;
EXPORT_SYMBOL_IF_KUNIT(axas_nx_huge_pages);

static int axas_nx_huge_set(const char *val, const struct kernel_param *kp)
{
	int ret = sysfs_match_string(axas_nx_huge_names, val);

	if (ret < 0)
		return ret;
	WRITE_ONCE(*(int *)kp->arg, ret);
	return 0;
}

static int axas_nx_huge_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  axas_nx_huge_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops axas_nx_huge_ops = {
	.set	= axas_nx_huge_set,
	.get	= axas_nx_huge_get,
};
module_param_cb(nx_huge_pages, &axas_nx_huge_ops, &axas_nx_huge_pages,
		0644);
MODULE_PARM_DESC(nx_huge_pages,
		 "Executable EPT leaves at 4 KiB only (ITLB multihit): off, on, auto (default)");

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
	int ret;

	ret = axas_backend_init();
	if (ret)
		return ret;
	axas_debugfs_init();
	ret = misc_register(&axas_misc);
	if (ret) {
		axas_debugfs_exit();
		axas_backend_exit();
	}
	return ret;
}

static void __exit axas_exit(void)
{
	misc_deregister(&axas_misc);
	axas_debugfs_exit();
	/* Table pages and regions are freed by RCU callbacks in this module. */
	rcu_barrier();
	axas_backend_exit();
}

module_init(axas_init);
module_exit(axas_exit);

MODULE_DESCRIPTION("Guest address spaces (stage-2 page tables) for VMMs");
MODULE_LICENSE("GPL");
