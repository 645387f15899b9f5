// SPDX-License-Identifier: GPL-2.0
/*
 * axas address spaces: regions, locking, faults, translation, guest
 * read/write, and the exported in-kernel API (include/linux/axas.h).
 *
 * Every change is all-or-nothing. Region splits come first and are
 * neutral (the pieces together describe exactly the old region, so a
 * failure after them changes nothing a user can observe); then the
 * fallible table operation, which leaves the table unchanged on error;
 * then the region tree update, whose maple nodes were preallocated before
 * the table changed, so it cannot fail.
 */
#include <linux/axas.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/ioport.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "axas_arch.h"
#include "axas_internal.h"

static DEFINE_IDA(axas_ids);
/* The highest address-space id; KUnit lowers it to run out of ids. */
VISIBLE_IF_KUNIT unsigned int axas_id_max = INT_MAX;
EXPORT_SYMBOL_IF_KUNIT(axas_id_max);

/* Does nx_huge_pages apply to an address space created now? */
static bool axas_nx_huge(void)
{
	switch (READ_ONCE(axas_nx_huge_pages)) {
	case AXAS_NX_HUGE_OFF:
		return false;
	case AXAS_NX_HUGE_ON:
		return true;
	case AXAS_NX_HUGE_AUTO:
		return axas_host_itlb_multihit();
	}
	return true;
}

/**
 * axas_create() - create an address space
 * @params: Format, GPA width, window, limits and TLB flush operations.
 *
 * Frames and table pages are charged to the memory cgroup of the calling
 * task, whichever thread later allocates them. On EPT formats, when the
 * nx_huge_pages module parameter applies (on, or auto on a host with the
 * ITLB multihit erratum), executable memory is mapped with 4 KiB leaves
 * for the address space's life.
 *
 * Context: Process context, may sleep.
 * Return: the address space with one reference, or ERR_PTR(-EINVAL) for an
 * unknown format, a width the format cannot walk, a misaligned window or
 * a table page limit below the root's pages, ERR_PTR(-ERANGE) for a
 * window beyond the width, ERR_PTR(-ENOSPC) when no address-space
 * identifier is left, ERR_PTR(-ENOMEM).
 */
struct axas *axas_create(const struct axas_params *params)
{
	unsigned int gpa_bits, levels, root_order;
	const struct axas_npt_fmt *fmt;
	struct mem_cgroup *old;
	u64 top, size;
	struct axas *as;
	int ret;

	fmt = axas_npt_fmt_get(params->format);
	if (!fmt)
		return ERR_PTR(-EINVAL);
	gpa_bits = params->gpa_bits ?: fmt->default_gpa_bits;
	if (axas_npt_geometry(fmt, gpa_bits, &levels, &root_order))
		return ERR_PTR(-EINVAL);
	if (params->max_table_pages &&
	    params->max_table_pages < BIT_ULL(root_order))
		return ERR_PTR(-EINVAL);
	top = gpa_bits == 64 ? 0 : BIT_ULL(gpa_bits);
	if (!IS_ALIGNED(params->base, SZ_4K) ||
	    !IS_ALIGNED(params->size, SZ_4K))
		return ERR_PTR(-EINVAL);
	if (params->base >= top)
		return ERR_PTR(-ERANGE);
	size = params->size ?: top - params->base;
	if (size > top - params->base)
		return ERR_PTR(-ERANGE);

	as = kzalloc(sizeof(*as), GFP_KERNEL_ACCOUNT);
	if (!as)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&as->lock);
	/*
	 * The flags of the mm's VMA tree (MM_MT_FLAGS). ALLOC_RANGE is not
	 * for gap search: it makes internal nodes maple_arange_64, whose
	 * metadata has its own field. 6.12's destroy walk of a dead subtree
	 * in RCU mode (mt_destroy_walk(free = false), run by __mt_destroy()
	 * and by stores that replace nodes) first rewrites a leaf parent's
	 * slots as untyped node pointers, then mt_clear_meta() on the
	 * subtree's top: on a full maple_range_64 node it no longer sees slot
	 * 15 as a child and zeroes its low 16 bits as "metadata", and the
	 * RCU callback frees that bogus pointer. With a region tree of 16
	 * leaves under a full root (119-127 holes in one region) that was a
	 * host crash on close or on one large unmap.
	 */
	mt_init_flags(&as->regions, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU |
		      MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&as->regions, &as->lock);
	kref_init(&as->ref);
	seqcount_init(&as->inval_seq);
	as->inval_ops = params->invalidate_ops;
	as->inval_cookie = params->invalidate_cookie;
	as->base = params->base;
	as->last = params->base + size - 1;
	as->max_frames = params->max_frames;
	spin_lock_init(&as->frames_lock);
	as->memcg = get_mem_cgroup_from_mm(current->mm);
	ret = ida_alloc_max(&axas_ids, READ_ONCE(axas_id_max), GFP_KERNEL);
	if (ret < 0) {		/* -ENOSPC when every id is taken */
		mem_cgroup_put(as->memcg);
		kfree(as);
		return ERR_PTR(ret);
	}
	as->id = ret;

	old = set_active_memcg(as->memcg);
	ret = axas_npt_init(&as->npt, fmt, gpa_bits, params->flush_ops,
			    params->flush_cookie);
	set_active_memcg(old);
	if (ret) {
		ida_free(&axas_ids, as->id);
		mem_cgroup_put(as->memcg);
		kfree(as);
		return ERR_PTR(ret);
	}
	if (fmt->itlb_multihit && axas_nx_huge())
		as->npt.max_exec_level = 0;
	axas_npt_set_lock(&as->npt, &as->lock);
	/* nr_pages is an int: a larger limit is none in practice. */
	as->npt.max_pages = min_t(u64, params->max_table_pages, INT_MAX);
	axas_debugfs_add(as);
	return as;
}
EXPORT_SYMBOL_NS_GPL(axas_create, AXAS);

/**
 * axas_get() - take a reference on an address space
 * @as: The address space.
 *
 * Context: Any context.
 */
void axas_get(struct axas *as)
{
	kref_get(&as->ref);
}
EXPORT_SYMBOL_NS_GPL(axas_get, AXAS);

struct axas_unmap_ctx {
	struct axas *as;
	struct list_head frames;
};

static void axas_unmap_leaf(void *arg, u64 gpa, phys_addr_t hpa, u64 size)
{
	struct axas_unmap_ctx *ctx = arg;
	struct axas_region *r;
	unsigned long index = gpa;

	r = mt_find(&ctx->as->regions, &index, gpa);
	if (WARN_ON_ONCE(!r))
		return;
	axas_backend_leaf_removed(ctx->as, r, hpa, size, &ctx->frames);
}

static void axas_release(struct kref *ref)
{
	struct axas *as = container_of(ref, struct axas, ref);
	struct axas_unmap_ctx ctx = { .as = as };
	struct axas_region *r;
	unsigned long index = 0;

	INIT_LIST_HEAD(&ctx.frames);
	axas_debugfs_remove(as);	/* waits for its readers */
	down_write(&as->lock);
	axas_npt_destroy(&as->npt, axas_unmap_leaf, &ctx);
	/* Normally a no-op: releasing the fd cleared the mapping. */
	axas_vmm_zap(as, as->base, as->last);
	mt_for_each(&as->regions, r, index, ULONG_MAX)
		kfree_rcu(r, rcu);
	__mt_destroy(&as->regions);
	up_write(&as->lock);
	axas_free_frames(&ctx.frames);
	ida_free(&axas_ids, as->id);
	mem_cgroup_put(as->memcg);
	kfree(as);
}

