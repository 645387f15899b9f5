/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas in-kernel API: guest address spaces (stage-2 page tables) for
 * hypervisor code in other modules.
 *
 * Symbols are exported in the AXAS namespace: MODULE_IMPORT_NS(AXAS).
 *
 * An address space owns a stage-2 table in one format and a set of
 * non-overlapping regions inside its GPA window. Regions are linear (a
 * fixed host-physical range, never freed by axas) or allocated (guest
 * frames from the page allocator, mapped at once or on the first fault).
 *
 * Locking: map, unmap and protect serialise on the address space's
 * rw_semaphore (held for write); fault handling and guest read/write hold
 * it for read and run in parallel; translation takes no lock at all (RCU).
 * Waiting for the lock is killable: a fatal signal ends the call with
 * -EINTR and nothing changed (axas_get_stats() and axas_put() wait
 * unconditionally).
 * All functions but axas_get(), axas_root_info(), axas_translate(),
 * axas_translate_limit(), axas_invalidate_begin(), axas_invalidate_retry(),
 * axas_get_frame() and axas_put_frame() may sleep.
 *
 * Lifetime: an HPA from axas_translate() is only a snapshot. A caller that
 * keeps one either holds a frame reference (axas_get_frame(): the page
 * stays allocated until axas_put_frame(), even after an unmap), or checks
 * it with the invalidation sequence (axas_invalidate_begin() before the
 * translate, axas_invalidate_retry() after its use) or is told by
 * struct axas_invalidate_ops before the frames are freed.
 *
 * TLB maintenance is the caller's: axas calls struct axas_flush_ops, once
 * per operation that removes or changes valid entries, before any removed
 * frame or table page can be reused.
 */
#ifndef _LINUX_AXAS_H
#define _LINUX_AXAS_H

#include <linux/types.h>
#include <uapi/linux/axas.h>

struct axas;
struct page;

/**
 * struct axas_flush_ops - TLB maintenance supplied by the table's user
 * @flush_range: Invalidate stage-2 translations (and walk caches) for
 *		 [@gpa, @gpa + @size): INVEPT, TLBI IPAS2E1IS + VMALLS12E1IS,
 *		 HFENCE.GVMA with the caller's VMID. Called with no spinlock
 *		 held.
 * @flush_all:	 Invalidate every translation of the table.
 *
 * Either may be NULL, and so may the whole struct for a table that no
 * hardware walks yet.
 */
struct axas_flush_ops {
	void (*flush_range)(void *cookie, u64 gpa, u64 size);
	void (*flush_all)(void *cookie);
};

/**
 * struct axas_invalidate_ops - told when translations may go away
 * @invalidate: [@gpa, @gpa + @size) was unmapped or had its rights
 *		changed: a translation, frame or mapping of it the caller
 *		derived before is stale. Called once per axas_unmap() and
 *		axas_protect() that changed the table, after the table and
 *		its TLB flush, before any removed frame is freed, with the
 *		address space's lock held for write (so it may sleep, but must
 *		not call axas on this address space).
 *
 * Not TLB maintenance (struct axas_flush_ops): this is for the caller's
 * own copies of translations (shadow tables, DMA mappings, cached HPAs).
 */
struct axas_invalidate_ops {
	void (*invalidate)(void *cookie, u64 gpa, u64 size);
};

/**
 * struct axas_params - how to create an address space
 * @format:	Table format; %AXAS_FORMAT_DEFAULT picks the host's own.
 * @gpa_bits:	Guest-physical address width; 0 picks the format's largest
 *		(arm64 stage 2: 40 bits, as KVM's default IPA size). Sets the
 *		walk depth (and, on arm64, the concatenated root tables).
 * @base:	First GPA of the window regions may use (4 KiB aligned).
 * @size:	Size of the window (4 KiB aligned); 0 means up to
 *		1 << @gpa_bits.
 * @max_frames:	Limit on guest frames axas allocates, in 4 KiB units;
 *		0 means no limit (memcg still applies).
 * @max_table_pages: Limit on the pages of the stage-2 table, root
 *		included; 0 means no limit. Below the root's page count:
 *		-EINVAL.
 * @flush_ops:	TLB maintenance; may be NULL.
 * @flush_cookie: Argument of @flush_ops.
 * @invalidate_ops: Invalidation of the caller's own copies; may be NULL.
 * @invalidate_cookie: Argument of @invalidate_ops.
 */
struct axas_params {
	enum axas_format format;
	unsigned int gpa_bits;
	u64 base;
	u64 size;
	u64 max_frames;
	u64 max_table_pages;
	const struct axas_flush_ops *flush_ops;
	void *flush_cookie;
	const struct axas_invalidate_ops *invalidate_ops;
	void *invalidate_cookie;
};

/**
 * struct axas_root_info - what the hardware needs to walk the table
 * @format:	The table's format.
 * @levels:	Walk levels, root included.
 * @gpa_bits:	Guest-physical address width.
 * @root_pa:	Physical address of the root (first page when concatenated).
 * @root_pages:	Number of concatenated root pages.
 * @eptp:	x86: EPTP value (root, walk length, WB; A/D off); else 0.
 * @vttbr:	arm64: VTTBR_EL2 BADDR (VMID left 0 for the caller); else 0.
 * @vtcr:	arm64: VTCR_EL2 (T0SZ, SL0, TG0 4K, cacheability, PS); else 0.
 * @hgatp:	RISC-V: HGATP (mode and root PPN; VMID left 0); else 0.
 */
struct axas_root_info {
	enum axas_format format;
	unsigned int levels;
	unsigned int gpa_bits;
	phys_addr_t root_pa;
	unsigned int root_pages;
	u64 eptp;
	u64 vttbr;
	u64 vtcr;
	u64 hgatp;
};

/* Flags of axas_read() and axas_write(): AXAS_RW_FAULT_IN (uAPI header). */

struct axas *axas_create(const struct axas_params *params);
void axas_get(struct axas *as);
void axas_put(struct axas *as);

int axas_map_linear(struct axas *as, u64 gpa, u64 size, phys_addr_t hpa,
		    unsigned int prot, enum axas_memtype mt);
int axas_map_alloc(struct axas *as, u64 gpa, u64 size, unsigned int prot,
		   unsigned int flags);
int axas_unmap(struct axas *as, u64 gpa, u64 size);
int axas_protect(struct axas *as, u64 gpa, u64 size, unsigned int prot);

int axas_handle_fault(struct axas *as, u64 gpa, unsigned int access);

int axas_translate(struct axas *as, u64 gpa, phys_addr_t *hpa);
int axas_translate_limit(struct axas *as, u64 gpa, phys_addr_t *hpa,
			 u64 *len);

unsigned int axas_invalidate_begin(struct axas *as);
bool axas_invalidate_retry(struct axas *as, unsigned int seq);
int axas_get_frame(struct axas *as, u64 gpa, struct page **page);
void axas_put_frame(struct page *page);

int axas_read(struct axas *as, u64 gpa, void *buf, size_t len,
	      unsigned int flags);
int axas_write(struct axas *as, u64 gpa, const void *buf, size_t len,
	       unsigned int flags);

void axas_root_info(struct axas *as, struct axas_root_info *info);
void axas_get_stats(struct axas *as, struct axas_stats *stats);

#endif /* _LINUX_AXAS_H */
