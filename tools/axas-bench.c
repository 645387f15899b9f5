// SPDX-License-Identifier: GPL-2.0
/*
 * axas-bench: the user-space half of "make bench" (scripts/bench.sh).
 *
 * Measures axas and a reference side by side in one VM, REPS times
 * (interleaved, the order alternating between repetitions), and prints the
 * median of each figure and the median of the per-repetition ratios
 * axas / reference. The in-kernel
 * figures come from the axas_bench module: each read of
 * /sys/kernel/debug/axas_bench/run is one repetition (bench/axas_bench.c).
 *
 * usage: axas-bench [-r REPS] [-p FAULT_PAGES] [-k]
 *   -k: only the in-kernel figures (P3, P4k, P7), for quick comparisons
 * Needs root (THP settings, AXAS_MAP_LINEAR), axas.ko and axas_bench.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/axas.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define PG		4096ULL
#define MAX_REPS	15
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define GPA		GIB		/* where measured regions start */
/* Linear maps point into a hole of QEMU's machines (below 5 GiB of RAM). */
#define LINEAR_HPA	(1024 * GIB)
#define THP		"/sys/kernel/mm/transparent_hugepage/enabled"
#define KBENCH		"/sys/kernel/debug/axas_bench/run"

static int reps = 5;
static int kernel_only;
static unsigned long fault_pages = 32768;
static int dev_fd;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "axas-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno));
	va_end(ap);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s", what);
}

static int as_create(void)
{
	struct axas_create c = { .size = sizeof(c) };

	xioctl(dev_fd, AXAS_CREATE, &c, "AXAS_CREATE");
	return c.out_fd;
}

static void as_info(int as, struct axas_as_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	ai->size = sizeof(*ai);
	xioctl(as, AXAS_AS_INFO, ai, "AXAS_AS_INFO");
}

/* Nanoseconds AXAS_MAP_ALLOC takes. */
static double map_alloc(int as, uint64_t gpa, uint64_t len, uint32_t flags)
{
	struct axas_map_alloc m = {
		.size = sizeof(m), .flags = flags, .gpa = gpa, .length = len,
		.prot = AXAS_PROT_READ | AXAS_PROT_WRITE,
	};
	double t0 = now_ns();

	xioctl(as, AXAS_MAP_ALLOC, &m, "AXAS_MAP_ALLOC");
	return now_ns() - t0;
}

/* Device memory: a hole is no RAM; the leaves are as large as normal ones. */
static void map_linear(int as, uint64_t gpa, uint64_t len, uint64_t hpa)
{
	struct axas_map_linear m = {
		.size = sizeof(m), .gpa = gpa, .length = len, .hpa = hpa,
		.prot = AXAS_PROT_READ | AXAS_PROT_WRITE,
		.memtype = AXAS_MEM_DEVICE,
	};

	xioctl(as, AXAS_MAP_LINEAR, &m, "AXAS_MAP_LINEAR");
}

static double unmap(int as, uint64_t gpa, uint64_t len)
{
	struct axas_unmap u = {
		.size = sizeof(u), .gpa = gpa, .length = len,
	};
	double t0 = now_ns();

	xioctl(as, AXAS_UNMAP, &u, "AXAS_UNMAP");
	return now_ns() - t0;
}

static void stats(int as, struct axas_stats *s)
{
	struct axas_get_stats g = { .size = sizeof(g) };

	xioctl(as, AXAS_GET_STATS, &g, "AXAS_GET_STATS");
	*s = g.out;
}

static int fault(int as, uint64_t gpa)
{
	struct axas_fault f = {
		.size = sizeof(f), .gpa = gpa,
		.access = AXAS_PROT_READ | AXAS_PROT_WRITE,
	};

	xioctl(as, AXAS_HANDLE_FAULT, &f, "AXAS_HANDLE_FAULT");
	return f.out_outcome;
}

static void thp_set(const char *mode)
{
	int fd = open(THP, O_WRONLY);

	if (fd < 0 || write(fd, mode, strlen(mode)) < 0)
		die("cannot set %s to %s", THP, mode);
	close(fd);
}

/* A /proc/meminfo field in KiB. */
static long meminfo_kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

static void *xmmap(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", len);
	return p;
}

