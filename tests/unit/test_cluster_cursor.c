/*
 * test_cluster_cursor.c - registry cursors: the plain walk, removals of
 * the element under the cursor (client, last client, cluster about to
 * start, cluster whose start was already yielded), additions ahead of and
 * behind the cursor, destroy with open cursors, and a randomised churn
 * against the invariants a listing relies on (run it under ASan: a cursor
 * left on a freed element is a use after free).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/client.h"
#include "core/cluster.h"
#include "core/cluster_cursor.h"

static struct qnetd_client *
mk(struct cluster_registry *reg, const char *name, uint32_t node_id)
{
	struct qnetd_client *c;
	size_t len = strlen(name);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	client_state_init(c);
	c->cluster_name = malloc(len + 1);
	if (c->cluster_name == NULL)
		abort();
	memcpy(c->cluster_name, name, len + 1);
	c->cluster_name_len = len;
	c->node_id = node_id;
	if (cluster_registry_add_client(reg, c) == NULL)
		abort();
	return (c);
}

static void
rm(struct cluster_registry *reg, struct qnetd_client *c)
{

	cluster_registry_del_client(reg, c);
	client_state_destroy(c);
	free(c);
}

/* The walk as text: "a[1 2]b[3]" ("?" for an end whose cluster is gone). */
static void
walk(struct cluster_cursor *cur, char *out, size_t size, int max_items)
{
	struct qnetd_cluster *cl;
	struct qnetd_client *c;
	size_t len = strlen(out);
	enum cluster_cursor_item it;

	while (max_items-- != 0 && (it = cluster_cursor_peek(cur, &cl, &c)) != CLUSTER_CURSOR_DONE) {
		switch (it) {
		case CLUSTER_CURSOR_CLUSTER:
			len += (size_t)snprintf(out + len, size - len, "%s[", cl->name);
			break;
		case CLUSTER_CURSOR_CLIENT:
			len += (size_t)snprintf(out + len, size - len, "%s%u",
			    out[len - 1] == '[' ? "" : " ", (unsigned)c->node_id);
			break;
		case CLUSTER_CURSOR_CLUSTER_END:
			len += (size_t)snprintf(out + len, size - len, "]");
			break;
		case CLUSTER_CURSOR_DONE:
			break;
		}
		cluster_cursor_advance(cur);
	}
}

static void
test_plain_walk(void)
{
	struct cluster_registry reg;
	struct cluster_cursor cur;
	struct qnetd_client *c[5];
	char buf[256] = "";

	CHECK_EQ(cluster_registry_init(&reg), 0);
	cluster_cursor_init(&cur, &reg);
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "") == 0);
	cluster_cursor_destroy(&cur);

	c[0] = mk(&reg, "a", 2);
	c[1] = mk(&reg, "b", 3);
	c[2] = mk(&reg, "a", 1);
	c[3] = mk(&reg, "c", 7);
	c[4] = mk(&reg, "b", 9);
	cluster_cursor_init(&cur, &reg);
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "a[1 2]b[3 9]c[7]") == 0);
	/* DONE is sticky; destroy is idempotent. */
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "a[1 2]b[3 9]c[7]") == 0);
	cluster_cursor_destroy(&cur);
	cluster_cursor_destroy(&cur);
	CHECK(TAILQ_EMPTY(&reg.cursors));

	/* Skipping a cluster yields neither its clients nor its end. */
	buf[0] = '\0';
	cluster_cursor_init(&cur, &reg);
	cluster_cursor_skip_cluster(&cur);
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "b[3 9]c[7]") == 0);
	cluster_cursor_destroy(&cur);

	for (size_t i = 0; i < 5; i++)
		rm(&reg, c[i]);
	cluster_registry_destroy(&reg);
}

