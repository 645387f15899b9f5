// SPDX-License-Identifier: GPL-2.0
/*
 * axas-vmm: the example VMM shown by "make run".
 *
 * It does what a VMM does with axas, without a CPU to run the guest on:
 * create an address space in the host's format, map guest RAM (populated),
 * a lazy heap and a linear "device" region, load a guest image through
 * an mmap() of guest RAM, then replay a trace of guest accesses. Each access is
 * translated as the hardware walk would; when the walk misses, the VMM
 * forwards the stage-2 fault to AXAS_HANDLE_FAULT, and an access outside
 * guest memory becomes an MMIO exit that the VMM emulates (a UART whose
 * output is the guest's console). It ends with a report read from the
 * address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/axas.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KIB		1024ULL
#define MIB		(1024 * KIB)

/* The guest's memory map. */
#define RAM_BASE	0x00000000ULL
#define RAM_SIZE	(4 * MIB)
#define HEAP_BASE	0x00400000ULL
#define HEAP_SIZE	(8 * MIB)
#define ROM_BASE	0x01000000ULL	/* read-only and executable */
#define DEV_BASE	0x08000000ULL
#define DEV_SIZE	(64 * KIB)
#define UART_BASE	0x09000000ULL	/* emulated: never mapped */

static int dev_fd, as_fd;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "axas-vmm: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static const char *format_name(unsigned int id)
{
	static const char *const names[] = {
		[AXAS_FORMAT_X86_EPT4]		= "x86 EPT 4-level",
		[AXAS_FORMAT_X86_EPT5]		= "x86 EPT 5-level",
		[AXAS_FORMAT_ARM64_S2]		= "arm64 stage 2",
		[AXAS_FORMAT_RISCV_SV39X4]	= "RISC-V Sv39x4",
		[AXAS_FORMAT_RISCV_SV48X4]	= "RISC-V Sv48x4",
		[AXAS_FORMAT_RISCV_SV57X4]	= "RISC-V Sv57x4",
	};

	return id < ARRAY_SIZE(names) && names[id] ? names[id] : "unknown";
}

static const char *outcome_name(unsigned int o)
{
	switch (o) {
	case AXAS_FAULT_MAPPED:		return "mapped";
	case AXAS_FAULT_SPURIOUS:	return "spurious";
	case AXAS_FAULT_NOT_MAPPED:	return "not mapped (MMIO)";
	case AXAS_FAULT_PERM:		return "permission";
	}
	return "?";
}

/* A host device to pass through, per host arch (only translated here). */
static uint64_t host_device_hpa(void)
{
#if defined(__x86_64__)
	return 0xfed00000;	/* HPET */
#elif defined(__aarch64__)
	return 0x09000000;	/* QEMU virt PL011 */
#else
	return 0x10000000;	/* QEMU virt 16550 */
#endif
}

static void gwrite(uint64_t gpa, const void *buf, uint64_t len)
{
	struct axas_rw rw = {
		.size = sizeof(rw), .flags = AXAS_RW_FAULT_IN, .gpa = gpa,
		.length = len, .buf = (uintptr_t)buf,
	};

	if (ioctl(as_fd, AXAS_WRITE, &rw))
		die("AXAS_WRITE 0x%llx", (unsigned long long)gpa);
}

static void gread(uint64_t gpa, void *buf, uint64_t len)
{
	struct axas_rw rw = {
		.size = sizeof(rw), .gpa = gpa, .length = len,
		.buf = (uintptr_t)buf,
	};

	if (ioctl(as_fd, AXAS_READ, &rw))
		die("AXAS_READ 0x%llx", (unsigned long long)gpa);
}

/* One guest access of the trace. */
struct access {
	uint64_t gpa;
	unsigned int prot;	/* AXAS_PROT_* */
	uint8_t value;		/* for writes */
};

struct counts {
	unsigned long accesses, hits, faults, mmio_exits, perm_exits;
	unsigned long outcome[AXAS_FAULT_PERM + 1];
};

static char console[256];
static size_t console_len;

/* The UART: the only device this VMM emulates. */
static void mmio_exit(const struct access *a, struct counts *c)
{
	c->mmio_exits++;
	if (a->gpa == UART_BASE && (a->prot & AXAS_PROT_WRITE) &&
	    console_len < sizeof(console) - 1)
		console[console_len++] = a->value;
}

/*
 * Run one access as the CPU would: the hardware walk (TRANSLATE) either
 * hits, or the stage-2 fault goes to axas; on success the access is
 * retried, so a second walk must hit.
 */
