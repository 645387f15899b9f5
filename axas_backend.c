// SPDX-License-Identifier: GPL-2.0
/*
 * axas backends: where the host memory of a region comes from.
 *
 * linear: a fixed host-physical range, mapped in full at creation with
 * the largest blocks alignment allows; never freed by axas.
 * alloc: guest frames from the page allocator, zeroed and charged to the
 * address space's memory cgroup; 2 MiB frames where the region allows and
 * alignment fits, else 4 KiB; mapped at creation (populate) or on the
 * first fault (lazy); freed on unmap after the TLB flush and a grace
 * period. Every frame goes through axas_frame_sync() after it is zeroed
 * and before its leaf is installed.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "axas_arch.h"
#include "axas_internal.h"

#define AXAS_FRAME_GFP		(GFP_KERNEL_ACCOUNT | __GFP_ZERO)
/* A 2 MiB frame: what one level-1 leaf maps. */
#define AXAS_HUGE_ORDER		(AXAS_NPT_GRANULE_SHIFT + AXAS_NPT_LEVEL_BITS - PAGE_SHIFT)
#define AXAS_HUGE_FRAMES	BIT_ULL(AXAS_HUGE_ORDER)

static bool axas_frames_fit(struct axas *as, s64 used, u64 nr)
{
	return !as->max_frames || (u64)used + nr <= as->max_frames;
}

/*
 * Reserve @nr frames, only if they fit: a reservation that does not fit
 * never shows in @as->frames, so it cannot make a concurrent one fail.
 */
static bool axas_frames_reserve(struct axas *as, u64 nr)
{
	s64 old = atomic64_read(&as->frames);

	do {
		if (!axas_frames_fit(as, old, nr))
			return false;
	} while (!atomic64_try_cmpxchg(&as->frames, &old, old + nr));
	return true;
}

static void axas_frames_unreserve(struct axas *as, u64 nr)
{
	atomic64_sub(nr, &as->frames);
}

/* Reserve a 2 MiB frame's worth, counted as speculative until settled. */
static bool axas_frames_reserve_huge(struct axas *as)
{
	bool ok;

	spin_lock(&as->frames_lock);
	ok = axas_frames_reserve(as, AXAS_HUGE_FRAMES);
	if (ok)
		as->frames_spec += AXAS_HUGE_FRAMES;
	spin_unlock(&as->frames_lock);
	return ok;
}

/* Keep or give back a 2 MiB reservation; wake 4 KiB faults waiting. */
static void axas_frames_settle_huge(struct axas *as, bool keep)
{
	spin_lock(&as->frames_lock);
	if (!keep)
		axas_frames_unreserve(as, AXAS_HUGE_FRAMES);
	as->frames_spec -= AXAS_HUGE_FRAMES;
	WRITE_ONCE(as->frames_settled, as->frames_settled + 1);
	spin_unlock(&as->frames_lock);
	/* Order the update before wake_up_var()'s check for waiters. */
	smp_mb();
	wake_up_var(&as->frames_settled);
}

/*
 * Reserve one frame. Without room, while 2 MiB faults hold reservations
 * they may give back, wait for them rather than fail: -ENOMEM only when
 * the frames are really in use.
 */
static bool axas_frames_reserve_one(struct axas *as)
{
	unsigned long settled;
	bool ok, spec;

	if (axas_frames_reserve(as, 1))
		return true;
	for (;;) {
		spin_lock(&as->frames_lock);
		ok = axas_frames_reserve(as, 1);
		spec = as->frames_spec;
		settled = as->frames_settled;
		spin_unlock(&as->frames_lock);
		if (ok || !spec)
			return ok;
		wait_var_event(&as->frames_settled,
			       READ_ONCE(as->frames_settled) != settled);
	}
}

