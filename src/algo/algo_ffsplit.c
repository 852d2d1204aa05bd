/*
 * algo_ffsplit.c - fifty-fifty split (protocol.md 3.3).
 *
 * Once every connected client reports a consistent view (same config
 * node set; the connected members of each partition on the same ring
 * with the same membership), one partition is selected: a strict
 * majority of the configured nodes, or in a 50:50 split the better
 * score, more connected clients, the keep-active-partition rule and
 * the tie-breaker.  Votes go out in two phases: NACK to the losers,
 * and only after every loser confirmed with VOTE_INFO_REPLY, ACK to
 * the winners.
 *
 * Deliberate differences from upstream (docs/compat.md):
 *  - a reply counts only if it answers the VOTE_INFO of the current
 *    round; upstream also accepted a late reply to an older NACK from a
 *    client that had meanwhile become a winner, and the ACK was lost;
 *  - a VOTE_INFO that cannot be queued disconnects the client it was
 *    meant for, not the client that triggered the decision;
 *  - a client without a config list never crashes the tie-breaker;
 *  - vote memory: the quorate partition that keep-active-partition uses
 *    survives a restart of the daemon, and during a short grace after
 *    it no other partition gets ACK while a remembered node may still
 *    reconnect (with keep-active-partition on only).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "algo/algo.h"
#include "algo_recall.h"
#include "algo_util.h"
#include "base/log.h"

enum ffsplit_cluster_state {
	FFSPLIT_CLUSTER_WAITING_FOR_CHANGE,
	FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP,
	FFSPLIT_CLUSTER_SENDING_NACKS,
	FFSPLIT_CLUSTER_SENDING_ACKS,
};

enum ffsplit_client_state {
	FFSPLIT_CLIENT_WAITING_FOR_CHANGE,
	FFSPLIT_CLIENT_SENDING_NACK,
	FFSPLIT_CLIENT_SENDING_ACK,
};

struct ffsplit_cluster {
	enum ffsplit_cluster_state state;
	struct node_list quorate_partition; /* winner's membership, for KAP */
	/* The client whose timer re-runs a decision withheld for the grace. */
	struct qnetd_client *grace_timer_client;
};

/*
 * A client's stored list as a sorted id set, rebuilt only when the list
 * changed: the handlers drop it whenever a new list may be stored (the
 * session layer stores lists only after our handler said NO_ERROR), and
 * the array pointer and count must still match.
 */
struct ffsplit_set_cache {
	struct id_set set;
	int valid;
	const struct node_info *src;
	size_t src_count;
};

struct ffsplit_client {
	enum ffsplit_client_state state;
	uint32_t vote_info_seq; /* seq of the last VOTE_INFO sent */
	/*
	 * The reply that completes this client's part of the current
	 * round: set when its VOTE_INFO of this round is queued, cleared
	 * when a new round starts and when the reply arrives.
	 */
	int awaiting_reply;
	uint32_t awaited_seq;
	struct ffsplit_set_cache cfg_cache, memb_cache;
};

struct ffsplit_stats {
	long active;
	long score;
};

/*
 * One client's view as the decision sees it: the triggering client's
 * new values stand in for its stored ones.
 */
struct ffsplit_ent {
	struct qnetd_client *client;
	const struct node_list *config;
	const struct node_list *membership;
	const struct tlv_ring_id *ring_id;
	enum tlv_heuristics heuristics;
	int leaving;
	int trigger;
	const struct id_set *cfg_set;
	const struct id_set *memb_set;
	struct id_set own_cfg, own_memb; /* sets not cached in client data */
	size_t memb_class;               /* union-find parent: equal membership sets */
	/* On a class root: one member with this ring passed the full check. */
	const struct tlv_ring_id *verified_ring;
	int stats_done, class_stats_done;
	struct ffsplit_stats stats, class_stats;
};

struct ffsplit_view {
	struct ffsplit_ent *e;
	size_t n;
};

struct ffsplit_input {
	struct qnetd_client *client;
	int leaving;
	const struct tlv_ring_id *ring_id;
	const struct node_list *config;
	const struct node_list *membership;
	enum tlv_heuristics heuristics;
};

static struct ffsplit_client *
ffsplit_cdata(const struct qnetd_client *client)
{

	return (client->algorithm_data);
}

static void
ffsplit_cache_drop(struct ffsplit_set_cache *sc)
{

	id_set_free(&sc->set);
	sc->valid = 0;
}