static void run_access(const struct access *a, struct counts *c)
{
	struct axas_translate tr = { .size = sizeof(tr), .gpa = a->gpa };
	struct axas_fault f = {
		.size = sizeof(f), .gpa = a->gpa, .access = a->prot,
	};
	int tries;

	c->accesses++;
	for (tries = 0; tries < 2; tries++) {
		if (!ioctl(as_fd, AXAS_TRANSLATE, &tr)) {
			if (!tries)
				c->hits++;
			break;
		}
		if (errno != ENOENT)
			die("AXAS_TRANSLATE 0x%llx", (unsigned long long)a->gpa);
		c->faults++;
		if (ioctl(as_fd, AXAS_HANDLE_FAULT, &f))
			die("AXAS_HANDLE_FAULT 0x%llx", (unsigned long long)a->gpa);
		c->outcome[f.out_outcome]++;
		if (f.out_outcome == AXAS_FAULT_NOT_MAPPED) {
			mmio_exit(a, c);
			return;
		}
		if (f.out_outcome == AXAS_FAULT_PERM) {
			c->perm_exits++;
			return;
		}
	}
	/*
	 * The walk found a leaf; a write to a read-only one is a permission
	 * fault in hardware. This VMM knows its read-only region.
	 */
	if ((a->prot & AXAS_PROT_WRITE) && a->gpa >= ROM_BASE &&
	    a->gpa < ROM_BASE + 64 * KIB) {
		c->faults++;
		if (ioctl(as_fd, AXAS_HANDLE_FAULT, &f))
			die("AXAS_HANDLE_FAULT 0x%llx", (unsigned long long)a->gpa);
		c->outcome[f.out_outcome]++;
		if (f.out_outcome == AXAS_FAULT_PERM)
			c->perm_exits++;
		return;
	}
	if (a->prot & AXAS_PROT_WRITE)
		gwrite(a->gpa, &a->value, 1);
}