/**
 * axas_frame_sync() - make bytes written through the kernel visible to a
 *		       guest that reads memory past the caches
 * @va:		Kernel address of the first byte, in a guest frame.
 * @size:	Bytes.
 * @prot:	AXAS_PROT_* the frame is (or will be) mapped with; EXEC also
 *		makes the instruction cache see them.
 *
 * Called once per frame before the leaf that maps it is installed (the
 * frame was zeroed through the kernel's cacheable alias), and once per
 * page chunk AXAS_WRITE copies into a mapped frame. Only arm64 does
 * anything (axas_arch_sync_frame()); KUnit tests replace it to count the
 * calls on every host.
 *
 * Context: Any context.
 */
void axas_frame_sync(void *va, size_t size, unsigned int prot)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_frame_sync, va, size, prot);
	axas_arch_sync_frame(va, size, prot & AXAS_PROT_EXEC);
}
EXPORT_SYMBOL_IF_KUNIT(axas_frame_sync);

/*
 * Split a 2 MiB frame into order-0 pages at once, so that a partial unmap
 * can free any 4 KiB of it on its own.
 */
static struct page *axas_frame_alloc(unsigned int order)
{
	gfp_t gfp = AXAS_FRAME_GFP;
	struct page *page;

	if (order)
		gfp |= __GFP_NORETRY | __GFP_NOWARN;
	page = alloc_pages(gfp, order);
	if (page && order)
		split_page(page, order);
	return page;
}

static void axas_frame_free(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		__free_page(nth_page(page, i));
}

/*
 * Frames waiting for a grace period: one batch per unmap (or destroy),
 * freed by a work item after it, so that an unmap does not sleep through
 * a whole grace period (about 18 ms each under TCG: 2,048 single-page
 * unmaps took 38 s).
 */
struct axas_frame_batch {
	struct rcu_work rwork;
	struct list_head pages;
};

static struct workqueue_struct *axas_free_wq;

static void axas_free_list(struct list_head *pages)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		__free_page(page);
		cond_resched();
	}
}

static void axas_free_batch(struct work_struct *work)
{
	struct axas_frame_batch *b = container_of(to_rcu_work(work),
						  struct axas_frame_batch,
						  rwork);

	axas_free_list(&b->pages);
	kfree(b);
}

/**
 * axas_free_frames() - free guest frames unlinked from the table
 * @frames: Pages linked through page->lru; empty on return.
 *
 * The table no longer maps them and the TLB was flushed; lockless walkers
 * may still hold one of their addresses until a grace period ends. The
 * frames are freed after it by a work item (queue_rcu_work()), without
 * waiting here; should the batch not be allocated, this waits for the
 * grace period and frees them itself.
 *
 * Context: Process context, may sleep; no lock of the address space held.
 */
void axas_free_frames(struct list_head *frames)
{
	struct axas_frame_batch *b;

	if (list_empty(frames))
		return;
	b = kmalloc(sizeof(*b), GFP_KERNEL | __GFP_NOWARN);
	if (!b) {
		synchronize_rcu();
		axas_free_list(frames);
		return;
	}
	INIT_LIST_HEAD(&b->pages);
	list_splice_init(frames, &b->pages);
	INIT_RCU_WORK(&b->rwork, axas_free_batch);
	queue_rcu_work(axas_free_wq, &b->rwork);
}

/**
 * axas_backend_init() - set up the frame freeing work queue
 *
 * Context: Module init.
 * Return: 0 or -ENOMEM.
 */
int axas_backend_init(void)
{
	/* Freeing frames is reclaim's friend: keep a rescuer for it. */
	axas_free_wq = alloc_workqueue("axas_free", WQ_UNBOUND | WQ_MEM_RECLAIM,
				       0);
	return axas_free_wq ? 0 : -ENOMEM;
}

/**
 * axas_backend_exit() - free every frame still waiting, then the queue
 *
 * Context: Module exit, after the last address space is gone.
 */
void axas_backend_exit(void)
{
	/* The grace periods end, queueing their work; then it runs. */
	rcu_barrier();
	destroy_workqueue(axas_free_wq);
}

