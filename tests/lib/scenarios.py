"""The black-box scenarios (protocol.md Appendix A, sections 2.3, 2.5,
2.7, 2.8, 2.10, 5.3).  Every reply is compared byte for byte with what
the reference daemon (Debian's corosync-qnetd 3.0.3) sends.

Groups: framing, ffsplit, tls, dpd, ipc.
"""

import re
import socket
import time

from bbtest import scenario
import qnetd_client as q
from qnetd_client import (E_ALGORITHM_DIFFERS, E_DOESNT_CONTAIN_REQUIRED_OPTION,
                          E_DUPLICATE_NODE_ID, E_ERROR_DECODING_MSG,
                          E_INIT_REQUIRED, E_INVALID_CONFIG_NODE_LIST,
                          E_INVALID_HEARTBEAT_INTERVAL,
                          E_INVALID_MEMBERSHIP_NODE_LIST,
                          E_MESSAGE_TOO_LONG, E_PREINIT_REQUIRED,
                          E_TIE_BREAKER_DIFFERS, E_TLS_REQUIRED,
                          E_UNEXPECTED_MESSAGE,
                          E_UNSUPPORTED_DECISION_ALGORITHM,
                          E_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE,
                          E_UNSUPPORTED_MESSAGE, LIST_INITIAL_CONFIG,
                          LIST_CHANGED_CONFIG, LIST_MEMBERSHIP, LIST_QUORUM,
                          VOTE_ACK, VOTE_ASK_LATER, VOTE_NO_CHANGE,
                          VOTE_WAIT_FOR_REPLY)

RING = (1, 4)


def fresh(ctx, name="c", **daemon_args):
    d = ctx.daemon(**daemon_args)
    return d, ctx.client(d, name)


def preinited(ctx, cluster="testcl", **daemon_args):
    d, c = fresh(ctx, **daemon_args)
    c.do_preinit(cluster)
    return d, c


def inited(ctx, cluster="testcl", node_id=1, **daemon_args):
    d, c = fresh(ctx, **daemon_args)
    c.handshake(cluster, node_id)
    return d, c


# ===================================================== framing and errors

@scenario("empty_body", "framing")
def _(ctx):
    """ECHO_REQUEST with an empty body: SERVER_ERROR 9, no seq."""
    d, c = preinited(ctx)
    c.send(q.frame(q.MSG_ECHO_REQUEST, b""))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "empty body")
    c.expect_open(False)


@scenario("empty_body_set_option", "framing")
def _(ctx):
    """SET_OPTION with an empty body after INIT: 9 (no TLV is mandatory,
    but an empty body does not decode)."""
    d, c = inited(ctx)
    c.send(q.frame(q.MSG_SET_OPTION, b""))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "empty SET_OPTION")
    c.expect_open(True)


@scenario("unknown_type_99", "framing")
def _(ctx):
    """Header type 99: body skipped, SERVER_ERROR 4 without seq."""
    d, c = preinited(ctx)
    c.send(q.message(99, q.t_seq(5), q.t_node_id(3)))
    c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "type 99")
    c.expect_open(False)


@scenario("unknown_type_empty_body", "framing")
def _(ctx):
    """Unknown type with an empty body (99, 18, 65535): the reference
    answers SERVER_ERROR with error code 0 (NO_ERROR), not 4 - its skip
    reason is only set when there is a body to skip.  Real program wins."""
    d, c = fresh(ctx)
    for t in (99, 18, 0xFFFF):
        c.send(q.frame(t, b""))
        c.expect(q.server_error(q.E_NO_ERROR), "type %d, empty body" % t)
    c.do_preinit()
    c.send(q.frame(99, b""))
    c.expect(q.server_error(q.E_NO_ERROR), "type 99, empty, after PREINIT")
    c.expect_open(False)


@scenario("unknown_type_18_split", "framing")
def _(ctx):
    """Type 18 (first invalid type), header and body sent in pieces:
    the whole body is skipped, then SERVER_ERROR 4 without seq."""
    d, c = preinited(ctx)
    m = q.message(18, q.t_seq(6), q.tlv(200, b"x" * 3000))
    c.send(m[:3])
    time.sleep(0.05)
    c.send(m[3:8])
    time.sleep(0.05)
    c.send(m[8:2000])
    c.expect_silence(0.2, "half-skipped body")
    c.send(m[2000:])
    c.expect(q.server_error(E_UNSUPPORTED_MESSAGE), "type 18")
    c.expect_open(False)


@scenario("too_long_40000", "framing")
def _(ctx):
    """A 40000-byte body (> 32768 with the header): skipped, SERVER_ERROR 5
    without seq, even though the body starts with a seq TLV."""
    d, c = preinited(ctx)
    body = q.t_seq(3) + q.tlv(200, b"\0" * (40000 - 8 - 4))
    assert len(body) == 40000
    c.send(q.frame(q.MSG_ECHO_REQUEST, body))
    c.expect(q.server_error(E_MESSAGE_TOO_LONG), "40000-byte body")
    c.expect_open(False)


@scenario("size_limit_boundary", "framing")
def _(ctx):
    """6 + length == 32768 is accepted (echoed), 32769 is error 5."""
    d, c = inited(ctx)
    body = q.t_seq(9) + q.tlv(200, b"\1" * (32768 - 6 - 8 - 4))
    req = c.send(q.frame(q.MSG_ECHO_REQUEST, body))
    c.expect(q.echo_reply_of(req), "32768-byte echo")
    body = q.t_seq(10) + q.tlv(200, b"\1" * (32769 - 6 - 8 - 4))
    c.send(q.frame(q.MSG_ECHO_REQUEST, body))
    c.expect(q.server_error(E_MESSAGE_TOO_LONG), "32769-byte echo")
    c.expect_open(True)


@scenario("echo_before_init", "framing")
def _(ctx):
    """ECHO_REQUEST before INIT (no PREINIT either, then after PREINIT): 11
    with the seq."""
    d, c = fresh(ctx)
    c.send(q.echo_request(4))
    c.expect(q.server_error(E_INIT_REQUIRED, 4), "echo, no PREINIT")
    c.do_preinit()
    c.send(q.echo_request(5))
    c.expect(q.server_error(E_INIT_REQUIRED, 5), "echo after PREINIT")
    c.expect_open(False)


@scenario("node_list_before_init", "framing")
def _(ctx):
    """NODE_LIST before INIT: 11 with the seq."""
    d, c = preinited(ctx)
    c.send(q.node_list(4, LIST_INITIAL_CONFIG, (1, 2)))
    c.expect(q.server_error(E_INIT_REQUIRED, 4), "node list before INIT")
    c.expect_open(False)


@scenario("other_before_init", "framing")
def _(ctx):
    """SET_OPTION, ASK_FOR_VOTE, VOTE_INFO_REPLY, HEURISTICS_CHANGE before
    INIT: 11 each, seq echoed."""
    d, c = preinited(ctx)
    c.send(q.set_option(3, kap=1))
    c.expect(q.server_error(E_INIT_REQUIRED, 3), "SET_OPTION before INIT")
    c.send(q.ask_for_vote(4))
    c.expect(q.server_error(E_INIT_REQUIRED, 4), "ASK_FOR_VOTE before INIT")
    c.send(q.vote_info_reply(5))
    c.expect(q.server_error(E_INIT_REQUIRED, 5), "VOTE_INFO_REPLY before INIT")
    c.send(q.heuristics_change(6, q.HEUR_PASS))
    c.expect(q.server_error(E_INIT_REQUIRED, 6),
             "HEURISTICS_CHANGE before INIT")
    c.expect_open(False)


@scenario("server_types_from_client", "framing")
def _(ctx):
    """Client-sent PREINIT_REPLY, SERVER_ERROR, VOTE_INFO and the other
    server-to-client types: SERVER_ERROR 8 echoing the seq, before and
    after INIT."""
    d, c = preinited(ctx)
    c.send(q.preinit_reply(21, 1, 1))
    c.expect(q.server_error(E_UNEXPECTED_MESSAGE, 21), "PREINIT_REPLY")
    c.send(q.server_error(3, 22))
    c.expect(q.server_error(E_UNEXPECTED_MESSAGE, 22), "SERVER_ERROR")
    c.do_init()
    for i, t in enumerate((q.MSG_PREINIT_REPLY, q.MSG_INIT_REPLY,
                           q.MSG_SERVER_ERROR, q.MSG_SET_OPTION_REPLY,
                           q.MSG_ECHO_REPLY, q.MSG_NODE_LIST_REPLY,
                           q.MSG_ASK_FOR_VOTE_REPLY, q.MSG_VOTE_INFO,
                           q.MSG_HEURISTICS_CHANGE_REPLY)):
        c.send(q.message(t, q.t_seq(30 + i)))
        c.expect(q.server_error(E_UNEXPECTED_MESSAGE, 30 + i),
                 "client-sent %s" % q.MSG_NAMES[t])
    c.send(q.message(q.MSG_VOTE_INFO, q.t_vote(1)))
    c.expect(q.server_error(E_UNEXPECTED_MESSAGE), "VOTE_INFO without seq")
    c.expect_open(True)


@scenario("init_before_preinit", "framing")
def _(ctx):
    """INIT before PREINIT: INIT_REPLY 6 (with lists, seq and limits)."""
    d, c = fresh(ctx)
    c.send(q.init(2, 1))
    c.expect(q.init_reply(2, E_PREINIT_REQUIRED), "INIT before PREINIT")
    c.send(q.init(3, 1, messages=None, options=None))
    c.expect(q.init_reply(3, E_PREINIT_REQUIRED, messages=False,
                          options=False), "INIT without 4/5 before PREINIT")
    c.expect_open(False)


@scenario("starttls_before_preinit", "framing")
def _(ctx):
    """STARTTLS before PREINIT: SERVER_ERROR 6 with seq."""
    d, c = fresh(ctx)
    c.send(q.starttls(2))
    c.expect(q.server_error(E_PREINIT_REQUIRED, 2), "STARTTLS before PREINIT")
    c.expect_open(False)


@scenario("preinit_without_name", "framing")
def _(ctx):
    """PREINIT without TLV 1: SERVER_ERROR 7 with seq; no seq -> no seq."""
    d, c = fresh(ctx)
    c.send(q.message(q.MSG_PREINIT, q.t_seq(1)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION, 1),
             "PREINIT without cluster name")
    c.send(q.message(q.MSG_PREINIT, q.t_tls_supported(1)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION),
             "PREINIT without name and seq")
    c.expect_open(False)
    c.send(q.message(q.MSG_PREINIT, q.t_cluster_name("x")))
    c.expect(q.preinit_reply(None), "PREINIT without seq")


@scenario("init_missing_options", "framing")
def _(ctx):
    """INIT missing node id / ring / HB / tie-breaker / algorithm: 7."""
    d, c = preinited(ctx)
    cases = [("node_id", dict(node_id=None)), ("ring", dict(ring=None)),
             ("heartbeat", dict(heartbeat=None)),
             ("tie_breaker", dict(tie_breaker=None)),
             ("algorithm", dict(algorithm=None))]
    for i, (what, args) in enumerate(cases):
        seq = 10 + i
        c.send(q.init(seq, **{**dict(node_id=1), **args}))
        c.expect(q.init_reply(seq, E_DOESNT_CONTAIN_REQUIRED_OPTION),
                 "INIT without %s" % what)
    c.expect_open(False)
    c.do_init(seq=20)
    c.expect_open(True)


