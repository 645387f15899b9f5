/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas internals shared by the module's files and its KUnit tests.
 */
#ifndef _AXAS_INTERNAL_H
#define _AXAS_INTERNAL_H

#include <linux/atomic.h>
#include <linux/axas.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <kunit/visibility.h>

#include "axas_npt.h"

/**
 * enum axas_backend - what provides a region's host memory
 * @AXAS_BACKEND_LINEAR: A fixed host-physical range (GPA + offset), mapped
 *			 in full when the region is created; axas never frees it.
 * @AXAS_BACKEND_ALLOC: Guest frames from the page allocator, allocated and
 *			mapped at creation (populate) or on the first fault
 *			(lazy); freed on unmap.
 *
 * A closed set: code switches over it without a default case, so the
 * compiler finds every place a new backend must be handled.
 */
enum axas_backend {
	AXAS_BACKEND_LINEAR,
	AXAS_BACKEND_ALLOC,
};

/**
 * struct axas_region - one region of an address space
 * @start:	First GPA.
 * @last:	Last GPA (inclusive), as the maple tree stores ranges.
 * @prot:	AXAS_PROT_* the guest may use. Changed in place by
 *		axas_protect() under the write lock; lockless readers see the
 *		old or the new value.
 * @type:	The backend.
 * @linear:	%AXAS_BACKEND_LINEAR: @linear.offset is HPA - GPA (modulo
 *		2^64, so a split keeps it) and @linear.mt the memory type.
 * @alloc:	%AXAS_BACKEND_ALLOC: @alloc.flags are AXAS_MAP_ALLOC_*.
 * @dead_next:	Links regions being removed, under the write lock, until
 *		they are out of the tree and can be queued for freeing.
 * @rcu:	Regions are freed after an RCU grace period.
 *
 * Splitting a region (a partial unmap or protect) copies it: each piece
 * is its own struct whose bounds match its maple tree range.
 */
struct axas_region {
	u64 start;
	u64 last;
	unsigned int prot;
	enum axas_backend type;
	union {
		struct {
			u64 offset;
			enum axas_memtype mt;
		} linear;
		struct {
			unsigned int flags;
		} alloc;
	};
	struct axas_region *dead_next;
	struct rcu_head rcu;
};

/**
 * struct axas - one guest address space
 * @lock:	Held for write to change regions or tables (map, unmap,
 *		protect, destroy); held for read by fault handling and guest
 *		read/write, which install entries with cmpxchg and may run in
 *		parallel.
 * @regions:	GPA range -> struct axas_region. RCU mode with @lock as its
 *		external lock: lockless readers use rcu_read_lock().
 * @npt:	The stage-2 table, with @lock as its lock (lockdep checks
 *		every operation). Table pages are freed after an RCU grace
 *		period, so axas_translate() needs only rcu_read_lock(). It
 *		holds the caller's TLB flush operations and counts flushes.
 * @base:	First GPA of the window.
 * @last:	Last GPA of the window (inclusive).
 * @max_frames:	Limit on @frames, 0 for none.
 * @frames:	Guest frames allocated (4 KiB units), reserved before the
 *		allocation, and only if they fit, so concurrent faults never
 *		exceed @max_frames, not even for a moment.
 * @frames_lock: Serialises 2 MiB reservations, their end, and 4 KiB
 *		reservations that found no room, so that those see @frames
 *		and @frames_spec together.
 * @frames_spec: Frames of @frames reserved by 2 MiB faults that have not
 *		installed their leaf yet and may give them back; under
 *		@frames_lock.
 * @frames_settled: Bumped (under @frames_lock) when a 2 MiB reservation
 *		is kept or given back; 4 KiB faults that found no room while
 *		@frames_spec was non-zero wait for it to change.
 * @frame_limit_hits: Operations that failed because of @max_frames.
 * @nr_regions:	Number of regions; changed under the write lock.
 * @id:		Identifier, unique among live address spaces (debugfs name).
 * @debugfs:	Its debugfs folder axas/<id>/, or NULL.
 * @ref:	References; the last axas_put() destroys the address space.
 * @memcg:	Memory cgroup of the creator: frames and tables are charged
 *		to it whichever thread allocates them.
 * @faults:	Fault outcomes, indexed by enum axas_fault_outcome.
 * @faults_nomem: Faults that failed with -ENOMEM.
 * @inval_seq:	Odd while an unmap or protect changes the table, bumped
 *		again when it is done (axas_invalidate_begin()); written
 *		under the write lock with the raw seqcount writers: readers
 *		never spin on it.
 * @inval_ops:	The creator's struct axas_invalidate_ops, or NULL.
 * @inval_cookie: Its argument.
 * @mapping:	The page cache mapping of the address-space fd's own inode,
 *		through which the VMM mmap()s guest frames; NULL when there
 *		is no fd (in-kernel users) or once the fd is released. Set
 *		before the fd is installed; cleared under @lock for write.
 *		Unmap zaps the VMM's mappings through it before frames are
 *		freed.
 */
struct axas {
	struct rw_semaphore lock;
	struct maple_tree regions;
	struct axas_npt npt;
	u64 base;
	u64 last;
	u64 max_frames;
	atomic64_t frames;
	spinlock_t frames_lock;	/* protects frames_spec, frames_settled */
	u64 frames_spec;
	unsigned long frames_settled;
	atomic64_t frame_limit_hits;
	u64 nr_regions;
	u32 id;
	struct dentry *debugfs;
	struct kref ref;
	struct mem_cgroup *memcg;
	atomic64_t faults[AXAS_FAULT_PERM + 1];
	atomic64_t faults_nomem;
	seqcount_t inval_seq;
	const struct axas_invalidate_ops *inval_ops;
	void *inval_cookie;
	struct address_space *mapping;
};

/* axas_as.c */
int axas_rw_prepare(struct axas *as, u64 gpa, size_t len, unsigned int flags,
		    bool write, bool prefault);
struct page *axas_vmm_frame_locked(struct axas *as, u64 gpa);
void axas_vmm_zap(struct axas *as, u64 gpa, u64 last);

/* axas_debugfs.c */
void axas_debugfs_add(struct axas *as);
void axas_debugfs_remove(struct axas *as);
void axas_debugfs_init(void);
void axas_debugfs_exit(void);

/* axas_backend.c */
int axas_backend_map(struct axas *as, struct axas_region *r);
int axas_backend_fault(struct axas *as, struct axas_region *r, u64 gpa,
		       unsigned int access);
void axas_backend_leaf_removed(struct axas *as, struct axas_region *r,
			       phys_addr_t hpa, u64 size,
			       struct list_head *frames);
void axas_free_frames(struct list_head *frames);
int axas_backend_init(void);
void axas_backend_exit(void);

#if IS_ENABLED(CONFIG_KUNIT)
long axas_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
int axas_linear_hpa_allowed(phys_addr_t hpa, u64 size);
bool axas_linear_memtype_ok(phys_addr_t hpa, u64 size,
			    enum axas_memtype mt);
extern unsigned int axas_id_max;
#endif

#endif /* _AXAS_INTERNAL_H */