/**
 * axas_backend_leaf_removed() - account for a leaf removed from the table
 * @as:		The address space.
 * @r:		The region the leaf belonged to.
 * @hpa:	Host-physical address the leaf mapped.
 * @size:	Its size.
 * @frames:	List to queue frames to free on (page->lru).
 *
 * Context: Any context; the caller holds @as->lock for write.
 */
void axas_backend_leaf_removed(struct axas *as, struct axas_region *r,
			       phys_addr_t hpa, u64 size,
			       struct list_head *frames)
{
	u64 off;

	lockdep_assert_held_write(&as->lock);
	switch (r->type) {
	case AXAS_BACKEND_LINEAR:
		return;
	case AXAS_BACKEND_ALLOC:
		for (off = 0; off < size; off += PAGE_SIZE)
			list_add_tail(&pfn_to_page(PHYS_PFN(hpa + off))->lru,
				      frames);
		atomic64_sub(size >> PAGE_SHIFT, &as->frames);
		return;
	}
}

struct axas_rollback {
	struct axas *as;
	struct axas_region *r;
	struct list_head frames;
};

static void axas_rollback_leaf(void *arg, u64 gpa, phys_addr_t hpa, u64 size)
{
	struct axas_rollback *rb = arg;

	axas_backend_leaf_removed(rb->as, rb->r, hpa, size, &rb->frames);
}

