/*
 * algo_recall.h - private helpers over the vote memory (include/algo/
 * algo.h, struct algo_memory_env) shared by the decision algorithms:
 * where the remembered partition stands after a restart, and telling
 * the daemon which partition holds the vote now.  Only the algorithm
 * sources include it.
 */
#ifndef QNETD_ALGO_RECALL_H
#define QNETD_ALGO_RECALL_H

#include <stddef.h>
#include <stdint.h>

#include "algo/algo.h"

/* 1 and *r while cluster's remembered partition is in its grace; else 0. */
int recall_get(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    struct algo_recall *r);
/* 1 if id is one of the remembered nodes. */
int recall_has(const struct algo_recall *r, uint32_t id);
/*
 * 1 when every remembered node has a client in cluster that reported a
 * ring (so it can take part in a decision); 0 while one may still come.
 */
int recall_all_reported(const struct algo_recall *r, const struct qnetd_cluster *cluster);

/* Where the remembered nodes are, seen by client deciding for ring_id. */
enum recall_side {
	RECALL_NONE,   /* no remembered node reported a ring */
	RECALL_OURS,   /* only in client's partition (client itself or ring_id) */
	RECALL_THEIRS, /* only in other partitions */
	RECALL_BOTH,
};
enum recall_side recall_side(const struct algo_recall *r, const struct qnetd_client *client,
    const struct tlv_ring_id *ring_id);

/* Tell the memory (if installed) that ids (ascending, distinct) hold the vote. */
void recall_note(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    const uint32_t *ids, size_t n);
/*
 * recall_note with the node ids of cluster's clients for which holds()
 * is true, skip excepted (a client on its way out).  Out of memory: the
 * note is skipped, the memory keeps its older value.
 */
void recall_note_holders(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    int (*holds)(const struct qnetd_client *), const struct qnetd_client *skip);

#endif
