/*
 * golden.h - hand-written byte vectors for every message type, from
 * protocol.md 1.7 (emit order) and 1.10 (verbatim examples).  Shared by
 * test_msg (builders must reproduce them), test_frame (stream input) and
 * the fuzz seed corpus.
 */
#ifndef QNETD_TEST_GOLDEN_H
#define QNETD_TEST_GOLDEN_H

#define RING_1_4 "00 0d 00 0c 00 00 00 01 00 00 00 00 00 00 00 04"

/* u16 0..17 and 0..23, as TLV 4 and TLV 5 */
#define ALL_MSGS "00 04 00 24 0000 0001 0002 0003 0004 0005 0006 0007 0008 0009" \
	" 000a 000b 000c 000d 000e 000f 0010 0011"
#define ALL_OPTS "00 05 00 30 0000 0001 0002 0003 0004 0005 0006 0007 0008 0009" \
	" 000a 000b 000c 000d 000e 000f 0010 0011 0012 0013 0014 0015 0016 0017"

/* 1.10 verbatim */
#define G_PREINIT "00 00 00 00 00 12 | 00 00 00 04 00 00 00 01 | 00 01 00 06 74 65 73 74 63 6c"
#define G_PREINIT_REPLY "00 01 00 00 00 12 | 00 00 00 04 00 00 00 01 | 00 02 00 01 01 | 00 03 00 01 01"
#define G_STARTTLS "00 02 00 00 00 08 | 00 00 00 04 00 00 00 02"
#define G_NODE_LIST_MEMBERSHIP "00 0a 00 00 00 3a | 00 00 00 04 00 00 00 05 | 00 12 00 01 02 |" \
	"00 0d 00 0c 00 00 00 01 00 00 00 00 00 00 00 04 |" \
	"00 11 00 08 00 09 00 04 00 00 00 01 | 00 11 00 08 00 09 00 04 00 00 00 02 | 00 16 00 01 01"
#define G_VOTE_INFO "00 0e 00 00 00 1d | 00 00 00 04 00 00 00 01 | 00 13 00 01 01 |" \
	" 00 0d 00 0c 00 00 00 01 00 00 00 00 00 00 00 04"
#define G_SERVER_ERROR "00 05 00 00 00 0e | 00 00 00 04 00 00 00 07 | 00 06 00 02 00 0e"

/* INIT as corosync-qdevice sends it: seq 3, node 1, ffsplit, HB 8000, lowest, ring (1,4). */
#define G_INIT "00 03 00 00 00 93 | 00 00 00 04 00 00 00 03 |" ALL_MSGS "|" ALL_OPTS \
	"| 00 09 00 04 00 00 00 01 | 00 0b 00 02 00 01 | 00 0c 00 04 00 00 1f 40 |" \
	" 00 15 00 05 01 00 00 00 00 |" RING_1_4
/* INIT_REPLY: error first, lists, then seq, sizes, algorithms. */
#define G_INIT_REPLY "00 04 00 00 00 86 | 00 06 00 02 00 00 |" ALL_MSGS "|" ALL_OPTS \
	"| 00 00 00 04 00 00 00 03 | 00 07 00 04 00 00 80 00 | 00 08 00 04 00 00 80 00 |" \
	" 00 0a 00 08 00 00 00 01 00 02 00 03"
#define G_INIT_REPLY_ERR "00 04 00 00 00 2a | 00 06 00 02 00 11 |" \
	" 00 00 00 04 00 00 00 03 | 00 07 00 04 00 00 80 00 | 00 08 00 04 00 00 80 00 |" \
	" 00 0a 00 08 00 00 00 01 00 02 00 03"
#define G_SERVER_ERROR_NOSEQ "00 05 00 00 00 06 | 00 06 00 02 00 09"
#define G_SET_OPTION "00 06 00 00 00 0d | 00 00 00 04 00 00 00 04 | 00 17 00 01 01"
#define G_SET_OPTION_REPLY "00 07 00 00 00 15 | 00 00 00 04 00 00 00 04 |" \
	" 00 0c 00 04 00 00 1f 40 | 00 17 00 01 01"
