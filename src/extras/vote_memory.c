/*
 * vote_memory.c - the vote memory's store and file (see vote_memory.h).
 *
 * File format, one record per line, every number decimal:
 *
 *   qnetd-vote-memory 1
 *   stamp SSSSSSSSSSSSSSSSSSS          (19 digits, ms since the epoch)
 *   c ALGORITHM HB_MS NAME_HEX N ID_1 ... ID_N
 *   end RECORDS
 *
 * The stamp has a fixed width and place, so that the running daemon
 * refreshes it with one pwrite; the name is hex so that any bytes fit.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "extras/vote_memory.h"

#define VM_MAGIC "qnetd-vote-memory 1\n"
#define VM_STAMP_KEY "stamp "
#define VM_STAMP_DIGITS 19
#define VM_STAMP_OFFSET (sizeof(VM_MAGIC) - 1 + sizeof(VM_STAMP_KEY) - 1)
#define VM_MAX_RECORDS (1u << 20)

struct vm_record {
	char *name;
	size_t name_len;
	uint32_t algorithm;
	uint32_t hb_ms;
	uint32_t *ids; /* what the file says; n == 0: the record is not written */
	size_t n;
	uint32_t *recall_ids; /* loaded at start, until the grace ends */
	size_t recall_n;
	uint32_t recall_algorithm; /* what it was loaded for (notes change algorithm) */
	uint64_t grace_end_ms;     /* monotonic */
	int noted;                 /* noted since it was loaded */
	struct vm_record *next;
};

struct vote_memory {
	char *path;
	struct vm_record **buckets;
	size_t nbuckets;
	size_t count;
	int dirty;
	int fd; /* the file written last, for stamping; -1: none */
};

struct vm_buf {
	char *p;
	size_t len, cap;
};

static uint64_t
vm_hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return (h);
}

struct vote_memory *
vote_memory_new(const char *path)
{
	struct vote_memory *vm;

	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return (NULL);
	vm->nbuckets = 64;
	vm->buckets = calloc(vm->nbuckets, sizeof(*vm->buckets));
	vm->path = strdup(path);
	vm->fd = -1;
	if (vm->buckets == NULL || vm->path == NULL) {
		vote_memory_free(vm);
		return (NULL);
	}
	return (vm);
}

static void
vm_record_free(struct vm_record *r)
{
	free(r->name);
	free(r->ids);
	free(r->recall_ids);
	free(r);
}

void
vote_memory_free(struct vote_memory *vm)
{
	struct vm_record *r, *next;
	size_t i;

	if (vm == NULL)
		return;
	for (i = 0; vm->buckets != NULL && i < vm->nbuckets; i++) {
		for (r = vm->buckets[i]; r != NULL; r = next) {
			next = r->next;
			vm_record_free(r);
		}
	}
	if (vm->fd >= 0)
		close(vm->fd);
	free(vm->buckets);
	free(vm->path);
	free(vm);
}

static struct vm_record *
vm_find(const struct vote_memory *vm, const char *name, size_t len)
{
	struct vm_record *r;

	r = vm->buckets[vm_hash(name, len) % vm->nbuckets];
	for (; r != NULL; r = r->next)
		if (r->name_len == len && memcmp(r->name, name, len) == 0)
			return (r);
	return (NULL);
}

/* Doubling keeps lookups O(1) with many clusters; a failed grow is harmless. */
static void
vm_grow(struct vote_memory *vm)
{
	struct vm_record **nb, *r, *next;
	size_t i, n, b;

	n = vm->nbuckets * 2;
	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < vm->nbuckets; i++) {
		for (r = vm->buckets[i]; r != NULL; r = next) {
			next = r->next;
			b = vm_hash(r->name, r->name_len) % n;
			r->next = nb[b];
			nb[b] = r;
		}
	}
	free(vm->buckets);
	vm->buckets = nb;
	vm->nbuckets = n;
}