static const struct id_set *
ffsplit_cache_get(struct ffsplit_set_cache *sc, const struct node_list *nl)
{

	if (sc->valid && sc->src == nl->nodes && sc->src_count == nl->count)
		return (&sc->set);
	ffsplit_cache_drop(sc);
	if (id_set_from_list(&sc->set, nl) != 0)
		return (NULL);
	sc->valid = 1;
	sc->src = nl->nodes;
	sc->src_count = nl->count;
	return (&sc->set);
}

static void
ffsplit_client_data_free(struct qnetd_client *client)
{
	struct ffsplit_client *d;

	d = client->algorithm_data;
	if (d != NULL) {
		ffsplit_cache_drop(&d->cfg_cache);
		ffsplit_cache_drop(&d->memb_cache);
		free(d);
	}
	client->algorithm_data = NULL;
}

static void
ffsplit_cluster_free(struct qnetd_cluster *cluster)
{
	struct ffsplit_cluster *cd;

	cd = cluster->algorithm_data;
	if (cd != NULL) {
		node_list_destroy(&cd->quorate_partition);
		free(cd);
	}
	cluster->algorithm_data = NULL;
}

/*
 * A cluster created while the partition it had before the daemon's
 * restart is in its grace starts with that partition as the last
 * quorate one, as if the daemon had never stopped.
 */
static void
ffsplit_cluster_seed(struct qnetd_cluster *cluster, struct ffsplit_cluster *cd)
{
	struct algo_recall r;
	size_t i;

	if (!recall_get(cluster, TLV_DECISION_ALGORITHM_FFSPLIT, &r))
		return;
	for (i = 0; i < r.n; i++) {
		if (node_list_add(&cd->quorate_partition, r.ids[i], 0, TLV_NODE_STATE_MEMBER) !=
		    0) {
			/* Out of memory: no memory, the normal rules. */
			node_list_destroy(&cd->quorate_partition);
			node_list_init(&cd->quorate_partition);
			return;
		}
	}
	log_msg(LOG_INFO, "ffsplit: cluster %s: remembered quorate partition of %zu node(s)",
	    cluster->name, r.n);
}

static enum tlv_reply_error_code
ffsplit_client_init(struct qnetd_client *client)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_client *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	if (client->cluster->algorithm_data == NULL) {
		cd = calloc(1, sizeof(*cd));
		if (cd == NULL) {
			free(d);
			return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
		}
		cd->state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
		node_list_init(&cd->quorate_partition);
		ffsplit_cluster_seed(client->cluster, cd);
		client->cluster->algorithm_data = cd;
		client->cluster->algorithm_data_free = ffsplit_cluster_free;
	}
	d->state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
	client->algorithm_data = d;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
ffsplit_view_free(struct ffsplit_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		id_set_free(&v->e[i].own_cfg);
		id_set_free(&v->e[i].own_memb);
	}
	free(v->e);
	v->e = NULL;
	v->n = 0;
}

/* The id sets of e's lists: cached for stored lists, owned for new ones. */
static int
ffsplit_ent_sets(struct ffsplit_ent *e)
{
	struct ffsplit_client *d;

	d = ffsplit_cdata(e->client);
	if (d != NULL && e->config == &e->client->configuration_node_list)
		e->cfg_set = ffsplit_cache_get(&d->cfg_cache, e->config);
	else if (id_set_from_list(&e->own_cfg, e->config) == 0)
		e->cfg_set = &e->own_cfg;
	if (d != NULL && e->membership == &e->client->last_membership_node_list)
		e->memb_set = ffsplit_cache_get(&d->memb_cache, e->membership);
	else if (id_set_from_list(&e->own_memb, e->membership) == 0)
		e->memb_set = &e->own_memb;
	return (e->cfg_set != NULL && e->memb_set != NULL ? 0 : -1);
}

static int
ffsplit_view_build(struct ffsplit_view *v, const struct ffsplit_input *in)
{
	struct qnetd_cluster *cluster;
	struct qnetd_client *c;
	struct ffsplit_ent *e;
	size_t n;

	cluster = in->client->cluster;
	v->n = 0;
	v->e = calloc(cluster->client_count > 0 ? cluster->client_count : 1, sizeof(*v->e));
	if (v->e == NULL)
		return (-1);
	n = 0;
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (n == cluster->client_count)
			break;
		e = &v->e[n++];
		e->client = c;
		e->memb_class = n - 1;
		if (c == in->client) {
			e->config = in->config;
			e->membership = in->membership;
			e->ring_id = in->ring_id;
			e->heuristics = in->heuristics;
			e->leaving = in->leaving;
			e->trigger = 1;
		} else {
			e->config = &c->configuration_node_list;
			e->membership = &c->last_membership_node_list;
			e->ring_id = &c->last_ring_id;
			e->heuristics = c->last_heuristics;
		}
		v->n = n;
		if (ffsplit_ent_sets(e) != 0)
			return (-1);
	}
	return (0);
}

