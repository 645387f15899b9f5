// SPDX-License-Identifier: GPL-2.0
/*
 * axas_bench: the in-kernel half of "make bench" (scripts/bench.sh).
 *
 * Every read of /sys/kernel/debug/axas_bench/run takes one repetition of
 * the in-kernel measurements and prints them as "key value" lines, which
 * tools/axas-bench.c parses:
 *
 *  - fault_ns:	    axas_handle_fault() per 4 KiB page of a lazy region,
 *		    called in a loop (P3);
 *  - fault1_ns, fault2_ns: wall time per page of one kthread faulting
 *		    fault_pages pages, and of two kthreads on two CPUs
 *		    faulting fault_pages pages each on disjoint ranges of
 *		    one address space (P4, in-kernel variant);
 *  - translate_ns: axas_translate() per call on random GPAs of a region
 *		    populated with 4 KiB frames (P7);
 *  - walk_ns:	    a bare walk of the same table per call: READ_ONCE()
 *		    loads and the native format's decoding inlined, no RCU,
 *		    no checks (P7's reference).
 *
 * Nothing here runs at load time or in "make check".
 */
#include <linux/axas.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "axas_internal.h"

static unsigned int fault_pages = 32768;
module_param(fault_pages, uint, 0444);
MODULE_PARM_DESC(fault_pages, "Pages each fault measurement maps (default 32768)");

static unsigned int translate_mib = 256;
module_param(translate_mib, uint, 0444);
MODULE_PARM_DESC(translate_mib, "MiB of 4 KiB frames translate looks up in (default 256)");

static unsigned int translate_calls = 1U << 20;
module_param(translate_calls, uint, 0444);
MODULE_PARM_DESC(translate_calls, "Translations per measurement (default 2^20)");

#define BENCH_GPA	SZ_1G
#define BENCH_NR_GPAS	4096
#define BENCH_RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)

static struct dentry *bench_dir;

static struct axas *bench_create(void)
{
	struct axas_params p = {};

	return axas_create(&p);
}

static void bench_print_ns(struct seq_file *m, const char *key, u64 ns,
			   u64 n)
{
	u64 q = div64_u64(ns, n);

	seq_printf(m, "%s %llu.%03llu\n", key, q,
		   div64_u64((ns - q * n) * 1000, n));
}

static int bench_fault_range(struct axas *as, u64 gpa, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = axas_handle_fault(as, gpa + (u64)i * PAGE_SIZE, BENCH_RW);
		if (ret != AXAS_FAULT_MAPPED)
			return ret < 0 ? ret : -EIO;
		if (!(i & 63))
			cond_resched();
	}
	return 0;
}

/* P3: handle_fault in a loop over a fresh lazy region; ns per page. */
static int bench_fault(u64 *ns)
{
	struct axas *as = bench_create();
	u64 t0;
	int ret;

	if (IS_ERR(as))
		return PTR_ERR(as);
	ret = axas_map_alloc(as, BENCH_GPA, (u64)fault_pages * PAGE_SIZE,
			     BENCH_RW, 0);
	if (!ret) {
		t0 = ktime_get_ns();
		ret = bench_fault_range(as, BENCH_GPA, fault_pages);
		*ns = ktime_get_ns() - t0;
	}
	axas_put(as);
	return ret;
}

struct bench_worker {
	struct axas *as;	/* NULL: clear a private page instead */
	void *page;
	u64 gpa;
	struct completion *go;
	struct completion done;
	u64 end;
	int ret;
};

static int bench_worker_fn(void *arg)
{
	struct bench_worker *w = arg;

	unsigned int i;

	wait_for_completion(w->go);
	if (w->as) {
		w->ret = bench_fault_range(w->as, w->gpa, fault_pages);
	} else {
		for (i = 0; i < fault_pages; i++) {
			clear_page(w->page);
			if (!(i & 63))
				cond_resched();
		}
	}
	w->end = ktime_get_ns();
	kthread_complete_and_exit(&w->done, 0);
}

/*
 * P4: @nr kthreads, bound to different CPUs, fault fault_pages pages each
 * on disjoint ranges of one lazy region; wall time from the start signal
 * to the last thread's end. With @clear, each clears a private page
 * fault_pages times instead: how well two vCPUs scale at all.
 */
