/*
 * failmalloc.c - LD_PRELOAD allocation-failure injection for the daemon
 * (in the spirit of curl's torture mode).
 *
 * Environment:
 *   FAILMALLOC_N=<n>        fail the n-th allocation (malloc, calloc,
 *                           realloc) counted from the first accepted TCP
 *                           connection: start-up is not the subject, the
 *                           codec and session paths are.  Only that one
 *                           allocation fails.
 *   FAILMALLOC_REPORT=<f>   append "hit <n>" and a backtrace when it fails,
 *                           and "total <count>" at exit.
 *
 * Works under ASan (set ASAN_OPTIONS=verify_asan_link_order=0): the real
 * functions are looked up with dlsym(RTLD_NEXT), which then are ASan's.
 * The accept arming uses accept4(), with a non-NULL address: the IPC
 * listener passes NULL.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

static long fail_at = -1;
static long count;
static int armed;
static int hit;
static int resolving;
static const char *report;

/* dlsym() may allocate before the real functions are known. */
static char boot_arena[65536] __attribute__((aligned(16)));
static int warming_up;		/* backtrace()'s dlopen: from the arena, never freed */
static size_t boot_used;

static int
from_boot(const void *p)
{

	return ((const char *)p >= boot_arena && (const char *)p < boot_arena + sizeof(boot_arena));
}

static void *
boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot_arena))
		return (NULL);
	p = boot_arena + boot_used;
	boot_used += n;
	return (p);
}

static void
resolve(void)
{

	if (real_malloc != NULL || resolving)
		return;
	resolving = 1;
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_free = dlsym(RTLD_NEXT, "free");
	real_accept4 = dlsym(RTLD_NEXT, "accept4");
	resolving = 0;
}

/* Late: the first malloc can come before the environment is set up (ASan). */
static void
read_env(void)
{
	const char *v;

	v = getenv("FAILMALLOC_N");
	if (v != NULL)
		fail_at = atol(v);
	report = getenv("FAILMALLOC_REPORT");
}

static void
say(const char *text)
{
	int fd;

	if (report == NULL)
		return;
	fd = open(report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)write(fd, text, strlen(text));
	close(fd);
}

/* 1 if this allocation is the one to fail. */
static int
should_fail(void)
{
	char line[64];
	void *frames[24];
	int n, fd;

	if (!armed || hit || fail_at <= 0)
		return (0);
	if (__atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST) != fail_at)
		return (0);
	hit = 1;
	snprintf(line, sizeof(line), "hit %ld\n", fail_at);
	say(line);
	if (report != NULL) {
		n = backtrace(frames, 24);
		fd = open(report, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			backtrace_symbols_fd(frames, n, fd);
			close(fd);
		}
	}
	return (1);
}

void *
malloc(size_t n)
{

	if (real_malloc == NULL)
		resolve();
	if (real_malloc == NULL || warming_up)
		return (boot_alloc(n));
	if (should_fail()) {
		errno = ENOMEM;
		return (NULL);
	}
	return (real_malloc(n));
}

void *
calloc(size_t a, size_t b)
{
	void *p;

	if (real_calloc == NULL)
		resolve();
	{
		if (real_calloc == NULL || warming_up) {
			if (b != 0 && a > (size_t)-1 / b)
				return (NULL);
			p = boot_alloc(a * b);
			if (p != NULL)
				memset(p, 0, a * b);
			return (p);
		}
	}
	if (should_fail()) {
		errno = ENOMEM;
		return (NULL);
	}
	return (real_calloc(a, b));
}

void *
realloc(void *p, size_t n)
{

	if (real_realloc == NULL)
		resolve();
	if (p == NULL && warming_up)
		return (malloc(n));
	if (from_boot(p)) {
		size_t avail = (size_t)(boot_arena + sizeof(boot_arena) - (char *)p);
		void *q = malloc(n);

		if (q != NULL)
			memcpy(q, p, n < avail ? n : avail);
		return (q);
	}
	if (should_fail()) {
		errno = ENOMEM;
		return (NULL);
	}
	return (real_realloc(p, n));
}

/* ASan implements these itself, bypassing malloc: count them here. */
char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return (p);
}

char *
strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return (p);
}

void
free(void *p)
{

	if (p == NULL || from_boot(p))
		return;
	if (real_free == NULL)
		resolve();
	real_free(p);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int r;

	if (real_accept4 == NULL)
		resolve();
	r = real_accept4(fd, addr, len, flags);
	if (r >= 0 && addr != NULL && !armed) {
		/* Warm up backtrace() (it loads libgcc) before counting. */
		void *frames[2];

		read_env();
		warming_up = 1;
		backtrace(frames, 2);
		warming_up = 0;
		armed = 1;
	}
	return (r);
}

__attribute__((destructor)) static void
failmalloc_fini(void)
{
	char line[64];

	if (report == NULL)
		read_env();
	snprintf(line, sizeof(line), "total %ld\n", count);
	say(line);
}