/* The entry of the client with node_id (the leaver included), or NULL. */
static struct ffsplit_ent *
ffsplit_view_find(const struct ffsplit_view *v, uint32_t node_id)
{
	size_t lo, hi, mid;

	lo = 0;
	hi = v->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->e[mid].client->node_id == node_id)
			return (&v->e[mid]);
		if (v->e[mid].client->node_id < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * Upstream requires, for every ordered pair of staying clients, that
 * the first one's config ids all appear in the second's list: with two
 * or more staying clients that is equality of the id sets.
 */
static int
ffsplit_config_consistent(const struct ffsplit_view *v)
{
	const struct id_set *ref;
	size_t i;

	ref = NULL;
	for (i = 0; i < v->n; i++) {
		if (v->e[i].leaving)
			continue;
		if (ref == NULL)
			ref = v->e[i].cfg_set;
		else if (!id_set_eq(ref, v->e[i].cfg_set))
			return (0);
	}
	return (1);
}

static size_t
ffsplit_class_root(struct ffsplit_view *v, size_t i)
{
	size_t r, next;

	r = i;
	while (v->e[r].memb_class != r)
		r = v->e[r].memb_class;
	while (v->e[i].memb_class != r) {
		next = v->e[i].memb_class;
		v->e[i].memb_class = r;
		i = next;
	}
	return (r);
}

/*
 * 1 if a's membership set is contained in b's.  Pairs already known to
 * hold equal sets answer in O(1), which keeps a big healthy partition
 * at O(clients x nodes) instead of O(clients x nodes^2).
 */
static int
ffsplit_memb_subset(struct ffsplit_view *v, struct ffsplit_ent *a, struct ffsplit_ent *b)
{
	size_t ra, rb;

	ra = ffsplit_class_root(v, (size_t)(a - v->e));
	rb = ffsplit_class_root(v, (size_t)(b - v->e));
	if (ra == rb)
		return (1);
	if (id_set_eq(a->memb_set, b->memb_set)) {
		v->e[ra].memb_class = rb;
		return (1);
	}
	return (id_set_subset(a->memb_set, b->memb_set));
}

/*
 * Every connected member of a staying client's membership must report
 * the same ring and (at least) the same members.  A client whose class
 * (same member set) already passed with the same ring would repeat the
 * very same comparisons, so it is skipped: a big healthy partition
 * costs O(clients log clients + nodes log clients), not a product.
 */
static int
ffsplit_membership_consistent(struct ffsplit_view *v)
{
	struct ffsplit_ent *a, *b, *root;
	size_t i, j;

	for (i = 0; i < v->n; i++) {
		a = &v->e[i];
		if (a->leaving)
			continue;
		root = &v->e[ffsplit_class_root(v, i)];
		if (root->verified_ring != NULL && tlv_ring_id_eq(root->verified_ring, a->ring_id))
			continue;
		for (j = 0; j < a->memb_set->n; j++) {
			b = ffsplit_view_find(v, a->memb_set->ids[j]);
			if (b == NULL || b->leaving)
				continue;
			if (!tlv_ring_id_eq(a->ring_id, b->ring_id))
				return (0);
			if (!ffsplit_memb_subset(v, a, b))
				return (0);
		}
		v->e[ffsplit_class_root(v, i)].verified_ring = a->ring_id;
	}
	return (1);
}

static int
ffsplit_is_membership_stable(struct ffsplit_view *v)
{

	return (ffsplit_config_consistent(v) && ffsplit_membership_consistent(v));
}

/*
 * Connected clients named in a partition's membership list (each list
 * entry counts, as upstream counts them) and its score: one per client,
 * plus one for a heuristics pass, minus one for a fail.  As upstream,
 * only the candidate itself is seen with its view's heuristics (the new
 * value when it is the trigger); every other member, the trigger
 * included, counts with its stored result.  The leaver is still
 * connected here, as it is upstream.
 */
static void
ffsplit_stats_compute(const struct ffsplit_view *v, const struct ffsplit_ent *cand,
    struct ffsplit_stats *st)
{
	const struct ffsplit_ent *m;
	enum tlv_heuristics h;
	size_t i;

	st->active = 0;
	st->score = 0;
	for (i = 0; i < cand->membership->count; i++) {
		m = ffsplit_view_find(v, cand->membership->nodes[i].node_id);
		if (m == NULL)
			continue;
		h = m == cand ? cand->heuristics : m->client->last_heuristics;
		st->active++;
		st->score++;
		if (h == TLV_HEURISTICS_PASS)
			st->score++;
		else if (h == TLV_HEURISTICS_FAIL)
			st->score--;
	}
}

/*
 * Stats of a candidate, computed once.  Candidates other than the
 * trigger whose list has no repeated id depend only on their member set,
 * so one computation serves a whole partition (the stability check has
 * put its members in one class): O(clients x nodes) per decision, not
 * per candidate.
 */
static const struct ffsplit_stats *
ffsplit_stats(struct ffsplit_view *v, struct ffsplit_ent *cand)
{
	struct ffsplit_ent *root;
	int shareable;

	if (cand->stats_done)
		return (&cand->stats);
	root = &v->e[ffsplit_class_root(v, (size_t)(cand - v->e))];
	shareable = !cand->trigger && cand->membership->count == cand->memb_set->n;
	if (shareable && root->class_stats_done) {
		cand->stats = root->class_stats;
	} else {
		ffsplit_stats_compute(v, cand, &cand->stats);
		if (shareable) {
			root->class_stats = cand->stats;
			root->class_stats_done = 1;
		}
	}
	cand->stats_done = 1;
	return (&cand->stats);
}

/*
 * The tie-breaker's preferred node comes from the candidate's own config
 * list (upstream quirk, kept).  An empty list has no preferred node:
 * upstream asserts (or crashes) there.
 */
static int
ffsplit_is_preferred(const struct ffsplit_ent *cand)
{
	const struct node_list *cfg;
	uint32_t pref;
	size_t i;

	cfg = cand->config;
	switch (cand->client->tie_breaker.mode) {
	case TLV_TIE_BREAKER_MODE_LOWEST:
	case TLV_TIE_BREAKER_MODE_HIGHEST:
		if (cfg->count == 0)
			return (0);
		pref = cfg->nodes[0].node_id;
		for (i = 1; i < cfg->count; i++) {
			if (cand->client->tie_breaker.mode == TLV_TIE_BREAKER_MODE_LOWEST
			        ? cfg->nodes[i].node_id < pref
			        : cfg->nodes[i].node_id > pref)
				pref = cfg->nodes[i].node_id;
		}
		break;
	case TLV_TIE_BREAKER_MODE_NODE_ID:
		pref = cand->client->tie_breaker.node_id;
		break;
	default:
		return (0);
	}
	return (node_list_contains(cand->membership, pref));
}

struct ffsplit_select {
	struct ffsplit_ent *best;
	int kap;
	struct id_set quorate;
};

/* 1 if cand's partition beats the best so far (which may be none). */
static int
ffsplit_partition_better(struct ffsplit_view *v, struct ffsplit_ent *cand,
    const struct ffsplit_select *sel)
{
	static const struct ffsplit_stats none;
	const struct ffsplit_stats *cst, *bst;
	size_t n, m;
	int q1, q2;

	n = cand->config->count;
	m = cand->membership->count;
	if (m > n / 2)
		return (1);
	if (n % 2 != 0 || m < n / 2)
		return (0);
	/* A 50:50 split. */
	cst = ffsplit_stats(v, cand);
	bst = sel->best != NULL ? ffsplit_stats(v, sel->best) : &none;
	if (cst->score != bst->score)
		return (cst->score > bst->score);
	if (cst->active != bst->active)
		return (cst->active > bst->active);
	if (sel->kap && sel->best != NULL) {
		q1 = id_set_has(&sel->quorate, cand->client->node_id);
		q2 = id_set_has(&sel->quorate, sel->best->client->node_id);
		if (q1 != q2)
			return (q1);
	}
	return (ffsplit_is_preferred(cand));
}

/*
 * The winning entry, or NULL when no partition qualifies; *kap: every
 * client enabled keep-active-partition.  -1 on OOM.
 */
static int
ffsplit_select_partition(struct ffsplit_view *v, const struct ffsplit_cluster *cd,
    const struct ffsplit_ent **winner, int *kap)
{
	struct ffsplit_select sel;
	size_t i;

	memset(&sel, 0, sizeof(sel));
	/* KAP counts only when every client of the cluster enabled it. */
	sel.kap = 1;
	for (i = 0; i < v->n; i++)
		if (!v->e[i].client->keep_active_partition_tie_breaker)
			sel.kap = 0;
	if (id_set_from_list(&sel.quorate, &cd->quorate_partition) != 0)
		return (-1);
	for (i = 0; i < v->n; i++) {
		if (v->e[i].leaving)
			continue;
		if (ffsplit_partition_better(v, &v->e[i], &sel))
			sel.best = &v->e[i];
	}
	id_set_free(&sel.quorate);
	*winner = sel.best;
	*kap = sel.kap;
	return (0);
}

static void
ffsplit_assign_states(const struct ffsplit_view *v, const struct id_set *win)
{
	struct ffsplit_client *d;
	size_t i;

	for (i = 0; i < v->n; i++) {
		d = ffsplit_cdata(v->e[i].client);
		if (d == NULL)
			continue;
		/* A new round: replies to earlier VOTE_INFOs no longer count. */
		d->awaiting_reply = 0;
		if (v->e[i].leaving)
			d->state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
		else if (win != NULL && id_set_has(win, v->e[i].client->node_id))
			d->state = FFSPLIT_CLIENT_SENDING_ACK;
		else
			d->state = FFSPLIT_CLIENT_SENDING_NACK;
	}
}

/*
 * Queue vote to every client in the matching state.  trigger gets
 * trigger_ring (its new ring), the others their stored ring.  Returns
 * the number of VOTE_INFOs attempted; a client we cannot queue to is
 * scheduled for disconnect (which recomputes without it).
 */
static size_t
ffsplit_send_votes(struct qnetd_cluster *cluster, const struct qnetd_client *trigger,
    int trigger_leaving, const struct tlv_ring_id *trigger_ring, int acks)
{
	const struct algo_env *env;
	const struct tlv_ring_id *ring;
	struct ffsplit_client *d;
	struct qnetd_client *c;
	enum ffsplit_client_state want;
	enum tlv_vote vote;
	size_t sent;

	env = algo_env_get();
	want = acks ? FFSPLIT_CLIENT_SENDING_ACK : FFSPLIT_CLIENT_SENDING_NACK;
	vote = acks ? TLV_VOTE_ACK : TLV_VOTE_NACK;
	sent = 0;
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (c == trigger && trigger_leaving)
			continue;
		d = ffsplit_cdata(c);
		if (d == NULL || d->state != want)
			continue;
		ring = c == trigger ? trigger_ring : &c->last_ring_id;
		d->vote_info_seq++;
		d->awaited_seq = d->vote_info_seq;
		d->awaiting_reply = 1;
		sent++;
		if (env->send_vote_info(c, d->vote_info_seq, ring, vote) != 0) {
			/* One already going away (a mass disconnect) is not news. */
			if (!client_closing(c))
				log_client(LOG_ERR, c,
				    "ffsplit: can't queue VOTE_INFO, disconnecting");
			env->schedule_disconnect(c);
		}
	}
	return (sent);
}