/**
 * axas_put() - drop a reference; the last one destroys the address space
 * @as: The address space.
 *
 * Destroying flushes the TLB once, frees every table page and every frame
 * of allocated regions, and uncharges them.
 *
 * Context: Process context, may sleep.
 */
void axas_put(struct axas *as)
{
	kref_put(&as->ref, axas_release);
}
EXPORT_SYMBOL_NS_GPL(axas_put, AXAS);

/*
 * Write-only cannot be encoded (reserved in G-stage, a misconfiguration in
 * EPT) and the table refuses it: refuse it here too, before a lazy region
 * accepts rights that every later fault would fail to map.
 */
static bool axas_prot_ok(unsigned int prot)
{
	if (!prot || (prot & ~AXAS_PROT_RWX))
		return false;
	return !(prot & AXAS_PROT_WRITE) || (prot & AXAS_PROT_READ);
}

/* Check a GPA range against the window: -EINVAL malformed, -ERANGE out. */
static int axas_check_range(struct axas *as, u64 gpa, u64 size)
{
	if (!size || !IS_ALIGNED(gpa, AXAS_NPT_GRANULE) ||
	    !IS_ALIGNED(size, AXAS_NPT_GRANULE) || gpa + size - 1 < gpa)
		return -EINVAL;
	if (gpa < as->base || gpa + size - 1 > as->last)
		return -ERANGE;
	return 0;
}

static bool axas_range_free(struct axas *as, u64 gpa, u64 last)
{
	unsigned long index = gpa;

	return !mt_find(&as->regions, &index, last);
}

/*
 * Insert @r, mapping what its backend maps now. Preallocate the tree
 * nodes first so that after the table changed nothing can fail.
 */