static void
test_removals(void)
{
	struct cluster_registry reg;
	struct cluster_cursor cur, other;
	struct qnetd_client *a1, *a2, *b3, *b9, *c7, *d1;
	char buf[256] = "";

	CHECK_EQ(cluster_registry_init(&reg), 0);
	a1 = mk(&reg, "a", 1);
	a2 = mk(&reg, "a", 2);
	b3 = mk(&reg, "b", 3);
	b9 = mk(&reg, "b", 9);
	c7 = mk(&reg, "c", 7);
	cluster_cursor_init(&cur, &reg);
	cluster_cursor_init(&other, &reg);

	/* cur stands on client 1 of a: removing it moves cur to client 2. */
	walk(&cur, buf, sizeof(buf), 1);
	CHECK(strcmp(buf, "a[") == 0);
	rm(&reg, a1);
	walk(&cur, buf, sizeof(buf), 1);
	CHECK(strcmp(buf, "a[2") == 0);
	/* cur stands on a's end (client NULL); a goes away: the end is still owed. */
	rm(&reg, a2);
	walk(&cur, buf, sizeof(buf), 1);
	CHECK(strcmp(buf, "a[2]") == 0);
	/* cur is before b's start; a client ahead joins and is seen. */
	d1 = mk(&reg, "b", 5);
	walk(&cur, buf, sizeof(buf), 2);
	CHECK(strcmp(buf, "a[2]b[3") == 0);
	/* cur is on client 5: b's clients 3 (behind) and 5 (under) leave, 9 is next. */
	rm(&reg, b3);
	rm(&reg, d1);
	walk(&cur, buf, sizeof(buf), 1);
	CHECK(strcmp(buf, "a[2]b[3 9") == 0);
	/* cur is on b's end; b empties; a new cluster after c is seen. */
	rm(&reg, b9);
	d1 = mk(&reg, "d", 1);
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "a[2]b[3 9]c[7]d[1]") == 0);

	/* other never moved: it stood before a's start, a went, then b. */
	buf[0] = '\0';
	walk(&other, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "c[7]d[1]") == 0);
	cluster_cursor_destroy(&cur);
	cluster_cursor_destroy(&other);

	/* A cluster gone halfway, with the next one gone too before the end was read. */
	b3 = mk(&reg, "e", 3);
	buf[0] = '\0';
	cluster_cursor_init(&cur, &reg);
	walk(&cur, buf, sizeof(buf), 2);
	CHECK(strcmp(buf, "c[7") == 0);
	rm(&reg, c7);
	rm(&reg, d1);
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "c[7]e[3]") == 0);
	cluster_cursor_destroy(&cur);

	/* Destroy with a cursor open: it is left DONE and unregistered. */
	cluster_cursor_init(&cur, &reg);
	rm(&reg, b3);
	CHECK(TAILQ_EMPTY(&reg.clusters));
	b3 = mk(&reg, "f", 1);
	cluster_registry_destroy(&reg);
	buf[0] = '\0';
	walk(&cur, buf, sizeof(buf), -1);
	CHECK(strcmp(buf, "f[") == 0 || strcmp(buf, "") == 0);
	cluster_cursor_destroy(&cur);
	client_state_destroy(b3);
	free(b3);
}

/*
 * Random joins, leaves and steps with three cursors open.  Checks what a
 * listing needs: starts and ends pair up, node ids rise within a
 * cluster, no cluster is started twice, and everything present for the
 * whole walk is seen exactly once (a cluster dissolved and formed again
 * during the walk is a new cluster, at the end of the creation order, and
 * may be seen again).
 */
#define CHURN_CLIENTS 64
#define CHURN_NAMES 12

struct churn_cursor {
	struct cluster_cursor cur;
	int open;
	int in_cluster;
	uint32_t last_id;
	char started[CHURN_NAMES];
	char recreated[CHURN_NAMES];	/* a new cluster of that name formed since open */
	unsigned seen[CHURN_CLIENTS];	/* times each slot's client was yielded */
	int stayed[CHURN_CLIENTS];	/* the slot's client was there all along */
};

static struct qnetd_client *slot[CHURN_CLIENTS];

static int
slot_of(const struct qnetd_client *c)
{

	for (int i = 0; i < CHURN_CLIENTS; i++)
		if (slot[i] == c)
			return (i);
	return (-1);
}

