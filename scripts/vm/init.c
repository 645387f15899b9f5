// SPDX-License-Identifier: GPL-2.0
/*
 * axas-init: PID 1 of the axas test VMs.
 *
 * Mounts the pseudo file systems, then runs the lines of /axas/script one
 * after another with stdout and stderr on the result channel, a device the
 * kernel never prints to (a virtio console or a second UART, named in
 * /axas/chan). Kernel messages stay on the console, so they cannot garble
 * results. Each line is announced in the kernel log too, so a splat can be
 * matched to the command that caused it.
 *
 * A line is a command and its arguments separated by blanks; a leading '-'
 * means its failure does not fail the run. Built-in commands:
 *   insmod FILE [PARAMS...]   load a module (finit_module)
 *   rmmod NAME                unload a module
 *   cat FILE...               copy files to the result channel
 *   kunit-results             print every KUnit suite's KTAP results;
 *                             fails when one has a "not ok" line
 *   kmemleak-clear            forget the objects allocated so far
 *   kmemleak-scan             scan now; any report (or no kmemleak) fails
 *   memcg-begin               make the test cgroup, record /proc/meminfo
 *   incg CMD [ARGS...]        run CMD inside the test cgroup
 *   memcg-check CUR_KB FREE_KB  fail unless memory came back (see below)
 *   sleep SECONDS
 * Anything else is executed (PATH=/bin), e.g. "/bin/axas_test -v".
 *
 * The run starts with "AXAS-INIT-START nonce=X" and ends with the line
 * "AXAS-INIT-DONE rc=N nonce=X" on the channel, N being 0 when every line
 * succeeded, X the token the host put in /axas/nonce (so output of an
 * earlier run is never taken for this one), then a reboot (QEMU runs with
 * -no-reboot).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

static FILE *chan;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(chan, fmt, ap);
	va_end(ap);
	fflush(chan);
}

static void kmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, buf, strlen(buf)) < 0)
			;
		close(fd);
	}
}

/* Copy a file to the result channel; *@failed is set by a "not ok" line. */
static int cat_file_check(const char *path, int *failed)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (!f) {
		say("axas-init: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		fputs(line, chan);
		if (failed && !strncmp(line + strspn(line, " \t"), "not ok ", 7))
			*failed = 1;
	}
	fflush(chan);
	fclose(f);
	return 0;
}