@scenario("init_error_precedence", "framing")
def _(ctx):
    """Which INIT error wins.  The reference checks PREINIT, node id, ring,
    HB presence, tie-breaker and algorithm presence in that order, first
    one wins; but the HB range check and the algorithm range check also run
    after an earlier error and then overwrite it (an absent HB reads as 0,
    so it is out of range; an absent algorithm reads as 0 = test, valid).
    Measured on Debian's daemon; protocol.md 2.5 states this precedence."""
    d, c = fresh(ctx)
    c.send(q.init(2, 1, heartbeat=None))
    c.expect(q.init_reply(2, E_INVALID_HEARTBEAT_INTERVAL),
             "no PREINIT + no HB")
    c.send(q.init(3, 1, algorithm=9))
    c.expect(q.init_reply(3, E_UNSUPPORTED_DECISION_ALGORITHM),
             "no PREINIT + algorithm 9")
    c.send(q.init(4, 1, algorithm=None))
    c.expect(q.init_reply(4, E_PREINIT_REQUIRED),
             "no PREINIT + no algorithm")
    c.do_preinit()
    c.send(q.init(5, None, heartbeat=5, algorithm=9))
    c.expect(q.init_reply(5, E_UNSUPPORTED_DECISION_ALGORITHM),
             "no node id + bad HB + bad algorithm")
    c.send(q.init(6, None, heartbeat=5))
    c.expect(q.init_reply(6, E_INVALID_HEARTBEAT_INTERVAL),
             "no node id + bad HB")
    c.send(q.init(7, 1, ring=None, heartbeat=None))
    c.expect(q.init_reply(7, E_INVALID_HEARTBEAT_INTERVAL),
             "no ring + no HB")
    c.send(q.init(8, 1, heartbeat=5, tie_breaker=None))
    c.expect(q.init_reply(8, E_INVALID_HEARTBEAT_INTERVAL),
             "bad HB + no tie-breaker")
    c.send(q.init(9, 1, tie_breaker=None, algorithm=9))
    c.expect(q.init_reply(9, E_UNSUPPORTED_DECISION_ALGORITHM),
             "no tie-breaker + bad algorithm")
    c.send(q.init(10, 1, heartbeat=5, tie_breaker=None, algorithm=None))
    c.expect(q.init_reply(10, E_INVALID_HEARTBEAT_INTERVAL),
             "bad HB + no tie-breaker + no algorithm")
    c.send(q.init(None, 1, algorithm=9))
    c.expect(q.init_reply(None, E_UNSUPPORTED_DECISION_ALGORITHM),
             "INIT without seq")
    c.expect_open(False)
    c.do_init(seq=11)
    c.expect_open(True)


@scenario("failed_init_overwrites_state", "framing",
          compat="docs/compat.md: A failed INIT leaves the client untouched")
def _(ctx):
    """A failed INIT on an initialised connection still overwrites the
    stored ring id, tie-breaker, HB and algorithm (the reference assigns
    each field once its own check passes, error or not): after a
    duplicate-node INIT with ring 9.9 replies carry ring 9.9; after one
    with algorithm 7 every algorithm call is INTERNAL_ERROR 10, and other
    nodes are refused with 16.  Real program wins."""
    d, c = fresh(ctx)
    c.do_preinit()
    c.do_init(algorithm=q.ALGO_TEST)
    c.send(q.ask_for_vote(3))
    c.expect(q.ask_for_vote_reply(3, VOTE_ACK, RING), "ASK_FOR_VOTE")
    c.send(q.init(4, 1, algorithm=q.ALGO_TEST, ring=(9, 9)))
    c.expect(q.init_reply(4, E_DUPLICATE_NODE_ID), "second INIT, ring 9.9")
    c.send(q.ask_for_vote(5))
    c.expect(q.ask_for_vote_reply(5, VOTE_ACK, (9, 9)),
             "ASK_FOR_VOTE after the failed INIT: its ring")
    c.send(q.init(6, 1, algorithm=7))
    c.expect(q.init_reply(6, E_UNSUPPORTED_DECISION_ALGORITHM),
             "second INIT, algorithm 7")
    c.send(q.ask_for_vote(7))
    c.expect(q.server_error(q.E_INTERNAL_ERROR, 7),
             "ASK_FOR_VOTE with algorithm 7 stored")
    c.send(q.node_list(8, LIST_INITIAL_CONFIG, (1, 2)))
    c.expect(q.server_error(q.E_INTERNAL_ERROR, 8),
             "NODE_LIST with algorithm 7 stored")
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.send(q.init(2, 2, algorithm=q.ALGO_TEST))
    c2.expect(q.init_reply(2, E_ALGORITHM_DIFFERS),
              "new node against a client holding algorithm 7")
    c.expect_open(True)


@scenario("init_heartbeat_range", "framing")
def _(ctx):
    """HB 999 and 120001: 13; 1000 and 120000 are accepted."""
    d, c = preinited(ctx)
    c.send(q.init(2, 1, heartbeat=999))
    c.expect(q.init_reply(2, E_INVALID_HEARTBEAT_INTERVAL), "HB 999")
    c.send(q.init(3, 1, heartbeat=120001))
    c.expect(q.init_reply(3, E_INVALID_HEARTBEAT_INTERVAL), "HB 120001")
    c.send(q.init(4, 1, heartbeat=0))
    c.expect(q.init_reply(4, E_INVALID_HEARTBEAT_INTERVAL), "HB 0")
    c.expect_open(False)
    # algorithm test: Debian's ffsplit crashes when one of two list-less
    # clients leaves (see robustness scenarios), not the point here
    c.do_init(seq=5, heartbeat=120000, algorithm=q.ALGO_TEST)
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.do_init(node_id=2, heartbeat=1000, algorithm=q.ALGO_TEST)
    c.expect_open(True)
    c2.expect_open(True)


@scenario("init_algorithm_7", "framing")
def _(ctx):
    """Algorithm 7: INIT_REPLY 12; the test algorithm (0) is accepted."""
    d, c = preinited(ctx)
    c.send(q.init(2, 1, algorithm=7))
    c.expect(q.init_reply(2, E_UNSUPPORTED_DECISION_ALGORITHM), "algorithm 7")
    c.send(q.init(3, 1, algorithm=4))
    c.expect(q.init_reply(3, E_UNSUPPORTED_DECISION_ALGORITHM), "algorithm 4")
    c.expect_open(False)
    c.do_init(seq=4, algorithm=q.ALGO_TEST)
    c.expect_open(True)


@scenario("duplicate_node_id", "framing")
def _(ctx):
    """Second client with the same node id: 17; a second INIT on an
    initialised connection: 17; the same node id in another cluster is
    fine."""
    d, c1 = inited(ctx)
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.send(q.init(2, 1))
    c2.expect(q.init_reply(2, E_DUPLICATE_NODE_ID), "duplicate node id")
    c2.expect_open(False)
    c1.send(q.init(3, 1))
    c1.expect(q.init_reply(3, E_DUPLICATE_NODE_ID), "second INIT")
    c1.send(q.init(4, 5))
    c1.expect(q.init_reply(4, E_DUPLICATE_NODE_ID),
              "second INIT with another node id")
    c1.expect_open(True)
    c3 = ctx.client(d, "c3")
    c3.do_preinit("othercl")
    c3.do_init(node_id=1)
    c3.expect_open(True)


@scenario("tie_breaker_mismatch", "framing")
def _(ctx):
    """Different tie-breaker: 15 (checked before algorithm and node id);
    node_id mode compares the node id too."""
    d, c1 = fresh(ctx)
    c1.do_preinit()
    c1.do_init(node_id=1, tie_breaker=(q.TB_NODE_ID, 2),
               algorithm=q.ALGO_TEST)
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.send(q.init(2, 2, tie_breaker=q.TB_LOWEST, algorithm=q.ALGO_TEST))
    c2.expect(q.init_reply(2, E_TIE_BREAKER_DIFFERS), "lowest vs node_id")
    c2.send(q.init(3, 2, tie_breaker=(q.TB_NODE_ID, 3),
                   algorithm=q.ALGO_TEST))
    c2.expect(q.init_reply(3, E_TIE_BREAKER_DIFFERS), "node_id 3 vs 2")
    c2.send(q.init(4, 1, tie_breaker=q.TB_HIGHEST, algorithm=q.ALGO_LMS))
    c2.expect(q.init_reply(4, E_TIE_BREAKER_DIFFERS),
              "tie-breaker, algorithm and node id all differ")
    c2.do_init(seq=5, node_id=2, tie_breaker=(q.TB_NODE_ID, 2),
               algorithm=q.ALGO_TEST)
    c2.expect_open(True)


@scenario("algorithm_mismatch", "framing")
def _(ctx):
    """Different algorithm: 16 (checked before the node id)."""
    d, c1 = inited(ctx)
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.send(q.init(2, 2, algorithm=q.ALGO_LMS))
    c2.expect(q.init_reply(2, E_ALGORITHM_DIFFERS), "lms vs ffsplit")
    c2.send(q.init(3, 1, algorithm=q.ALGO_TEST))
    c2.expect(q.init_reply(3, E_ALGORITHM_DIFFERS),
              "algorithm and node id differ")
    c2.expect_open(False)


@scenario("tie_breaker_node_id_ignored", "framing")
def _(ctx):
    """Tie-breaker node id is ignored unless the mode is node_id."""
    d, c1 = fresh(ctx)
    c1.do_preinit()
    c1.do_init(node_id=1, tie_breaker=(q.TB_LOWEST, 0), algorithm=q.ALGO_TEST)
    c2 = ctx.client(d, "c2")
    c2.do_preinit()
    c2.do_init(node_id=2, tie_breaker=(q.TB_LOWEST, 77), algorithm=q.ALGO_TEST)
    c2.expect_open(True)


@scenario("set_option", "framing")
def _(ctx):
    """SET_OPTION HB 500: 13 with seq; valid HB and KAP are echoed (only
    the options the request had); no seq -> no seq."""
    d, c = inited(ctx)
    c.send(q.set_option(3, heartbeat=500))
    c.expect(q.server_error(E_INVALID_HEARTBEAT_INTERVAL, 3), "HB 500")
    c.send(q.set_option(4, heartbeat=500, kap=1))
    c.expect(q.server_error(E_INVALID_HEARTBEAT_INTERVAL, 4), "HB 500 + KAP")
    c.do_set_option(5, kap=1)
    c.do_set_option(6, heartbeat=10000)
    c.do_set_option(7, heartbeat=2000, kap=0)
    c.send(q.set_option(None, kap=1))
    c.expect(q.set_option_reply(None, kap=1), "SET_OPTION without seq")
    c.send(q.set_option(8))
    c.expect(q.set_option_reply(8), "SET_OPTION with only a seq")
    c.expect_open(True)


@scenario("node_list_missing_seq_type", "framing")
def _(ctx):
    """Node list without seq: 7 with no seq; without list type: 7 with seq."""
    d, c = inited(ctx)
    c.send(q.node_list(None, LIST_INITIAL_CONFIG, (1, 2)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION),
             "node list without seq")
    c.send(q.node_list(5, None, (1, 2)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION, 5),
             "node list without type")
    c.expect_open(True)


@scenario("config_list_invalid", "framing")
def _(ctx):
    """ffsplit config list without the sender, or empty: 18 (initial and
    changed)."""
    d, c = inited(ctx)
    c.send(q.node_list(4, LIST_INITIAL_CONFIG, (2, 3)))
    c.expect(q.server_error(E_INVALID_CONFIG_NODE_LIST, 4), "config w/o self")
    c.send(q.node_list(5, LIST_INITIAL_CONFIG, ()))
    c.expect(q.server_error(E_INVALID_CONFIG_NODE_LIST, 5), "empty config")
    c.send(q.node_list(6, LIST_CHANGED_CONFIG, (2,), config_version=3))
    c.expect(q.server_error(E_INVALID_CONFIG_NODE_LIST, 6),
             "changed config w/o self")
    c.expect_open(True)


