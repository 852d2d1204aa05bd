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

#include "base/text.h"
#include "core/client.h"

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
	static char buf[320];
	char name[201];

	if (client->cluster_name == NULL) {
		buf[0] = '\0';
		return (buf);
	}
	/* Peer-chosen names go into logs: keep them printable and short. */
	text_printable(name, sizeof(name), client->cluster_name, client->cluster_name_len);
	if (client->init_received)
		snprintf(buf, sizeof(buf), " (cluster %s, node %u)", name, client->node_id);
	else
		snprintf(buf, sizeof(buf), " (cluster %s)", name);
	return (buf);
}
