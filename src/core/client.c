/*
 * client.c - the per-connection state that the session layer, the
 * cluster registry and the decision algorithms share.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/text.h"
#include "core/client.h"

/*
 * The transition table (docs/design.md, "State machine and ownership").
 * A repeated PREINIT keeps the state it finds, so PREINIT_DONE and
 * TLS_STARTED list themselves; every other move goes forward.
 */
static const unsigned char allowed[CLIENT_STATE_COUNT][CLIENT_STATE_COUNT] = {
	[CLIENT_STATE_ACCEPTED] = {
	    [CLIENT_STATE_PREINIT_DONE] = 1,
	    [CLIENT_STATE_CLOSING] = 1,
	},
	[CLIENT_STATE_PREINIT_DONE] = {
	    [CLIENT_STATE_PREINIT_DONE] = 1,
	    [CLIENT_STATE_TLS_STARTED] = 1,
	    [CLIENT_STATE_INITIALISED] = 1,
	    [CLIENT_STATE_CLOSING] = 1,
	},
	[CLIENT_STATE_TLS_STARTED] = {
	    [CLIENT_STATE_TLS_STARTED] = 1,
	    [CLIENT_STATE_INITIALISED] = 1,
	    [CLIENT_STATE_CLOSING] = 1,
	},
	[CLIENT_STATE_INITIALISED] = {
	    [CLIENT_STATE_CLOSING] = 1,
	},
	[CLIENT_STATE_CLOSING] = { 0 },
};

static const char *const state_names[CLIENT_STATE_COUNT] = {
	[CLIENT_STATE_ACCEPTED] = "ACCEPTED",
	[CLIENT_STATE_PREINIT_DONE] = "PREINIT_DONE",
	[CLIENT_STATE_TLS_STARTED] = "TLS_STARTED",
	[CLIENT_STATE_INITIALISED] = "INITIALISED",
	[CLIENT_STATE_CLOSING] = "CLOSING",
};

const char *
client_state_name(enum client_state state)
{
	if ((unsigned)state >= CLIENT_STATE_COUNT)
		return ("?");
	return (state_names[state]);
}

int
client_state_allowed(enum client_state from, enum client_state to)
{
	if ((unsigned)from >= CLIENT_STATE_COUNT || (unsigned)to >= CLIENT_STATE_COUNT)
		return (0);
	return (allowed[from][to]);
}

int
client_state_move(struct qnetd_client *client, enum client_state to)
{
	if (!client_state_allowed(client->state, to)) {
		log_client(LOG_CRIT, client, "internal error: state %s -> %s is not allowed",
		    client_state_name(client->state), client_state_name(to));
		return (-1);
	}
	if (to == CLIENT_STATE_CLOSING)
		client->closed_in = client->state;
	client->state = to;
	return (0);
}

void
client_state_init(struct qnetd_client *client)
{

	memset(client, 0, sizeof(*client));
	/* Upstream starts with the largest interval until INIT says otherwise. */
	client->heartbeat_interval = 120000;
	node_list_init(&client->configuration_node_list);
	node_list_init(&client->last_membership_node_list);
	node_list_init(&client->last_quorum_node_list);
	client->last_membership_heuristics = TLV_HEURISTICS_UNDEFINED;
	client->last_regular_heuristics = TLV_HEURISTICS_UNDEFINED;
	client->last_heuristics = TLV_HEURISTICS_UNDEFINED;
	client->last_sent_vote = TLV_VOTE_UNDEFINED;
	client->last_sent_ack_nack_vote = TLV_VOTE_UNDEFINED;
}

void
client_state_destroy(struct qnetd_client *client)
{

	free(client->cluster_name);
	client->cluster_name = NULL;
	client->cluster_name_len = 0;
	node_list_destroy(&client->configuration_node_list);
	node_list_destroy(&client->last_membership_node_list);
	node_list_destroy(&client->last_quorum_node_list);
}

void
client_record_vote(struct qnetd_client *client, enum tlv_vote vote)
{

	if (vote != client->last_sent_vote)
		client->last_vote_change = time(NULL);
	client->last_sent_vote = vote;
	if (vote == TLV_VOTE_ACK || vote == TLV_VOTE_NACK)
		client->last_sent_ack_nack_vote = vote;
}

const char *
client_log_ctx(const struct qnetd_client *client)
{
	static char buf[340];
	char name[201];
	unsigned long long id = (unsigned long long)client->id;

	if (client->cluster_name == NULL) {
		snprintf(buf, sizeof(buf), " (id %llu)", id);
		return (buf);
	}
	/* Peer-chosen names go into logs: keep them printable and short. */
	text_printable(name, sizeof(name), client->cluster_name, client->cluster_name_len);
	if (client_initialised(client))
		snprintf(buf, sizeof(buf), " (id %llu, cluster %s, node %u)", id, name,
		    client->node_id);
	else
		snprintf(buf, sizeof(buf), " (id %llu, cluster %s)", id, name);
	return (buf);
}