static size_t
ffsplit_count_state(const struct qnetd_cluster *cluster, enum ffsplit_client_state st)
{
	const struct qnetd_client *c;
	const struct ffsplit_client *d;
	size_t n;

	n = 0;
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		d = ffsplit_cdata(c);
		if (d != NULL && d->state == st)
			n++;
	}
	return (n);
}

/* Phase two: ACKs; with none to send the round is over. */
static void
ffsplit_start_acks(struct qnetd_cluster *cluster, struct ffsplit_cluster *cd,
    const struct qnetd_client *trigger, int leaving, const struct tlv_ring_id *ring)
{

	cd->state = FFSPLIT_CLUSTER_SENDING_ACKS;
	if (ffsplit_send_votes(cluster, trigger, leaving, ring, 1) == 0) {
		log_msg(LOG_DEBUG, "ffsplit: cluster %s: no client gets ACK", cluster->name);
		cd->state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
	}
}

/*
 * The grace after a restart (keep-active-partition on): a winner without
 * a remembered node gets no ACK while a remembered node is not in the
 * view, since it may still reconnect and then win the KAP step.  Once
 * every remembered node reported (and lost), or the grace is over, the
 * normal rules apply.  *r is filled when the grace runs.
 */
static int
ffsplit_withhold(const struct ffsplit_view *v, const struct ffsplit_ent *winner, int kap,
    const struct qnetd_cluster *cluster, struct algo_recall *r)
{
	const struct ffsplit_ent *e;
	size_t i;

	if (!kap || !recall_get(cluster, TLV_DECISION_ALGORITHM_FFSPLIT, r))
		return (0);
	if (winner != NULL) {
		for (i = 0; i < winner->memb_set->n; i++)
			if (recall_has(r, winner->memb_set->ids[i]))
				return (0);
	}
	for (i = 0; i < r->n; i++) {
		e = ffsplit_view_find(v, r->ids[i]);
		if (e == NULL || e->leaving)
			return (1);
	}
	return (0);
}