@scenario("membership_list_invalid", "framing")
def _(ctx):
    """Membership without ring id: 7; without the sender or empty: 19."""
    d, c = inited(ctx)
    c.send(q.node_list(4, LIST_MEMBERSHIP, (1, 2)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION, 4),
             "membership without ring")
    c.send(q.node_list(5, LIST_MEMBERSHIP, (2,), ring=RING))
    c.expect(q.server_error(E_INVALID_MEMBERSHIP_NODE_LIST, 5),
             "membership w/o self")
    c.send(q.node_list(6, LIST_MEMBERSHIP, (), ring=RING))
    c.expect(q.server_error(E_INVALID_MEMBERSHIP_NODE_LIST, 6),
             "empty membership")
    c.expect_open(True)


@scenario("quorum_list_without_quorate", "framing")
def _(ctx):
    """Quorum list without TLV 20: 7; with it: NO_CHANGE."""
    d, c = inited(ctx)
    nodes = ((1, 0, q.NODE_STATE_MEMBER), (2, 0, q.NODE_STATE_DEAD))
    c.send(q.node_list(4, LIST_QUORUM, nodes))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION, 4),
             "quorum without quorate")
    c.do_node_list(5, LIST_QUORUM, nodes, RING, VOTE_NO_CHANGE, quorate=0)
    c.expect_open(True)


@scenario("decode_node_info_id0", "framing")
def _(ctx):
    """node_info with node id 0 after seq 11: 9 with seq 11; before the
    seq: 9 without seq."""
    d, c = inited(ctx)
    c.send(q.message(q.MSG_NODE_LIST, q.t_seq(11),
                     q.t_node_list_type(LIST_INITIAL_CONFIG),
                     q.t_node_info(1), q.t_node_info(0)))
    c.expect(q.server_error(E_ERROR_DECODING_MSG, 11), "node id 0 after seq")
    c.send(q.message(q.MSG_NODE_LIST, q.t_node_info(0), q.t_seq(12),
                     q.t_node_list_type(LIST_INITIAL_CONFIG)))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "node id 0 before seq")
    c.send(q.message(q.MSG_NODE_LIST, q.t_seq(13),
                     q.t_node_list_type(LIST_INITIAL_CONFIG),
                     q.t_node_info(q.tlv(q.OPT_DATA_CENTER_ID, q.u32(1)))))
    c.expect(q.server_error(E_ERROR_DECODING_MSG, 13),
             "node_info without node id")
    c.expect_open(True)


@scenario("decode_bad_values", "framing")
def _(ctx):
    """Out-of-range enumerations and wrong fixed lengths: 9, seq echoed if
    it came first."""
    d, c = inited(ctx)
    bad = [
        ("vote 9", q.tlv(q.OPT_VOTE, q.u8(9))),
        ("vote 0", q.tlv(q.OPT_VOTE, q.u8(0))),
        ("tls_supported 3", q.tlv(q.OPT_TLS_SUPPORTED, q.u8(3))),
        ("node_state 0", q.tlv(q.OPT_NODE_STATE, q.u8(0))),
        ("node_state 4", q.tlv(q.OPT_NODE_STATE, q.u8(4))),
        ("list type 4", q.tlv(q.OPT_NODE_LIST_TYPE, q.u8(4))),
        ("quorate 2", q.tlv(q.OPT_QUORATE, q.u8(2))),
        ("tie-breaker mode 0", q.tlv(q.OPT_TIE_BREAKER, b"\0\0\0\0\0")),
        ("tie-breaker mode 4", q.tlv(q.OPT_TIE_BREAKER, b"\4\0\0\0\0")),
        ("heuristics 0", q.tlv(q.OPT_HEURISTICS, q.u8(0))),
        ("heuristics 3", q.tlv(q.OPT_HEURISTICS, q.u8(3))),
        ("KAP 2", q.tlv(q.OPT_KAP_TIE_BREAKER, q.u8(2))),
        ("HB length 2", q.tlv(q.OPT_HEARTBEAT_INTERVAL, q.u16(1000))),
        ("ring length 8", q.tlv(q.OPT_RING_ID, q.u64(1))),
        ("node id length 5", q.tlv(q.OPT_NODE_ID, b"\0\0\0\0\1")),
        ("algorithm length 1", q.tlv(q.OPT_ALGORITHM, b"\1")),
        ("config version length 4", q.tlv(q.OPT_CONFIG_VERSION, q.u32(1))),
        ("message list odd", q.tlv(q.OPT_SUPPORTED_MESSAGES, b"\0\1\0")),
        ("error code length 1", q.tlv(q.OPT_REPLY_ERROR_CODE, b"\0")),
        ("cert required length 2",
         q.tlv(q.OPT_TLS_CLIENT_CERT_REQUIRED, b"\0\1")),
    ]
    for i, (what, t) in enumerate(bad):
        seq = 40 + i
        c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(seq) + t))
        c.expect(q.server_error(E_ERROR_DECODING_MSG, seq), what)
    c.send(q.frame(q.MSG_NODE_LIST, q.t_seq(70) + q.t_node_list_type(3) +
                   q.t_quorate(1) + q.tlv(q.OPT_VOTE, q.u8(9))))
    c.expect(q.server_error(E_ERROR_DECODING_MSG, 70), "vote 9 in NODE_LIST")
    c.expect_open(True)


@scenario("decode_lenient_values", "framing")
def _(ctx):
    """Values the decoder does not range-check: cert-required 7, algorithm
    99 in a non-INIT message, tie-breaker node id in lowest mode."""
    d, c = inited(ctx)
    for i, t in enumerate([q.tlv(q.OPT_TLS_CLIENT_CERT_REQUIRED, q.u8(7)),
                           q.tlv(q.OPT_ALGORITHM, q.u16(99)),
                           q.tlv(q.OPT_CLUSTER_NAME, b""),
                           q.tlv(q.OPT_SUPPORTED_OPTIONS, b"")]):
        req = c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(50 + i) + t))
        c.expect(q.echo_reply_of(req), "lenient option %d" % i)


@scenario("seq_length_3", "framing")
def _(ctx):
    """A seq TLV of length 3: 9 without seq."""
    d, c = inited(ctx)
    c.send(q.frame(q.MSG_ECHO_REQUEST, q.tlv(q.OPT_SEQ, b"\0\0\1")))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "seq length 3")
    c.send(q.frame(q.MSG_NODE_LIST, q.tlv(q.OPT_SEQ, b"\0\0\0\0\5") +
                   q.t_node_list_type(0)))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "seq length 5")
    c.expect_open(True)


@scenario("unknown_tlv_echoed", "framing")
def _(ctx):
    """Unknown TLV 200 (and 24, 65535) is ignored; ECHO_REPLY copies the
    request bytes, unknown TLVs included; repeated seq: last one wins."""
    d, c = inited(ctx)
    req = c.send(q.echo_request(1, q.tlv(200, b"\1\2\3") + q.tlv(24, b"") +
                                q.tlv(0xFFFF, b"abc")))
    c.expect(q.echo_reply_of(req), "echo with unknown TLVs")
    c.send(q.message(q.MSG_SET_OPTION, q.tlv(200, b"zz"), q.t_seq(4),
                     q.t_seq(5), q.t_kap(1)))
    c.expect(q.set_option_reply(5, kap=1), "SET_OPTION with unknown TLV")
    c.send(q.message(q.MSG_NODE_LIST, q.t_seq(6), q.tlv(201, b""),
                     q.t_node_list_type(LIST_INITIAL_CONFIG),
                     q.t_node_info(q.node_info_value(1) +
                                   q.tlv(99, b"inner")),
                     q.t_node_info(2)))
    c.expect(q.node_list_reply(6, LIST_INITIAL_CONFIG, RING, VOTE_ASK_LATER),
             "node list with unknown TLVs")
    c.expect_open(True)


@scenario("heuristics_change", "framing")
def _(ctx):
    """HEURISTICS_CHANGE without heuristics (undefined): 7; without seq: 7
    and no seq; before lists: ASK_LATER with last ring id from INIT."""
    d, c = inited(ctx)
    c.send(q.message(q.MSG_HEURISTICS_CHANGE, q.t_seq(8)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION, 8),
             "heuristics undefined")
    c.send(q.message(q.MSG_HEURISTICS_CHANGE, q.t_heuristics(1)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION),
             "heuristics change without seq")
    c.send(q.heuristics_change(9, q.HEUR_PASS))
    c.expect(q.heuristics_change_reply(9, VOTE_ASK_LATER, RING, q.HEUR_PASS),
             "heuristics pass before lists")
    c.send(q.heuristics_change(10, q.HEUR_FAIL))
    c.expect(q.heuristics_change_reply(10, VOTE_ASK_LATER, RING, q.HEUR_FAIL),
             "heuristics fail before lists")
    c.expect_open(True)


@scenario("ask_for_vote_vote_info_reply_seq", "framing")
def _(ctx):
    """ASK_FOR_VOTE / VOTE_INFO_REPLY without seq (body holds another TLV:
    an empty body is a decode error): 7 without seq; a stale
    VOTE_INFO_REPLY gets no response at all."""
    d, c = inited(ctx)
    c.send(q.message(q.MSG_ASK_FOR_VOTE, q.tlv(200, b"")))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION),
             "ASK_FOR_VOTE without seq")
    c.send(q.message(q.MSG_VOTE_INFO_REPLY, q.t_vote(1)))
    c.expect(q.server_error(E_DOESNT_CONTAIN_REQUIRED_OPTION),
             "VOTE_INFO_REPLY without seq")
    c.send(q.vote_info_reply(99))
    c.expect_silence(0.3, "stale VOTE_INFO_REPLY")
    c.expect_open(True)


@scenario("trailing_bytes", "framing")
def _(ctx):
    """1, 2 and 3 trailing bytes after the last TLV: 9 with the seq;
    a TLV running past the end: 9."""
    d, c = inited(ctx)
    for n in (1, 2, 3):
        c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(60 + n) + b"\0" * n))
        c.expect(q.server_error(E_ERROR_DECODING_MSG, 60 + n),
                 "%d trailing bytes" % n)
    c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(64) + q.u16(200) + q.u16(5) +
                   b"ab"))
    c.expect(q.server_error(E_ERROR_DECODING_MSG, 64), "TLV past the end")
    c.expect_open(True)


@scenario("second_preinit", "framing")
def _(ctx):
    """A second PREINIT is answered again (overwrites the name)."""
    d, c = fresh(ctx)
    c.do_preinit("first")
    c.do_preinit("second", seq=7)
    c.do_init()
    c2 = ctx.client(d, "c2")
    c2.do_preinit("second")
    c2.send(q.init(2, 1))
    c2.expect(q.init_reply(2, E_DUPLICATE_NODE_ID),
              "node 1 is in cluster 'second'")


@scenario("pipelined_requests", "framing")
def _(ctx):
    """Several requests in one segment are answered in order."""
    d, c = fresh(ctx)
    reqs = q.preinit(1, "testcl") + q.init(2, 1) + q.set_option(3, kap=1) + \
        q.echo_request(4) + q.node_list(5, LIST_INITIAL_CONFIG, (1, 2))
    c.send(reqs)
    c.expect(q.preinit_reply(1), "pipelined PREINIT")
    c.expect(q.init_reply(2), "pipelined INIT")
    c.expect(q.set_option_reply(3, kap=1), "pipelined SET_OPTION")
    c.expect(q.echo_reply_of(q.echo_request(4)), "pipelined ECHO")
    c.expect(q.node_list_reply(5, LIST_INITIAL_CONFIG, RING, VOTE_ASK_LATER),
             "pipelined NODE_LIST")


@scenario("byte_by_byte", "framing")
def _(ctx):
    """A PREINIT dribbled one byte at a time is answered once."""
    d, c = fresh(ctx)
    for b in q.preinit(1, "slow"):
        c.send(bytes([b]))
        time.sleep(0.002)
    c.expect(q.preinit_reply(1), "dribbled PREINIT")
    c.expect_silence(0.2)