static struct vm_record *
vm_insert(struct vote_memory *vm, const char *name, size_t len)
{
	struct vm_record *r;
	size_t b;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return (NULL);
	r->name = malloc(len + 1);
	if (r->name == NULL) {
		free(r);
		return (NULL);
	}
	memcpy(r->name, name, len);
	r->name[len] = '\0';
	r->name_len = len;
	if (vm->count >= vm->nbuckets)
		vm_grow(vm);
	b = vm_hash(name, len) % vm->nbuckets;
	r->next = vm->buckets[b];
	vm->buckets[b] = r;
	vm->count++;
	return (r);
}

static void
vm_remove(struct vote_memory *vm, struct vm_record *r)
{
	struct vm_record **pp;

	pp = &vm->buckets[vm_hash(r->name, r->name_len) % vm->nbuckets];
	while (*pp != NULL && *pp != r)
		pp = &(*pp)->next;
	if (*pp == r) {
		*pp = r->next;
		vm->count--;
	}
	vm_record_free(r);
}

static uint32_t *
vm_ids_dup(const uint32_t *ids, size_t n)
{
	uint32_t *c;

	c = malloc((n > 0 ? n : 1) * sizeof(*c));
	if (c != NULL && n > 0)
		memcpy(c, ids, n * sizeof(*c));
	return (c);
}

int
vote_memory_recall(const struct vote_memory *vm, const char *name, size_t len, uint32_t algorithm,
    uint64_t now_mono_ms, struct algo_recall *out)
{
	const struct vm_record *r;
	uint64_t left;

	r = vm_find(vm, name, len);
	if (r == NULL || r->recall_n == 0 || r->recall_algorithm != algorithm ||
	    now_mono_ms >= r->grace_end_ms)
		return (0);
	left = r->grace_end_ms - now_mono_ms;
	out->ids = r->recall_ids;
	out->n = r->recall_n;
	out->grace_left_ms = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	return (1);
}

int
vote_memory_note(struct vote_memory *vm, const char *name, size_t len, uint32_t algorithm,
    uint32_t hb_ms, const uint32_t *ids, size_t n)
{
	struct vm_record *r;
	uint32_t *copy;

	r = vm_find(vm, name, len);
	if (r != NULL && r->n == n && r->algorithm == algorithm &&
	    (n == 0 || (r->hb_ms == hb_ms && memcmp(r->ids, ids, n * sizeof(*ids)) == 0))) {
		r->noted = 1;
		return (0);
	}
	if (r == NULL && n == 0)
		return (0);
	copy = vm_ids_dup(ids, n);
	if (copy == NULL)
		return (-1);
	if (r == NULL && (r = vm_insert(vm, name, len)) == NULL) {
		free(copy);
		return (-1);
	}
	free(r->ids);
	r->ids = copy;
	r->n = n;
	r->algorithm = algorithm;
	r->hb_ms = hb_ms;
	r->noted = 1;
	vm->dirty = 1;
	return (0);
}

int
vote_memory_dirty(const struct vote_memory *vm)
{

	return (vm->dirty);
}

size_t
vote_memory_count(const struct vote_memory *vm)
{

	return (vm->count);
}

uint64_t
vote_memory_next_grace_end(const struct vote_memory *vm)
{
	const struct vm_record *r;
	uint64_t best;
	size_t i;

	best = 0;
	for (i = 0; i < vm->nbuckets; i++)
		for (r = vm->buckets[i]; r != NULL; r = r->next)
			if (r->recall_n > 0 && (best == 0 || r->grace_end_ms < best))
				best = r->grace_end_ms;
	return (best);
}

size_t
vote_memory_end_graces(struct vote_memory *vm, uint64_t now_mono_ms, vote_memory_want_fn present,
    void *arg)
{
	struct vm_record *r, *next;
	size_t i, ended;

	ended = 0;
	for (i = 0; i < vm->nbuckets; i++) {
		for (r = vm->buckets[i]; r != NULL; r = next) {
			next = r->next;
			if (r->recall_n == 0 || now_mono_ms < r->grace_end_ms)
				continue;
			free(r->recall_ids);
			r->recall_ids = NULL;
			r->recall_n = 0;
			ended++;
			if (r->noted || present(r->name, r->name_len, arg))
				continue;
			log_msg(LOG_INFO, "vote memory: cluster %s did not come back; forgotten",
			    r->name);
			if (r->n > 0)
				vm->dirty = 1;
			vm_remove(vm, r);
		}
	}
	return (ended);
}

