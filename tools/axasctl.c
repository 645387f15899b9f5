// SPDX-License-Identifier: GPL-2.0
/*
 * axasctl: create, map, inspect and dump axas address spaces by hand.
 *
 * An address-space fd works only in the process that created it, so one
 * axasctl run executes a list of commands, separated by ",":
 *
 *   axasctl create riscv-sv48x4 , map-alloc 0 4M populate huge , \
 *           fault 0x500000 w , translate 0x42 , stats , ptdump
 *
 * Commands:
 *   info                              what the module offers
 *   create [FORMAT] [bits=N] [base=GPA] [length=LEN] [max-frames=N]
 *   as-info                           format, geometry, root, registers
 *   map-alloc GPA LEN [populate] [huge] [prot=rwx]
 *   map-linear GPA LEN HPA [device] [prot=rw]
 *   unmap GPA LEN
 *   protect GPA LEN PROT
 *   fault GPA ACCESS                  ACCESS: r, w, x or a mix
 *   translate GPA
 *   write GPA TEXT [fault-in]
 *   read GPA LEN [fault-in]           hex dump
 *   stats
 *   ptdump                            debugfs axas/<id>/ptdump (root)
 * Numbers take 0x and K/M/G suffixes. FORMAT: x86-ept4, x86-ept5, arm64-s2,
 * riscv-sv39x4, riscv-sv48x4, riscv-sv57x4 (default: the host's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/axas.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const formats[] = {
	[AXAS_FORMAT_DEFAULT]		= "default",
	[AXAS_FORMAT_X86_EPT4]		= "x86-ept4",
	[AXAS_FORMAT_X86_EPT5]		= "x86-ept5",
	[AXAS_FORMAT_ARM64_S2]		= "arm64-s2",
	[AXAS_FORMAT_RISCV_SV39X4]	= "riscv-sv39x4",
	[AXAS_FORMAT_RISCV_SV48X4]	= "riscv-sv48x4",
	[AXAS_FORMAT_RISCV_SV57X4]	= "riscv-sv57x4",
};

static int dev_fd = -1, as_fd = -1;
static unsigned int as_id;

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		goto bad;
	if (*end && strchr("kK", *end))
		v <<= 10;
	else if (*end && strchr("mM", *end))
		v <<= 20;
	else if (*end && strchr("gG", *end))
		v <<= 30;
	if (*end && strchr("kKmMgG", *end))
		end++;
	if (!*end)
		return v;
bad:
	fprintf(stderr, "axasctl: not a number: %s\n", s);
	exit(2);
}

static unsigned int prot(const char *s)
{
	unsigned int p = 0;

	for (; *s; s++) {
		if (*s == 'r')
			p |= AXAS_PROT_READ;
		else if (*s == 'w')
			p |= AXAS_PROT_WRITE;
		else if (*s == 'x')
			p |= AXAS_PROT_EXEC;
		else if (*s != '-')
			break;
	}
	return p;
}

static const char *opt(char **argv, const char *name)
{
	size_t n = strlen(name);

	for (; *argv; argv++)
		if (!strncmp(*argv, name, n))
			return *argv + n;
	return NULL;
}

static int has(char **argv, const char *word)
{
	for (; *argv; argv++)
		if (!strcmp(*argv, word))
			return 1;
	return 0;
}

static int need_as(void)
{
	if (as_fd < 0) {
		fprintf(stderr, "axasctl: no address space: run create first\n");
		exit(2);
	}
	return as_fd;
}

static int report(const char *what, int ret)
{
	if (ret)
		printf("%s: error: %s\n", what, strerror(errno));
	return ret ? 1 : 0;
}

static int cmd(int argc, char **argv)
{
	const char *c = argv[0], *v;

	if (!strcmp(c, "info")) {
		struct axas_info i = { .size = sizeof(i) };
		unsigned int f;

		if (report(c, ioctl(dev_fd, AXAS_GET_INFO, &i)))
			return 1;
		printf("info: native %s, page size %u, formats:",
		       formats[i.out_native_format],
		       1u << i.out_host_page_shift);
		for (f = 1; f < ARRAY_SIZE(formats); f++)
			if (i.out_formats & (1ULL << f))
				printf(" %s", formats[f]);
		printf("\n");
		return 0;
	}
	if (!strcmp(c, "create")) {
		struct axas_create cr = { .size = sizeof(cr) };
		unsigned int f;

		if (argc > 1 && !strchr(argv[1], '=')) {
			for (f = 0; f < ARRAY_SIZE(formats); f++)
				if (!strcmp(argv[1], formats[f]))
					break;
			if (f == ARRAY_SIZE(formats)) {
				fprintf(stderr, "axasctl: unknown format %s\n",
					argv[1]);
				return 2;
			}
			cr.format = f;
		}
		v = opt(argv, "bits=");
		if (v)
			cr.gpa_bits = num(v);
		v = opt(argv, "base=");
		if (v)
			cr.base = num(v);
		v = opt(argv, "length=");
		if (v)
			cr.length = num(v);
		v = opt(argv, "max-frames=");
		if (v)
			cr.max_frames = num(v);
		if (report(c, ioctl(dev_fd, AXAS_CREATE, &cr)))
			return 1;
		as_fd = cr.out_fd;
		argv[0] = "as-info";
		return cmd(1, argv);
	}
	if (!strcmp(c, "as-info")) {
		struct axas_as_info ai = { .size = sizeof(ai) };

		if (report(c, ioctl(need_as(), AXAS_AS_INFO, &ai)))
			return 1;
		as_id = ai.out_id;
		printf("as %u: %s, %u levels, %u-bit GPA, window 0x%llx+0x%llx, ",
		       ai.out_id, formats[ai.out_format], ai.out_levels,
		       ai.out_gpa_bits, (unsigned long long)ai.out_base,
		       (unsigned long long)ai.out_length);
		printf("root 0x%llx (%u pages)",
		       (unsigned long long)ai.out_root_pa, ai.out_root_pages);
		if (ai.out_eptp)
			printf(" eptp 0x%llx", (unsigned long long)ai.out_eptp);
		if (ai.out_vtcr)
			printf(" vttbr 0x%llx vtcr 0x%llx",
			       (unsigned long long)ai.out_vttbr,
			       (unsigned long long)ai.out_vtcr);
		if (ai.out_hgatp)
			printf(" hgatp 0x%llx", (unsigned long long)ai.out_hgatp);
		printf("\n");
		return 0;
	}
	if (!strcmp(c, "map-alloc") && argc >= 3) {
		struct axas_map_alloc m = {
			.size = sizeof(m), .gpa = num(argv[1]),
			.length = num(argv[2]), .prot = AXAS_PROT_RWX,
		};

		if (has(argv, "populate"))
			m.flags |= AXAS_MAP_ALLOC_POPULATE;
		if (has(argv, "huge"))
			m.flags |= AXAS_MAP_ALLOC_HUGE;
		v = opt(argv, "prot=");
		if (v)
			m.prot = prot(v);
		return report(c, ioctl(need_as(), AXAS_MAP_ALLOC, &m));
	}
	if (!strcmp(c, "map-linear") && argc >= 4) {
		struct axas_map_linear m = {
			.size = sizeof(m), .gpa = num(argv[1]),
			.length = num(argv[2]), .hpa = num(argv[3]),
			.prot = AXAS_PROT_READ | AXAS_PROT_WRITE,
		};

		if (has(argv, "device"))
			m.memtype = AXAS_MEM_DEVICE;
		v = opt(argv, "prot=");
		if (v)
			m.prot = prot(v);
		return report(c, ioctl(need_as(), AXAS_MAP_LINEAR, &m));
	}
	if (!strcmp(c, "unmap") && argc >= 3) {
		struct axas_unmap u = {
			.size = sizeof(u), .gpa = num(argv[1]),
			.length = num(argv[2]),
		};

		return report(c, ioctl(need_as(), AXAS_UNMAP, &u));
	}
	if (!strcmp(c, "protect") && argc >= 4) {
		struct axas_protect p = {
			.size = sizeof(p), .gpa = num(argv[1]),
			.length = num(argv[2]), .prot = prot(argv[3]),
		};

		return report(c, ioctl(need_as(), AXAS_PROTECT, &p));
	}
	if (!strcmp(c, "fault") && argc >= 3) {
		static const char *const out[] = {
			"?", "mapped", "spurious", "not mapped (MMIO)",
			"permission",
		};
		struct axas_fault f = {
			.size = sizeof(f), .gpa = num(argv[1]),
			.access = prot(argv[2]),
		};

		if (report(c, ioctl(need_as(), AXAS_HANDLE_FAULT, &f)))
			return 1;
		printf("fault 0x%llx: %s\n", (unsigned long long)f.gpa,
		       f.out_outcome < ARRAY_SIZE(out) ? out[f.out_outcome] : "?");
		return 0;
	}
	if (!strcmp(c, "translate") && argc >= 2) {
		struct axas_translate t = {
			.size = sizeof(t), .gpa = num(argv[1]),
		};

		if (report(c, ioctl(need_as(), AXAS_TRANSLATE, &t)))
			return 1;
		printf("translate 0x%llx: hpa 0x%llx, %llu bytes contiguous\n",
		       (unsigned long long)t.gpa,
		       (unsigned long long)t.out_hpa,
		       (unsigned long long)t.out_length);
		return 0;
	}
	if (!strcmp(c, "write") && argc >= 3) {
		struct axas_rw w = {
			.size = sizeof(w), .gpa = num(argv[1]),
			.length = strlen(argv[2]), .buf = (uintptr_t)argv[2],
		};

		if (has(argv, "fault-in"))
			w.flags = AXAS_RW_FAULT_IN;
		return report(c, ioctl(need_as(), AXAS_WRITE, &w));
	}
	if (!strcmp(c, "read") && argc >= 3) {
		struct axas_rw r = {
			.size = sizeof(r), .gpa = num(argv[1]),
			.length = num(argv[2]),
		};
		unsigned char *buf;
		unsigned long long i;

		if (r.length > (1 << 20)) {
			fprintf(stderr, "axasctl: read at most 1M\n");
			return 2;
		}
		buf = calloc(1, r.length ?: 1);
		if (!buf)
			return 1;
		r.buf = (uintptr_t)buf;
		if (has(argv, "fault-in"))
			r.flags = AXAS_RW_FAULT_IN;
		if (report(c, ioctl(need_as(), AXAS_READ, &r))) {
			free(buf);
			return 1;
		}
		for (i = 0; i < r.length; i++)
			printf("%s%02x%s", i % 16 ? "" : "  ", buf[i],
			       i % 16 == 15 || i + 1 == r.length ? "\n" : " ");
		free(buf);
		return 0;
	}
	if (!strcmp(c, "stats")) {
		struct axas_get_stats s = { .size = sizeof(s) };

		if (report(c, ioctl(need_as(), AXAS_GET_STATS, &s)))
			return 1;
		printf("stats: regions %llu frames %llu (limit %llu)",
		       (unsigned long long)s.out.regions,
		       (unsigned long long)s.out.frames,
		       (unsigned long long)s.out.max_frames);
		printf(" leaves 4K %llu 2M %llu 1G %llu tables %llu",
		       (unsigned long long)s.out.leaves_4k,
		       (unsigned long long)s.out.leaves_2m,
		       (unsigned long long)s.out.leaves_1g,
		       (unsigned long long)s.out.table_pages);
		printf(" faults mapped %llu spurious %llu mmio %llu perm %llu",
		       (unsigned long long)s.out.faults_mapped,
		       (unsigned long long)s.out.faults_spurious,
		       (unsigned long long)s.out.faults_not_mapped,
		       (unsigned long long)s.out.faults_perm);
		printf(" nomem %llu flushes %llu\n",
		       (unsigned long long)s.out.faults_nomem,
		       (unsigned long long)s.out.flushes);
		return 0;
	}
	if (!strcmp(c, "ptdump")) {
		char path[64], buf[4096];
		ssize_t n;
		int fd;

		need_as();
		snprintf(path, sizeof(path), "/sys/kernel/debug/axas/%u/ptdump",
			 as_id);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return report(path, -1);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, n, stdout);
		close(fd);
		return 0;
	}
	fprintf(stderr, "axasctl: bad command: %s (see the usage)\n", c);
	return 2;
}

int main(int argc, char **argv)
{
	int i, start = 1, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: axasctl COMMAND [ARGS] [, COMMAND ...]\n");
		return 2;
	}
	dev_fd = open("/dev/axas", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		perror("axasctl: /dev/axas");
		return 1;
	}
	for (i = 1; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], ","))
			continue;
		argv[i] = NULL;	/* terminates this command's argv */
		if (i > start)
			ret |= cmd(i - start, argv + start);
		start = i + 1;
	}
	return ret;
}