static double xmunmap(void *p, size_t len)
{
	double t0 = now_ns();

	if (munmap(p, len))
		die("munmap");
	return now_ns() - t0;
}

/* The architectural minimum of table pages mapping [gpa, gpa + len). */
static uint64_t min_tables(const struct axas_as_info *ai, uint64_t gpa,
			   uint64_t len, unsigned int leaf_level)
{
	uint64_t n = ai->out_root_pages;
	unsigned int l;

	/* One table at level l per 2^(shift(l) + 9) bytes the range touches. */
	for (l = leaf_level; l + 1 < ai->out_levels; l++) {
		unsigned int span = 12 + 9 * l + 9;

		n += ((gpa + len - 1) >> span) - (gpa >> span) + 1;
	}
	return n;
}

/* Figures, one array of REPS samples each. */
enum {
	P1_AXAS, P1_REF, P2_AXAS, P2_REF, P2_ZERO, P3_KERN, P3_USER, P3_REF,
	P4_U1, P4_U2, P4_K1, P4_K2, P6_AXAS, P6_REF, P7_TR, P7_WALK,
	P3_ALLOC, P3_FREE, P3_SPUR, P4_C1, P4_C2, P4_T1, P4_T2, P7_RCU,
	P7_FMT, RATIO, NR_FIG
};

static double fig[NR_FIG][MAX_REPS];
static int have[NR_FIG];
static long thp_rise_min = -1;	/* AnonHugePages rise in P2, KiB */

static void put(int f, int rep, double v)
{
	fig[f][rep] = v;
	have[f] = rep + 1;
}

