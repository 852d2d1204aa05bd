/*
 * metrics_merge.c - add up several processes' metrics texts (see
 * metrics_merge.h).  The input comes from our own metrics_format(), one
 * family's HELP and TYPE lines before its samples; a sample belongs to
 * the family whose header came last.  Series are found through a hash
 * table, so 50,000 clusters' per-cluster gauges merge in linear time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extras/metrics_merge.h"

enum merge_op { OP_SUM, OP_MAX, OP_MIN };

struct sample {
	char *series; /* name{labels} */
	double value;
	size_t family;
	size_t next_in_family; /* index + 1; 0 ends */
	size_t hash_next;      /* index + 1; 0 ends */
};

struct family {
	char *name;
	char *help, *type; /* whole lines, or NULL */
	enum merge_op op;
	size_t first, last; /* sample index + 1; 0: none */
};

struct merge {
	struct family *fam;
	size_t nfam, capfam;
	struct sample *smp;
	size_t nsmp, capsmp;
	size_t *buckets; /* sample index + 1 */
	size_t nbuckets;
	int failed;
};

static size_t
str_hash(const char *s, size_t len)
{
	size_t h = 1469598103934665603ULL;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (h);
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t ncap;

	if (need <= *cap)
		return (0);
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return (-1);
	*arr = p;
	*cap = ncap;
	return (0);
}

static enum merge_op
op_for(const char *name)
{
	size_t l = strlen(name);

	if (strcmp(name, "qnetd_start_time_seconds") == 0)
		return (OP_MIN);
	if (strcmp(name, "qnetd_build_info") == 0 ||
	    (l > 12 && strcmp(name + l - 12, "_max_seconds") == 0))
		return (OP_MAX);
	return (OP_SUM);
}

/* The family named name (len bytes), created at the end when new.  Index, or SIZE_MAX. */
static size_t
family_get(struct merge *m, const char *name, size_t len)
{
	size_t i;

	for (i = m->nfam; i > 0; i--)
		if (strlen(m->fam[i - 1].name) == len && memcmp(m->fam[i - 1].name, name, len) == 0)
			return (i - 1);
	if (grow((void **)&m->fam, &m->capfam, m->nfam + 1, sizeof(*m->fam)) != 0)
		return (SIZE_MAX);
	memset(&m->fam[m->nfam], 0, sizeof(m->fam[0]));
	m->fam[m->nfam].name = strndup(name, len);
	if (m->fam[m->nfam].name == NULL)
		return (SIZE_MAX);
	m->fam[m->nfam].op = op_for(m->fam[m->nfam].name);
	return (m->nfam++);
}

