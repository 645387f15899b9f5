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
 *   kunit-results             print every KUnit suite's KTAP results
 *   kmemleak-clear            forget the objects allocated so far
 *   kmemleak-scan             scan now; any report fails the run
 *   sleep SECONDS
 * Anything else is executed (PATH=/bin), e.g. "/bin/axas_test -v".
 *
 * The run ends with the line "AXAS-INIT-DONE rc=N" on the channel, N being
 * 0 when every line succeeded, and a reboot (QEMU runs with -no-reboot).
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

static int cat_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		say("axas-init: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, chan);
	fflush(chan);
	close(fd);
	return n < 0;
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
	int n, i, ret = 0;

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
			ret |= cat_file(path);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

static int kmemleak_scan(void)
{
	const char *path = "/sys/kernel/debug/kmemleak";
	char buf[4096];
	ssize_t n;
	int fd, leaks = 0;

	if (access(path, F_OK)) {
		say("axas-init: kmemleak not in this kernel, scan skipped\n");
		return 0;
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

static int run_external(char **argv)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
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
		return access("/sys/kernel/debug/kmemleak", F_OK) ? 0 :
		       !!write_file("/sys/kernel/debug/kmemleak", "clear");
	if (!strcmp(argv[0], "kmemleak-scan"))
		return kmemleak_scan();
	if (!strcmp(argv[0], "sleep") && argv[1]) {
		sleep(atoi(argv[1]));
		return 0;
	}
	return run_external(argv);
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

static FILE *open_chan(void)
{
	char dev[256] = "/dev/console";
	struct termios tio;
	int fd = -1, i;
	FILE *f;

	f = fopen("/axas/chan", "r");
	if (f) {
		if (fscanf(f, "%255s", dev) != 1)
			strcpy(dev, "/dev/console");
		fclose(f);
	}
	/* A driver loaded from /axas/preload may still be probing. */
	for (i = 0; i < 100; i++) {
		fd = open(dev, O_RDWR | O_NOCTTY);
		if (fd >= 0 || errno != ENOENT)
			break;
		usleep(50000);
	}
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0 && !tcgetattr(fd, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	f = fdopen(fd, "w");
	return f ? f : stderr;
}

int main(void)
{
	char line[4096], *argv[MAX_ARGS + 1];
	int rc = 0, lineno = 0;
	FILE *script;

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
	say("AXAS-INIT-DONE rc=%d\n", rc);
	kmsg("axas-init: done rc=%d\n", rc);
	fflush(chan);
	tcdrain(fileno(chan));
	reboot(RB_AUTOBOOT);
	return rc;
}