static void print_file(const char *prefix, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (f && fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	if (f)
		fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(int f)
{
	double v[MAX_REPS];
	int n = have[f];

	if (!n)
		return 0;
	memcpy(v, fig[f], n * sizeof(double));
	qsort(v, n, sizeof(double), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* P1 and P6 (4 KiB frames), P2 (2 MiB frames); ms. */
static void bench_populate(int rep, int huge)
{
	uint32_t flags = AXAS_MAP_ALLOC_POPULATE | (huge ? AXAS_MAP_ALLOC_HUGE : 0);
	int order, as;
	long before;
	double t0;
	char *p;

	for (order = 0; order < 2; order++) {
		if ((order ^ rep) & 1) {
			as = as_create();
			put(huge ? P2_AXAS : P1_AXAS, rep,
			    map_alloc(as, GPA, GIB, flags) / 1e6);
			t0 = unmap(as, GPA, GIB) / 1e6;
			if (!huge)
				put(P6_AXAS, rep, t0);
			close(as);
			continue;
		}
		thp_set(huge ? "always" : "never");
		before = meminfo_kib("AnonHugePages");
		t0 = now_ns();
		p = xmmap(GIB, MAP_POPULATE);
		put(huge ? P2_REF : P1_REF, rep, (now_ns() - t0) / 1e6);
		if (huge) {
			long rise = meminfo_kib("AnonHugePages") - before;

			if (thp_rise_min < 0 || rise < thp_rise_min)
				thp_rise_min = rise;
			t0 = now_ns();
			memset(p, rep, GIB);
			put(P2_ZERO, rep, (now_ns() - t0) / 1e6);
		}
		t0 = xmunmap(p, GIB) / 1e6;
		if (!huge)
			put(P6_REF, rep, t0);
		thp_set("never");
	}
}

/* P3: first touch per page vs HANDLE_FAULT per page; ns. */
static void bench_fault(int rep)
{
	size_t len = fault_pages * PG;
	char *p;
	unsigned long i;
	double t0;
	int as;

	thp_set("never");
	p = xmmap(len, 0);
	if (madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise");
	t0 = now_ns();
	for (i = 0; i < fault_pages; i++)
		p[i * PG] = 1;
	put(P3_REF, rep, (now_ns() - t0) / fault_pages);
	xmunmap(p, len);

	as = as_create();
	map_alloc(as, GPA, len, 0);
	t0 = now_ns();
	for (i = 0; i < fault_pages; i++)
		if (fault(as, GPA + i * PG) != AXAS_FAULT_MAPPED)
			die("fault at page %lu not mapped", i);
	put(P3_USER, rep, (now_ns() - t0) / fault_pages);
	close(as);
}

struct worker {
	pthread_t tid;
	int as;
	uint64_t gpa;
	pthread_barrier_t *go;
	double end;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	pthread_barrier_wait(w->go);
	for (i = 0; i < fault_pages; i++)
		if (fault(w->as, w->gpa + i * PG) != AXAS_FAULT_MAPPED)
			die("fault not mapped");
	w->end = now_ns();
	return NULL;
}

struct toucher {
	pthread_t tid;
	char *p;
	pthread_barrier_t *go;
	double end;
};

static void *touch_fn(void *arg)
{
	struct toucher *t = arg;
	unsigned long i;

	pthread_barrier_wait(t->go);
	for (i = 0; i < fault_pages; i++)
		t->p[i * PG] = 1;
	t->end = now_ns();
	return NULL;
}

/* P4's reference: first-touch faults/s of @nr threads, disjoint ranges. */
static double touch_rate(int nr)
{
	size_t len = nr * fault_pages * PG;
	struct toucher t[2];
	pthread_barrier_t go;
	double t0, end = 0;
	char *p;
	int i;

	p = xmmap(len, 0);
	if (madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise");
	pthread_barrier_init(&go, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		t[i] = (struct toucher){ .p = p + i * fault_pages * PG, .go = &go };
		if (pthread_create(&t[i].tid, NULL, touch_fn, &t[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&go);
	t0 = now_ns();
	for (i = 0; i < nr; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].end > end)
			end = t[i].end;
	}
	pthread_barrier_destroy(&go);
	xmunmap(p, len);
	return nr * fault_pages / ((end - t0) / 1e9);
}

/* P4 through the ioctl: faults/s of @nr threads on disjoint ranges. */
static double fault_rate(int nr)
{
	struct worker w[2];
	pthread_barrier_t go;
	double t0, end = 0;
	int i, as = as_create();

	map_alloc(as, GPA, nr * fault_pages * PG, 0);
	pthread_barrier_init(&go, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		w[i] = (struct worker){ .as = as, .go = &go,
					.gpa = GPA + i * fault_pages * PG };
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&go);
	t0 = now_ns();
	for (i = 0; i < nr; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].end > end)
			end = w[i].end;
	}
	pthread_barrier_destroy(&go);
	close(as);
	return nr * fault_pages / ((end - t0) / 1e9);
}

/* One repetition of the in-kernel figures (P3, P4, P7). */
static void bench_kernel(int rep)
{
	char key[64];
	double v;
	FILE *f = fopen(KBENCH, "r");

	if (!f)
		die("%s (is axas_bench.ko loaded?)", KBENCH);
	while (fscanf(f, "%63s %lf", key, &v) == 2) {
		if (!strcmp(key, "fault_ns"))
			put(P3_KERN, rep, v);
		else if (!strcmp(key, "fault1_rate"))
			put(P4_K1, rep, v);
		else if (!strcmp(key, "fault2_rate"))
			put(P4_K2, rep, v);
		else if (!strcmp(key, "translate_ns"))
			put(P7_TR, rep, v);
		else if (!strcmp(key, "walk_ns"))
			put(P7_WALK, rep, v);
		else if (!strcmp(key, "walk_rcu_ns"))
			put(P7_RCU, rep, v);
		else if (!strcmp(key, "walk_fmt_ns"))
			put(P7_FMT, rep, v);
		else if (!strcmp(key, "alloc_zero_ns"))
			put(P3_ALLOC, rep, v);
		else if (!strcmp(key, "free_ns"))
			put(P3_FREE, rep, v);
		else if (!strcmp(key, "spurious_ns"))
			put(P3_SPUR, rep, v);
		else if (!strcmp(key, "clear1_rate"))
			put(P4_C1, rep, v);
		else if (!strcmp(key, "clear2_rate"))
			put(P4_C2, rep, v);
		else if (!strcmp(key, "walk_match") && v != 1)
			die("bare walk and axas_translate disagree");
	}
	if (ferror(f) || !have[P7_WALK])
		die("reading %s", KBENCH);
	fclose(f);
}

static void row(const char *id, const char *what, const char *unit, int a,
		int r, int lower_better, double target)
{
	double ma = median(a), mr = median(r), ratio;
	int i;

	/*
	 * The median of the per-repetition ratios: each pair was measured
	 * back to back, so a slower stretch of a shared host cancels out.
	 */
	for (i = 0; i < have[a] && i < have[r]; i++)
		put(RATIO, i, fig[r][i] ? fig[a][i] / fig[r][i] : 0);
	ratio = median(RATIO);
	int met = lower_better ? ratio <= target : ratio >= target;
	char tgt[16];

	snprintf(tgt, sizeof(tgt), "%s %.2f", lower_better ? "<=" : ">=", target);
	printf("| %-4s | %-56s | %-6s | %11.3f | %11.3f | %6.2f | %-7s | %-4s |\n",
	       id, what, unit, ma, mr, ratio, tgt, met ? "yes" : "NO");
}

/* P5: table pages after mapping and after unmapping, vs the minimum. */
static void bench_tables(void)
{
	static const struct {
		uint64_t gib;
		int huge;
		int linear;
	} c[] = {
		{ 1, 0, 0 }, { 1, 1, 0 }, { 1, 0, 1 }, { 1, 1, 1 },
		{ 4, 0, 1 }, { 4, 1, 1 },
	};
	struct axas_as_info ai;
	struct axas_stats s;
	uint64_t min, leaves;
	unsigned int i;
	char what[80];
	int as;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		as = as_create();
		as_info(as, &ai);
		if (c[i].linear)	/* an HPA alignment forcing the leaf size */
			map_linear(as, 4 * GIB, c[i].gib * GIB,
				   LINEAR_HPA + (c[i].huge ? 2 * MIB : 4 * KIB));
		else
			map_alloc(as, 4 * GIB, c[i].gib * GIB,
				  AXAS_MAP_ALLOC_POPULATE |
				  (c[i].huge ? AXAS_MAP_ALLOC_HUGE : 0));
		stats(as, &s);
		leaves = c[i].huge ? s.leaves_2m : s.leaves_4k;
		min = min_tables(&ai, 4 * GIB, c[i].gib * GIB, c[i].huge);
		snprintf(what, sizeof(what),
			 "table pages, %llu GiB of %s leaves (%s; %llu leaves)",
			 (unsigned long long)c[i].gib, c[i].huge ? "2M" : "4K",
			 c[i].linear ? "linear" : "alloc",
			 (unsigned long long)leaves);
		printf("| %-4s | %-56s | %-6s | %11llu | %11llu | %6.2f | %-7s | %-4s |\n",
		       "P5", what, "pages", (unsigned long long)s.table_pages,
		       (unsigned long long)min, (double)s.table_pages / min,
		       "= 1.00", s.table_pages == min ? "yes" : "NO");
		unmap(as, 4 * GIB, c[i].gib * GIB);
		stats(as, &s);
		snprintf(what, sizeof(what), "  after unmap: table pages beyond the root");
		printf("| %-4s | %-56s | %-6s | %11llu | %11d | %6s | %-7s | %-4s |\n",
		       "P5", what, "pages",
		       (unsigned long long)(s.table_pages - ai.out_root_pages),
		       0, "-", "= 0",
		       s.table_pages == ai.out_root_pages ? "yes" : "NO");
		close(as);
	}
}

int main(int argc, char **argv)
{
	struct axas_as_info ai;
	struct utsname u;
	char line[256], model[128] = "?";
	int opt, rep, as;
	FILE *f;

	while ((opt = getopt(argc, argv, "r:p:k")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'p':
			fault_pages = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			kernel_only = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-p PAGES] [-k]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !fault_pages)
		die("bad -r or -p");
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev_fd = open("/dev/axas", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("/dev/axas");

	uname(&u);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (c && (!strncmp(line, "model name", 10) ||
			  (!strncmp(line, "CPU part", 8) && model[0] == '?'))) {
			snprintf(model, sizeof(model), "%s", c + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	as = as_create();
	as_info(as, &ai);
	close(as);
	printf("guest: kernel %s %s; vCPUs %ld; memory %ld MiB; CPU model \"%s\"\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
	       meminfo_kib("MemTotal") / 1024, model);
	printf("guest: axas format %u, %u levels, %u root page(s)\n",
	       ai.out_format, ai.out_levels, ai.out_root_pages);
	printf("guest: %d repetitions (medians); fault runs of %lu pages per thread\n",
	       reps, fault_pages);
	print_file("guest: spectre_v2: ",
		   "/sys/devices/system/cpu/vulnerabilities/spectre_v2");

	for (rep = 0; rep < reps; rep++) {
		double t0 = now_ns();

		if (kernel_only) {
			bench_kernel(rep);
			continue;
		}
		bench_populate(rep, 0);
		bench_populate(rep, 1);
		bench_fault(rep);
		/* Right after P3's first-touch reference. */
		bench_kernel(rep);
		put(P4_U1, rep, fault_rate(1));
		put(P4_T1, rep, touch_rate(1));
		if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
			put(P4_U2, rep, fault_rate(2));
			put(P4_T2, rep, touch_rate(2));
		}
		fprintf(stderr, "axas-bench: repetition %d done in %.1f s\n",
			rep + 1, (now_ns() - t0) / 1e9);
	}

	printf("\nratio: median of the per-repetition ratios axas/reference %s\n",
	       "(pairs measured back to back)");
	printf("\n| row  | %-56s | unit   | %11s | %11s | %6s | target  | met  |\n",
	       "measurement (axas vs reference)", "axas", "reference", "ratio");
	printf("|------|%s|--------|-------------|-------------|--------|---------|------|\n",
	       "----------------------------------------------------------");
	row("P1", "populate 1 GiB, 4K frames vs MAP_POPULATE THP off", "ms",
	    P1_AXAS, P1_REF, 1, 0.8);
	row("P2", "populate 1 GiB, 2M frames vs MAP_POPULATE THP on", "ms",
	    P2_AXAS, P2_REF, 1, 1.0);
	row("P2", "populate 1 GiB, 2M frames vs memset 1 GiB", "ms",
	    P2_AXAS, P2_ZERO, 1, 1.3);
	row("P3", "in-kernel axas_handle_fault vs first touch", "ns/pg",
	    P3_KERN, P3_REF, 1, 1.0);
	row("P3u", "HANDLE_FAULT ioctl vs first touch", "ns/pg",
	    P3_USER, P3_REF, 1, 1.5);
	if (have[P4_U2])
		row("P4", "faults/s, 2 threads vs 1 (ioctl)", "/s",
		    P4_U2, P4_U1, 0, 1.7);
	if (have[P4_K2])
		row("P4k", "faults/s, 2 kthreads vs 1 (in-kernel)", "/s",
		    P4_K2, P4_K1, 0, 1.7);
	if (!kernel_only)
		bench_tables();
	row("P6", "unmap 1 GiB populated vs munmap (THP off)", "ms",
	    P6_AXAS, P6_REF, 1, 1.0);
	row("P7", "axas_translate vs bare READ_ONCE walk, 4K leaves", "ns",
	    P7_TR, P7_WALK, 1, 1.5);
	if (!kernel_only)
		printf("\nP2 reference check: AnonHugePages rose by >= %ld MiB %s\n",
		       thp_rise_min / 1024, "per THP populate (1024 expected)");
	printf("\nBreakdown (medians; not targets):\n");
	printf("  P3: one fault %.0f ns = zeroed accounted page from alloc_page %.0f ns %s\n",
	       median(P3_KERN), median(P3_ALLOC), "+ the rest;");
	printf("      a fault on a mapped page (lock, region and table lookups) %.0f ns; %s\n",
	       median(P3_SPUR), "freeing");
	printf("      a page %.0f ns\n", median(P3_FREE));
	if (have[P4_T2])
		printf("  P4: first-touch faults/s, 2 threads vs 1: %.0f / %.0f = %.2f %s\n",
		       median(P4_T2), median(P4_T1), median(P4_T2) / median(P4_T1),
		       "(what the VM's mm scales to)");
	if (have[P4_C2])
		printf("  P4: clear_page/s, 2 kthreads vs 1: %.0f / %.0f = %.2f %s\n",
		       median(P4_C2), median(P4_C1), median(P4_C2) / median(P4_C1),
		       "(what two vCPUs scale to)");
	printf("  P7: bare walk %.1f ns; + rcu_read_lock %.1f ns; %s\n",
	       median(P7_WALK), median(P7_RCU), "+ a generic decode (format data,");
	printf("      rights and type through function pointers) %.1f ns; %s %.1f ns\n",
	       median(P7_FMT), "axas_translate (the format's own lookup)",
	       median(P7_TR));
	return 0;
}