static int bench_fault_threads(unsigned int nr, bool clear, u64 *ns)
{
	struct bench_worker w[2] = {};
	struct task_struct *t;
	DECLARE_COMPLETION_ONSTACK(go);
	unsigned int i, started = 0, cpu = cpumask_first(cpu_online_mask);
	u64 t0, end = 0;
	struct axas *as;
	int ret;

	as = bench_create();
	if (IS_ERR(as))
		return PTR_ERR(as);
	ret = axas_map_alloc(as, BENCH_GPA, (u64)fault_pages * nr * PAGE_SIZE,
			     BENCH_RW, 0);
	if (ret)
		goto out;
	for (i = 0; i < nr; i++) {
		w[i].as = clear ? NULL : as;
		w[i].page = clear ? (void *)__get_free_page(GFP_KERNEL) : NULL;
		if (clear && !w[i].page) {
			ret = -ENOMEM;
			break;
		}
		w[i].gpa = BENCH_GPA + (u64)i * fault_pages * PAGE_SIZE;
		w[i].go = &go;
		init_completion(&w[i].done);
		t = kthread_create(bench_worker_fn, &w[i], "axas_bench/%u", i);
		if (IS_ERR(t)) {
			free_page((unsigned long)w[i].page);
			ret = PTR_ERR(t);
			break;
		}
		kthread_bind(t, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		wake_up_process(t);
		started++;
	}
	t0 = ktime_get_ns();
	complete_all(&go);
	for (i = 0; i < started; i++) {
		wait_for_completion(&w[i].done);
		if (w[i].ret && !ret)
			ret = w[i].ret;
		end = max(end, w[i].end);
		free_page((unsigned long)w[i].page);
	}
	*ns = end - t0;
out:
	axas_put(as);
	return ret;
}

/* The native format's decoding, inlined: what a bare walker does. */
static __always_inline u64 bench_walk(const u64 *root, unsigned int root_level,
				      u64 root_mask, u64 gpa)
{
	const u64 *table = root;
	unsigned int level = root_level;
	u64 mask = root_mask, e;

	for (;;) {
		unsigned int shift = 12 + 9 * level;

		e = READ_ONCE(table[(gpa >> shift) & mask]);
#if defined(CONFIG_X86_64)
		if (!(e & 7))				/* EPT R/W/X */
			return 0;
		if (!level || (e & BIT_ULL(7)))		/* EPT PS */
			return (e & GENMASK_ULL(51, 12)) +
			       (gpa & (BIT_ULL(shift) - 1));
		table = phys_to_virt(e & GENMASK_ULL(51, 12));
#else
		if (!(e & BIT_ULL(0)))			/* S2 valid */
			return 0;
		if (!level || !(e & BIT_ULL(1)))	/* S2 block */
			return (e & GENMASK_ULL(47, 12)) +
			       (gpa & (BIT_ULL(shift) - 1));
		table = phys_to_virt(e & GENMASK_ULL(47, 12));
#endif
		mask = 511;
		level--;
	}
}

/*
 * A generic descent, as code that does not know the format would do it:
 * table bits and addresses from the format's data, rights and memory type
 * through its function pointers, under RCU. axas_npt_lookup() instead
 * runs the format's own instantiation of the lookup template.
 */
static noinline u64 bench_walk_fmt(const struct axas_npt *npt, u64 gpa)
{
	const struct axas_npt_fmt *fmt = npt->fmt;
	unsigned int level = npt->levels - 1;
	struct axas_npt_leaf leaf;
	const u64 *table;
	u64 e, hpa = 0;

	rcu_read_lock();
	table = rcu_dereference(npt->root);
	for (;; level--) {
		unsigned int shift = 12 + 9 * level;
		unsigned int nr = level == npt->levels - 1U ?
				  1U << (npt->gpa_bits - shift) : 512;

		e = READ_ONCE(table[(gpa >> shift) & (nr - 1)]);
		if (!(e & fmt->valid_mask))
			break;
		if (axas_npt_entry_is_table(fmt, e, level)) {
			table = phys_to_virt(axas_npt_entry_oa(fmt, e));
			continue;
		}
		/* Decode all of the leaf, as the lookup does. */
		leaf.size = BIT_ULL(shift);
		leaf.level = level;
		leaf.hpa = axas_npt_entry_oa(fmt, e) + (gpa & (leaf.size - 1));
		leaf.prot = fmt->leaf_prot(e);
		leaf.mt = fmt->leaf_memtype(e);
		hpa = leaf.hpa;
		break;
	}
	rcu_read_unlock();
	return hpa;
}

/* P7: axas_translate() and a bare walk, ns per call, same GPAs. */
static int bench_translate(struct seq_file *m, bool *match)
{
	u64 pages = (u64)translate_mib * SZ_1M / PAGE_SIZE;
	u64 sum_tr = 0, sum_walk = 0, sum_rcu = 0, sum_fmt = 0, t0, root_mask;
	unsigned int i, root_level;
	struct axas *as;
	phys_addr_t hpa;
	const u64 *root;
	u64 *gpas;
	int ret;

	if (!IS_ENABLED(CONFIG_X86_64) && !IS_ENABLED(CONFIG_ARM64))
		return -EOPNOTSUPP;
	gpas = kmalloc_array(BENCH_NR_GPAS, sizeof(*gpas), GFP_KERNEL);
	if (!gpas)
		return -ENOMEM;
	for (i = 0; i < BENCH_NR_GPAS; i++)
		gpas[i] = BENCH_GPA + get_random_u64() % pages * PAGE_SIZE +
			  get_random_u32_below(PAGE_SIZE);
	as = bench_create();
	if (IS_ERR(as)) {
		kfree(gpas);
		return PTR_ERR(as);
	}
	ret = axas_map_alloc(as, BENCH_GPA, pages * PAGE_SIZE, BENCH_RW,
			     AXAS_MAP_ALLOC_POPULATE);
	if (ret)
		goto out;

	t0 = ktime_get_ns();
	for (i = 0; i < translate_calls; i++) {
		ret = axas_translate(as, gpas[i % BENCH_NR_GPAS], &hpa);
		if (ret)
			goto out;
		sum_tr += hpa;
	}
	bench_print_ns(m, "translate_ns", ktime_get_ns() - t0, translate_calls);

	/* The table does not change while this runs: no RCU needed. */
	root = rcu_dereference_raw(as->npt.root);
	root_level = as->npt.levels - 1;
	root_mask = BIT_ULL(as->npt.gpa_bits - (12 + 9 * root_level)) - 1;
	t0 = ktime_get_ns();
	for (i = 0; i < translate_calls; i++)
		sum_walk += bench_walk(root, root_level, root_mask,
				       gpas[i % BENCH_NR_GPAS]);
	bench_print_ns(m, "walk_ns", ktime_get_ns() - t0, translate_calls);

	t0 = ktime_get_ns();
	for (i = 0; i < translate_calls; i++) {
		rcu_read_lock();
		sum_rcu += bench_walk(root, root_level, root_mask,
				      gpas[i % BENCH_NR_GPAS]);
		rcu_read_unlock();
	}
	bench_print_ns(m, "walk_rcu_ns", ktime_get_ns() - t0, translate_calls);

	t0 = ktime_get_ns();
	for (i = 0; i < translate_calls; i++)
		sum_fmt += bench_walk_fmt(&as->npt, gpas[i % BENCH_NR_GPAS]);
	bench_print_ns(m, "walk_fmt_ns", ktime_get_ns() - t0, translate_calls);
	*match = sum_tr == sum_walk && sum_tr == sum_rcu && sum_tr == sum_fmt;
out:
	axas_put(as);
	kfree(gpas);
	return ret;
}

/*
 * Where a fault's time goes: a zeroed, accounted page from the allocator
 * (and its release), and a fault on a page already mapped (lock, region
 * lookup, table lookup: everything but the frame and the install).
 */
static int bench_fault_phases(struct seq_file *m)
{
	struct page *page, *next;
	struct axas *as;
	LIST_HEAD(pages);
	unsigned int i;
	u64 t0;
	int ret;

	t0 = ktime_get_ns();
	for (i = 0; i < fault_pages; i++) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			break;
		list_add(&page->lru, &pages);
	}
	bench_print_ns(m, "alloc_zero_ns", ktime_get_ns() - t0, fault_pages);
	t0 = ktime_get_ns();
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	bench_print_ns(m, "free_ns", ktime_get_ns() - t0, fault_pages);
	if (i < fault_pages)
		return -ENOMEM;

	as = bench_create();
	if (IS_ERR(as))
		return PTR_ERR(as);
	ret = axas_map_alloc(as, BENCH_GPA, (u64)fault_pages * PAGE_SIZE,
			     BENCH_RW, AXAS_MAP_ALLOC_POPULATE);
	t0 = ktime_get_ns();
	for (i = 0; !ret && i < fault_pages; i++)
		if (axas_handle_fault(as, BENCH_GPA + (u64)i * PAGE_SIZE,
				      BENCH_RW) != AXAS_FAULT_SPURIOUS)
			ret = -EIO;
	bench_print_ns(m, "spurious_ns", ktime_get_ns() - t0, fault_pages);
	axas_put(as);
	return ret;
}