@scenario("skip_then_next_in_same_write", "framing")
def _(ctx):
    """An oversize and an unknown-type message followed by valid requests
    in one write: each skipped exactly, then the valid ones answered."""
    d, c = inited(ctx)
    big = q.frame(q.MSG_ECHO_REQUEST, q.t_seq(1) + q.tlv(200, b"\x55" * 33000))
    odd = q.message(250, q.t_seq(2))
    ok1 = q.echo_request(3)
    odd2 = q.message(99, q.t_seq(4), q.t_node_id(7))
    ok2 = q.echo_request(5)
    c.send(big + odd + ok1 + odd2 + ok2)
    c.expect(q.server_error(E_MESSAGE_TOO_LONG), "oversize")
    c.expect(q.server_error(E_UNSUPPORTED_MESSAGE), "type 250")
    c.expect(q.echo_reply_of(ok1), "echo after the skips")
    c.expect(q.server_error(E_UNSUPPORTED_MESSAGE), "type 99")
    c.expect(q.echo_reply_of(ok2), "second echo")


@scenario("echo_variants", "framing")
def _(ctx):
    """ECHO_REQUEST without seq (another TLV in the body), with a repeated
    seq, and with a 20000-byte TLV: always the byte copy."""
    d, c = inited(ctx)
    for extra in (q.tlv(300, b"x"), q.t_seq(7) + q.t_seq(8),
                  q.tlv(201, b"\xff" * 20000)):
        req = c.send(q.frame(q.MSG_ECHO_REQUEST, extra))
        c.expect(q.echo_reply_of(req), "echo variant")


@scenario("empty_preinit_and_init", "framing")
def _(ctx):
    """PREINIT and INIT with an empty body: decode error 9, no seq (no
    INIT_REPLY for an INIT that does not decode)."""
    d, c = fresh(ctx)
    c.send(q.frame(q.MSG_PREINIT, b""))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "empty PREINIT")
    c.do_preinit()
    c.send(q.frame(q.MSG_INIT, b""))
    c.expect(q.server_error(E_ERROR_DECODING_MSG), "empty INIT")
    c.send(q.frame(q.MSG_INIT, q.t_seq(5) + q.tlv(q.OPT_NODE_ID, b"\0")))
    c.expect(q.server_error(E_ERROR_DECODING_MSG, 5), "INIT bad node id")
    c.do_init(seq=6)


@scenario("big_node_list", "framing")
def _(ctx):
    """A config list of 2000 nodes (24 KiB) and a repeated-name PREINIT
    (last name wins)."""
    d, c = fresh(ctx)
    c.send(q.message(q.MSG_PREINIT, q.t_seq(1), q.t_cluster_name("aaa"),
                     q.t_cluster_name("big")))
    c.expect(q.preinit_reply(1), "PREINIT with two names")
    c.do_init()
    c.do_node_list(4, LIST_INITIAL_CONFIG, tuple(range(1, 2001)), RING,
                   VOTE_ASK_LATER)
    c2 = ctx.client(d, "c2")
    c2.do_preinit("big")
    c2.send(q.init(2, 1))
    c2.expect(q.init_reply(2, E_DUPLICATE_NODE_ID), "same cluster 'big'")


@scenario("many_clusters_same_node_id", "framing")
def _(ctx):
    """Twenty clusters, node 1 in each (test algorithm); names differ only
    in length or one byte."""
    d = ctx.daemon()
    names = ["c", "c\0", "cc", "C"] + ["cl%02d" % i for i in range(16)]
    cs = []
    for i, name in enumerate(names):
        c = ctx.client(d, "k%d" % i)
        c.do_preinit(name)
        c.do_init(node_id=1, algorithm=q.ALGO_TEST)
        cs.append(c)
    for c in cs:
        c.expect_open(True)


# ============================================================ robustness

@scenario("ffsplit_leave_peer_without_config", "robustness",
          ref_bug="Debian 3.0.3 SIGSEGVs when an ffsplit client leaves "
                  "while another client of its cluster has no config list")
def _(ctx):
    """Two ffsplit clients, no lists; one leaves: the other keeps working.
    The reference crashes here, so there is no reference vote: a
    VOTE_INFO (any vote) may come first, then the echo must work."""
    d = ctx.daemon()
    c1 = ctx.client(d, "c1")
    c1.handshake(node_id=1)
    c2 = ctx.client(d, "c2")
    c2.handshake(node_id=2)
    c1.close()
    time.sleep(0.3)
    ctx.check(d.alive(), "daemon died after an ffsplit client left "
              "(exit status %s)" % (d.proc and d.proc.poll()),
              "daemon alive after leave")
    # No partition qualifies (the remaining client has no config list), so
    # it is told NACK (docs/compat.md, "node lists not yet received").
    c2.expect(q.vote_info(1, q.VOTE_NACK, RING), "c2 VOTE_INFO NACK")
    c2.do_vote_info_reply(1)
    c2.expect_open(True)
    c2.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_ASK_LATER)


def pending(c, wait=0.2):
    """True if a message is waiting to be read on c (without consuming)."""
    try:
        raw = c.recv_frame(wait)
    except (q.Timeout, q.Closed):
        return False
    c.buf = raw + c.buf
    return True


@scenario("ffsplit_leave_after_lists", "robustness")
def _(ctx):
    """Both send config + membership; one leaves: the other is told, by
    VOTE_INFO, that it keeps the vote (ring from its last list)."""
    d = ctx.daemon()
    c1 = ctx.client(d, "c1")
    c1.handshake(node_id=1)
    c2 = ctx.client(d, "c2")
    c2.handshake(node_id=2)
    for c in (c1, c2):
        c.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_ASK_LATER)
    c1.do_node_list(5, LIST_MEMBERSHIP, (1, 2), RING, VOTE_WAIT_FOR_REPLY,
                    ring=RING)
    c2.send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=RING))
    c2.expect(q.vote_info(1, VOTE_ACK, RING), "c2 VOTE_INFO")
    c2.expect(q.node_list_reply(5, LIST_MEMBERSHIP, RING, VOTE_NO_CHANGE),
              "c2 NODE_LIST_REPLY")
    c1.expect(q.vote_info(1, VOTE_ACK, RING), "c1 VOTE_INFO")
    c1.do_vote_info_reply(1)
    c2.do_vote_info_reply(1)
    c1.expect_silence(0.2)
    c1.close()
    # c2's stored membership still lists {1, 2}: 2 of 2 configured nodes,
    # a majority, so the recomputation keeps the vote on c2 (new seq 2)
    c2.expect(q.vote_info(2, VOTE_ACK, RING), "c2 VOTE_INFO after leave")
    c2.expect_open(True)


# ============================================= ffsplit transcript (2.10)

@scenario("ffsplit_transcript", "ffsplit")
def _(ctx):
    """protocol.md 2.10, byte for byte: 2-node ffsplit, TLS off."""
    d = ctx.daemon()
    n1 = ctx.client(d, "n1")
    n2 = ctx.client(d, "n2")
    for n, nid in ((n1, 1), (n2, 2)):
        n.send(q.preinit(1, "testcl"))
        r = n.expect(q.preinit_reply(1, q.TLS_UNSUPPORTED, 1), "PREINIT_REPLY")
        n.send(q.init(2, nid, q.ALGO_FFSPLIT, 8000, q.TB_LOWEST, RING))
        n.expect(q.init_reply(2), "INIT_REPLY")
    for n in (n1, n2):
        n.send(q.set_option(3, kap=1))
        n.expect(q.set_option_reply(3, kap=1), "SET_OPTION_REPLY")
    for n in (n1, n2):
        n.send(q.node_list(4, LIST_INITIAL_CONFIG, (1, 2), config_version=7))
        n.expect(q.node_list_reply(4, LIST_INITIAL_CONFIG, RING,
                                   VOTE_ASK_LATER), "config NODE_LIST_REPLY")
    n1.send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=RING,
                        heuristics=q.HEUR_PASS))
    n1.expect(q.node_list_reply(5, LIST_MEMBERSHIP, RING,
                                VOTE_WAIT_FOR_REPLY),
              "n1 membership NODE_LIST_REPLY (n2 not reported yet)")
    n1.expect_silence(0.2, "n1 before n2's membership")
    n2.send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=RING,
                        heuristics=q.HEUR_PASS))
    # the trigger's VOTE_INFO is queued before its NODE_LIST_REPLY
    n2.expect(q.vote_info(1, VOTE_ACK, RING), "n2 VOTE_INFO first")
    n2.expect(q.node_list_reply(5, LIST_MEMBERSHIP, RING, VOTE_NO_CHANGE),
              "n2 NODE_LIST_REPLY after VOTE_INFO")
    n1.expect(q.vote_info(1, VOTE_ACK, RING), "n1 VOTE_INFO")
    n1.send(q.vote_info_reply(1))
    n2.send(q.vote_info_reply(1))
    n1.expect_silence(0.2, "VOTE_INFO_REPLY gets no reply")
    n2.expect_silence(0.05, "VOTE_INFO_REPLY gets no reply")
    quorum = ((1, 0, q.NODE_STATE_MEMBER), (2, 0, q.NODE_STATE_MEMBER))
    n1.send(q.node_list(6, LIST_QUORUM, quorum, quorate=1))
    n1.expect(q.node_list_reply(6, LIST_QUORUM, RING, VOTE_NO_CHANGE),
              "quorum NODE_LIST_REPLY")
    req = n1.send(q.echo_request(1))
    n1.expect(q.echo_reply_of(req), "ECHO_REPLY byte copy")
    n1.send(q.ask_for_vote(7))
    n1.expect(q.server_error(E_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE, 7),
              "ASK_FOR_VOTE under ffsplit")
    # the documented example bytes (1.10), literally
    ctx.check(q.preinit(1, "testcl") == bytes.fromhex(
        "00000000001200000004000000010001000674657374636c"),
        "encoder PREINIT bytes", "encoder")
    n1.send(q.vote_info_reply(1))
    n1.expect_silence(0.2, "VOTE_INFO_REPLY repeated")
    n1.expect_open(True)
    n2.expect_open(True)


@scenario("ffsplit_heuristics_change", "ffsplit")
def _(ctx):
    """After the vote settled, HEURISTICS_CHANGE re-runs the decision:
    reply NO_CHANGE with ring and heuristics echoed; stable 2/2 -> ACK by
    VOTE_INFO (seq 2) queued before the reply."""
    d = ctx.daemon()
    n1 = ctx.client(d, "n1")
    n2 = ctx.client(d, "n2")
    n1.handshake(node_id=1)
    n2.handshake(node_id=2)
    for n in (n1, n2):
        n.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_ASK_LATER)
    n1.do_node_list(5, LIST_MEMBERSHIP, (1, 2), RING, VOTE_WAIT_FOR_REPLY,
                    ring=RING)
    n2.send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=RING))
    n2.expect(q.vote_info(1, VOTE_ACK, RING), "n2 VOTE_INFO")
    n2.expect(q.node_list_reply(5, LIST_MEMBERSHIP, RING, VOTE_NO_CHANGE),
              "n2 NODE_LIST_REPLY")
    n1.expect(q.vote_info(1, VOTE_ACK, RING), "n1 VOTE_INFO")
    n1.do_vote_info_reply(1)
    n2.do_vote_info_reply(1)
    n1.send(q.heuristics_change(8, q.HEUR_FAIL))
    n1.expect(q.vote_info(2, VOTE_ACK, RING), "n1 VOTE_INFO after change")
    n1.expect(q.heuristics_change_reply(8, VOTE_NO_CHANGE, RING,
                                        q.HEUR_FAIL),
              "HEURISTICS_CHANGE_REPLY")
    n2.expect(q.vote_info(2, VOTE_ACK, RING), "n2 VOTE_INFO after change")