static int cat_file(const char *path)
{
	return cat_file_check(path, NULL);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static int do_insmod(char **argv)
{
	char params[1024] = "";
	int fd, ret, i;

	for (i = 2; argv[i]; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("axas-init: insmod %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	if (ret) {
		say("axas-init: insmod %s: %s (see the console log)\n",
		    argv[1], strerror(errno));
		return 1;
	}
	return 0;
}

static int do_rmmod(char **argv)
{
	if (syscall(SYS_delete_module, argv[1], O_NONBLOCK)) {
		say("axas-init: rmmod %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}

static int kunit_results(void)
{
	const char *dir = "/sys/kernel/debug/kunit";
	struct dirent **names;
	char path[512];
	int n, i, ret = 0, failed = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		say("axas-init: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s/results", dir,
				 names[i]->d_name);
			say("# axas-init: kunit suite %s\n", names[i]->d_name);
			ret |= cat_file_check(path, &failed);
		}
		free(names[i]);
	}
	free(names);
	return ret || failed;
}

static int kmemleak_scan(void)
{
	const char *path = "/sys/kernel/debug/kmemleak";
	char buf[4096];
	ssize_t n;
	int fd, leaks = 0;

	if (access(path, F_OK)) {
		say("axas-init: kmemleak is not in this kernel\n");
		return 1;
	}
	/* Objects younger than 5 s are never reported: let them age. */
	sleep(6);
	if (write_file(path, "scan")) {
		say("axas-init: kmemleak scan: %s\n", strerror(errno));
		return 1;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		leaks = 1;
		fwrite(buf, 1, n, chan);
		kmsg("%.*s", (int)n, buf);
	}
	close(fd);
	fflush(chan);
	if (leaks)
		say("axas-init: kmemleak reported leaks\n");
	return leaks;
}

static int run_external(char **argv, const char *cgroup)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (cgroup && write_file(cgroup, "0")) {
			fprintf(chan, "axas-init: joining %s: %s\n", cgroup,
				strerror(errno));
			_exit(126);
		}
		dup2(fileno(chan), 1);
		dup2(fileno(chan), 2);
		execvp(argv[0], argv);
		fprintf(stderr, "axas-init: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status)) {
		say("axas-init: %s killed by signal %d\n", argv[0],
		    WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/*
 * Leak check of everything the page allocator hands out, guest frames
 * included (kmemleak sees only slab and vmalloc objects): "memcg-begin"
 * makes the cgroup v2 child CG_DIR and records /proc/meminfo, "incg CMD"
 * runs CMD inside the child, "memcg-check CUR_KB FREE_KB" requires, once
 * every process in it has exited and RCU callbacks ran, its memory.current
 * at most CUR_KB (guest frames and tables are charged to it, and a leaked
 * page stays charged), its sec_pagetables and the VM's SecPageTables back
 * to their start. More than FREE_KB missing from MemFree that the other
 * /proc/meminfo counters (slab, stacks, vmalloc, ...) do not explain is
 * noted, not failed: the per-CPU free lists make that figure noisy.
 */
#define CG_ROOT "/sys/fs/cgroup"
#define CG_DIR CG_ROOT "/axas-test"

/*
 * The number after "KEY<sep>" in the file at @path (/proc/meminfo: ':',
 * memory.stat: ' '), or its first number when @key is NULL; -1 if absent.
 */
static long read_value(const char *path, const char *key, char sep)
{
	char line[256];
	size_t len = key ? strlen(key) : 0;
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!key || (!strncmp(line, key, len) && line[len] == sep)) {
			v = atol(line + len + !!key);
			break;
		}
	fclose(f);
	return v;
}

static long meminfo_kb(const char *key)
{
	return read_value("/proc/meminfo", key, ':');
}

/* Let RCU callbacks run, empty KASAN's quarantine and the slab caches. */
static void settle_memory(void)
{
	struct dirent **names;
	char path[512];
	int n, i;

	sleep(3);
	n = scandir("/sys/kernel/slab", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 names[i]->d_name);
		write_file(path, "1");
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	write_file("/proc/sys/vm/drop_caches", "3");
	sleep(1);
}

static long base_free_kb, base_sec_kb;

/* Where memory went, printed with the verdict to explain a MemFree drop. */
static const char *const mem_keys[] = {
	"Slab", "KernelStack", "PageTables", "VmallocUsed", "Percpu",
	"Shmem", "AnonPages", "Buffers", "Cached",
};
static long mem_base[sizeof(mem_keys) / sizeof(mem_keys[0])];

static int memcg_begin(void)
{
	mkdir(CG_ROOT, 0755);
	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY) {
		say("axas-init: mount cgroup2: %s\n", strerror(errno));
		return 1;
	}
	if (write_file(CG_ROOT "/cgroup.subtree_control", "+memory")) {
		say("axas-init: enabling the memory controller: %s\n",
		    strerror(errno));
		return 1;
	}
	if (mkdir(CG_DIR, 0755) && errno != EEXIST) {
		say("axas-init: mkdir %s: %s\n", CG_DIR, strerror(errno));
		return 1;
	}
	settle_memory();
	base_free_kb = meminfo_kb("MemFree");
	base_sec_kb = meminfo_kb("SecPageTables");
	for (size_t i = 0; i < sizeof(mem_keys) / sizeof(mem_keys[0]); i++)
		mem_base[i] = meminfo_kb(mem_keys[i]);
	say("axas-init: memcg-begin: MemFree %ld kB, SecPageTables %ld kB\n",
	    base_free_kb, base_sec_kb);
	return base_free_kb < 0 || base_sec_kb < 0;
}

static int memcg_check(char **argv)
{
	long cur_tol = atol(argv[1]), free_tol = atol(argv[2]);
	long cur, sec, free_kb, sec_kb, explained = 0, lost;
	size_t i;
	int bad = 0;

	settle_memory();
	cur = read_value(CG_DIR "/memory.current", NULL, 0);
	sec = read_value(CG_DIR "/memory.stat", "sec_pagetables", ' ');
	free_kb = meminfo_kb("MemFree");
	sec_kb = meminfo_kb("SecPageTables");
	if (cur < 0 || sec < 0 || free_kb < 0 || sec_kb < 0 || base_free_kb <= 0) {
		say("axas-init: memcg-check: counters missing (memcg-begin not run?)\n");
		return 1;
	}
	say("axas-init: memcg-check: MemFree %+ld kB; where it went (kB):",
	    free_kb - base_free_kb);
	for (i = 0; i < sizeof(mem_keys) / sizeof(mem_keys[0]); i++) {
		long d = meminfo_kb(mem_keys[i]) - mem_base[i];

		explained += d;
		say(" %s %+ld", mem_keys[i], d);
	}
	say("\n");
	/* Pages gone from MemFree that no counter explains. */
	lost = base_free_kb - free_kb - explained;
	say("axas-init: memcg-check: memory.current %ld kB (max %ld), sec_pagetables %ld B, SecPageTables %+ld kB, MemFree unexplained %+ld kB (min -%ld)\n",
	    cur / 1024, cur_tol, sec, sec_kb - base_sec_kb, -lost, free_tol);
	if (cur / 1024 > cur_tol) {
		say("axas-init: LEAK: the test cgroup still holds %ld kB\n", cur / 1024);
		bad = 1;
	}
	if (sec || sec_kb != base_sec_kb) {
		say("axas-init: LEAK: stage-2 table pages still allocated\n");
		bad = 1;
	}
	/*
	 * Not a verdict: per-CPU free lists grow and shrink by tens of MiB
	 * (seen: 23.6 MiB on Debian's x86_64 kernel with nothing leaked).
	 */
	if (lost > free_tol)
		say("axas-init: NOTE: %ld kB left MemFree that no counter explains\n",
		    lost);
	return bad;
}

static int run_line(char **argv)
{
	if (!strcmp(argv[0], "insmod") && argv[1])
		return do_insmod(argv);
	if (!strcmp(argv[0], "rmmod") && argv[1])
		return do_rmmod(argv);
	if (!strcmp(argv[0], "cat")) {
		int i, ret = 0;

		for (i = 1; argv[i]; i++)
			ret |= cat_file(argv[i]);
		return ret;
	}
	if (!strcmp(argv[0], "kunit-results"))
		return kunit_results();
	if (!strcmp(argv[0], "kmemleak-clear"))
		return !!write_file("/sys/kernel/debug/kmemleak", "clear");
	if (!strcmp(argv[0], "kmemleak-scan"))
		return kmemleak_scan();
	if (!strcmp(argv[0], "memcg-begin"))
		return memcg_begin();
	if (!strcmp(argv[0], "memcg-check") && argv[1] && argv[2])
		return memcg_check(argv);
	if (!strcmp(argv[0], "incg") && argv[1])
		return run_external(argv + 1, CG_DIR "/cgroup.procs");
	if (!strcmp(argv[0], "sleep") && argv[1]) {
		sleep(atoi(argv[1]));
		return 0;
	}
	return run_external(argv, NULL);
}

/* Load the drivers the result channel needs (listed in /axas/preload). */
static void preload(void)
{
	char path[256], *argv[3] = { "insmod", path, NULL };
	FILE *f = fopen("/axas/preload", "r");

	if (!f)
		return;
	chan = stderr;
	while (fscanf(f, "%255s", path) == 1)
		do_insmod(argv);
	fclose(f);
}

/* The value of "NAME=" on the kernel command line, or @def. */
static long cmdline_long(const char *name, long def)
{
	char buf[4096], *p;
	size_t len = strlen(name);
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return def;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (p = strtok(buf, " \n"); p; p = strtok(NULL, " \n"))
		if (!strncmp(p, name, len) && p[len] == '=')
			return atol(p + len + 1);
	return def;
}

/*
 * Open the result channel named in /axas/chan. A driver loaded from
 * /axas/preload may still be probing, and on a loaded host that takes
 * long: wait as long as the host allows (axas_chan_wait= on the command
 * line, derived from the VM timeout), saying so on the console every
 * 10 s. Falling back to the console is loud on both sides: the host reads
 * the verdict from the console then.
 */
static FILE *open_chan(void)
{
	char dev[256] = "/dev/console";
	long wait_ms = cmdline_long("axas_chan_wait", 600) * 1000, waited;
	struct termios tio;
	int fd = -1;
	FILE *f;

	f = fopen("/axas/chan", "r");
	if (f) {
		if (fscanf(f, "%255s", dev) != 1)
			strcpy(dev, "/dev/console");
		fclose(f);
	}
	for (waited = 0; ; waited += 50) {
		fd = open(dev, O_RDWR | O_NOCTTY);
		/*
		 * ENOENT: no device node yet; ENXIO/ENODEV: the node exists
		 * but its driver has not bound the port yet (seen: hvc0 on
		 * Debian's arm64 kernel, virtio_mmio loaded from preload).
		 */
		if (fd >= 0 || waited >= wait_ms ||
		    (errno != ENOENT && errno != ENXIO && errno != ENODEV))
			break;
		if (waited && waited % 10000 == 0)
			kmsg("axas-init: waiting for the result channel %s (%ld s)\n",
			     dev, waited / 1000);
		usleep(50000);
	}
	if (fd < 0) {
		kmsg("axas-init: AXAS-CHAN-FALLBACK: %s: %s after %ld s; results go to the console\n",
		     dev, strerror(errno), waited / 1000);
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	} else if (waited >= 1000) {
		kmsg("axas-init: result channel %s appeared after %ld s\n",
		     dev, waited / 1000);
	}
	if (fd >= 0 && !tcgetattr(fd, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	f = fdopen(fd, "w");
	return f ? f : stderr;
}

int main(void)
{
	char line[4096], *argv[MAX_ARGS + 1], nonce[64];
	int rc = 0, lineno = 0;
	FILE *script, *f;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	setenv("PATH", "/bin", 1);
	setenv("HOME", "/", 1);
	preload();
	chan = open_chan();
	setvbuf(chan, NULL, _IOLBF, 0);
	f = fopen("/axas/nonce", "r");
	if (!f || fscanf(f, "%63s", nonce) != 1)
		strcpy(nonce, "none");
	if (f)
		fclose(f);
	say("AXAS-INIT-START nonce=%s\n", nonce);

	script = fopen("/axas/script", "r");
	if (!script) {
		say("axas-init: no /axas/script\n");
		rc = 1;
		goto out;
	}
	while (fgets(line, sizeof(line), script)) {
		int argc = 0, ignore = 0, ret;
		char *p, *save = NULL;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		say("axas-init: $ %s\n", p);
		if (*p == '-') {
			ignore = 1;
			p++;
		}
		for (p = strtok_r(p, " \t", &save); p && argc < MAX_ARGS;
		     p = strtok_r(NULL, " \t", &save))
			argv[argc++] = p;
		argv[argc] = NULL;
		if (!argc)
			continue;

		kmsg("axas-init: line %d: %s\n", lineno, argv[0]);
		ret = run_line(argv);
		say("axas-init: line %d (%s) rc=%d\n", lineno, argv[0], ret);
		if (ret && !ignore && !rc)
			rc = ret;
	}
	fclose(script);
out:
	sync();
	say("AXAS-INIT-DONE rc=%d nonce=%s\n", rc, nonce);
	kmsg("axas-init: done rc=%d\n", rc);
	fflush(chan);
	tcdrain(fileno(chan));
	reboot(RB_AUTOBOOT);
	return rc;
}