/* ---- writing ---- */

static int
vm_buf_add(struct vm_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap > 0 ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return (-1);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return (0);
}

static int
vm_buf_fmt_u64(struct vm_buf *b, const char *prefix, uint64_t v)
{
	char tmp[48];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s%" PRIu64, prefix, v);
	return (vm_buf_add(b, tmp, (size_t)n));
}

static int
vm_format_record(struct vm_buf *b, const struct vm_record *r)
{
	static const char hex[] = "0123456789abcdef";
	char pair[2];
	size_t i;

	if (vm_buf_fmt_u64(b, "c ", r->algorithm) != 0 || vm_buf_fmt_u64(b, " ", r->hb_ms) != 0 ||
	    vm_buf_add(b, " ", 1) != 0)
		return (-1);
	for (i = 0; i < r->name_len; i++) {
		pair[0] = hex[(unsigned char)r->name[i] >> 4];
		pair[1] = hex[(unsigned char)r->name[i] & 15];
		if (vm_buf_add(b, pair, 2) != 0)
			return (-1);
	}
	if (vm_buf_fmt_u64(b, " ", r->n) != 0)
		return (-1);
	for (i = 0; i < r->n; i++)
		if (vm_buf_fmt_u64(b, " ", r->ids[i]) != 0)
			return (-1);
	return (vm_buf_add(b, "\n", 1));
}

static int
vm_format(const struct vote_memory *vm, struct vm_buf *b, uint64_t now_wall_ms)
{
	const struct vm_record *r;
	char stamp[64];
	size_t i, written;

	snprintf(stamp, sizeof(stamp), "%s%0*" PRIu64 "\n", VM_STAMP_KEY, VM_STAMP_DIGITS,
	    now_wall_ms);
	if (vm_buf_add(b, VM_MAGIC, sizeof(VM_MAGIC) - 1) != 0 ||
	    vm_buf_add(b, stamp, strlen(stamp)) != 0)
		return (-1);
	written = 0;
	for (i = 0; i < vm->nbuckets; i++) {
		for (r = vm->buckets[i]; r != NULL; r = r->next) {
			if (r->n == 0)
				continue;
			if (vm_format_record(b, r) != 0)
				return (-1);
			written++;
		}
	}
	return (vm_buf_fmt_u64(b, "end ", written) != 0 || vm_buf_add(b, "\n", 1) != 0 ? -1 : 0);
}

static int
vm_write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return (-1);
		p += w;
		len -= (size_t)w;
	}
	return (0);
}