@scenario("ffsplit_split_nack_first", "ffsplit")
def _(ctx):
    """4 nodes split {1,2} | {3,4}; 3 and 4 pass heuristics and report
    first.  {3,4} wins (score 4); {1,2} get VOTE_INFO NACK, and only after
    both confirmed do 3 and 4 get ACK.  Then {1,2} report (heuristics
    undefined, score 2): same result with seq 2 (protocol.md 3.3)."""
    d = ctx.daemon()
    cs = {}
    for nid in (1, 2, 3, 4):
        c = ctx.client(d, "n%d" % nid)
        c.handshake(node_id=nid)
        c.do_set_option(3, kap=1)
        c.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2, 3, 4), RING,
                       VOTE_ASK_LATER)
        cs[nid] = c
    ra, rb = (1, 8), (3, 8)
    cs[3].do_node_list(5, LIST_MEMBERSHIP, (3, 4), rb, VOTE_WAIT_FOR_REPLY,
                       ring=rb, heuristics=q.HEUR_PASS,
                       what="n3 membership (n4 not reported)")
    cs[4].send(q.node_list(5, LIST_MEMBERSHIP, (3, 4), ring=rb,
                           heuristics=q.HEUR_PASS))
    cs[4].expect(q.node_list_reply(5, LIST_MEMBERSHIP, rb, VOTE_NO_CHANGE),
                 "n4 NODE_LIST_REPLY (NACKs go out first)")
    cs[1].expect(q.vote_info(1, q.VOTE_NACK, RING), "n1 NACK (INIT ring)")
    cs[2].expect(q.vote_info(1, q.VOTE_NACK, RING), "n2 NACK (INIT ring)")
    cs[3].expect_silence(0.2, "no ACK before the NACKs are confirmed")
    cs[1].do_vote_info_reply(1)
    cs[3].expect_silence(0.2, "one NACK confirmed is not enough")
    cs[2].do_vote_info_reply(1)
    cs[3].expect(q.vote_info(1, VOTE_ACK, rb), "n3 ACK")
    cs[4].expect(q.vote_info(1, VOTE_ACK, rb), "n4 ACK")
    cs[3].do_vote_info_reply(1)
    cs[4].do_vote_info_reply(1)
    cs[1].do_node_list(5, LIST_MEMBERSHIP, (1, 2), ra, VOTE_WAIT_FOR_REPLY,
                       ring=ra, what="n1 membership (n2 not reported)")
    cs[2].send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=ra))
    cs[2].expect(q.vote_info(2, q.VOTE_NACK, ra), "n2 NACK seq 2 first")
    cs[2].expect(q.node_list_reply(5, LIST_MEMBERSHIP, ra, VOTE_NO_CHANGE),
                 "n2 NODE_LIST_REPLY")
    cs[1].expect(q.vote_info(2, q.VOTE_NACK, ra), "n1 NACK seq 2")
    cs[4].expect_silence(0.2, "no ACK before the NACKs are confirmed")
    cs[1].do_vote_info_reply(2)
    cs[2].do_vote_info_reply(2)
    cs[3].expect(q.vote_info(2, VOTE_ACK, rb), "n3 ACK seq 2")
    cs[4].expect(q.vote_info(2, VOTE_ACK, rb), "n4 ACK seq 2")
    cs[3].do_vote_info_reply(2)
    cs[4].do_vote_info_reply(2)
    for c in cs.values():
        c.expect_open(True)


# ===================================================================== TLS

def tls_client(ctx, d, name, cluster, cert_kind="good", cert=True):
    """PREINIT (checked against the daemon's mode), STARTTLS, handshake.
    Returns the client; raises Closed if the handshake fails."""
    c = ctx.client(d, name)
    mode = {"off": q.TLS_UNSUPPORTED, "on": q.TLS_SUPPORTED,
            "req": q.TLS_REQUIRED}[d.tls]
    creq = 0 if d.cert_required == "off" else 1
    c.do_preinit(cluster, tls=mode, cert_required=creq)
    cc = ctx.pki.client(cluster, cert_kind)
    if cert:
        c.starttls(2, cc.cert, cc.key, cc.ca)
    else:
        c.starttls(2, None, None, cc.ca)
    return c


def tls_refused(ctx, d, name, cluster, cert_kind="good", cert=True):
    """The server must refuse this TLS client: the handshake fails, or the
    connection is closed (no reply) once INIT is sent.  Whether an alert
    or a plain close reaches the client is a matter of timing (a close
    with unread data becomes a reset), so transcripts record "refused"."""
    try:
        c = tls_client(ctx, d, name, cluster, cert_kind, cert)
        try:
            c.send(q.init(3, 1))
            c.expect_closed(what="INIT from a client the server must refuse")
        except q.Closed:
            pass
    except q.Closed:
        pass
    tr = ctx.transcript
    for i in range(len(tr) - 1, -1, -1):
        if tr[i][0] == name and tr[i][1] == q.EV_CLOSED:
            tr[i] = (name, q.EV_CLOSED, "refused")
            break


