/*
 * node_list.c - growable array of nodes in wire order.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/node_list.h"

#define NODE_LIST_MIN_CAP 8

void
node_list_init(struct node_list *nl)
{

	nl->nodes = NULL;
	nl->count = 0;
	nl->cap = 0;
}

void
node_list_destroy(struct node_list *nl)
{

	free(nl->nodes);
	node_list_init(nl);
}

/* Geometric growth keeps a list of N nodes decoded in O(N) copies. */
static int
node_list_grow(struct node_list *nl)
{
	struct node_info *p;
	size_t cap;

	if (nl->cap == 0)
		cap = NODE_LIST_MIN_CAP;
	else if (nl->cap > SIZE_MAX / 2 / sizeof(*p))
		return (-1);
	else
		cap = nl->cap * 2;
	p = realloc(nl->nodes, cap * sizeof(*p));
	if (p == NULL)
		return (-1);
	nl->nodes = p;
	nl->cap = cap;
	return (0);
}

int
node_list_add(struct node_list *nl, uint32_t node_id, uint32_t data_center_id,
    enum tlv_node_state state)
{
	struct node_info *ni;

	if (nl->count == nl->cap && node_list_grow(nl) == -1)
		return (-1);
	ni = &nl->nodes[nl->count++];
	ni->node_id = node_id;
	ni->data_center_id = data_center_id;
	ni->node_state = state;
	return (0);
}

int
node_list_clone(struct node_list *dst, const struct node_list *src)
{
	struct node_info *p;

	if (dst == src)
		return (0);
	p = NULL;
	if (src->count > 0) {
		p = malloc(src->count * sizeof(*p));
		if (p == NULL)
			return (-1);
		memcpy(p, src->nodes, src->count * sizeof(*p));
	}
	free(dst->nodes);
	dst->nodes = p;
	dst->count = src->count;
	dst->cap = src->count;
	return (0);
}

void
node_list_move(struct node_list *dst, struct node_list *src)
{

	if (dst == src)
		return;
	free(dst->nodes);
	*dst = *src;
	node_list_init(src);
}

int
node_list_contains(const struct node_list *nl, uint32_t node_id)
{
	size_t i;

	for (i = 0; i < nl->count; i++) {
		if (nl->nodes[i].node_id == node_id)
			return (1);
	}
	return (0);
}