static int axas_alloc_populate(struct axas *as, struct axas_region *r)
{
	bool huge = r->alloc.flags & AXAS_MAP_ALLOC_HUGE;
	u64 gpa = r->start, end = r->last + 1;
	u64 nr = (end - gpa) >> PAGE_SHIFT, done;
	struct axas_rollback rb = { .as = as, .r = r };
	unsigned int order;
	struct page *page;
	int ret;

	if (!axas_frames_reserve(as, nr)) {
		atomic64_inc(&as->frame_limit_hits);
		return -ENOMEM;
	}

	while (gpa < end) {
		/* A killed task stops here, and takes nothing with it. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto rollback;
		}
		order = 0;
		if (huge && IS_ALIGNED(gpa, SZ_2M) && end - gpa >= SZ_2M)
			order = AXAS_HUGE_ORDER;
		page = axas_frame_alloc(order);
		if (!page && order) {
			order = 0;
			page = axas_frame_alloc(0);
		}
		if (!page) {
			ret = -ENOMEM;
			goto rollback;
		}
		axas_frame_sync(page_address(page), PAGE_SIZE << order,
				r->prot);
		ret = axas_npt_map(&as->npt, gpa, page_to_phys(page),
				   PAGE_SIZE << order, r->prot,
				   AXAS_MEM_NORMAL);
		if (ret) {
			axas_frame_free(page, order);
			goto rollback;
		}
		gpa += PAGE_SIZE << order;
		cond_resched();
	}
	return 0;

rollback:
	/* Unmapping exactly what was mapped splits nothing: it cannot fail. */
	done = (gpa - r->start) >> PAGE_SHIFT;
	INIT_LIST_HEAD(&rb.frames);
	if (done)
		WARN_ON(axas_npt_unmap(&as->npt, r->start, gpa - r->start,
				       axas_rollback_leaf, &rb));
	axas_frames_unreserve(as, nr - done);
	axas_free_frames(&rb.frames);
	return ret;
}

/**
 * axas_backend_map() - map what a new region maps at creation
 * @as:	The address space.
 * @r:	The region, not yet in the region tree.
 *
 * Context: Process context, may sleep; the caller holds @as->lock for
 * write.
 * Return: 0, or a negative errno with the table unchanged.
 */
int axas_backend_map(struct axas *as, struct axas_region *r)
{
	u64 size = r->last - r->start + 1;

	lockdep_assert_held_write(&as->lock);
	switch (r->type) {
	case AXAS_BACKEND_LINEAR:
		return axas_npt_map(&as->npt, r->start,
				    r->start + r->linear.offset, size, r->prot,
				    r->linear.mt);
	case AXAS_BACKEND_ALLOC:
		if (r->alloc.flags & AXAS_MAP_ALLOC_POPULATE)
			return axas_alloc_populate(as, r);
		return 0;
	}
	return -EINVAL;
}

static int axas_install_result(int ret)
{
	if (ret == -EEXIST)	/* another fault won the race: it is mapped */
		return AXAS_FAULT_SPURIOUS;
	return ret ?: AXAS_FAULT_MAPPED;
}

/*
 * Map a 2 MiB frame for @block, if its 512 frames fit. They are reserved
 * only around the install, after the allocation, and a 4 KiB fault that
 * finds no room meanwhile waits to see whether they come back.
 */
static bool axas_alloc_fault_huge(struct axas *as, struct axas_region *r,
				  u64 block)
{
	struct page *page;
	int ret = -ENOMEM;

	if (!axas_frames_fit(as, atomic64_read(&as->frames), AXAS_HUGE_FRAMES))
		return false;
	page = axas_frame_alloc(AXAS_HUGE_ORDER);
	if (!page)
		return false;
	axas_frame_sync(page_address(page), PAGE_SIZE << AXAS_HUGE_ORDER,
			r->prot);
	if (axas_frames_reserve_huge(as)) {
		ret = axas_npt_install(&as->npt, block, page_to_phys(page), 1,
				       r->prot, AXAS_MEM_NORMAL);
		axas_frames_settle_huge(as, !ret);
	}
	if (ret)
		axas_frame_free(page, AXAS_HUGE_ORDER);
	return !ret;
}

static int axas_alloc_fault(struct axas *as, struct axas_region *r, u64 gpa)
{
	u64 block = ALIGN_DOWN(gpa, SZ_2M);
	struct page *page;
	int ret;

	/* Else part of the block is mapped, or no 2 MiB frame or room. */
	if ((r->alloc.flags & AXAS_MAP_ALLOC_HUGE) && block >= r->start &&
	    block + SZ_2M - 1 <= r->last &&
	    axas_alloc_fault_huge(as, r, block))
		return AXAS_FAULT_MAPPED;

	if (!axas_frames_reserve_one(as)) {
		atomic64_inc(&as->frame_limit_hits);
		return -ENOMEM;
	}
	page = axas_frame_alloc(0);
	if (!page) {
		axas_frames_unreserve(as, 1);
		return -ENOMEM;
	}
	axas_frame_sync(page_address(page), PAGE_SIZE, r->prot);
	ret = axas_npt_install(&as->npt, ALIGN_DOWN(gpa, PAGE_SIZE),
			       page_to_phys(page), 0, r->prot,
			       AXAS_MEM_NORMAL);
	if (ret) {
		__free_page(page);
		axas_frames_unreserve(as, 1);
	}
	return axas_install_result(ret);
}

/**
 * axas_backend_fault() - resolve a fault on an unmapped GPA of a region
 * @as:		The address space.
 * @r:		The region covering @gpa; it allows @access.
 * @gpa:	The faulting address.
 * @access:	AXAS_PROT_* of the access.
 *
 * Context: Process context, may sleep; the caller holds @as->lock for
 * read. Runs in parallel with faults on other addresses; entries are
 * installed with cmpxchg, and a lost race frees its frame.
 * Return: %AXAS_FAULT_MAPPED or %AXAS_FAULT_SPURIOUS, or a negative errno.
 */
int axas_backend_fault(struct axas *as, struct axas_region *r, u64 gpa,
		       unsigned int access)
{
	u64 page_gpa = ALIGN_DOWN(gpa, PAGE_SIZE);

	lockdep_assert_held(&as->lock);
	switch (r->type) {
	case AXAS_BACKEND_LINEAR:
		return axas_install_result(axas_npt_install(&as->npt, page_gpa,
				page_gpa + r->linear.offset, 0, r->prot,
				r->linear.mt));
	case AXAS_BACKEND_ALLOC:
		return axas_alloc_fault(as, r, gpa);
	}
	return -EINVAL;
}