/*
 * Arm (withheld) or drop the timer that decides again when the grace
 * ends, on a client that stays: the trigger, else the first other one.
 */
static void
ffsplit_grace_timer(const struct ffsplit_view *v, struct ffsplit_cluster *cd,
    const struct ffsplit_input *in, const struct algo_recall *r, int withheld)
{
	const struct algo_env *env;
	struct qnetd_client *c;
	size_t i;

	env = algo_env_get();
	if (cd->grace_timer_client != NULL)
		env->timer_abort(cd->grace_timer_client);
	cd->grace_timer_client = NULL;
	if (!withheld)
		return;
	c = in->leaving ? NULL : in->client;
	for (i = 0; c == NULL && i < v->n; i++)
		if (!v->e[i].leaving)
			c = v->e[i].client;
	if (c == NULL)
		return;
	if (env->timer_schedule(c, r->grace_left_ms) != 0) {
		log_client(LOG_ERR, c, "ffsplit: can't schedule the algorithm timer");
		return;
	}
	cd->grace_timer_client = c;
}

/* The new quorate partition (KAP's memory); the daemon's memory follows. */
static int
ffsplit_set_quorate(struct qnetd_cluster *cluster, struct ffsplit_cluster *cd,
    const struct ffsplit_ent *winner)
{
	struct node_list copy;

	node_list_init(&copy);
	if (winner != NULL && node_list_clone(&copy, winner->membership) != 0)
		return (-1);
	node_list_move(&cd->quorate_partition, &copy);
	if (winner != NULL)
		recall_note(cluster, TLV_DECISION_ALGORITHM_FFSPLIT, winner->memb_set->ids,
		    winner->memb_set->n);
	else
		recall_note(cluster, TLV_DECISION_ALGORITHM_FFSPLIT, NULL, 0);
	return (0);
}