static int
rehash(struct merge *m)
{
	size_t i, nb = m->nbuckets ? m->nbuckets * 2 : 1024;
	size_t *b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return (-1);
	for (i = 0; i < m->nsmp; i++) {
		size_t k = str_hash(m->smp[i].series, strlen(m->smp[i].series)) % nb;

		m->smp[i].hash_next = b[k];
		b[k] = i + 1;
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
	return (0);
}

static void
combine(struct sample *s, enum merge_op op, double v)
{
	if (op == OP_SUM)
		s->value += v;
	else if (op == OP_MAX ? v > s->value : v < s->value)
		s->value = v;
}

static int
sample_add(struct merge *m, size_t fam, const char *series, size_t len, double v)
{
	struct sample *s;
	size_t i, k;

	if (m->nsmp >= m->nbuckets && rehash(m) != 0)
		return (-1);
	k = str_hash(series, len) % m->nbuckets;
	for (i = m->buckets[k]; i != 0; i = m->smp[i - 1].hash_next) {
		s = &m->smp[i - 1];
		if (strlen(s->series) == len && memcmp(s->series, series, len) == 0) {
			combine(s, m->fam[s->family].op, v);
			return (0);
		}
	}
	if (grow((void **)&m->smp, &m->capsmp, m->nsmp + 1, sizeof(*m->smp)) != 0)
		return (-1);
	s = &m->smp[m->nsmp];
	memset(s, 0, sizeof(*s));
	s->series = strndup(series, len);
	if (s->series == NULL)
		return (-1);
	s->value = v;
	s->family = fam;
	s->hash_next = m->buckets[k];
	m->buckets[k] = ++m->nsmp;
	if (m->fam[fam].last != 0)
		m->smp[m->fam[fam].last - 1].next_in_family = m->nsmp;
	else
		m->fam[fam].first = m->nsmp;
	m->fam[fam].last = m->nsmp;
	return (0);
}

/* "# HELP name ..." or "# TYPE name ...": the family, its line kept once. */
static size_t
header_line(struct merge *m, const char *line, size_t len)
{
	const char *name = line + 7, *end;
	size_t f;
	char **slot;

	end = memchr(name, ' ', len - 7);
	if (end == NULL)
		end = line + len;
	f = family_get(m, name, (size_t)(end - name));
	if (f == SIZE_MAX)
		return (SIZE_MAX);
	slot = line[2] == 'H' ? &m->fam[f].help : &m->fam[f].type;
	if (*slot == NULL && (*slot = strndup(line, len)) == NULL)
		return (SIZE_MAX);
	return (f);
}

static int
merge_line(struct merge *m, const char *line, size_t len, size_t *cur)
{
	const char *sp;
	char num[64];
	size_t nl;

	if (len >= 7 && (memcmp(line, "# HELP ", 7) == 0 || memcmp(line, "# TYPE ", 7) == 0)) {
		*cur = header_line(m, line, len);
		return (*cur == SIZE_MAX ? -1 : 0);
	}
	if (len == 0 || line[0] == '#')
		return (0);
	sp = line + len;
	while (sp > line && sp[-1] != ' ')
		sp--;
	nl = (size_t)(line + len - sp);
	if (sp == line || nl == 0 || nl >= sizeof(num))
		return (0); /* not a sample line: left out */
	memcpy(num, sp, nl);
	num[nl] = '\0';
	if (*cur == SIZE_MAX && (*cur = family_get(m, line, (size_t)(sp - 1 - line))) == SIZE_MAX)
		return (-1);
	return (sample_add(m, *cur, line, (size_t)(sp - 1 - line), strtod(num, NULL)));
}

static void
emit(const struct merge *m, struct wbuf *out)
{
	char num[64];
	size_t f, i;

	for (f = 0; f < m->nfam; f++) {
		const struct family *fa = &m->fam[f];

		if (fa->help != NULL) {
			wbuf_put(out, fa->help, strlen(fa->help));
			wbuf_put(out, "\n", 1);
		}
		if (fa->type != NULL) {
			wbuf_put(out, fa->type, strlen(fa->type));
			wbuf_put(out, "\n", 1);
		}
		for (i = fa->first; i != 0; i = m->smp[i - 1].next_in_family) {
			const struct sample *s = &m->smp[i - 1];
			double v = s->value;

			if (v == (double)(long long)v && v < 9e15 && v > -9e15)
				snprintf(num, sizeof(num), "%lld", (long long)v);
			else
				snprintf(num, sizeof(num), "%.3f", v);
			wbuf_put(out, s->series, strlen(s->series));
			wbuf_put(out, " ", 1);
			wbuf_put(out, num, strlen(num));
			wbuf_put(out, "\n", 1);
		}
	}
}

static void
merge_free(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->nfam; i++) {
		free(m->fam[i].name);
		free(m->fam[i].help);
		free(m->fam[i].type);
	}
	for (i = 0; i < m->nsmp; i++)
		free(m->smp[i].series);
	free(m->fam);
	free(m->smp);
	free(m->buckets);
}

int
metrics_merge(const struct wbuf *parts, size_t n, struct wbuf *out)
{
	struct merge m;
	size_t p;
	int res = 0;

	memset(&m, 0, sizeof(m));
	for (p = 0; p < n && res == 0; p++) {
		const char *t = (const char *)parts[p].data, *end;
		size_t cur = SIZE_MAX;

		if (t == NULL)
			continue; /* a worker that sent nothing */
		end = t + parts[p].len;
		while (t != NULL && t < end && res == 0) {
			const char *nl = memchr(t, '\n', (size_t)(end - t));
			size_t len = nl != NULL ? (size_t)(nl - t) : (size_t)(end - t);

			res = merge_line(&m, t, len, &cur);
			t = nl != NULL ? nl + 1 : NULL;
		}
	}
	if (res == 0)
		emit(&m, out);
	merge_free(&m);
	return (res != 0 || out->failed ? -1 : 0);
}