/* The rename is durable only once the directory entry is. */
static void
vm_sync_dir(const char *path)
{
	char *copy;
	int dfd;

	copy = strdup(path);
	if (copy == NULL)
		return;
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

/* Records without a partition and without a grace are gone for good. */
static void
vm_collect(struct vote_memory *vm)
{
	struct vm_record *r, *next;
	size_t i;

	for (i = 0; i < vm->nbuckets; i++) {
		for (r = vm->buckets[i]; r != NULL; r = next) {
			next = r->next;
			if (r->n == 0 && r->recall_n == 0)
				vm_remove(vm, r);
		}
	}
}

int
vote_memory_format(struct vote_memory *vm, uint64_t now_wall_ms, char **buf, size_t *len)
{
	struct vm_buf b = { NULL, 0, 0 };

	vm_collect(vm);
	if (vm_format(vm, &b, now_wall_ms) != 0) {
		free(b.p);
		return (-1);
	}
	vm->dirty = 0;
	*buf = b.p;
	*len = b.len;
	return (0);
}

void
vote_memory_mark_dirty(struct vote_memory *vm)
{

	vm->dirty = 1;
}

int
vote_memory_file_write(const char *path, const char *buf, size_t len, int *fd_out)
{
	char tmp[4096];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return (ENAMETOOLONG);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return (errno);
	if (fchmod(fd, 0600) != 0 || vm_write_all(fd, buf, len) != 0 || fsync(fd) != 0 ||
	    rename(tmp, path) != 0) {
		err = errno != 0 ? errno : EIO;
		close(fd);
		(void)unlink(tmp);
		return (err);
	}
	vm_sync_dir(path);
	*fd_out = fd;
	return (0);
}

int
vote_memory_file_stamp(int fd, uint64_t now_wall_ms, int sync)
{
	char digits[VM_STAMP_DIGITS + 1];

	snprintf(digits, sizeof(digits), "%0*" PRIu64, VM_STAMP_DIGITS, now_wall_ms);
	if (pwrite(fd, digits, VM_STAMP_DIGITS, (off_t)VM_STAMP_OFFSET) != VM_STAMP_DIGITS)
		return (errno != 0 ? errno : EIO);
	if (sync && fsync(fd) != 0)
		return (errno);
	return (0);
}

int
vote_memory_save(struct vote_memory *vm, uint64_t now_wall_ms)
{
	char *buf;
	size_t len;
	int fd, err;

	if (vote_memory_format(vm, now_wall_ms, &buf, &len) != 0) {
		log_msg(LOG_ERR, "vote memory: out of memory formatting %s", vm->path);
		return (-1);
	}
	err = vote_memory_file_write(vm->path, buf, len, &fd);
	free(buf);
	if (err != 0) {
		log_msg(LOG_ERR, "vote memory: can't write %s: %s", vm->path, strerror(err));
		vm->dirty = 1;
		return (-1);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = fd;
	return (0);
}

int
vote_memory_stamp(struct vote_memory *vm, uint64_t now_wall_ms, int sync)
{
	int err;

	if (vm->fd < 0)
		return (vote_memory_save(vm, now_wall_ms));
	err = vote_memory_file_stamp(vm->fd, now_wall_ms, sync);
	if (err != 0) {
		log_msg(LOG_ERR, "vote memory: can't stamp %s: %s", vm->path, strerror(err));
		return (-1);
	}
	return (0);
}

/* ---- reading: the file is untrusted, every field is checked ---- */

struct vm_cursor {
	const char *p, *end;
	size_t line;
};

struct vm_parsed {
	char *name;
	size_t name_len;
	uint32_t algorithm, hb_ms;
	uint32_t *ids;
	size_t n;
};

struct vm_file {
	uint64_t stamp;
	struct vm_parsed *recs;
	size_t nrecs, cap;
};

static int
cur_lit(struct vm_cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return (-1);
	c->p += n;
	return (0);
}

static int
cur_eol(struct vm_cursor *c)
{

	if (cur_lit(c, "\n") != 0)
		return (-1);
	c->line++;
	return (0);
}

/* 1 to 20 decimal digits, at most max. */
static int
cur_u64(struct vm_cursor *c, uint64_t max, uint64_t *v)
{
	uint64_t x;
	size_t k;

	x = 0;
	for (k = 0; c->p < c->end && *c->p >= '0' && *c->p <= '9'; k++, c->p++) {
		if (k == 20 || x > (UINT64_MAX - 9) / 10)
			return (-1);
		x = x * 10 + (uint64_t)(*c->p - '0');
	}
	if (k == 0 || x > max)
		return (-1);
	*v = x;
	return (0);
}

static int
hexval(char ch)
{

	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	return (-1);
}

static int
cur_name(struct vm_cursor *c, struct vm_parsed *r)
{
	const char *s;
	size_t k, i;
	int hi, lo;

	s = c->p;
	while (c->p < c->end && hexval(*c->p) >= 0)
		c->p++;
	k = (size_t)(c->p - s);
	if (k == 0 || k % 2 != 0 || k / 2 > VOTE_MEMORY_MAX_NAME)
		return (-1);
	r->name = malloc(k / 2 + 1);
	if (r->name == NULL)
		return (-1);
	for (i = 0; i < k / 2; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		r->name[i] = (char)(hi << 4 | lo);
	}
	r->name[k / 2] = '\0';
	r->name_len = k / 2;
	return (0);
}

/* "c ALGO HB NAME N IDS...\n"; ids strictly ascending. */
static int
cur_record(struct vm_cursor *c, struct vm_parsed *r)
{
	uint64_t algo, hb, n, id;
	size_t i;

	if (cur_u64(c, TLV_DECISION_ALGORITHM_COUNT - 1, &algo) != 0 || cur_lit(c, " ") != 0 ||
	    cur_u64(c, VOTE_MEMORY_MAX_HB, &hb) != 0 || hb < VOTE_MEMORY_MIN_HB ||
	    cur_lit(c, " ") != 0 || cur_name(c, r) != 0 || cur_lit(c, " ") != 0 ||
	    cur_u64(c, VOTE_MEMORY_MAX_IDS, &n) != 0 || n == 0)
		return (-1);
	r->algorithm = (uint32_t)algo;
	r->hb_ms = (uint32_t)hb;
	r->ids = malloc((size_t)n * sizeof(*r->ids));
	if (r->ids == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (cur_lit(c, " ") != 0 || cur_u64(c, UINT32_MAX, &id) != 0)
			return (-1);
		if (i > 0 && id <= r->ids[i - 1])
			return (-1);
		r->ids[i] = (uint32_t)id;
		r->n = i + 1;
	}
	return (cur_eol(c));
}

static void
vm_file_free(struct vm_file *f)
{
	size_t i;

	for (i = 0; i < f->nrecs; i++) {
		free(f->recs[i].name);
		free(f->recs[i].ids);
	}
	free(f->recs);
	memset(f, 0, sizeof(*f));
}

static struct vm_parsed *
vm_file_next(struct vm_file *f)
{
	struct vm_parsed *p;
	size_t cap;

	if (f->nrecs == f->cap) {
		cap = f->cap > 0 ? f->cap * 2 : 16;
		p = realloc(f->recs, cap * sizeof(*p));
		if (p == NULL)
			return (NULL);
		f->recs = p;
		f->cap = cap;
	}
	p = &f->recs[f->nrecs++];
	memset(p, 0, sizeof(*p));
	return (p);
}

/* 0, or -1 with c->line at the offending line. */
static int
vm_parse(struct vm_cursor *c, struct vm_file *f)
{
	struct vm_parsed *r;
	uint64_t count;

	c->line = 1;
	if (cur_lit(c, VM_MAGIC) != 0)
		return (-1);
	c->line++;
	if (cur_lit(c, VM_STAMP_KEY) != 0 || c->end - c->p < VM_STAMP_DIGITS ||
	    cur_u64(c, UINT64_MAX, &f->stamp) != 0 || cur_eol(c) != 0)
		return (-1);
	while (cur_lit(c, "c ") == 0) {
		if (f->nrecs == VM_MAX_RECORDS || (r = vm_file_next(f)) == NULL)
			return (-1);
		if (cur_record(c, r) != 0)
			return (-1);
	}
	if (cur_lit(c, "end ") != 0 || cur_u64(c, VM_MAX_RECORDS, &count) != 0 || cur_eol(c) != 0 ||
	    count != f->nrecs || c->p != c->end)
		return (-1);
	return (0);
}

/* The whole file, NUL-terminated, if it is ours and bounded.  1, 0 (none), -1. */
static int
vm_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t off;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return (0);
		log_msg(LOG_ERR, "vote memory: can't open %s: %s; ignored", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) != 0 ||
	    st.st_uid != geteuid() || (uint64_t)st.st_size > VOTE_MEMORY_MAX_FILE) {
		log_msg(LOG_ERR,
		    "vote memory: %s is not a regular file of ours, writable by us only, "
		    "of at most %u bytes; ignored",
		    path, VOTE_MEMORY_MAX_FILE);
		close(fd);
		return (-1);
	}
	*buf = malloc((size_t)st.st_size + 1);
	for (off = 0; *buf != NULL && off < (size_t)st.st_size; off += (size_t)got) {
		got = read(fd, *buf + off, (size_t)st.st_size - off);
		if (got <= 0)
			break;
	}
	close(fd);
	if (*buf == NULL || off != (size_t)st.st_size) {
		log_msg(LOG_ERR, "vote memory: can't read %s; ignored", path);
		free(*buf);
		*buf = NULL;
		return (-1);
	}
	(*buf)[off] = '\0';
	*len = off;
	return (1);
}