int main(int argc, char **argv)
{
	static const char msg[] = "Hello from an axas guest!\n";
	struct axas_info info = { .size = sizeof(info) };
	struct axas_create cr = { .size = sizeof(cr) };
	struct axas_as_info ai = { .size = sizeof(ai) };
	struct axas_get_stats st = { .size = sizeof(st) };
	static uint8_t image[64 * KIB], back[sizeof(image)];
	struct counts c = {};
	uint64_t gpa, sum = 0, sum_back = 0;
	bool have_dev = false;
	unsigned int i;

	(void)argc;
	(void)argv;
	dev_fd = open("/dev/axas", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("open /dev/axas");
	if (ioctl(dev_fd, AXAS_GET_INFO, &info))
		die("AXAS_GET_INFO");
	if (ioctl(dev_fd, AXAS_CREATE, &cr))	/* host format, full width */
		die("AXAS_CREATE");
	as_fd = cr.out_fd;
	if (ioctl(as_fd, AXAS_AS_INFO, &ai))
		die("AXAS_AS_INFO");

	printf("axas-vmm: address space %u: %s, %u levels, %u-bit GPA, %u root page%s\n",
	       ai.out_id, format_name(ai.out_format), ai.out_levels,
	       ai.out_gpa_bits, ai.out_root_pages,
	       ai.out_root_pages > 1 ? "s" : "");
	if (ai.out_eptp)
		printf("  load into hardware: EPTP   0x%016llx\n",
		       (unsigned long long)ai.out_eptp);
	if (ai.out_vttbr)
		printf("  load into hardware: VTTBR  0x%016llx  VTCR 0x%llx\n",
		       (unsigned long long)ai.out_vttbr,
		       (unsigned long long)ai.out_vtcr);
	if (ai.out_hgatp)
		printf("  load into hardware: HGATP  0x%016llx\n",
		       (unsigned long long)ai.out_hgatp);

	/* Guest memory map. */
	struct axas_map_alloc ram = {
		.size = sizeof(ram),
		.flags = AXAS_MAP_ALLOC_POPULATE | AXAS_MAP_ALLOC_HUGE,
		.gpa = RAM_BASE, .length = RAM_SIZE, .prot = AXAS_PROT_RWX,
	};
	struct axas_map_alloc heap = {
		.size = sizeof(heap), .gpa = HEAP_BASE, .length = HEAP_SIZE,
		.prot = AXAS_PROT_READ | AXAS_PROT_WRITE,
		.flags = AXAS_MAP_ALLOC_HUGE,
	};
	struct axas_map_alloc rom = {
		.size = sizeof(rom), .flags = AXAS_MAP_ALLOC_POPULATE,
		.gpa = ROM_BASE, .length = 64 * KIB,
		.prot = AXAS_PROT_READ | AXAS_PROT_EXEC,
	};
	struct axas_map_linear dev = {
		.size = sizeof(dev), .gpa = DEV_BASE, .length = DEV_SIZE,
		.hpa = host_device_hpa(),
		.prot = AXAS_PROT_READ | AXAS_PROT_WRITE,
		.memtype = AXAS_MEM_DEVICE,
	};

	if (ioctl(as_fd, AXAS_MAP_ALLOC, &ram))
		die("AXAS_MAP_ALLOC ram");
	if (ioctl(as_fd, AXAS_MAP_ALLOC, &heap))
		die("AXAS_MAP_ALLOC heap");
	if (ioctl(as_fd, AXAS_MAP_ALLOC, &rom))
		die("AXAS_MAP_ALLOC rom");
	if (!ioctl(as_fd, AXAS_MAP_LINEAR, &dev))
		have_dev = true;
	else if (errno != EPERM)
		die("AXAS_MAP_LINEAR");

	printf("\nregions:\n");
	printf("  0x%08llx-0x%08llx  RAM   %4llu MiB  populated, 2 MiB frames  rwx\n",
	       RAM_BASE, RAM_BASE + RAM_SIZE - 1, RAM_SIZE / MIB);
	printf("  0x%08llx-0x%08llx  heap  %4llu MiB  lazy, 2 MiB frames       rw-\n",
	       HEAP_BASE, HEAP_BASE + HEAP_SIZE - 1, HEAP_SIZE / MIB);
	printf("  0x%08llx-0x%08llx  ROM   %4llu KiB  populated, 4 KiB frames  r-x\n",
	       ROM_BASE, ROM_BASE + 64 * KIB - 1, 64ULL);
	if (have_dev)
		printf("  0x%08llx-0x%08llx  dev   %4llu KiB  linear -> host 0x%llx, device  rw-\n",
		       DEV_BASE, DEV_BASE + DEV_SIZE - 1, DEV_SIZE / KIB,
		       (unsigned long long)dev.hpa);
	else
		printf("  (no linear device region: needs CAP_SYS_RAWIO)\n");
	printf("  0x%08llx             UART  emulated by this VMM (MMIO exits)\n",
	       UART_BASE);

	/* Load the guest image: code and the message it prints. */
	for (i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + 3);
	memcpy(image + 0x1000, msg, sizeof(msg));
	/* The VMM maps guest RAM (offset = GPA): the guest's own frames. */
	void *map = mmap(NULL, sizeof(image), PROT_READ | PROT_WRITE,
			 MAP_SHARED, as_fd, RAM_BASE);

	if (map == MAP_FAILED)
		die("mmap of guest RAM at 0x%llx", RAM_BASE);
	memcpy(map, image, sizeof(image));
	munmap(map, sizeof(image));
	for (i = 0; i < sizeof(image); i++)
		sum += image[i] * (i + 1);
	printf("\nloaded a %zu KiB guest image at 0x%llx through mmap()\n",
	       sizeof(image) / 1024, RAM_BASE);

	/*
	 * The trace: fetch the code, build a stack and a heap in the lazy
	 * region, print the message through the UART, write to the ROM.
	 */
	struct access *trace = calloc(20000, sizeof(*trace));
	unsigned int n = 0;

	if (!trace)
		die("calloc");
	for (gpa = RAM_BASE; gpa < RAM_BASE + sizeof(image); gpa += 64)
		trace[n++] = (struct access){ gpa, AXAS_PROT_EXEC };
	for (gpa = HEAP_BASE + HEAP_SIZE - 8; gpa >= HEAP_BASE + HEAP_SIZE - 64 * KIB;
	     gpa -= 512)	/* the stack grows down from the top */
		trace[n++] = (struct access){ gpa, AXAS_PROT_WRITE, 0x5a };
	for (gpa = HEAP_BASE; gpa < HEAP_BASE + 3 * MIB; gpa += 4 * KIB)
		trace[n++] = (struct access){ gpa, AXAS_PROT_WRITE, 0xa5 };
	for (i = 0; msg[i]; i++) {
		trace[n++] = (struct access){ RAM_BASE + 0x1000 + i,
					      AXAS_PROT_READ };
		trace[n++] = (struct access){ UART_BASE, AXAS_PROT_WRITE,
					      (uint8_t)msg[i] };
	}
	trace[n++] = (struct access){ ROM_BASE + 0x10, AXAS_PROT_WRITE, 1 };
	for (gpa = HEAP_BASE + 4 * KIB; gpa < HEAP_BASE + 64 * KIB; gpa += 4 * KIB)
		trace[n++] = (struct access){ gpa, AXAS_PROT_READ };

	for (i = 0; i < n; i++)
		run_access(&trace[i], &c);
	free(trace);

	printf("\nreplayed %lu guest accesses: %lu hit the stage-2 table, %lu stage-2 faults\n",
	       c.accesses, c.hits, c.faults);
	for (i = AXAS_FAULT_MAPPED; i <= AXAS_FAULT_PERM; i++)
		printf("  fault outcome %-18s %6lu\n", outcome_name(i),
		       c.outcome[i]);
	printf("  MMIO exits emulated: %lu, permission exits: %lu\n",
	       c.mmio_exits, c.perm_exits);
	printf("  guest console: %.*s", (int)console_len, console);

	/* Translate and read back. */
	printf("\ntranslations (HPA shown to CAP_SYS_ADMIN only):\n");
	uint64_t probes[] = { RAM_BASE + 42, HEAP_BASE + 42,
			      HEAP_BASE + HEAP_SIZE - 8, ROM_BASE + 42,
			      DEV_BASE + 42, UART_BASE };
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		struct axas_translate tr = {
			.size = sizeof(tr), .gpa = probes[i],
		};

		if (ioctl(as_fd, AXAS_TRANSLATE, &tr))
			printf("  GPA 0x%08llx -> %s\n",
			       (unsigned long long)probes[i],
			       errno == ENOENT ? "not mapped" : strerror(errno));
		else
			printf("  GPA 0x%08llx -> HPA 0x%012llx, %llu bytes contiguous\n",
			       (unsigned long long)probes[i],
			       (unsigned long long)tr.out_hpa,
			       (unsigned long long)tr.out_length);
	}
	gread(RAM_BASE, back, sizeof(back));
	for (i = 0; i < sizeof(back); i++)
		sum_back += back[i] * (i + 1);
	uint8_t b;

	gread(HEAP_BASE + HEAP_SIZE - 8, &b, 1);
	printf("read back: image %s, stack byte 0x%02x (%s)\n",
	       sum == sum_back ? "intact" : "CORRUPTED", b,
	       b == 0x5a ? "as written" : "WRONG");

	/* The guest gives its stack back: unmap it (one TLB flush). */
	struct axas_unmap un = {
		.size = sizeof(un), .gpa = HEAP_BASE + HEAP_SIZE - 2 * MIB,
		.length = 2 * MIB,
	};

	if (ioctl(as_fd, AXAS_UNMAP, &un))
		die("AXAS_UNMAP");
	printf("unmapped the stack's 2 MiB at 0x%llx\n",
	       (unsigned long long)un.gpa);

	if (ioctl(as_fd, AXAS_GET_STATS, &st))
		die("AXAS_GET_STATS");
	printf("\naddress space statistics:\n");
	printf("  regions %llu; guest frames %llu (%llu MiB)\n",
	       (unsigned long long)st.out.regions,
	       (unsigned long long)st.out.frames,
	       (unsigned long long)st.out.frames * 4 / 1024);
	printf("  leaves: 4 KiB %llu, 2 MiB %llu, 1 GiB %llu; table pages %llu\n",
	       (unsigned long long)st.out.leaves_4k,
	       (unsigned long long)st.out.leaves_2m,
	       (unsigned long long)st.out.leaves_1g,
	       (unsigned long long)st.out.table_pages);
	printf("  faults: mapped %llu, spurious %llu, MMIO %llu, perm %llu, nomem %llu\n",
	       (unsigned long long)st.out.faults_mapped,
	       (unsigned long long)st.out.faults_spurious,
	       (unsigned long long)st.out.faults_not_mapped,
	       (unsigned long long)st.out.faults_perm,
	       (unsigned long long)st.out.faults_nomem);
	printf("  TLB flush requests %llu\n",
	       (unsigned long long)st.out.flushes);

	close(as_fd);
	close(dev_fd);
	return sum == sum_back && b == 0x5a ? 0 : 1;
}
