/*
 * node_list.h - ordered list of nodes (id, data centre, state) as carried
 * by NODE_LIST messages.  Order is wire order; duplicates are kept.
 */
#ifndef QNETD_NODE_LIST_H
#define QNETD_NODE_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "codec/tlv.h"

struct node_info {
	uint32_t node_id;
	uint32_t data_center_id;        /* 0 = not set */
	enum tlv_node_state node_state; /* NOT_SET when absent */
};

struct node_list {
	struct node_info *nodes; /* owned */
	size_t count;
	size_t cap;
};

void node_list_init(struct node_list *nl);
/* Frees the array; the list is left empty. */
void node_list_destroy(struct node_list *nl);
/* Append one node; 0, or -1 on out of memory (list unchanged). */
int node_list_add(struct node_list *nl, uint32_t node_id, uint32_t data_center_id,
    enum tlv_node_state state);
/* dst becomes a deep copy of src (dst's old content is freed); -1 on OOM, dst unchanged. */
int node_list_clone(struct node_list *dst, const struct node_list *src);
/* dst takes src's array (dst's old content is freed); src is left empty.  Cannot fail. */
void node_list_move(struct node_list *dst, struct node_list *src);
/* 1 if node_id occurs in the list, else 0. */
int node_list_contains(const struct node_list *nl, uint32_t node_id);

#endif