@scenario("tls_on_valid_cert", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: valid client certificate (CN = cluster name), server
    verified as "Qnetd Server" by our CA; INIT over TLS works."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = tls_client(ctx, d, "c", "tlscl")
    ctx.check(c.tls_version() in ("TLSv1.2", "TLSv1.3"),
              "TLS version %s" % c.tls_version(), "tls version")
    c.do_init(seq=3)
    c.do_echo(4)
    c.do_node_list(5, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_ASK_LATER)
    c.expect_open(True)


@scenario("tls_on_wrong_cn", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: trusted certificate with CN != cluster name: the server
    closes the connection at INIT without a reply."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = tls_client(ctx, d, "c", "tlscl", "wrongcn")
    c.send(q.init(3, 1))
    c.expect_closed(what="INIT with a wrong-CN certificate")


@scenario("tls_on_no_cert", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: no client certificate: the handshake fails (TLS 1.3:
    the alert arrives with the first read)."""
    d = ctx.daemon(tls="on", cert_required="on")
    tls_refused(ctx, d, "c", "tlscl", cert=False)


@scenario("tls_on_untrusted_ca", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: certificate from a CA the server does not trust: the
    connection is refused (handshake alert or close, no reply)."""
    d = ctx.daemon(tls="on", cert_required="on")
    tls_refused(ctx, d, "c", "tlscl", "untrusted")


@scenario("tls_on_expired_cert", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: a certificate from the trusted CA whose validity has
    ended: refused, and refused again when the same certificate comes back
    (NSS then has it in memory, with the daemon's trust record)."""
    d = ctx.daemon(tls="on", cert_required="on")
    tls_refused(ctx, d, "c1", "tlscl", "expired")
    tls_refused(ctx, d, "c2", "tlscl", "expired")


@scenario("tls_on_refused_twice", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: an untrusted-CA and a wrong-CN certificate each come
    twice, with a valid client of the cluster connected meanwhile: every
    repeat is refused like the first; the valid client keeps working."""
    d = ctx.daemon(tls="on", cert_required="on")
    ok = tls_client(ctx, d, "ok", "tlscl")
    ok.do_init(seq=3)
    for name in ("u1", "u2"):
        tls_refused(ctx, d, name, "tlscl", "untrusted")
    for name in ("w1", "w2"):
        w = tls_client(ctx, d, name, "tlscl", "wrongcn")
        w.send(q.init(3, 1))
        w.expect_closed(what="INIT with a wrong-CN certificate")
    ok.do_echo(4)
    ok.expect_open(True)


@scenario("tls_starttls_same_segment", "tls", needs_pki=True)
def _(ctx):
    """STARTTLS and the ClientHello in one write: the server must not read
    past the STARTTLS message (or must hand those bytes to TLS)."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = ctx.client(d, "c")
    c.do_preinit("tlscl", tls=q.TLS_SUPPORTED, cert_required=1)
    cc = ctx.pki.client("tlscl")
    c.starttls_coalesced(2, cc.cert, cc.key, cc.ca)
    c.do_init(seq=3)
    c.do_echo(4)


@scenario("tls_init_same_write_as_finished", "tls", needs_pki=True)
def _(ctx):
    """Many TLS records at once after the handshake: INIT, SET_OPTION,
    config list and an echo in one write are answered in order."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = tls_client(ctx, d, "c", "tlscl")
    c.send(q.init(3, 1) + q.set_option(4, kap=1) +
           q.node_list(5, LIST_INITIAL_CONFIG, (1, 2)) + q.echo_request(6))
    c.expect(q.init_reply(3), "INIT")
    c.expect(q.set_option_reply(4, kap=1), "SET_OPTION")
    c.expect(q.node_list_reply(5, LIST_INITIAL_CONFIG, RING, VOTE_ASK_LATER),
             "NODE_LIST")
    c.expect(q.echo_reply_of(q.echo_request(6)), "ECHO")


@scenario("tls_big_messages", "tls", needs_pki=True)
def _(ctx):
    """A 32768-byte echo over TLS (several TLS records) comes back whole;
    40000 bytes over TLS: error 5."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = tls_client(ctx, d, "c", "tlscl")
    c.do_init(seq=3)
    body = q.t_seq(9) + q.tlv(200, (bytes(range(256)) * 128)[:32750])
    req = c.send(q.frame(q.MSG_ECHO_REQUEST, body))
    ctx.check(len(req) == 32768, "echo size %d" % len(req), "size")
    c.expect(q.echo_reply_of(req), "32768-byte echo over TLS")
    c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(10) +
                   q.tlv(200, b"\0" * (40000 - 12))))
    c.expect(q.server_error(E_MESSAGE_TOO_LONG), "40000 bytes over TLS")
    c.do_echo(11)


@scenario("tls_on_plain_client", "tls", needs_pki=True)
def _(ctx):
    """-s on -c on: a client that never starts TLS is served in plain."""
    d = ctx.daemon(tls="on", cert_required="on")
    c = ctx.client(d, "c")
    c.do_preinit("tlscl", tls=q.TLS_SUPPORTED, cert_required=1)
    c.do_init()
    c.do_echo(3)
    c.expect_open(True)


@scenario("tls_on_cert_off_no_cert", "tls", needs_pki=True)
def _(ctx):
    """-s on -c off: PREINIT_REPLY says 1/0; TLS without a client
    certificate works."""
    d = ctx.daemon(tls="on", cert_required="off")
    c = tls_client(ctx, d, "c", "tlscl", cert=False)
    c.do_init(seq=3)
    c.expect_open(True)


@scenario("tls_req_plain_then_starttls", "tls", needs_pki=True)
def _(ctx):
    """-s req -c off: plain INIT gets SERVER_ERROR 3 (not INIT_REPLY) and
    the connection stays; every gated message too; after STARTTLS without
    certificate INIT succeeds."""
    d = ctx.daemon(tls="req", cert_required="off")
    c = ctx.client(d, "c")
    c.do_preinit("tlscl", tls=q.TLS_REQUIRED, cert_required=0)
    c.send(q.init(2, 1))
    c.expect(q.server_error(E_TLS_REQUIRED, 2), "plain INIT under -s req")
    c.send(q.echo_request(3))
    c.expect(q.server_error(E_TLS_REQUIRED, 3), "plain ECHO under -s req")
    c.send(q.node_list(4, LIST_INITIAL_CONFIG, (1, 2)))
    c.expect(q.server_error(E_TLS_REQUIRED, 4), "plain NODE_LIST")
    c.send(q.set_option(5, kap=1))
    c.expect(q.server_error(E_TLS_REQUIRED, 5), "plain SET_OPTION")
    c.send(q.preinit_reply(6))
    c.expect(q.server_error(E_UNEXPECTED_MESSAGE, 6),
             "server type is not TLS-gated")
    cc = ctx.pki.client("tlscl")
    c.starttls(7, None, None, cc.ca)
    c.do_init(seq=8)
    c.do_echo(9)


@scenario("tls_req_cert_on", "tls", needs_pki=True)
def _(ctx):
    """-s req -c on: valid certificate works; PREINIT_REPLY says 2/1."""
    d = ctx.daemon(tls="req", cert_required="on")
    c = tls_client(ctx, d, "c", "reqcl")
    c.do_init(seq=3)
    c.expect_open(True)


@scenario("tls_off_starttls", "tls", needs_pki=True)
def _(ctx):
    """-s off: STARTTLS makes the server drop the connection."""
    d = ctx.daemon(tls="off")
    c = ctx.client(d, "c")
    c.do_preinit("tlscl", tls=q.TLS_UNSUPPORTED, cert_required=1)
    c.send(q.starttls(2))
    c.expect_closed(what="STARTTLS under -s off")


@scenario("tls_off_cert_flag", "tls", needs_pki=True)
def _(ctx):
    """-s off -c off: PREINIT_REPLY 0/0."""
    d = ctx.daemon(tls="off", cert_required="off")
    c = ctx.client(d, "c")
    c.do_preinit("x", tls=q.TLS_UNSUPPORTED, cert_required=0)
    c.do_init()


@scenario("tls_two_clusters", "tls", needs_pki=True)
def _(ctx):
    """Each cluster's certificate is bound to its own name: a client of
    cluster A with B's (valid) certificate is dropped, A's works."""
    d = ctx.daemon(tls="on", cert_required="on")
    a = tls_client(ctx, d, "a", "clusterA")
    a.do_init(seq=3)
    b = ctx.client(d, "b")
    b.do_preinit("clusterA", tls=q.TLS_SUPPORTED, cert_required=1)
    cb = ctx.pki.client("clusterB")
    b.starttls(2, cb.cert, cb.key, cb.ca)
    b.send(q.init(3, 2))
    b.expect_closed(what="cluster A client with cluster B certificate")
    a.expect_open(True)


# ============================================================ DPD, limits

def timed_close(ctx, c, lo, hi, what):
    """Wait for the server to close c; check lo <= seconds <= hi."""
    start = time.monotonic()
    c.expect_closed(timeout=hi + 2.0, what=what)
    secs = time.monotonic() - start
    ctx.check(lo <= secs <= hi, "%s: closed after %.2fs, expected %.1f-%.1fs"
              % (what, secs, lo, hi), "%s within the window" % what)
    return secs


@scenario("dpd_hb_1000", "dpd")
def _(ctx):
    """HB 1000: with no traffic the server disconnects after 1.5 x HB."""
    d = ctx.daemon()
    c = ctx.client(d, "c", timeout=5.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    timed_close(ctx, c, 1.2, 3.0, "DPD HB 1000")


@scenario("dpd_traffic_keeps_alive", "dpd")
def _(ctx):
    """Echoes every 0.6 s keep an HB 1000 client for 3 s (requests that get
    an error count too); then silence -> closed after ~1.5 s."""
    d = ctx.daemon()
    c = ctx.client(d, "c", timeout=5.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    end = time.monotonic() + 3.0
    seq = 10
    while time.monotonic() < end:
        time.sleep(0.6)
        if seq % 2:
            c.do_echo(seq)
        else:
            c.send(q.node_list(seq, LIST_INITIAL_CONFIG, (7,)))
            c.expect(q.server_error(E_INVALID_CONFIG_NODE_LIST, seq),
                     "erroneous request")
        seq += 1
    timed_close(ctx, c, 1.2, 3.0, "DPD after the traffic stopped")


@scenario("dpd_skipped_messages_do_not_count", "dpd")
def _(ctx):
    """Oversize and unknown-type messages are skipped and do not reset the
    DPD timer: the client is still dropped ~1.5 s after INIT."""
    d = ctx.daemon()
    c = ctx.client(d, "c", timeout=5.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    start = time.monotonic()
    for i in range(3):
        time.sleep(0.4)
        c.send(q.message(99, q.t_seq(i)))
        c.expect(q.server_error(E_UNSUPPORTED_MESSAGE), "type 99")
    timed_close(ctx, c, 0.0, 3.0 - (time.monotonic() - start),
                "DPD despite skipped messages")
    ctx.check(time.monotonic() - start < 3.0, "closed too late",
              "skipped messages do not reset DPD")


@scenario("dpd_set_option_retargets", "dpd")
def _(ctx):
    """SET_OPTION HB 2000 after INIT HB 1000: DPD becomes ~3 s."""
    d = ctx.daemon()
    c = ctx.client(d, "c", timeout=8.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    c.do_set_option(3, heartbeat=2000)
    timed_close(ctx, c, 2.6, 5.0, "DPD HB 2000")


@scenario("dpd_disabled", "dpd")
def _(ctx):
    """-S dpd_enabled=off: an HB 1000 client stays for 3 s of silence."""
    d = ctx.daemon(settings={"dpd_enabled": "off"})
    c = ctx.client(d, "c", timeout=5.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    c.expect_silence(3.0, "no DPD with dpd_enabled=off")
    c.expect_open(True)


@scenario("dpd_coefficient", "dpd")
def _(ctx):
    """-S dpd_interval_coefficient=3: HB 1000 -> closed after ~3 s."""
    d = ctx.daemon(settings={"dpd_interval_coefficient": "3"})
    c = ctx.client(d, "c", timeout=8.0)
    c.do_preinit()
    c.do_init(heartbeat=1000)
    timed_close(ctx, c, 2.6, 5.0, "DPD coefficient 3")


@scenario("max_clients_1", "dpd")
def _(ctx):
    """-m 1: a second connection is closed at once with no data; the
    first keeps working; once it is gone a new one is accepted."""
    d = ctx.daemon(max_clients=1)
    c1 = ctx.client(d, "c1")
    c1.do_preinit()
    c2 = ctx.client(d, "c2")
    secs = c2.expect_closed(timeout=2.0, what="second connection under -m 1")
    ctx.check(secs is not None and secs < 1.0,
              "second connection closed after %s s" % secs,
              "second connection closed at once")
    c1.do_init()
    c1.expect_open(True)
    c1.close()
    time.sleep(0.3)
    c3 = ctx.client(d, "c3")
    c3.do_preinit()
    c3.do_init()


# ===================================================================== IPC

def status_text(port, clients, clusters, tls="Unsupported", verbose=None):
    s = ("QNetd address:\t\t\t127.0.0.1:%d\n"
         "TLS:\t\t\t\t%s\n"
         "Connected clients:\t\t%d\n"
         "Connected clusters:\t\t%d\n" % (port, tls, clients, clusters))
    if verbose:
        s += verbose
    return s


def expect_status(ctx, d, clients, clusters, what, args=("-s",), **kw):
    """Poll `tool -s` until it shows the counts (the daemon handles closes
    asynchronously), then compare the whole output exactly."""
    want = status_text(d.port, clients, clusters, **kw)
    deadline = time.monotonic() + 3.0
    while True:
        rc, out, err = d.tool(*args)
        if (rc == 0 and out == want) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if not ctx.strict:
        ctx.note("status %s" % what, (rc, out.replace(str(d.port), "PORT"),
                                      err))
        return
    ctx.check(rc == 0, "%s: tool -s exit %d, stderr %r" % (what, rc, err))
    ctx.check(out == want, "%s: tool %s output differs\n  expected: %r\n"
              "  got:      %r" % (what, " ".join(args), want, out))


@scenario("ipc_status_counts", "ipc")
def _(ctx):
    """`corosync-qnetd-tool -s` counts every TCP client (INIT or not) and
    every cluster with an initialised client, and follows disconnects."""
    d = ctx.daemon()
    expect_status(ctx, d, 0, 0, "idle")
    c1 = ctx.client(d, "c1")
    expect_status(ctx, d, 1, 0, "one raw connection")
    c1.do_preinit("alpha")
    expect_status(ctx, d, 1, 0, "after PREINIT")
    c1.do_init(node_id=1, algorithm=q.ALGO_TEST)
    expect_status(ctx, d, 1, 1, "one initialised client")
    c2 = ctx.client(d, "c2")
    c2.handshake("alpha", 2, algorithm=q.ALGO_TEST)
    expect_status(ctx, d, 2, 1, "two clients, one cluster")
    c3 = ctx.client(d, "c3")
    c3.handshake("beta", 1, algorithm=q.ALGO_TEST)
    expect_status(ctx, d, 3, 2, "three clients, two clusters")
    c4 = ctx.client(d, "c4")
    c4.do_preinit("gamma")
    c4.send(q.init(2, 1, heartbeat=5))
    c4.expect(q.init_reply(2, E_INVALID_HEARTBEAT_INTERVAL), "failed INIT")
    expect_status(ctx, d, 4, 2, "failed INIT adds no cluster")
    c3.close()
    expect_status(ctx, d, 3, 1, "cluster beta gone")
    c1.close()
    c4.close()
    expect_status(ctx, d, 1, 1, "one left")
    c2.close()
    expect_status(ctx, d, 0, 0, "all gone")


@scenario("ipc_status_verbose", "ipc")
def _(ctx):
    """`tool -s -v` with -m 3: the extra limits lines."""
    d = ctx.daemon(max_clients=3)
    expect_status(ctx, d, 0, 0, "verbose", args=("-s", "-v"),
                  verbose="Maximum allowed clients:\t3\n"
                          "Maximum send/receive size:\t32768/32768 bytes\n")


@scenario("ipc_status_tls", "ipc", needs_pki=True)
def _(ctx):
    """TLS line for -s on -c on / -s req -c off."""
    d = ctx.daemon(tls="on", cert_required="on")
    expect_status(ctx, d, 0, 0, "tls on",
                  tls="Supported (client certificate required)")
    d2 = ctx.daemon(tls="req", cert_required="off")
    expect_status(ctx, d2, 0, 0, "tls req", tls="Required")


# ============================================================== algorithms

def algo_clients(ctx, d, algorithm, ids, hb=4000, cluster="cl"):
    cs = {}
    for nid in ids:
        c = ctx.client(d, "n%d" % nid)
        c.do_preinit(cluster)
        c.do_init(node_id=nid, algorithm=algorithm, heartbeat=hb)
        cs[nid] = c
    return cs


@scenario("algo_test", "algorithms")
def _(ctx):
    """Algorithm test (0): config/quorum NO_CHANGE, membership ACK,
    ASK_FOR_VOTE ACK, heuristics change NO_CHANGE, VOTE_INFO_REPLY
    silent."""
    d = ctx.daemon()
    n1 = algo_clients(ctx, d, q.ALGO_TEST, (1,))[1]
    n1.do_node_list(3, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_NO_CHANGE)
    n1.do_node_list(4, LIST_MEMBERSHIP, (1,), (1, 8), VOTE_ACK, ring=(1, 8))
    n1.do_node_list(5, LIST_QUORUM, ((1, 0, q.NODE_STATE_MEMBER),), (1, 8),
                    VOTE_NO_CHANGE, quorate=0)
    n1.send(q.ask_for_vote(6))
    n1.expect(q.ask_for_vote_reply(6, VOTE_ACK, (1, 8)), "ASK_FOR_VOTE")
    n1.send(q.heuristics_change(7, q.HEUR_FAIL))
    n1.expect(q.heuristics_change_reply(7, VOTE_NO_CHANGE, (1, 8),
                                        q.HEUR_FAIL), "HEURISTICS_CHANGE")
    n1.send(q.vote_info_reply(9))
    n1.expect_silence(0.2, "VOTE_INFO_REPLY under test")


@scenario("algo_2nodelms", "algorithms")
def _(ctx):
    """2nodelms: a 3-node config is error 12 (connection stays); split
    {1} | {2}: node 1 (lowest) ACK, node 2 NACK (newcomer rule);
    ASK_FOR_VOTE: ACK / ASK_LATER (NACK was not stored)."""
    d = ctx.daemon()
    cs = algo_clients(ctx, d, q.ALGO_2NODELMS, (1, 2))
    for c in cs.values():
        c.send(q.node_list(3, LIST_INITIAL_CONFIG, (1, 2, 3)))
        c.expect(q.server_error(E_UNSUPPORTED_DECISION_ALGORITHM, 3),
                 "3-node config under 2nodelms")
    for c in cs.values():
        c.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_NO_CHANGE)
    cs[1].do_node_list(5, LIST_MEMBERSHIP, (1,), (1, 8), VOTE_ACK,
                       ring=(1, 8))
    cs[2].do_node_list(5, LIST_MEMBERSHIP, (2,), (2, 8), q.VOTE_NACK,
                       ring=(2, 8))
    cs[1].send(q.ask_for_vote(6))
    cs[1].expect(q.ask_for_vote_reply(6, VOTE_ACK, (1, 8)), "n1 ASK_FOR_VOTE")
    cs[2].send(q.ask_for_vote(6))
    cs[2].expect(q.ask_for_vote_reply(6, VOTE_ASK_LATER, (2, 8)),
                 "n2 ASK_FOR_VOTE")
    quorum = ((1, 0, q.NODE_STATE_MEMBER), (2, 0, q.NODE_STATE_DEAD))
    for nid, c in cs.items():
        ring = (nid, 8)
        c.do_node_list(7, LIST_QUORUM, quorum, ring, VOTE_NO_CHANGE,
                       quorate=1)
        c.send(q.heuristics_change(8, q.HEUR_PASS))
        c.expect(q.heuristics_change_reply(8, VOTE_NO_CHANGE, ring,
                                           q.HEUR_PASS), "heuristics")


@scenario("algo_lms_split", "algorithms")
def _(ctx):
    """lms, 3 nodes split {1} (ring 1.c) | {2,3} (ring 2.c): membership
    replies ACK, NACK, NACK; after the quorum lists the bigger partition
    holds the vote: NACK, ACK, ACK; ASK_FOR_VOTE agrees."""
    d = ctx.daemon()
    cs = algo_clients(ctx, d, q.ALGO_LMS, (1, 2, 3))
    for c in cs.values():
        c.do_node_list(3, LIST_INITIAL_CONFIG, (1, 2, 3), RING,
                       VOTE_NO_CHANGE)
    ra, rb = (1, 12), (2, 12)
    cs[1].do_node_list(4, LIST_MEMBERSHIP, (1,), ra, VOTE_ACK, ring=ra)
    cs[2].do_node_list(4, LIST_MEMBERSHIP, (2, 3), rb, q.VOTE_NACK, ring=rb)
    cs[3].do_node_list(4, LIST_MEMBERSHIP, (2, 3), rb, q.VOTE_NACK, ring=rb)
    quorum = tuple((n, 0, q.NODE_STATE_MEMBER) for n in (1, 2, 3))
    want = {1: (ra, q.VOTE_NACK), 2: (rb, VOTE_ACK), 3: (rb, VOTE_ACK)}
    for nid, c in cs.items():
        ring, vote = want[nid]
        c.do_node_list(5, LIST_QUORUM, quorum, ring, vote, quorate=1)
    for nid, c in cs.items():
        ring, vote = want[nid]
        c.send(q.ask_for_vote(6))
        c.expect(q.ask_for_vote_reply(6, vote, ring), "ASK_FOR_VOTE")
    for c in cs.values():
        c.expect_silence(0.1)


@scenario("algo_lms_timer_vote_info", "algorithms")
def _(ctx):
    """lms: a member whose partition peers still report another ring gets
    WAIT_FOR_REPLY, and the algorithm timer (HB/4) later pushes the
    decision as VOTE_INFO seq 1."""
    d = ctx.daemon()
    cs = algo_clients(ctx, d, q.ALGO_LMS, (1, 2), hb=2000)
    for c in cs.values():
        c.do_node_list(3, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_NO_CHANGE)
    r = (1, 8)
    cs[1].do_node_list(4, LIST_MEMBERSHIP, (1, 2), r, VOTE_ACK, ring=r,
                       what="n1 membership (stored lists still empty)")
    cs[2].do_node_list(4, LIST_MEMBERSHIP, (1, 2), r, VOTE_ACK, ring=r)
    r2 = (1, 12)
    cs[1].do_node_list(5, LIST_MEMBERSHIP, (1, 2), r2, VOTE_WAIT_FOR_REPLY,
                       ring=r2, what="n1 new ring, n2 still on the old one")
    cs[2].do_node_list(5, LIST_MEMBERSHIP, (1, 2), r2, VOTE_ACK, ring=r2)
    cs[1].expect(q.vote_info(1, VOTE_ACK, r2), "timer VOTE_INFO", timeout=2.0)
    cs[1].do_vote_info_reply(1)
    cs[1].expect_silence(0.8, "timer stops after a decision")


def two_node_ffsplit(ctx, d, cluster="testcl", kap=1, heuristics=q.HEUR_PASS):
    """The 2.10 sequence up to the settled ACK and quorum lists."""
    n1 = ctx.client(d, "n1")
    n2 = ctx.client(d, "n2")
    for n, nid in ((n1, 1), (n2, 2)):
        n.handshake(cluster, nid)
        n.do_set_option(3, kap=kap)
        n.do_node_list(4, LIST_INITIAL_CONFIG, (1, 2), RING, VOTE_ASK_LATER,
                       config_version=7)
    n1.do_node_list(5, LIST_MEMBERSHIP, (1, 2), RING, VOTE_WAIT_FOR_REPLY,
                    ring=RING, heuristics=heuristics)
    n2.send(q.node_list(5, LIST_MEMBERSHIP, (1, 2), ring=RING,
                        heuristics=heuristics))
    n2.expect(q.vote_info(1, VOTE_ACK, RING), "n2 VOTE_INFO")
    n2.expect(q.node_list_reply(5, LIST_MEMBERSHIP, RING, VOTE_NO_CHANGE),
              "n2 NODE_LIST_REPLY")
    n1.expect(q.vote_info(1, VOTE_ACK, RING), "n1 VOTE_INFO")
    quorum = ((1, 0, q.NODE_STATE_MEMBER), (2, 0, q.NODE_STATE_MEMBER))
    for n in (n1, n2):
        n.do_vote_info_reply(1)
        n.do_node_list(6, LIST_QUORUM, quorum, RING, VOTE_NO_CHANGE,
                       quorate=1)
    return n1, n2


def expect_tool(ctx, d, args, want, what, clients=()):
    """Run the tool; compare stdout exactly.  Client ports are replaced by
    <port-of-NAME> in both texts so transcripts of two daemons compare."""
    rc, out, err = d.tool(*args)
    for c in clients:
        port = str(c.sock.getsockname()[1])
        out = out.replace("127.0.0.1:%s\n" % port, "127.0.0.1:<%s>\n" % c.name)
        want = want.replace("127.0.0.1:%s\n" % port,
                            "127.0.0.1:<%s>\n" % c.name)
    if not ctx.strict:
        ctx.note("tool %s" % " ".join(args), (rc, out, err))
        return
    ctx.check(rc == 0, "%s: tool exit %d, stderr %r" % (what, rc, err))
    ctx.check(out == want, "%s: tool %s output differs\n  expected: %r\n"
              "  got:      %r" % (what, " ".join(args), want, out))


def list_node(c, nid, verbose, vote="No change (ACK)", heur="Pass",
              heur_v="Pass (membership: Pass, regular: Undefined)"):
    port = c.sock.getsockname()[1]
    s = "    Node ID %d:\n" % nid
    s += "        Client address:\t\t127.0.0.1:%d\n" % port
    if verbose:
        s += "        HB interval:\t\t8000ms\n"
    s += "        Configuration version:\t7\n"
    s += "        Configured node list:\t1, 2\n"
    if verbose:
        s += "        Ring ID:\t\t1.4\n"
    s += "        Membership node list:\t1, 2\n"
    if verbose:
        s += "        Heuristics:\t\t%s\n" % heur_v
    elif heur != "Undefined":
        s += "        Heuristics:\t\t%s\n" % heur
    if verbose:
        s += "        TLS active:\t\tNo\n"
    s += "        Vote:\t\t\t%s\n" % vote
    return s


@scenario("ipc_list", "ipc")
def _(ctx):
    """`tool -l` and `-l -v` after the 2.10 sequence (protocol.md 5.3)."""
    d = ctx.daemon()
    n1, n2 = two_node_ffsplit(ctx, d)
    head = ('Cluster "testcl":\n'
            "    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
            "    Tie-breaker:\tNode with lowest node ID\n")
    for verbose in (False, True):
        want = head + list_node(n1, 1, verbose) + list_node(n2, 2, verbose)
        args = ("-l", "-v") if verbose else ("-l",)
        expect_tool(ctx, d, args, want, "list", (n1, n2))
    expect_tool(ctx, d, ("-l", "-c", "nosuch"), "", "filtered list")


@scenario("ipc_list_no_kap_two_clusters", "ipc")
def _(ctx):
    """KAP off (SET_OPTION 23=0), heuristics undefined; a second cluster
    (lms, tie-breaker node 5) with a client that sent nothing but INIT."""
    d = ctx.daemon()
    n1, n2 = two_node_ffsplit(ctx, d, kap=0, heuristics=None)
    x = ctx.client(d, "x")
    x.do_preinit("other")
    x.do_init(node_id=9, algorithm=q.ALGO_LMS, tie_breaker=(q.TB_NODE_ID, 5))
    und = dict(heur="Undefined",
               heur_v="Undefined (membership: Undefined, regular: Undefined)")
    want = ('Cluster "testcl":\n'
            "    Algorithm:\t\tFifty-Fifty split\n"
            "    Tie-breaker:\tNode with lowest node ID\n" +
            list_node(n1, 1, False, **und) + list_node(n2, 2, False, **und) +
            'Cluster "other":\n'
            "    Algorithm:\t\tLMS\n"
            "    Tie-breaker:\tNode with node ID 5\n"
            "    Node ID 9:\n"
            "        Client address:\t\t127.0.0.1:%d\n"
            % x.sock.getsockname()[1])
    expect_tool(ctx, d, ("-l",), want, "list", (n1, n2, x))
    want_other = ('Cluster "other":\n'
                  "    Algorithm:\t\tLMS\n"
                  "    Tie-breaker:\tNode with node ID 5\n"
                  "    Node ID 9:\n"
                  "        Client address:\t\t127.0.0.1:%d\n"
                  "        HB interval:\t\t8000ms\n"
                  "        Ring ID:\t\t1.4\n"
                  "        Heuristics:\t\tUndefined (membership: Undefined, "
                  "regular: Undefined)\n"
                  "        TLS active:\t\tNo\n" % x.sock.getsockname()[1])
    expect_tool(ctx, d, ("-l", "-v", "-c", "other"), want_other,
                "list -v -c other", (x,))


# ============================================================ settings

@scenario("settings_sizes", "dpd")
def _(ctx):
    """-S max_client_receive_size=16384,max_client_send_size=20000: INIT_REPLY
    advertises them; 16384 bytes in is accepted, 16385 is error 5."""
    d = ctx.daemon(settings={"max_client_receive_size": "16384",
                             "max_client_send_size": "20000"})
    c = ctx.client(d, "c")
    c.do_preinit()
    c.send(q.init(2, 1))
    c.expect(q.init_reply(2, max_request=16384, max_reply=20000),
             "INIT_REPLY with the limits")
    req = c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(3) +
                         q.tlv(200, b"a" * (16384 - 18))))
    c.expect(q.echo_reply_of(req), "16384-byte echo")
    c.send(q.frame(q.MSG_ECHO_REQUEST, q.t_seq(4) +
                   q.tlv(200, b"a" * (16385 - 18))))
    c.expect(q.server_error(E_MESSAGE_TOO_LONG), "16385-byte echo")
    c.expect_open(True)


@scenario("settings_send_size_too_small", "dpd")
def _(ctx):
    """-S max_client_send_size=100: the INIT_REPLY (140 bytes) cannot be
    queued, so the server drops the client instead of replying."""
    d = ctx.daemon(settings={"max_client_send_size": "100"})
    c = ctx.client(d, "c")
    c.do_preinit()
    c.send(q.init(2, 1))
    c.expect_closed(what="INIT_REPLY larger than max_client_send_size")


@scenario("settings_heartbeat_bounds", "dpd")
def _(ctx):
    """-S heartbeat_interval_min=500,heartbeat_interval_max=1000: 500 and
    1000 accepted, 499 and 1001 are error 13 (INIT and SET_OPTION)."""
    d = ctx.daemon(settings={"heartbeat_interval_min": "500",
                             "heartbeat_interval_max": "1000"})
    c = ctx.client(d, "c", timeout=5.0)
    c.do_preinit()
    c.send(q.init(2, 1, heartbeat=499))
    c.expect(q.init_reply(2, E_INVALID_HEARTBEAT_INTERVAL), "HB 499")
    c.send(q.init(3, 1, heartbeat=1001))
    c.expect(q.init_reply(3, E_INVALID_HEARTBEAT_INTERVAL), "HB 1001")
    c.do_init(seq=4, heartbeat=500)
    c.send(q.set_option(5, heartbeat=1001))
    c.expect(q.server_error(E_INVALID_HEARTBEAT_INTERVAL, 5), "SET HB 1001")
    c.do_set_option(6, heartbeat=1000)
    c.do_set_option(7, heartbeat=500)


# ============================================================ shutdown

@scenario("shutdown_sigterm_with_clients", "ipc")
def _(ctx):
    """SIGTERM with initialised clients (votes held): every client sees a
    plain close with no goodbye message, and the daemon exits 0."""
    d = ctx.daemon()
    n1, n2 = two_node_ffsplit(ctx, d)
    x = ctx.client(d, "x")
    x.do_preinit("other")
    time.sleep(0.3)
    rc = d.stop(check=False)
    ctx.check(rc == 0, "exit status %s after SIGTERM" % rc, "SIGTERM exit 0")
    for c in (n1, n2, x):
        c.expect_closed(timeout=2.0, what="client at shutdown")


@scenario("shutdown_ipc", "ipc")
def _(ctx):
    """`corosync-qnetd-tool -H`: OK, the daemon exits 0, clients closed."""
    d = ctx.daemon()
    c = ctx.client(d, "c")
    c.handshake()
    rc, out, err = d.tool("-H")
    if ctx.strict:
        ctx.check(rc == 0 and out == "" and err == "",
                  "tool -H: rc %d out %r err %r" % (rc, out, err))
    else:
        ctx.note("tool -H", (rc, out, err))
    try:
        d.proc.wait(5)
    except Exception:  # noqa: BLE001
        pass
    ctx.check(d.proc.poll() == 0, "exit status %s after tool -H"
              % d.proc.poll(), "tool -H exit 0")
    c.expect_closed(timeout=2.0, what="client after tool -H")


# ============================================== randomised differential

# option -> the value lengths the decoder accepts (None: any length)
_OPT_LEN = {0: 4, 1: None, 2: 1, 3: 1, 4: None, 5: None, 6: 2, 7: 4, 8: 4,
            9: 4, 10: None, 11: 2, 12: 4, 13: 12, 14: 8, 15: 4, 16: 1,
            17: None, 18: 1, 19: 1, 20: 1, 21: 5, 22: 1, 23: 1}


def _rand_value(rng, opt):
    want = _OPT_LEN.get(opt)
    if want is not None and rng.random() < 0.8:
        n = want
    else:
        n = rng.choice((0, 1, 2, 3, 4, 5, 8, 12, rng.randrange(0, 40)))
    if opt == 17 and rng.random() < 0.7:
        inner = b"".join(q.tlv(rng.choice((9, 9, 15, 16, 99)),
                               _rand_value(rng, rng.choice((9, 15, 16))))
                         for _ in range(rng.randrange(0, 4)))
        return inner
    if n == 1 and rng.random() < 0.8:
        return bytes([rng.randrange(0, 7)])
    if n == 4 and rng.random() < 0.6:
        return q.u32(rng.choice((0, 1, 2, 3, 999, 1000, 8000, 120001,
                                 rng.randrange(0, 1 << 32))))
    if n == 2 and rng.random() < 0.7:
        return q.u16(rng.randrange(0, 25))
    if n == 5 and rng.random() < 0.7:
        return bytes([rng.randrange(0, 5)]) + q.u32(rng.randrange(0, 4))
    return bytes(rng.randrange(0, 256) for _ in range(n))


def _rand_message(rng):
    t = rng.choice((0, 1, 3, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 10, 10, 11, 12,
                    13, 14, 15, 15, 16, 16, 17, 18, 40, 0xFFFF))
    body = b""
    if rng.random() < 0.8:
        body += q.t_seq(rng.randrange(1, 50))
    for _ in range(rng.randrange(0, 8)):
        opt = rng.choice(list(range(24)) + [24, 200, 0xFFFF])
        body += q.tlv(opt, _rand_value(rng, opt))
    if rng.random() < 0.1:
        body += bytes(rng.randrange(0, 256) for _ in range(rng.randrange(1, 4)))
    if rng.random() < 0.05:
        body = body[:rng.randrange(0, len(body) + 1)]
    return q.frame(t, body)


def _fuzz(ctx, seed, count=300):
    """Seeded random requests, each followed by a marker echo; everything
    received before the marker's answer is the reply to the request.  In
    a single run: the daemon survives and keeps answering; the
    differential run compares every byte."""
    import random
    rng = random.Random(seed)
    d = ctx.daemon()
    c = ctx.client(d, "f")
    c.do_preinit("fz%d" % seed)
    initialised = False
    if seed % 2:
        c.do_init(node_id=1, algorithm=q.ALGO_TEST)
        initialised = True
    for i in range(count):
        m = _rand_message(rng)
        t = q.Message(m).type
        if t == q.MSG_STARTTLS:
            continue
        if t == q.MSG_INIT and initialised:
            # a failed INIT on an initialised connection changes the
            # reference's client state (compat.md: "A failed INIT leaves
            # the client untouched"); scenario failed_init_overwrites_state
            continue
        try:
            c.send(m)
            marker = 0xFEED0000 + i
            c.send(q.echo_request(marker))
        except q.Closed:
            ctx.check(False, "connection closed after %s" % q.hexs(m),
                      "closed at %d" % i)
            return
        while True:
            try:
                r = c.recv(3.0)
            except (q.Timeout, q.Closed) as e:
                ctx.check(False, "no answer to the marker echo after request "
                          "%d %s (%s)" % (i, q.hexs(m, 120), type(e).__name__),
                          "marker %d" % i)
                return
            if r.type == q.MSG_INIT_REPLY and r.error == q.E_NO_ERROR:
                initialised = True
            if r.type in (q.MSG_ECHO_REPLY, q.MSG_SERVER_ERROR) and \
                    r.seq == marker:
                break
    ctx.check(d.alive(), "daemon died", "alive")


for _seed in (1, 2, 3, 4):
    scenario("fuzz_seed_%d" % _seed, "fuzz")(
        lambda ctx, _s=_seed: _fuzz(ctx, _s))


_marker_counter = [0]


def _sync(ctx, c, until_seq=None):
    """Read c up to the answer of a fresh marker echo.  Each VOTE_INFO is
    confirmed at once and followed by a new marker, so when this returns
    the daemon has processed everything c sent (messages to other clients
    that it caused are queued).  Returns (ok, got a VOTE_INFO)."""
    _marker_counter[0] += 1
    marker = 0xFEED0000 + _marker_counter[0]
    saw = False
    try:
        c.send(q.echo_request(marker))
        while True:
            r = c.recv(3.0)
            if r.type == q.MSG_VOTE_INFO:
                saw = True
                c.send(q.vote_info_reply(r.seq))
                _marker_counter[0] += 1
                marker = 0xFEED0000 + _marker_counter[0]
                c.send(q.echo_request(marker))
            elif r.type == q.MSG_ECHO_REPLY and r.seq == marker:
                return True, saw
    except (q.Timeout, q.Closed) as e:
        ctx.check(False, "%s: marker not answered (%s)" % (
            c.name, type(e).__name__), "marker answered")
        return False, saw


def _flush_all(ctx, clients):
    """Sync every client, in order, until a whole round sees no VOTE_INFO
    (the ACK phase follows the NACK confirmations)."""
    for _ in range(8):
        any_vi = False
        for c in clients:
            ok, saw = _sync(ctx, c)
            if not ok:
                return False
            any_vi = any_vi or saw
        if not any_vi:
            return True
    return True


def _ffsplit_random(ctx, seed, steps=60, algorithm=q.ALGO_FFSPLIT):
    """Three clients of one 4-node cluster (two of a 2-node one for
    2nodelms); seeded random config, membership, quorum and heuristics
    reports, every VOTE_INFO confirmed at once.  The differential run
    compares every vote and its order."""
    import random
    rng = random.Random(seed)
    _marker_counter[0] = 0
    d = ctx.daemon()
    cs = []
    two = algorithm == q.ALGO_2NODELMS
    cfg0 = (1, 2) if two else (1, 2, 3, 4)
    tb = rng.choice((q.TB_LOWEST, q.TB_HIGHEST)) if two else q.TB_LOWEST
    for nid in ((1, 2) if two else (1, 2, 3)):
        c = ctx.client(d, "n%d" % nid)
        c.handshake("rnd", nid, algorithm=algorithm, tie_breaker=tb)
        c.do_set_option(3, kap=rng.choice((0, 1)))
        c.do_node_list(4, LIST_INITIAL_CONFIG, cfg0, RING,
                       VOTE_NO_CHANGE if two else VOTE_ASK_LATER)
        cs.append(c)
    seqs = {c.name: 10 for c in cs}
    ring_seq = [8]
    groups = {}

    def resplit():
        # a random partition of {1,2,3,4}; each part gets its own new ring
        ring_seq[0] += 4
        parts = {}
        for n in (1, 2, 3, 4):
            parts.setdefault(rng.randrange(3), []).append(n)
        for members in parts.values():
            ring = (min(members), ring_seq[0])
            for n in members:
                groups[n] = (tuple(members), ring)
    resplit()
    for step in range(steps):
        if rng.random() < 0.15:
            resplit()
        k = rng.randrange(len(cs))
        c, nid = cs[k], k + 1
        seqs[c.name] += 1
        seq = seqs[c.name]
        action = rng.choice(("membership", "membership", "membership",
                             "config", "quorum", "heuristics"))
        others = [n for n in (1, 2, 3, 4) if n != nid and rng.random() < 0.5]
        nodes = tuple(sorted([nid] + others))
        heur = rng.choice((None, q.HEUR_PASS, q.HEUR_FAIL))
        if action == "membership":
            members, ring = groups[nid]
            if rng.random() < 0.1:
                members, ring = nodes, (nid, ring_seq[0] + 1)
            c.send(q.node_list(seq, LIST_MEMBERSHIP, members, ring=ring,
                               heuristics=heur))
        elif action == "config":
            cfg = cfg0 if rng.random() < 0.8 else \
                tuple(sorted(set(nodes) | {1, 2}))
            c.send(q.node_list(seq, LIST_CHANGED_CONFIG, cfg,
                               config_version=step))
        elif action == "quorum":
            c.send(q.node_list(seq, LIST_QUORUM,
                               tuple((n, 0, q.NODE_STATE_MEMBER)
                                     for n in nodes),
                               quorate=rng.choice((0, 1))))
        else:
            c.send(q.heuristics_change(seq, heur or q.HEUR_PASS))
        ok, _ = _sync(ctx, c)
        if not ok or not _flush_all(ctx, cs):
            return
    ctx.check(d.alive(), "daemon died", "alive")


for _seed in (11, 12, 13, 14, 15, 16):
    scenario("ffsplit_random_%d" % _seed, "fuzz")(
        lambda ctx, _s=_seed: _ffsplit_random(ctx, _s))
for _seed in (21, 22, 23):
    scenario("2nodelms_random_%d" % _seed, "fuzz")(
        lambda ctx, _s=_seed: _ffsplit_random(ctx, _s,
                                              algorithm=q.ALGO_2NODELMS))