/* Take one parsed record, if wanted and fresh.  1 taken, 0 not, -1 OOM. */
static int
vm_take(struct vote_memory *vm, const char *path, struct vm_parsed *p, uint64_t stamp,
    uint64_t now_wall_ms, uint64_t now_mono_ms)
{
	struct vm_record *r;
	uint64_t limit, age;

	limit = (uint64_t)VOTE_MEMORY_FRESH_HB * p->hb_ms;
	age = stamp > now_wall_ms ? 0 : now_wall_ms - stamp;
	if (stamp > now_wall_ms + VOTE_MEMORY_FUTURE_MS || age > limit) {
		log_msg(LOG_INFO,
		    "vote memory: %s: cluster %s: stamped %llu ms ago (or in the future), "
		    "limit %llu ms (%u heartbeats): stale, ignored",
		    path, p->name, (unsigned long long)age, (unsigned long long)limit,
		    VOTE_MEMORY_FRESH_HB);
		return (0);
	}
	if (vm_find(vm, p->name, p->name_len) != NULL) {
		log_msg(LOG_WARNING, "vote memory: %s: cluster %s remembered twice; first kept",
		    path, p->name);
		return (0);
	}
	r = vm_insert(vm, p->name, p->name_len);
	if (r == NULL || (r->recall_ids = vm_ids_dup(p->ids, p->n)) == NULL)
		return (-1);
	r->ids = p->ids;
	p->ids = NULL;
	r->n = r->recall_n = p->n;
	r->algorithm = r->recall_algorithm = p->algorithm;
	r->hb_ms = p->hb_ms;
	r->grace_end_ms = now_mono_ms + (uint64_t)VOTE_MEMORY_GRACE_HB * p->hb_ms;
	vm->dirty = 1;
	log_msg(LOG_INFO,
	    "vote memory: cluster %s: %s partition of %zu node(s) remembered, grace %u ms", r->name,
	    tlv_decision_algorithm_to_str(r->algorithm), r->n, VOTE_MEMORY_GRACE_HB * r->hb_ms);
	return (1);
}

long
vote_memory_load(struct vote_memory *vm, const char *path, vote_memory_want_fn want, void *arg,
    uint64_t now_wall_ms, uint64_t now_mono_ms)
{
	struct vm_file f;
	struct vm_cursor c;
	char *buf = NULL;
	size_t len, i;
	long taken;
	int r;

	memset(&f, 0, sizeof(f));
	r = vm_read(path, &buf, &len);
	if (r <= 0)
		return (r);
	c.p = buf;
	c.end = buf + len;
	taken = -1;
	if (vm_parse(&c, &f) != 0) {
		log_msg(LOG_ERR, "vote memory: %s: malformed at line %zu; ignored", path, c.line);
		goto out;
	}
	taken = 0;
	for (i = 0; i < f.nrecs; i++) {
		if (want != NULL && !want(f.recs[i].name, f.recs[i].name_len, arg))
			continue;
		r = vm_take(vm, path, &f.recs[i], f.stamp, now_wall_ms, now_mono_ms);
		if (r < 0) {
			log_msg(LOG_ERR, "vote memory: %s: out of memory", path);
			break;
		}
		taken += r;
	}
out:
	vm_file_free(&f);
	free(buf);
	return (taken);
}