static int axas_insert_region(struct axas *as, struct axas_region *r)
{
	MA_STATE(mas, &as->regions, r->start, r->last);
	int ret;

	lockdep_assert_held_write(&as->lock);
	if (!axas_range_free(as, r->start, r->last))
		return -EEXIST;
	ret = mas_preallocate(&mas, r, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = axas_backend_map(as, r);
	if (ret) {
		mas_destroy(&mas);
		return ret;
	}
	mas_store_prealloc(&mas, r);
	as->nr_regions++;
	return 0;
}

static void axas_merge_range(struct axas *as, u64 gpa, u64 last);

/* Add a copy of @tmpl, charging everything to the address space's owner. */
static int axas_add_region(struct axas *as, const struct axas_region *tmpl)
{
	struct mem_cgroup *old;
	struct axas_region *r;
	int ret = -ENOMEM;

	old = set_active_memcg(as->memcg);
	r = kmemdup(tmpl, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (r) {
		ret = down_write_killable(&as->lock);
		if (!ret) {
			ret = axas_insert_region(as, r);
			/* Join a neighbour that continues it (@r may go). */
			if (!ret)
				axas_merge_range(as, tmpl->start, tmpl->last);
			up_write(&as->lock);
		}
		if (ret)
			kfree(r);
	}
	set_active_memcg(old);
	return ret;
}

/* walk_iomem_res_desc() callback: extend the covered prefix, or stop. */
static int axas_hpa_cover_one(struct resource *res, void *arg)
{
	u64 *next = arg;

	/* Matches come in address order, clipped to the range. */
	if (res->start > *next)
		return 1;
	*next = res->end + 1;
	return 0;
}

/* Does every byte of [@hpa, @hpa + @size) lie in a resource of this kind? */
static bool axas_hpa_covered(phys_addr_t hpa, u64 size, unsigned long flags,
			     unsigned long desc)
{
	u64 next = hpa;

	walk_iomem_res_desc(desc, flags, hpa, hpa + size - 1, &next,
			    axas_hpa_cover_one);
	return next > hpa + size - 1;
}

/**
 * axas_linear_memtype_ok() - may this host range be mapped with this type
 * @hpa:	First host-physical address, 4 KiB aligned.
 * @size:	Size, non-zero; the range ends within the format's output
 *		width.
 * @mt:		%AXAS_MEM_NORMAL or %AXAS_MEM_DEVICE.
 *
 * The guest's memory type must agree with the host's, or the same bytes
 * are reached with mismatched attributes: an uncached alias beside the
 * kernel's cacheable one (stale or lost data), or cacheable, speculative
 * access to device registers, which may have side effects on reads. The
 * host's view is its resource tree (/proc/iomem), as KVM derives the type
 * from the host: arm64 maps every pfn that is not kernel memory as
 * device, x86 gives MMIO pfns UC.
 *
 * - System RAM (%IORESOURCE_SYSTEM_RAM): normal only; device memory would
 *   alias the kernel's cacheable linear map.
 * - Persistent memory (%IORESOURCE_MEM with %IORES_DESC_PERSISTENT_MEMORY
 *   or %IORES_DESC_PERSISTENT_MEMORY_LEGACY), all of the range in one
 *   such resource kind: normal or device.
 * - Anything else (MMIO, reserved ranges, holes): device only.
 *
 * A range that mixes System RAM with anything else fits no single type
 * and is refused either way. region_intersects() answers "any System
 * RAM?"; "all of it?" needs the resources themselves, since
 * region_intersects() counts a range of RAM and a hole as wholly RAM.
 *
 * Context: Process context (takes the resource lock).
 * Return: true if @mt fits every byte of the range.
 */
VISIBLE_IF_KUNIT bool axas_linear_memtype_ok(phys_addr_t hpa, u64 size,
					     enum axas_memtype mt)
{
	if (region_intersects(hpa, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return mt == AXAS_MEM_NORMAL &&
		       axas_hpa_covered(hpa, size, IORESOURCE_SYSTEM_RAM,
					IORES_DESC_NONE);
	if (mt == AXAS_MEM_DEVICE)
		return true;
	return axas_hpa_covered(hpa, size, IORESOURCE_MEM,
				IORES_DESC_PERSISTENT_MEMORY) ||
	       axas_hpa_covered(hpa, size, IORESOURCE_MEM,
				IORES_DESC_PERSISTENT_MEMORY_LEGACY);
}
EXPORT_SYMBOL_IF_KUNIT(axas_linear_memtype_ok);

/**
 * axas_map_linear() - map a fixed host-physical range
 * @as:		The address space.
 * @gpa:	First guest-physical address, 4 KiB aligned.
 * @size:	Size, a non-zero multiple of 4 KiB.
 * @hpa:	First host-physical address, 4 KiB aligned.
 * @prot:	AXAS_PROT_* the guest may use; at least one, and write
 *		only with read.
 * @mt:		Memory type: %AXAS_MEM_NORMAL or %AXAS_MEM_DEVICE.
 *
 * Map [@gpa, @gpa + @size) to [@hpa, @hpa + @size) at once, with the
 * largest blocks the alignment of @gpa, @hpa and @size allows. axas never
 * frees the host memory; the caller keeps it valid until it is unmapped.
 * Unlike %AXAS_MAP_LINEAR, this does not refuse System RAM: a kernel
 * caller may map RAM it owns. axas_read() and axas_write() never access a
 * linear region (the caller has its own mapping of it).
 *
 * @mt must match what the host range is (axas_linear_memtype_ok()):
 * System RAM is normal memory, persistent memory either, everything else
 * (MMIO, holes) device memory; a range mixing RAM with anything else is
 * refused. Device memory is never executable: %AXAS_PROT_EXEC with
 * %AXAS_MEM_DEVICE is refused.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * write.
 * Return: 0; -EINVAL for a bad alignment, size, @prot or @mt, for execute
 * on device memory, or for an @mt the host range does not have (checked
 * after the ranges); -ERANGE outside the window or for an HPA range
 * beyond the format's output width; -EEXIST when the range overlaps a
 * region; -ENOMEM (also the table page limit); -EINTR on a fatal signal
 * while waiting for the lock. On error nothing changed.
 */
int axas_map_linear(struct axas *as, u64 gpa, u64 size, phys_addr_t hpa,
		    unsigned int prot, enum axas_memtype mt)
{
	int ret;

	ret = axas_check_range(as, gpa, size);
	if (ret)
		return ret;
	if (!axas_prot_ok(prot) || !IS_ALIGNED(hpa, AXAS_NPT_GRANULE) ||
	    (u64)hpa + size - 1 < hpa ||
	    (mt != AXAS_MEM_NORMAL && mt != AXAS_MEM_DEVICE))
		return -EINVAL;
	/* Arm64 fetches speculatively from Device memory that is not XN. */
	if (mt == AXAS_MEM_DEVICE && (prot & AXAS_PROT_EXEC))
		return -EINVAL;
	if ((u64)hpa + size > BIT_ULL(as->npt.fmt->oa_bits))
		return -ERANGE;
	if (!axas_linear_memtype_ok(hpa, size, mt))
		return -EINVAL;

	return axas_add_region(as, &(struct axas_region){
		.start		= gpa,
		.last		= gpa + size - 1,
		.prot		= prot,
		.type		= AXAS_BACKEND_LINEAR,
		.linear.offset	= (u64)hpa - gpa,
		.linear.mt	= mt,
	});
}
EXPORT_SYMBOL_NS_GPL(axas_map_linear, AXAS);

/**
 * axas_map_alloc() - map guest memory from the page allocator
 * @as:		The address space.
 * @gpa:	First guest-physical address, 4 KiB aligned.
 * @size:	Size, a non-zero multiple of 4 KiB.
 * @prot:	AXAS_PROT_* the guest may use; at least one, and write
 *		only with read.
 * @flags:	AXAS_MAP_ALLOC_*: %AXAS_MAP_ALLOC_POPULATE allocates and maps
 *		every frame now (else on the first fault);
 *		%AXAS_MAP_ALLOC_HUGE allows 2 MiB frames where alignment fits.
 *
 * Frames are zeroed and charged to the address space's memory cgroup and
 * frame limit. Needs a 4 KiB host page size.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * write.
 * Return: 0; -EINVAL for a bad alignment, size or @prot; -EOPNOTSUPP for
 * unknown @flags or a host page size other than 4 KiB; -ERANGE outside
 * the window; -EEXIST when the range overlaps a region; -ENOMEM (also when
 * populating would pass the frame or table page limit); -EINTR on a fatal
 * signal while waiting for the lock or populating. On error nothing
 * changed.
 */
int axas_map_alloc(struct axas *as, u64 gpa, u64 size, unsigned int prot,
		   unsigned int flags)
{
	int ret;

	/* A frame is one host page, mapped by one leaf of the guest granule. */
	if (flags & ~(AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE) ||
	    PAGE_SIZE != AXAS_NPT_GRANULE)
		return -EOPNOTSUPP;
	ret = axas_check_range(as, gpa, size);
	if (ret)
		return ret;
	if (!axas_prot_ok(prot))
		return -EINVAL;

	return axas_add_region(as, &(struct axas_region){
		.start		= gpa,
		.last		= gpa + size - 1,
		.prot		= prot,
		.type		= AXAS_BACKEND_ALLOC,
		.alloc.flags	= flags,
	});
}
EXPORT_SYMBOL_NS_GPL(axas_map_alloc, AXAS);

/*
 * Make @at a region boundary: if a region spans it, cut off its part from
 * @at on into a copy. Neutral: the pieces describe the old region exactly.
 */
static int axas_split_at(struct axas *as, u64 at, bool *split)
{
	MA_STATE(mas, &as->regions, at, at);
	unsigned long index = at;
	struct axas_region *r, *tail;
	int ret;

	lockdep_assert_held_write(&as->lock);
	r = mt_find(&as->regions, &index, at);
	*split = false;
	if (!r || r->start == at)
		return 0;
	tail = kmemdup(r, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return -ENOMEM;
	tail->start = at;
	mas_set_range(&mas, at, r->last);
	ret = mas_store_gfp(&mas, tail, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(tail);
		return ret;
	}
	WRITE_ONCE(r->last, at - 1);
	as->nr_regions++;
	*split = true;
	return 0;
}

/*
 * Undo axas_split_at(@at) after a later step failed. Best effort: should
 * the merge fail for lack of memory, the two pieces still describe the
 * old region exactly, so only the region count shows it.
 */
static void axas_unsplit_at(struct axas *as, u64 at)
{
	MA_STATE(mas, &as->regions, 0, 0);
	struct axas_region *head, *tail;
	unsigned long index = at;

	lockdep_assert_held_write(&as->lock);
	tail = mt_find(&as->regions, &index, at);
	index = at - 1;
	head = mt_find(&as->regions, &index, at - 1);
	if (WARN_ON_ONCE(!head || !tail || tail->start != at ||
			 head->last != at - 1))
		return;
	/*
	 * Grow @head before the tree hands it the tail's range, as
	 * axas_split_at() stores the tail before shrinking @head: a lockless
	 * reader that finds @head for an address of the tail then sees the
	 * address inside it (the pieces map the same way), never outside.
	 */
	WRITE_ONCE(head->last, tail->last);
	mas_set_range(&mas, head->start, tail->last);
	if (mas_store_gfp(&mas, head, GFP_KERNEL_ACCOUNT)) {
		WRITE_ONCE(head->last, at - 1);	/* still split: neutral */
		return;
	}
	kfree_rcu(tail, rcu);
	as->nr_regions--;
}

/*
 * May two adjacent regions be one? The same backend, rights and
 * attributes: a linear region's host range must continue (the same
 * GPA-to-HPA offset). POPULATE matters only while mapping.
 */
static bool axas_region_mergeable(const struct axas_region *a,
				  const struct axas_region *b)
{
	if (a->type != b->type || a->prot != b->prot)
		return false;
	if (a->type == AXAS_BACKEND_LINEAR)
		return a->linear.offset == b->linear.offset &&
		       a->linear.mt == b->linear.mt;
	return !((a->alloc.flags ^ b->alloc.flags) & AXAS_MAP_ALLOC_HUGE);
}

/*
 * Join the regions on either side of @at into one if they touch and are
 * mergeable, so that the region count follows what the guest sees, not
 * the history of splits. Best effort, like axas_unsplit_at().
 */
static void axas_merge_at(struct axas *as, u64 at)
{
	struct axas_region *head, *tail;
	unsigned long index = at;

	lockdep_assert_held_write(&as->lock);
	if (!at)
		return;
	tail = mt_find(&as->regions, &index, at);
	index = at - 1;
	head = mt_find(&as->regions, &index, at - 1);
	if (head && tail && head != tail && axas_region_mergeable(head, tail))
		axas_unsplit_at(as, at);
}

/* Merge at every region boundary in [@gpa, @last + 1]; no gaps inside. */
static void axas_merge_range(struct axas *as, u64 gpa, u64 last)
{
	struct axas_region *r;
	unsigned long index;
	u64 at = gpa;

	for (;;) {
		axas_merge_at(as, at);
		index = at;
		r = mt_find(&as->regions, &index, at);
		if (!r || r->last >= last)
			break;
		at = r->last + 1;
	}
	if (last != ~0ULL)
		axas_merge_at(as, last + 1);
}

/* Which boundaries of a range axas_split_range() cut. */
struct axas_splits {
	bool start;
	bool end;
};

static int axas_split_range(struct axas *as, u64 gpa, u64 size,
			    struct axas_splits *sp)
{
	int ret;

	sp->end = false;
	ret = axas_split_at(as, gpa, &sp->start);
	if (ret || gpa + size - 1 == ~0ULL)
		return ret;
	ret = axas_split_at(as, gpa + size, &sp->end);
	if (ret && sp->start) {
		axas_unsplit_at(as, gpa);
		sp->start = false;
	}
	return ret;
}

static void axas_unsplit_range(struct axas *as, u64 gpa, u64 size,
			       const struct axas_splits *sp)
{
	if (sp->end)
		axas_unsplit_at(as, gpa + size);
	if (sp->start)
		axas_unsplit_at(as, gpa);
}

/* Start a change that may make translations of [@gpa, +@size) stale. */
static void axas_invalidate_start(struct axas *as)
{
	lockdep_assert_held_write(&as->lock);
	/* Raw: readers never spin, so the writer may be preempted. */
	raw_write_seqcount_begin(&as->inval_seq);
}

/* The table changed (and was flushed): tell the creator, frames live on. */
static void axas_invalidate_end(struct axas *as, u64 gpa, u64 size,
				bool changed)
{
	lockdep_assert_held_write(&as->lock);
	if (changed && as->inval_ops && as->inval_ops->invalidate)
		as->inval_ops->invalidate(as->inval_cookie, gpa, size);
	raw_write_seqcount_end(&as->inval_seq);
}

/**
 * axas_invalidate_begin() - start using translations of an address space
 * @as: The address space.
 *
 * The mmu_invalidate_seq pattern: read this, translate (axas_translate()),
 * use the result, then ask axas_invalidate_retry() whether an unmap or
 * protect ran meanwhile; if so, drop what was derived and start again.
 * A map never invalidates. The answer covers the whole address space.
 *
 * Context: Any context; lock-free.
 * Return: A sequence value for axas_invalidate_retry().
 */
unsigned int axas_invalidate_begin(struct axas *as)
{
	return raw_read_seqcount(&as->inval_seq);
}
EXPORT_SYMBOL_NS_GPL(axas_invalidate_begin, AXAS);

/**
 * axas_invalidate_retry() - did translations change since the begin
 * @as:		The address space.
 * @seq:	From axas_invalidate_begin().
 *
 * Context: Any context; lock-free.
 * Return: true if an unmap or protect was in progress at @seq or has
 * changed the table since (retry), false if what was derived still holds.
 */
bool axas_invalidate_retry(struct axas *as, unsigned int seq)
{
	return (seq & 1) || read_seqcount_retry(&as->inval_seq, seq);
}
EXPORT_SYMBOL_NS_GPL(axas_invalidate_retry, AXAS);

/**
 * axas_unmap() - unmap a GPA range
 * @as:		The address space.
 * @gpa:	First guest-physical address, 4 KiB aligned.
 * @size:	Size, a non-zero multiple of 4 KiB.
 *
 * Remove every region, or part of a region, inside the range: a region
 * only partly inside is split, and its remaining pieces keep working.
 * Frames of allocated regions are freed after the TLB flush and an RCU
 * grace period; linear memory is left to its owner. Gaps in the range are
 * allowed.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * write.
 * Return: 0; -EINVAL for a bad alignment or size; -ERANGE outside the
 * window; -ENOENT when no region intersects the range; -ENOMEM (a block
 * or region could not be split); -EINTR on a fatal signal while waiting
 * for the lock. On error nothing changed.
 */
int axas_unmap(struct axas *as, u64 gpa, u64 size)
{
	MA_STATE(mas, &as->regions, gpa, gpa + size - 1);
	MA_STATE(it, &as->regions, gpa, gpa);
	struct axas_unmap_ctx ctx = { .as = as };
	struct axas_region *r, *dead = NULL;
	struct mem_cgroup *old;
	struct axas_splits sp;
	int ret;

	ret = axas_check_range(as, gpa, size);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&ctx.frames);

	if (down_write_killable(&as->lock))
		return -EINTR;
	/* Splits allocate: charge them to the address space's owner. */
	old = set_active_memcg(as->memcg);
	if (axas_range_free(as, gpa, gpa + size - 1)) {
		ret = -ENOENT;
		goto out;
	}
	ret = axas_split_range(as, gpa, size, &sp);
	if (ret)
		goto out;
	ret = mas_preallocate(&mas, NULL, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto unsplit;
	axas_invalidate_start(as);
	ret = axas_npt_unmap(&as->npt, gpa, size, axas_unmap_leaf, &ctx);
	axas_invalidate_end(as, gpa, size, !ret);
	if (ret && ret != -ENOENT) {
		mas_destroy(&mas);
		goto unsplit;
	}
	ret = 0;
	/*
	 * The guest's leaves are gone; now the VMM's mappings of the frames,
	 * before they are freed below. A VMM fault maps a frame under the
	 * read lock, so none can map one of these again after this.
	 */
	axas_vmm_zap(as, gpa, gpa + size - 1);

	/* Every region in the range lies wholly inside it now. */
	mas_for_each(&it, r, gpa + size - 1) {
		r->dead_next = dead;
		dead = r;
		as->nr_regions--;
	}
	mas_store_prealloc(&mas, NULL);
	/* Only now can no new lockless reader find them. */
	while (dead) {
		r = dead;
		dead = r->dead_next;
		kfree_rcu(r, rcu);
	}
	goto out;
unsplit:
	axas_unsplit_range(as, gpa, size, &sp);
out:
	up_write(&as->lock);
	set_active_memcg(old);
	axas_free_frames(&ctx.frames);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_unmap, AXAS);

/**
 * axas_protect() - change the guest's access rights to a GPA range
 * @as:		The address space.
 * @gpa:	First guest-physical address, 4 KiB aligned.
 * @size:	Size, a non-zero multiple of 4 KiB.
 * @prot:	New AXAS_PROT_*; at least one, and write only with read.
 *
 * The range must be covered by regions without a gap. Regions partly
 * inside are split; mapped entries change at once (blocks split where
 * the range cuts them) and later faults follow the new rights. Taking
 * rights away flushes the TLB. When the address space keeps executable
 * leaves at 4 KiB (nx_huge_pages, see axas_create()), granting execute
 * also splits every 2 MiB and 1 GiB block inside the range into 4 KiB
 * leaves with the same translations (one table page per 2 MiB, 513 per
 * 1 GiB, counted against the table page limit); taking execute away
 * merges nothing back.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * write.
 * Return: 0; -EINVAL for a bad alignment, size or @prot, or for
 * %AXAS_PROT_EXEC on a range that holds device memory; -ERANGE outside
 * the window; -ENOENT when part of the range has no region; -ENOMEM;
 * -EINTR on a fatal signal while waiting for the lock. On error nothing
 * changed.
 */
int axas_protect(struct axas *as, u64 gpa, u64 size, unsigned int prot)
{
	MA_STATE(mas, &as->regions, gpa, gpa + size - 1);
	u64 next = gpa, last = gpa + size - 1;
	struct axas_region *r;
	struct mem_cgroup *old;
	struct axas_splits sp;
	int ret;

	ret = axas_check_range(as, gpa, size);
	if (ret)
		return ret;
	if (!axas_prot_ok(prot))
		return -EINVAL;

	if (down_write_killable(&as->lock))
		return -EINTR;
	/* Splits allocate: charge them to the address space's owner. */
	old = set_active_memcg(as->memcg);
	mas_for_each(&mas, r, last) {
		if (r->start > next)
			break;
		/* Device memory is never executable (axas_map_linear()). */
		if ((prot & AXAS_PROT_EXEC) && r->type == AXAS_BACKEND_LINEAR &&
		    r->linear.mt == AXAS_MEM_DEVICE) {
			ret = -EINVAL;
			goto out;
		}
		next = r->last + 1;
		if (r->last >= last)
			break;
	}
	if (!r || r->start > next || r->last < last) {
		ret = -ENOENT;
		goto out;
	}
	ret = axas_split_range(as, gpa, size, &sp);
	if (ret)
		goto out;
	axas_invalidate_start(as);
	ret = axas_npt_protect(&as->npt, gpa, size, prot);
	axas_invalidate_end(as, gpa, size, !ret);
	if (ret && ret != -ENOENT) {
		axas_unsplit_range(as, gpa, size, &sp);
		goto out;
	}
	ret = 0;
	mas_set_range(&mas, gpa, last);
	mas_for_each(&mas, r, last)
		WRITE_ONCE(r->prot, prot);
	/* Pieces with the same rights again are one region again. */
	axas_merge_range(as, gpa, last);
out:
	up_write(&as->lock);
	set_active_memcg(old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_protect, AXAS);

static bool axas_gpa_in_width(struct axas *as, u64 gpa)
{
	return as->npt.gpa_bits >= 64 || gpa < BIT_ULL(as->npt.gpa_bits);
}

/* Resolve a fault; the caller holds the lock for read. */
static int axas_fault_locked(struct axas *as, u64 gpa, unsigned int access)
{
	struct axas_npt_leaf leaf;
	struct axas_region *r;
	unsigned long index = gpa;
	struct mem_cgroup *old;
	int ret;

	lockdep_assert_held(&as->lock);
	r = mt_find(&as->regions, &index, gpa);
	if (!r)
		return AXAS_FAULT_NOT_MAPPED;
	if (access & ~READ_ONCE(r->prot))
		return AXAS_FAULT_PERM;
	if (!axas_npt_lookup(&as->npt, gpa, &leaf)) {
		if (access & ~leaf.prot)
			return AXAS_FAULT_PERM;
		ret = AXAS_FAULT_SPURIOUS;
	} else {
		old = set_active_memcg(as->memcg);
		ret = axas_backend_fault(as, r, gpa, access);
		set_active_memcg(old);
	}
	/* A hart may still hold the invalid entry that made it fault. */
	if (ret == AXAS_FAULT_MAPPED || ret == AXAS_FAULT_SPURIOUS)
		axas_npt_fault_flush(&as->npt, gpa);
	return ret;
}

/**
 * axas_handle_fault() - handle a stage-2 fault
 * @as:		The address space.
 * @gpa:	The faulting guest-physical address.
 * @access:	AXAS_PROT_* of the access (at least one).
 *
 * In an allocated region that allows @access, allocate a zeroed frame
 * (2 MiB when the region allows it and its aligned block lies inside the
 * region, else 4 KiB) and map it. A fault on an address already mapped
 * with enough rights, a duplicate or lost race included, changes nothing:
 * a frame that holds data is never replaced. Faults on different
 * addresses run in parallel. On RISC-V formats, whose harts may keep
 * using a cached invalid entry, %AXAS_FAULT_MAPPED and
 * %AXAS_FAULT_SPURIOUS also flush the leaf's range through the flush ops.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * read.
 * Return: %AXAS_FAULT_MAPPED, %AXAS_FAULT_SPURIOUS, %AXAS_FAULT_NOT_MAPPED
 * (no region: MMIO for the VMM) or %AXAS_FAULT_PERM (the region refuses
 * @access); -EINVAL for a bad @access; -ERANGE beyond the format's width;
 * -ENOMEM when no frame or table page could be allocated or a limit is
 * reached; -EINTR on a fatal signal while waiting for the lock.
 */
int axas_handle_fault(struct axas *as, u64 gpa, unsigned int access)
{
	int ret;

	if (!access || (access & ~AXAS_PROT_RWX))
		return -EINVAL;
	if (!axas_gpa_in_width(as, gpa))
		return -ERANGE;

	if (down_read_killable(&as->lock))
		return -EINTR;
	ret = axas_fault_locked(as, gpa, access);
	up_read(&as->lock);
	if (ret > 0)
		atomic64_inc(&as->faults[ret]);
	else if (ret == -ENOMEM)
		atomic64_inc(&as->faults_nomem);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_handle_fault, AXAS);

/**
 * axas_vmm_frame_locked() - the frame behind a GPA, for the VMM's mmap()
 * @as:		The address space.
 * @gpa:	Guest-physical address.
 *
 * Find the frame an allocated region maps at @gpa. A lazy page never
 * touched is allocated and mapped in the stage-2 table first, exactly as
 * a guest fault would (frame limit, memory cgroup, 2 MiB frames of
 * %AXAS_MAP_ALLOC_HUGE regions), whatever the guest's rights: the VMM's
 * view of guest memory does not follow them. It is not counted as a
 * fault in the statistics.
 *
 * Context: Process context, may sleep; the caller holds @as->lock for
 * read. The frame stays allocated while the caller holds it: frames are
 * freed only after an unmap took the lock for write.
 * Return: the frame's page (no reference taken); ERR_PTR(-ENOENT) outside
 * any region, beyond the format's width or in a linear region (never
 * mapped into user space); ERR_PTR(-ENOMEM) when no frame or table page
 * could be allocated or a limit is reached.
 */
struct page *axas_vmm_frame_locked(struct axas *as, u64 gpa)
{
	struct axas_npt_leaf leaf;
	struct axas_region *r;
	unsigned long index = gpa;
	int ret;

	lockdep_assert_held(&as->lock);
	if (!axas_gpa_in_width(as, gpa))
		return ERR_PTR(-ENOENT);
	r = mt_find(&as->regions, &index, gpa);
	if (!r)
		return ERR_PTR(-ENOENT);
	switch (r->type) {
	case AXAS_BACKEND_LINEAR:
		/* Device memory, or RAM its owner has its own mapping of. */
		return ERR_PTR(-ENOENT);
	case AXAS_BACKEND_ALLOC:
		break;
	}
	if (axas_npt_lookup(&as->npt, gpa, &leaf)) {
		/* No access rights asked: the allocation is the VMM's. */
		ret = axas_fault_locked(as, gpa, 0);
		if (ret < 0)
			return ERR_PTR(ret);
		/* Under the read lock, entries only ever appear. */
		if (WARN_ON_ONCE(ret != AXAS_FAULT_MAPPED &&
				 ret != AXAS_FAULT_SPURIOUS) ||
		    WARN_ON_ONCE(axas_npt_lookup(&as->npt, gpa, &leaf)))
			return ERR_PTR(-ENOENT);
	}
	if (WARN_ON_ONCE(!pfn_valid(PHYS_PFN(leaf.hpa))))
		return ERR_PTR(-ENOENT);
	return pfn_to_page(PHYS_PFN(leaf.hpa));
}
EXPORT_SYMBOL_IF_KUNIT(axas_vmm_frame_locked);

/**
 * axas_vmm_zap() - remove the VMM's mappings of a GPA range
 * @as:		The address space.
 * @gpa:	First guest-physical address.
 * @last:	Last guest-physical address (inclusive).
 *
 * Zap the page table entries of every mmap() of the address-space fd
 * that maps part of the range, so that frames unmapped from the table can
 * be freed: a VMM access there faults again, and finds no region.
 *
 * Context: Process context, may sleep; the caller holds @as->lock for
 * write, after the stage-2 leaves are gone and before their frames are
 * freed.
 */
void axas_vmm_zap(struct axas *as, u64 gpa, u64 last)
{
	lockdep_assert_held_write(&as->lock);
	if (!as->mapping || last < gpa)
		return;
	unmap_mapping_pages(as->mapping, gpa >> PAGE_SHIFT,
			    (last >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1,
			    false);
}

/**
 * axas_translate() - translate a guest-physical address
 * @as:		The address space.
 * @gpa:	Guest-physical address.
 * @hpa:	Set to the host-physical address on success.
 *
 * Lock-free: a concurrent unmap either has not removed the entry yet or
 * has; table pages and frames stay allocated until the RCU read section
 * of a racing caller ends.
 *
 * Context: Any context.
 * Return: 0; -ERANGE beyond the format's width; -ENOENT when not mapped.
 */
int axas_translate(struct axas *as, u64 gpa, phys_addr_t *hpa)
{
	struct axas_npt_leaf leaf;
	int ret;

	if (!axas_gpa_in_width(as, gpa))
		return -ERANGE;
	/* The lookup is its own RCU read section; the result is a copy. */
	ret = axas_npt_lookup(&as->npt, gpa, &leaf);
	if (!ret)
		*hpa = leaf.hpa;
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_translate, AXAS);

/*
 * How many leaves after the first axas_translate_limit() follows: it runs
 * under RCU, so bound its work (512 4 KiB leaves fill one table page).
 */
#define AXAS_TRANSLATE_MAX_LEAVES	512
/* How often axas_translate_limit() looks again after losing a race. */
#define AXAS_TRANSLATE_MAX_TRIES	4

/**
 * axas_translate_limit() - translate, and measure the contiguous mapping
 * @as:		The address space.
 * @gpa:	Guest-physical address.
 * @hpa:	Set to the host-physical address on success.
 * @len:	Set to the number of bytes from @gpa on that are mapped to
 *		host-physically contiguous memory, within @gpa's region. For
 *		allocated regions the walk follows at most
 *		%AXAS_TRANSLATE_MAX_LEAVES (512) further leaves, so @len may
 *		stop short of a longer contiguous run. Racing with changes
 *		to the regions, it retries a bounded number of times and
 *		may then report only the rest of @gpa's leaf.
 *
 * Context: Any context; lock-free (RCU).
 * Return: 0; -ERANGE beyond the format's width; -ENOENT when not mapped.
 */
int axas_translate_limit(struct axas *as, u64 gpa, phys_addr_t *hpa,
			 u64 *len)
{
	struct axas_npt_leaf leaf;
	struct axas_region *r;
	unsigned long index = gpa;
	u64 end, next, last;
	phys_addr_t want;
	int ret = -ENOENT;
	unsigned int n, tries;

	if (!axas_gpa_in_width(as, gpa))
		return -ERANGE;
	rcu_read_lock();
	for (tries = 0; ; tries++) {
		index = gpa;
		r = mt_find(&as->regions, &index, gpa);
		if (!r || axas_npt_lookup(&as->npt, gpa, &leaf))
			goto out;
		/*
		 * The leaf is @r's only if @r still holds @gpa after the
		 * lookup: an unmap removes the leaves before the region, and
		 * a new region's leaves come after it is in the tree. And
		 * axas_split_at() stores the new tail in the tree, then
		 * shrinks @r: @gpa may lie past @r's end now. Either way,
		 * look again.
		 */
		index = gpa;
		last = READ_ONCE(r->last);
		if (mt_find(&as->regions, &index, gpa) == r && gpa <= last)
			break;
		/*
		 * Writers make progress under their lock; should this keep
		 * losing races, the rest of the leaf is still a true answer.
		 */
		if (tries == AXAS_TRANSLATE_MAX_TRIES) {
			*hpa = leaf.hpa;
			*len = ALIGN_DOWN(gpa, leaf.size) + leaf.size - gpa;
			ret = 0;
			goto out;
		}
	}
	*hpa = leaf.hpa;
	/* A linear region is contiguous and mapped in full by definition. */
	if (r->type == AXAS_BACKEND_LINEAR) {
		*len = last - gpa + 1;
		ret = 0;
		goto out;
	}
	end = ALIGN_DOWN(gpa, leaf.size) + leaf.size;	/* end of the leaf */
	want = leaf.hpa + (end - gpa);
	for (n = 0; n < AXAS_TRANSLATE_MAX_LEAVES && end && end - 1 < last;
	     n++) {
		next = end;
		if (axas_npt_lookup(&as->npt, next, &leaf) || leaf.hpa != want)
			break;
		end = next + leaf.size;
		want += leaf.size;
	}
	if (!end || end - 1 > last)
		end = last + 1;
	*len = end - gpa;
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_translate_limit, AXAS);

/**
 * axas_get_frame() - take a reference on the guest frame at a GPA
 * @as:		The address space.
 * @gpa:	Guest-physical address in an allocated region.
 * @page:	Set to the 4 KiB page holding @gpa, with a reference.
 *
 * For DMA or kmap() of guest memory that must outlive a racing unmap: the
 * page stays allocated until axas_put_frame(), but an unmap may take it
 * out of the guest at any time (writes after that are not seen by the
 * guest). Nothing is faulted in: a lazy page not yet touched is -ENOENT
 * (axas_handle_fault() it first). Linear regions have no frames of axas.
 *
 * Context: Any context; lock-free (RCU).
 * Return: 0; -ERANGE beyond the format's width; -ENOENT when not mapped;
 * -EOPNOTSUPP in a linear region; -EAGAIN when changes kept racing.
 */
int axas_get_frame(struct axas *as, u64 gpa, struct page **page)
{
	struct axas_npt_leaf leaf;
	struct axas_region *r;
	unsigned long index;
	unsigned int tries;
	struct page *p;
	int ret = -EAGAIN;

	if (!axas_gpa_in_width(as, gpa))
		return -ERANGE;
	rcu_read_lock();
	for (tries = 0; tries < AXAS_TRANSLATE_MAX_TRIES; tries++) {
		index = gpa;
		r = mt_find(&as->regions, &index, gpa);
		if (!r) {
			ret = -ENOENT;
			break;
		}
		if (r->type != AXAS_BACKEND_ALLOC) {
			ret = -EOPNOTSUPP;
			break;
		}
		if (axas_npt_lookup(&as->npt, gpa, &leaf)) {
			ret = -ENOENT;
			break;
		}
		/* As axas_translate_limit(): is the leaf @r's? */
		index = gpa;
		if (mt_find(&as->regions, &index, gpa) != r ||
		    gpa > READ_ONCE(r->last))
			continue;
		/*
		 * Frames are freed a grace period after they left the table:
		 * inside this RCU section the page is still allocated.
		 */
		p = pfn_to_page(PHYS_PFN(leaf.hpa));
		if (WARN_ON_ONCE(!get_page_unless_zero(p)))
			break;
		*page = p;
		ret = 0;
		break;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_get_frame, AXAS);

/**
 * axas_put_frame() - drop a reference from axas_get_frame()
 * @page: The page.
 *
 * Context: Any context.
 */
void axas_put_frame(struct page *page)
{
	put_page(page);
}
EXPORT_SYMBOL_NS_GPL(axas_put_frame, AXAS);

/**
 * struct axas_rw_op - a guest read or write being carried out
 * @as:		The address space; its lock is held for read.
 * @gpa:	First guest-physical address.
 * @buf:	The caller's buffer; NULL when nothing is copied.
 * @len:	Bytes, not 0; the range neither wraps nor passes the width.
 * @access:	%AXAS_PROT_WRITE for a write, else %AXAS_PROT_READ.
 * @write:	A write: @buf is the source.
 * @fault_in:	%AXAS_RW_FAULT_IN was asked for.
 */
struct axas_rw_op {
	struct axas *as;
	u64 gpa;
	void *buf;
	size_t len;
	unsigned int access;
	bool write;
	bool fault_in;
};

/**
 * struct axas_rw_iter - a walk over the range of a guest read or write
 * @gpa:	Guest-physical address of the current piece.
 * @off:	Offset of the piece from the start of the range and buffer.
 * @len:	Length of the piece: to the end of its guest page or of the
 *		range, so that one leaf maps all of it.
 * @size:	Length of the whole range.
 */
struct axas_rw_iter {
	u64 gpa;
	size_t off;
	size_t len;
	size_t size;
};

/* A walk over @op's range; each axas_rw_next() yields a piece. */
static struct axas_rw_iter axas_rw_walk(const struct axas_rw_op *op)
{
	return (struct axas_rw_iter){ .gpa = op->gpa, .size = op->len };
}

/* Advance @it to its next piece, in address order; false at the end. */
static bool axas_rw_next(struct axas_rw_iter *it)
{
	it->gpa += it->len;
	it->off += it->len;
	if (it->off >= it->size)
		return false;
	it->len = min_t(u64, AXAS_NPT_GRANULE -
			     (it->gpa & (AXAS_NPT_GRANULE - 1)),
			it->size - it->off);
	return true;
}

/* Before each page of a step that may fail: a killed task stops there. */
static int axas_rw_resched(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

/*
 * Check the page of @gpa: a region covers it (-ENOENT), allows the access
 * (-EACCES) and is an alloc region (-EOPNOTSUPP for linear ones); without
 * AXAS_RW_FAULT_IN a write needs the page mapped (-ENOENT); a mapped page
 * needs a struct page (-EOPNOTSUPP). Alloc frames always have one, so what
 * passes here can be copied.
 */
static int axas_rw_check_page(const struct axas_rw_op *op, u64 gpa)
{
	struct axas_npt_leaf leaf;
	struct axas_region *r;
	unsigned long index = gpa;

	r = mt_find(&op->as->regions, &index, gpa);
	if (!r)
		return -ENOENT;
	if (!(READ_ONCE(r->prot) & op->access))
		return -EACCES;
	/*
	 * Linear memory is the caller's: device memory, or RAM that may be
	 * absent from the direct map (memfd_secret, arm64 no-map). Never
	 * kmap it; its owner has its own mapping.
	 */
	if (r->type == AXAS_BACKEND_LINEAR)
		return -EOPNOTSUPP;
	if (axas_npt_lookup(&op->as->npt, gpa, &leaf))
		/* Never faulted in: reads as zeroes, or is faulted in. */
		return op->write && !op->fault_in ? -ENOENT : 0;
	return pfn_valid(PHYS_PFN(leaf.hpa)) ? 0 : -EOPNOTSUPP;
}

/* The check step: page by page in address order; the first error wins. */
static int axas_rw_check(const struct axas_rw_op *op)
{
	struct axas_rw_iter it = axas_rw_walk(op);
	int ret;

	lockdep_assert_held(&op->as->lock);
	while (axas_rw_next(&it)) {
		ret = axas_rw_resched() ?: axas_rw_check_page(op, it.gpa);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The fault-in step, after the check step passed: map every page still
 * unmapped as a fault would, without counting it as one.
 */
static int axas_rw_fault_in(const struct axas_rw_op *op)
{
	struct axas_rw_iter it = axas_rw_walk(op);
	struct axas_npt_leaf leaf;
	int ret;

	lockdep_assert_held(&op->as->lock);
	while (axas_rw_next(&it)) {
		ret = axas_rw_resched();
		if (ret)
			return ret;
		if (!axas_npt_lookup(&op->as->npt, it.gpa, &leaf))
			continue;
		/* A positive outcome: mapped now, by us or a racing fault. */
		ret = axas_fault_locked(op->as, it.gpa, op->access);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * The copy step, after the other two passed without dropping the lock:
 * it cannot fail. Under the read lock entries only ever appear, so a
 * write finds every page mapped, and a read reads a page still unmapped
 * as zeroes; the check step vouched for every page mapped before it, and
 * a frame mapped since is a lazy one.
 */
static void axas_rw_copy(const struct axas_rw_op *op)
{
	struct axas_rw_iter it = axas_rw_walk(op);
	struct axas_npt_leaf leaf;
	void *va, *p;

	lockdep_assert_held(&op->as->lock);
	while (axas_rw_next(&it)) {
		cond_resched();
		p = op->buf + it.off;
		if (axas_npt_lookup(&op->as->npt, it.gpa, &leaf) ||
		    WARN_ON_ONCE(!pfn_valid(PHYS_PFN(leaf.hpa)))) {
			if (!WARN_ON_ONCE(op->write))
				memset(p, 0, it.len);
			continue;
		}
		va = kmap_local_page(pfn_to_page(PHYS_PFN(leaf.hpa)));
		if (op->write) {
			memcpy(va + offset_in_page(leaf.hpa), p, it.len);
			/* The guest may read past the caches (arm64). */
			axas_frame_sync(va + offset_in_page(leaf.hpa), it.len,
					leaf.prot);
		} else {
			memcpy(p, va + offset_in_page(leaf.hpa), it.len);
		}
		kunmap_local(va);
	}
}

/* The steps of axas_rw(), in order: a call names the last it runs. */
enum axas_rw_step {
	AXAS_RW_STEP_CHECK,
	AXAS_RW_STEP_FAULT_IN,
	AXAS_RW_STEP_COPY,
};

/*
 * Copy between @buf and guest memory in three steps over the range, all
 * under the read lock: axas_rw_check(); with AXAS_RW_FAULT_IN,
 * axas_rw_fault_in(); then axas_rw_copy(), which cannot fail. So an error
 * copies nothing: an -ENOMEM while faulting in may leave zeroed frames
 * mapped (their contents read as before), never partly copied data.
 */
static int axas_rw(struct axas *as, u64 gpa, void *buf, size_t len,
		   unsigned int flags, bool write, enum axas_rw_step last)
{
	struct axas_rw_op op = {
		.as		= as,
		.gpa		= gpa,
		.buf		= buf,
		.len		= len,
		.access		= write ? AXAS_PROT_WRITE : AXAS_PROT_READ,
		.write		= write,
		.fault_in	= flags & AXAS_RW_FAULT_IN,
	};
	int ret;

	if (flags & ~AXAS_RW_FAULT_IN)
		return -EOPNOTSUPP;
	if (!len)
		return 0;
	if (gpa + len - 1 < gpa)
		return -EINVAL;
	if (!axas_gpa_in_width(as, gpa + len - 1))
		return -ERANGE;

	if (down_read_killable(&as->lock))
		return -EINTR;
	ret = axas_rw_check(&op);
	if (!ret && op.fault_in && last >= AXAS_RW_STEP_FAULT_IN)
		ret = axas_rw_fault_in(&op);
	if (!ret && last == AXAS_RW_STEP_COPY)
		axas_rw_copy(&op);
	up_read(&as->lock);
	return ret;
}

/**
 * axas_rw_prepare() - check a guest read or write, and fault its pages in
 * @as:		The address space.
 * @gpa:	First guest-physical address.
 * @len:	Bytes.
 * @flags:	AXAS_RW_FAULT_IN or 0.
 * @write:	Check a write rather than a read.
 * @prefault:	With AXAS_RW_FAULT_IN in @flags, also allocate the frames;
 *		else only check.
 *
 * Lets the uAPI, which copies through a bounce buffer piece by piece,
 * refuse a bad range and allocate every frame before it copies anything:
 * the check step of axas_read() or axas_write(), then with @prefault
 * their fault-in step, but not the copy step.
 *
 * Context: Process context, may sleep. Takes the lock for read.
 * Return: what axas_read() or axas_write() would return; copies nothing.
 */
int axas_rw_prepare(struct axas *as, u64 gpa, size_t len, unsigned int flags,
		    bool write, bool prefault)
{
	return axas_rw(as, gpa, NULL, len, flags, write,
		       prefault ? AXAS_RW_STEP_FAULT_IN : AXAS_RW_STEP_CHECK);
}
EXPORT_SYMBOL_IF_KUNIT(axas_rw_prepare);

/**
 * axas_read() - copy guest memory into a kernel buffer
 * @as:		The address space.
 * @gpa:	First guest-physical address; any alignment.
 * @buf:	Destination.
 * @len:	Bytes to copy; may cross pages, blocks and regions.
 * @flags:	%AXAS_RW_FAULT_IN to allocate lazy frames the range touches;
 *		without it, never-touched lazy memory reads as zeroes.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * read.
 * Return: 0; -EINVAL when the range wraps; -ERANGE beyond the format's
 * width; -ENOENT when part of the range has no region; -EACCES when a
 * region does not allow reads; -EOPNOTSUPP for a linear region or unknown
 * @flags; -ENOMEM; -EINTR on a fatal signal.
 */
int axas_read(struct axas *as, u64 gpa, void *buf, size_t len,
	      unsigned int flags)
{
	return axas_rw(as, gpa, buf, len, flags, false, AXAS_RW_STEP_COPY);
}
EXPORT_SYMBOL_NS_GPL(axas_read, AXAS);

/**
 * axas_write() - copy a kernel buffer into guest memory
 * @as:		The address space.
 * @gpa:	First guest-physical address; any alignment.
 * @buf:	Source.
 * @len:	Bytes to copy; may cross pages, blocks and regions.
 * @flags:	%AXAS_RW_FAULT_IN to allocate lazy frames the range touches;
 *		without it, every page of the range must be mapped.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * read.
 * Return: 0; -EINVAL when the range wraps; -ERANGE beyond the format's
 * width; -ENOENT when part of the range has no region or (without
 * %AXAS_RW_FAULT_IN) no frame, in which case nothing was written; -EACCES
 * when a region does not allow writes; -EOPNOTSUPP for a linear region or
 * unknown @flags; -ENOMEM; -EINTR on a fatal signal.
 */
int axas_write(struct axas *as, u64 gpa, const void *buf, size_t len,
	       unsigned int flags)
{
	return axas_rw(as, gpa, (void *)buf, len, flags, true,
		       AXAS_RW_STEP_COPY);
}
EXPORT_SYMBOL_NS_GPL(axas_write, AXAS);

/**
 * axas_root_info() - what the hardware needs to walk the table
 * @as:		The address space.
 * @info:	Filled in.
 *
 * Context: Any context.
 */
void axas_root_info(struct axas *as, struct axas_root_info *info)
{
	axas_npt_root_info(&as->npt, info);
}
EXPORT_SYMBOL_NS_GPL(axas_root_info, AXAS);

static int axas_count_leaf(void *arg, u64 gpa,
			   const struct axas_npt_leaf *leaf)
{
	u64 *leaves = arg;

	leaves[leaf->level]++;
	return 0;
}

/**
 * axas_get_stats() - read the counters of an address space
 * @as:		The address space.
 * @stats:	Filled in.
 *
 * Leaves are counted by walking the table, so this costs time in
 * proportion to the table's size.
 *
 * Context: Process context, may sleep. Takes the address space's lock for
 * read, not killably.
 */
void axas_get_stats(struct axas *as, struct axas_stats *stats)
{
	u64 leaves[AXAS_NPT_MAX_LEAF_LEVEL + 1] = {};

	memset(stats, 0, sizeof(*stats));
	down_read(&as->lock);
	axas_npt_leaves(&as->npt, axas_count_leaf, leaves);
	stats->regions = as->nr_regions;
	up_read(&as->lock);
	stats->frames = atomic64_read(&as->frames);
	stats->max_frames = as->max_frames;
	stats->leaves_4k = leaves[0];
	stats->leaves_2m = leaves[1];
	stats->leaves_1g = leaves[2];
	stats->table_pages = atomic_read(&as->npt.nr_pages);
	stats->faults_mapped = atomic64_read(&as->faults[AXAS_FAULT_MAPPED]);
	stats->faults_spurious = atomic64_read(&as->faults[AXAS_FAULT_SPURIOUS]);
	stats->faults_not_mapped =
		atomic64_read(&as->faults[AXAS_FAULT_NOT_MAPPED]);
	stats->faults_perm = atomic64_read(&as->faults[AXAS_FAULT_PERM]);
	stats->faults_nomem = atomic64_read(&as->faults_nomem);
	stats->flushes = atomic64_read(&as->npt.flushes);
	stats->max_table_pages = as->npt.max_pages;
	stats->frame_limit_hits = atomic64_read(&as->frame_limit_hits);
	stats->table_limit_hits = atomic64_read(&as->npt.limit_hits);
}
EXPORT_SYMBOL_NS_GPL(axas_get_stats, AXAS);