static enum tlv_reply_error_code
ffsplit_decide(struct ffsplit_view *v, struct ffsplit_cluster *cd, const struct ffsplit_input *in)
{
	struct qnetd_cluster *cluster;
	const struct ffsplit_ent *winner;
	struct algo_recall r;
	int kap, withheld;

	cluster = in->client->cluster;
	if (ffsplit_select_partition(v, cd, &winner, &kap) != 0)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	withheld = ffsplit_withhold(v, winner, kap, cluster, &r);
	if (withheld) {
		/* Everyone NACK; the remembered partition stays the quorate one. */
		log_msg(LOG_INFO,
		    "ffsplit: cluster %s: remembered partition not back yet, "
		    "no ACK for %u ms",
		    cluster->name, (unsigned)r.grace_left_ms);
		winner = NULL;
	} else if (ffsplit_set_quorate(cluster, cd, winner) != 0) {
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	}
	ffsplit_grace_timer(v, cd, in, &r, withheld);
	log_msg(LOG_DEBUG, "ffsplit: cluster %s: %s", cluster->name,
	    winner != NULL ? "quorate partition selected" : "no quorate partition");

	ffsplit_assign_states(v, winner != NULL ? winner->memb_set : NULL);
	cd->state = FFSPLIT_CLUSTER_SENDING_NACKS;
	if (ffsplit_send_votes(cluster, in->client, in->leaving, in->ring_id, 0) == 0)
		ffsplit_start_acks(cluster, cd, in->client, in->leaving, in->ring_id);
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
ffsplit_do(const struct ffsplit_input *in, enum tlv_vote *result_vote)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_view v;
	enum tlv_reply_error_code rc;
	int stable;

	cd = in->client->cluster->algorithm_data;
	if (cd == NULL)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	cd->state = FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP;
	if (ffsplit_view_build(&v, in) != 0) {
		ffsplit_view_free(&v);
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	}
	stable = ffsplit_is_membership_stable(&v);
	if (!stable) {
		log_msg(LOG_DEBUG, "ffsplit: cluster %s: membership not yet stable",
		    in->client->cluster->name);
		*result_vote = TLV_VOTE_WAIT_FOR_REPLY;
		rc = TLV_REPLY_ERROR_CODE_NO_ERROR;
	} else {
		rc = ffsplit_decide(&v, cd, in);
		if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR)
			*result_vote = TLV_VOTE_NO_CHANGE;
	}
	ffsplit_view_free(&v);
	return (rc);
}