#define G_SET_OPTION_REPLY_NOSEQ "00 07 00 00 00 08 | 00 0c 00 04 00 00 1f 40"
#define G_ECHO_REQUEST "00 08 00 00 00 08 | 00 00 00 04 00 00 00 01"
#define G_ECHO_REPLY "00 09 00 00 00 08 | 00 00 00 04 00 00 00 01"
/* quorum list: seq 6, quorate, node 1 member, node 2 dead */
#define G_NODE_LIST_QUORUM "00 0a 00 00 00 34 | 00 00 00 04 00 00 00 06 | 00 12 00 01 03 |" \
	" 00 14 00 01 01 |" \
	" 00 11 00 0d 00 09 00 04 00 00 00 01 00 10 00 01 01 |" \
	" 00 11 00 0d 00 09 00 04 00 00 00 02 00 10 00 01 02"
/* initial config list: seq 4, config version 5, node 1, node 2 in data centre 7 */
#define G_NODE_LIST_CONFIG "00 0a 00 00 00 39 | 00 00 00 04 00 00 00 04 | 00 12 00 01 00 |" \
	" 00 0e 00 08 00 00 00 00 00 00 00 05 |" \
	" 00 11 00 08 00 09 00 04 00 00 00 01 |" \
	" 00 11 00 10 00 09 00 04 00 00 00 02 00 0f 00 04 00 00 00 07"
#define G_NODE_LIST_REPLY "00 0b 00 00 00 22 | 00 00 00 04 00 00 00 05 | 00 12 00 01 02 |" \
	RING_1_4 "| 00 13 00 01 01"
#define G_ASK_FOR_VOTE "00 0c 00 00 00 08 | 00 00 00 04 00 00 00 08"
#define G_ASK_FOR_VOTE_REPLY "00 0d 00 00 00 1d | 00 00 00 04 00 00 00 08 | 00 13 00 01 02 |" RING_1_4
#define G_VOTE_INFO_REPLY "00 0f 00 00 00 08 | 00 00 00 04 00 00 00 01"
#define G_HEURISTICS_CHANGE "00 10 00 00 00 0d | 00 00 00 04 00 00 00 09 | 00 16 00 01 02"
#define G_HEURISTICS_CHANGE_REPLY "00 11 00 00 00 22 | 00 00 00 04 00 00 00 09 | 00 13 00 01 01 |" \
	RING_1_4 "| 00 16 00 01 02"

struct golden {
	const char *name;
	const char *hex;
};

static const struct golden goldens[] = {
	{ "preinit", G_PREINIT },
	{ "preinit_reply", G_PREINIT_REPLY },
	{ "starttls", G_STARTTLS },
	{ "init", G_INIT },
	{ "init_reply", G_INIT_REPLY },
	{ "init_reply_err", G_INIT_REPLY_ERR },
	{ "server_error", G_SERVER_ERROR },
	{ "server_error_noseq", G_SERVER_ERROR_NOSEQ },
	{ "set_option", G_SET_OPTION },
	{ "set_option_reply", G_SET_OPTION_REPLY },
	{ "set_option_reply_noseq", G_SET_OPTION_REPLY_NOSEQ },
	{ "echo_request", G_ECHO_REQUEST },
	{ "echo_reply", G_ECHO_REPLY },
	{ "node_list_membership", G_NODE_LIST_MEMBERSHIP },
	{ "node_list_quorum", G_NODE_LIST_QUORUM },
	{ "node_list_config", G_NODE_LIST_CONFIG },
	{ "node_list_reply", G_NODE_LIST_REPLY },
	{ "ask_for_vote", G_ASK_FOR_VOTE },
	{ "ask_for_vote_reply", G_ASK_FOR_VOTE_REPLY },
	{ "vote_info", G_VOTE_INFO },
	{ "vote_info_reply", G_VOTE_INFO_REPLY },
	{ "heuristics_change", G_HEURISTICS_CHANGE },
	{ "heuristics_change_reply", G_HEURISTICS_CHANGE_REPLY },
};
#define GOLDEN_COUNT (sizeof(goldens) / sizeof(goldens[0]))

#endif