static void
churn_step(struct churn_cursor *k)
{
	struct qnetd_cluster *cl;
	struct qnetd_client *c;
	int s;

	switch (cluster_cursor_peek(&k->cur, &cl, &c)) {
	case CLUSTER_CURSOR_DONE:
		return;
	case CLUSTER_CURSOR_CLUSTER:
		CHECK(!k->in_cluster);
		/* Twice only for a cluster dissolved and formed again meanwhile. */
		CHECK(k->started[cl->name[0] - 'a'] == 0 || k->recreated[cl->name[0] - 'a']);
		k->started[cl->name[0] - 'a'] = 1;
		CHECK(!TAILQ_EMPTY(&cl->clients));
		k->in_cluster = 1;
		k->last_id = 0;
		break;
	case CLUSTER_CURSOR_CLIENT:
		CHECK(k->in_cluster);
		CHECK(c->cluster == cl);
		CHECK(c->node_id > k->last_id);
		k->last_id = c->node_id;
		s = slot_of(c);
		CHECK(s >= 0);
		if (s >= 0)
			k->seen[s]++;
		break;
	case CLUSTER_CURSOR_CLUSTER_END:
		CHECK(k->in_cluster);
		k->in_cluster = 0;
		break;
	}
	cluster_cursor_advance(&k->cur);
}

static void
churn_finish(struct churn_cursor *k)
{
	struct qnetd_cluster *cl;
	struct qnetd_client *c;

	while (cluster_cursor_peek(&k->cur, &cl, &c) != CLUSTER_CURSOR_DONE)
		churn_step(k);
	CHECK(!k->in_cluster);
	for (int i = 0; i < CHURN_CLIENTS; i++)
		if (k->stayed[i])
			CHECK_EQ(k->seen[i], 1);
	cluster_cursor_destroy(&k->cur);
	k->open = 0;
}

static void
churn_open(struct churn_cursor *k, struct cluster_registry *reg)
{

	memset(k, 0, sizeof(*k));
	cluster_cursor_init(&k->cur, reg);
	k->open = 1;
	for (int i = 0; i < CHURN_CLIENTS; i++)
		k->stayed[i] = slot[i] != NULL;
}

static void
test_churn(void)
{
	struct cluster_registry reg;
	struct churn_cursor k[3];
	unsigned seed = 12345, r;
	char name[2] = "a";
	int i, j, walks = 0;

	CHECK_EQ(cluster_registry_init(&reg), 0);
	memset(k, 0, sizeof(k));
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		r = (seed >> 8) % 100;
		j = (int)((seed >> 20) % CHURN_CLIENTS);
		if (r < 30) {
			if (slot[j] == NULL) {
				/* slot j is always node id j+1 of cluster j % CHURN_NAMES */
				name[0] = (char)('a' + j % CHURN_NAMES);
				if (cluster_registry_find(&reg, name, 1) == NULL)
					for (int n = 0; n < 3; n++)
						k[n].recreated[j % CHURN_NAMES] = 1;
				slot[j] = mk(&reg, name, (uint32_t)j + 1);
			} else {
				rm(&reg, slot[j]);
				slot[j] = NULL;
				for (int n = 0; n < 3; n++)
					k[n].stayed[j] = 0;
			}
		} else {
			struct churn_cursor *kk = &k[r % 3];

			if (!kk->open) {
				churn_open(kk, &reg);
			} else if (r < 33) {
				churn_finish(kk);
				walks++;
			} else {
				churn_step(kk);
			}
		}
	}
	for (i = 0; i < 3; i++)
		if (k[i].open)
			churn_finish(&k[i]);
	CHECK(walks > 1000);
	for (i = 0; i < CHURN_CLIENTS; i++)
		if (slot[i] != NULL)
			rm(&reg, slot[i]);
	CHECK(TAILQ_EMPTY(&reg.cursors));
	cluster_registry_destroy(&reg);
}

int
main(void)
{

	test_plain_walk();
	test_removals();
	test_churn();

	return (check_exit("test_cluster_cursor"));
}