static enum tlv_reply_error_code
ffsplit_config_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    int config_version_set, uint64_t config_version, const struct node_list *nodes, int initial,
    enum tlv_vote *result_vote)
{
	struct ffsplit_input in;

	(void)msg_seq;
	(void)config_version_set;
	(void)config_version;
	if (ffsplit_cdata(client) != NULL)
		ffsplit_cache_drop(&ffsplit_cdata(client)->cfg_cache);
	if (nodes->count == 0 || !node_list_contains(nodes, client->node_id)) {
		log_client(LOG_ERR, client,
		    "ffsplit: config node list is empty or lacks "
		    "the client's node id");
		return (TLV_REPLY_ERROR_CODE_INVALID_CONFIG_NODE_LIST);
	}
	if (initial || client->last_membership_node_list.count == 0) {
		/* The membership list follows; decide then. */
		*result_vote = TLV_VOTE_ASK_LATER;
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	in.client = client;
	in.leaving = 0;
	in.ring_id = &client->last_ring_id;
	in.config = nodes;
	in.membership = &client->last_membership_node_list;
	in.heuristics = client->last_heuristics;
	return (ffsplit_do(&in, result_vote));
}

static int
ffsplit_same_list(const struct node_list *a, const struct node_list *b)
{
	size_t i;

	if (a->count != b->count)
		return (0);
	for (i = 0; i < a->count; i++)
		if (a->nodes[i].node_id != b->nodes[i].node_id)
			return (0);
	return (1);
}

/*
 * A member of the pending round reports a new view that does not lead
 * to a decision (it has no config list yet, so the answer is ASK_LATER).
 * The round was decided on its old view, and its ACK phase would send
 * ACK with the client's new ring: drop the round, as an unstable
 * recomputation would; the next decision starts a fresh one.  Only a
 * client that sends its membership before its config list gets here;
 * the stock client never does.
 */
static void
ffsplit_view_changed_unseen(struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct node_list *nodes)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_client *d;

	cd = client->cluster->algorithm_data;
	d = ffsplit_cdata(client);
	if (cd == NULL || d == NULL || d->state == FFSPLIT_CLIENT_WAITING_FOR_CHANGE)
		return;
	if (cd->state != FFSPLIT_CLUSTER_SENDING_NACKS && cd->state != FFSPLIT_CLUSTER_SENDING_ACKS)
		return;
	if (tlv_ring_id_eq(ring_id, &client->last_ring_id) &&
	    ffsplit_same_list(nodes, &client->last_membership_node_list))
		return;
	log_client(LOG_DEBUG, client,
	    "ffsplit: view changed without a config list; "
	    "dropping the pending round");
	cd->state = FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP;
}

static enum tlv_reply_error_code
ffsplit_membership_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    const struct tlv_ring_id *ring_id, const struct node_list *nodes,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{
	struct ffsplit_input in;

	(void)msg_seq;
	if (ffsplit_cdata(client) != NULL)
		ffsplit_cache_drop(&ffsplit_cdata(client)->memb_cache);
	if (nodes->count == 0 || !node_list_contains(nodes, client->node_id)) {
		log_client(LOG_ERR, client,
		    "ffsplit: membership node list is empty or "
		    "lacks the client's node id");
		return (TLV_REPLY_ERROR_CODE_INVALID_MEMBERSHIP_NODE_LIST);
	}
	if (client->configuration_node_list.count == 0) {
		ffsplit_view_changed_unseen(client, ring_id, nodes);
		*result_vote = TLV_VOTE_ASK_LATER;
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	in.client = client;
	in.leaving = 0;
	in.ring_id = ring_id;
	in.config = &client->configuration_node_list;
	in.membership = nodes;
	in.heuristics = heuristics;
	return (ffsplit_do(&in, result_vote));
}

static void
ffsplit_client_disconnect(struct qnetd_client *client, int server_going_down)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_input in;
	enum tlv_vote ignored;

	cd = client->cluster != NULL ? client->cluster->algorithm_data : NULL;
	if (cd != NULL && cd->grace_timer_client == client)
		cd->grace_timer_client = NULL;
	if (!server_going_down && cd != NULL && client->algorithm_data != NULL) {
		in.client = client;
		in.leaving = 1;
		in.ring_id = &client->last_ring_id;
		in.config = &client->configuration_node_list;
		in.membership = &client->last_membership_node_list;
		in.heuristics = client->last_heuristics;
		(void)ffsplit_do(&in, &ignored);
	}
	ffsplit_client_data_free(client);
}