static int bench_run_show(struct seq_file *m, void *unused)
{
	unsigned int nr, clear;
	u64 ns = 0;
	bool match = false;
	int ret;

	ret = bench_fault(&ns);
	if (ret)
		return ret;
	bench_print_ns(m, "fault_ns", ns, fault_pages);

	ret = bench_fault_phases(m);
	if (ret)
		return ret;

	for (nr = 1; nr <= min(2U, num_online_cpus()); nr++) {
		for (clear = 0; clear < 2; clear++) {
			ret = bench_fault_threads(nr, clear, &ns);
			if (ret)
				return ret;
			seq_printf(m, "%s%u_rate %llu\n",
				   clear ? "clear" : "fault", nr,
				   div64_u64((u64)nr * fault_pages *
					     NSEC_PER_SEC, ns ?: 1));
		}
	}

	ret = bench_translate(m, &match);
	if (ret)
		return ret;
	seq_printf(m, "walk_match %d\n", match);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_run);

static int __init axas_bench_init(void)
{
	if (!fault_pages || !translate_mib || !translate_calls)
		return -EINVAL;
	bench_dir = debugfs_create_dir("axas_bench", NULL);
	debugfs_create_file("run", 0400, bench_dir, NULL, &bench_run_fops);
	return 0;
}
module_init(axas_bench_init);

static void __exit axas_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}
module_exit(axas_bench_exit);

MODULE_DESCRIPTION("axas benchmarks (make bench)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(AXAS);