static enum tlv_reply_error_code
ffsplit_ask_for_vote_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	(void)result_vote;
	return (TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE);
}

static enum tlv_reply_error_code
ffsplit_vote_info_reply_received(struct qnetd_client *client, uint32_t msg_seq)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_client *d;

	cd = client->cluster != NULL ? client->cluster->algorithm_data : NULL;
	d = ffsplit_cdata(client);
	if (cd == NULL || d == NULL)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	if (!d->awaiting_reply || d->awaited_seq != msg_seq) {
		log_client(LOG_DEBUG, client,
		    "ffsplit: ignoring reply to an older "
		    "VOTE_INFO (seq %u)",
		    (unsigned)msg_seq);
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	d->awaiting_reply = 0;
	d->state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;

	if (cd->state == FFSPLIT_CLUSTER_SENDING_NACKS) {
		if (ffsplit_count_state(client->cluster, FFSPLIT_CLIENT_SENDING_NACK) == 0) {
			log_msg(LOG_DEBUG, "ffsplit: cluster %s: every NACK confirmed",
			    client->cluster->name);
			ffsplit_start_acks(client->cluster, cd, client, 0, &client->last_ring_id);
		}
	} else if (cd->state == FFSPLIT_CLUSTER_SENDING_ACKS) {
		if (ffsplit_count_state(client->cluster, FFSPLIT_CLIENT_SENDING_ACK) == 0)
			cd->state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
	}
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
ffsplit_heuristics_change_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{
	struct ffsplit_input in;

	(void)msg_seq;
	if (client->configuration_node_list.count == 0 ||
	    client->last_membership_node_list.count == 0) {
		*result_vote = TLV_VOTE_ASK_LATER;
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	in.client = client;
	in.leaving = 0;
	in.ring_id = &client->last_ring_id;
	in.config = &client->configuration_node_list;
	in.membership = &client->last_membership_node_list;
	in.heuristics = heuristics;
	return (ffsplit_do(&in, result_vote));
}

/*
 * Only a decision withheld for the grace arms the timer: decide again
 * from the stored lists (the VOTE_INFOs go out from the decision).
 */
static enum tlv_reply_error_code
ffsplit_timer_callback(struct qnetd_client *client, int *reschedule_timer, int *send_vote,
    enum tlv_vote *result_vote)
{
	struct ffsplit_cluster *cd;
	struct ffsplit_input in;
	enum tlv_vote ignored;

	*reschedule_timer = 0;
	*send_vote = 0;
	*result_vote = TLV_VOTE_NO_CHANGE;
	cd = client->cluster != NULL ? client->cluster->algorithm_data : NULL;
	if (cd == NULL || cd->grace_timer_client != client || client->algorithm_data == NULL)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	cd->grace_timer_client = NULL;
	if (client->configuration_node_list.count == 0 ||
	    client->last_membership_node_list.count == 0)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	log_client(LOG_DEBUG, client, "ffsplit: grace over, deciding again");
	in.client = client;
	in.leaving = 0;
	in.ring_id = &client->last_ring_id;
	in.config = &client->configuration_node_list;
	in.membership = &client->last_membership_node_list;
	in.heuristics = client->last_heuristics;
	return (ffsplit_do(&in, &ignored));
}

const struct algo_ops algo_ffsplit_ops = {
	.name = "ffsplit",
	.client_init = ffsplit_client_init,
	.config_node_list_received = ffsplit_config_node_list_received,
	.membership_node_list_received = ffsplit_membership_node_list_received,
	.quorum_node_list_received = algo_quorum_node_list_no_change,
	.client_disconnect = ffsplit_client_disconnect,
	.ask_for_vote_received = ffsplit_ask_for_vote_received,
	.vote_info_reply_received = ffsplit_vote_info_reply_received,
	.heuristics_change_received = ffsplit_heuristics_change_received,
	.timer_callback = ffsplit_timer_callback,
};
