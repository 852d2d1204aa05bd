"""A small corosync-qnetd protocol client for black-box tests (stdlib only).

Wire format (protocol.md section 1): a 6-byte header (u16 type, u32 body
length, big-endian) then a body made of TLVs (u16 type, u16 length, value).

Layers:
* encoders for every option (TLV) and message type, client-to-server and
  server-to-client, so tests can build the exact bytes they expect;
* a decoder (Message) that splits a frame into TLVs and can describe them;
* Client: a blocking TCP connection with timeouts, framing, STARTTLS
  (the same socket wrapped with `ssl` after STARTTLS is written), and
  helpers for the usual sequences.  In strict mode `expect` raises
  ProtocolMismatch with both byte strings; in record mode it only records,
  which is what the differential runner uses.
"""

import socket
import ssl
import struct
import time

# ---------------------------------------------------------------- constants

MSG_PREINIT = 0
MSG_PREINIT_REPLY = 1
MSG_STARTTLS = 2
MSG_INIT = 3
MSG_INIT_REPLY = 4
MSG_SERVER_ERROR = 5
MSG_SET_OPTION = 6
MSG_SET_OPTION_REPLY = 7
MSG_ECHO_REQUEST = 8
MSG_ECHO_REPLY = 9
MSG_NODE_LIST = 10
MSG_NODE_LIST_REPLY = 11
MSG_ASK_FOR_VOTE = 12
MSG_ASK_FOR_VOTE_REPLY = 13
MSG_VOTE_INFO = 14
MSG_VOTE_INFO_REPLY = 15
MSG_HEURISTICS_CHANGE = 16
MSG_HEURISTICS_CHANGE_REPLY = 17

MSG_NAMES = [
    "PREINIT", "PREINIT_REPLY", "STARTTLS", "INIT", "INIT_REPLY",
    "SERVER_ERROR", "SET_OPTION", "SET_OPTION_REPLY", "ECHO_REQUEST",
    "ECHO_REPLY", "NODE_LIST", "NODE_LIST_REPLY", "ASK_FOR_VOTE",
    "ASK_FOR_VOTE_REPLY", "VOTE_INFO", "VOTE_INFO_REPLY",
    "HEURISTICS_CHANGE", "HEURISTICS_CHANGE_REPLY",
]

OPT_SEQ = 0
OPT_CLUSTER_NAME = 1
OPT_TLS_SUPPORTED = 2
OPT_TLS_CLIENT_CERT_REQUIRED = 3
OPT_SUPPORTED_MESSAGES = 4
OPT_SUPPORTED_OPTIONS = 5
OPT_REPLY_ERROR_CODE = 6
OPT_SERVER_MAX_REQUEST_SIZE = 7
OPT_SERVER_MAX_REPLY_SIZE = 8
OPT_NODE_ID = 9
OPT_SUPPORTED_ALGORITHMS = 10
OPT_ALGORITHM = 11
OPT_HEARTBEAT_INTERVAL = 12
OPT_RING_ID = 13
OPT_CONFIG_VERSION = 14
OPT_DATA_CENTER_ID = 15
OPT_NODE_STATE = 16
OPT_NODE_INFO = 17
OPT_NODE_LIST_TYPE = 18
OPT_VOTE = 19
OPT_QUORATE = 20
OPT_TIE_BREAKER = 21
OPT_HEURISTICS = 22
OPT_KAP_TIE_BREAKER = 23

OPT_NAMES = [
    "MSG_SEQ_NUMBER", "CLUSTER_NAME", "TLS_SUPPORTED",
    "TLS_CLIENT_CERT_REQUIRED", "SUPPORTED_MESSAGES", "SUPPORTED_OPTIONS",
    "REPLY_ERROR_CODE", "SERVER_MAXIMUM_REQUEST_SIZE",
    "SERVER_MAXIMUM_REPLY_SIZE", "NODE_ID", "SUPPORTED_DECISION_ALGORITHMS",
    "DECISION_ALGORITHM", "HEARTBEAT_INTERVAL", "RING_ID", "CONFIG_VERSION",
    "DATA_CENTER_ID", "NODE_STATE", "NODE_INFO", "NODE_LIST_TYPE", "VOTE",
    "QUORATE", "TIE_BREAKER", "HEURISTICS",
    "KEEP_ACTIVE_PARTITION_TIE_BREAKER",
]

ALL_MESSAGES = list(range(18))
ALL_OPTIONS = list(range(24))
ALL_ALGORITHMS = [0, 1, 2, 3]

# error codes (TLV 6)
E_NO_ERROR = 0
E_UNSUPPORTED_NEEDED_MESSAGE = 1
E_UNSUPPORTED_NEEDED_OPTION = 2
E_TLS_REQUIRED = 3
E_UNSUPPORTED_MESSAGE = 4
E_MESSAGE_TOO_LONG = 5
E_PREINIT_REQUIRED = 6
E_DOESNT_CONTAIN_REQUIRED_OPTION = 7
E_UNEXPECTED_MESSAGE = 8
E_ERROR_DECODING_MSG = 9
E_INTERNAL_ERROR = 10
E_INIT_REQUIRED = 11
E_UNSUPPORTED_DECISION_ALGORITHM = 12
E_INVALID_HEARTBEAT_INTERVAL = 13
E_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE = 14
E_TIE_BREAKER_DIFFERS = 15
E_ALGORITHM_DIFFERS = 16
E_DUPLICATE_NODE_ID = 17
E_INVALID_CONFIG_NODE_LIST = 18
E_INVALID_MEMBERSHIP_NODE_LIST = 19

ERROR_NAMES = [
    "NO_ERROR", "UNSUPPORTED_NEEDED_MESSAGE", "UNSUPPORTED_NEEDED_OPTION",
    "TLS_REQUIRED", "UNSUPPORTED_MESSAGE", "MESSAGE_TOO_LONG",
    "PREINIT_REQUIRED", "DOESNT_CONTAIN_REQUIRED_OPTION",
    "UNEXPECTED_MESSAGE", "ERROR_DECODING_MSG", "INTERNAL_ERROR",
    "INIT_REQUIRED", "UNSUPPORTED_DECISION_ALGORITHM",
    "INVALID_HEARTBEAT_INTERVAL", "UNSUPPORTED_DECISION_ALGORITHM_MESSAGE",
    "TIE_BREAKER_DIFFERS_FROM_OTHER_NODES",
    "ALGORITHM_DIFFERS_FROM_OTHER_NODES", "DUPLICATE_NODE_ID",
    "INVALID_CONFIG_NODE_LIST", "INVALID_MEMBERSHIP_NODE_LIST",
]

TLS_UNSUPPORTED, TLS_SUPPORTED, TLS_REQUIRED = 0, 1, 2
ALGO_TEST, ALGO_FFSPLIT, ALGO_2NODELMS, ALGO_LMS = 0, 1, 2, 3
TB_LOWEST, TB_HIGHEST, TB_NODE_ID = 1, 2, 3
NODE_STATE_MEMBER, NODE_STATE_DEAD, NODE_STATE_LEAVING = 1, 2, 3
LIST_INITIAL_CONFIG, LIST_CHANGED_CONFIG, LIST_MEMBERSHIP, LIST_QUORUM = \
    0, 1, 2, 3
VOTE_ACK, VOTE_NACK, VOTE_ASK_LATER, VOTE_WAIT_FOR_REPLY, VOTE_NO_CHANGE = \
    1, 2, 3, 4, 5
VOTE_NAMES = {0: "UNDEFINED", 1: "ACK", 2: "NACK", 3: "ASK_LATER",
              4: "WAIT_FOR_REPLY", 5: "NO_CHANGE"}
HEUR_PASS, HEUR_FAIL = 1, 2

HEADER_LEN = 6
DEFAULT_MAX_SIZE = 32768
SERVER_HOSTNAME = "Qnetd Server"

# sentinel: "leave this TLV out"
OMIT = None

# ---------------------------------------------------------------- encoders


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def tlv(opt, value):
    """One TLV: u16 type, u16 length, value bytes."""
    if len(value) > 0xFFFF:
        raise ValueError("TLV value too long")
    return struct.pack(">HH", opt, len(value)) + value


def header(msg_type, body_len):
    return struct.pack(">HI", msg_type, body_len)


def frame(msg_type, body):
    """A whole message: header then body (bytes)."""
    return header(msg_type, len(body)) + body


def message(msg_type, *tlvs):
    """A message from TLV byte strings; None entries are skipped."""
    return frame(msg_type, b"".join(t for t in tlvs if t is not None))


def _opt(fn):
    """Option helper wrapper: value None -> TLV left out (None)."""
    def wrapper(*args):
        if args and args[0] is None:
            return None
        return fn(*args)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _u16_list(values):
    return b"".join(u16(v) for v in values)


@_opt
def t_seq(n):
    return tlv(OPT_SEQ, u32(n))


@_opt
def t_cluster_name(name):
    if isinstance(name, str):
        name = name.encode()
    return tlv(OPT_CLUSTER_NAME, name)


@_opt
def t_tls_supported(v):
    return tlv(OPT_TLS_SUPPORTED, u8(v))


@_opt
def t_tls_client_cert_required(v):
    return tlv(OPT_TLS_CLIENT_CERT_REQUIRED, u8(v))


@_opt
def t_supported_messages(values):
    return tlv(OPT_SUPPORTED_MESSAGES, _u16_list(values))


@_opt
def t_supported_options(values):
    return tlv(OPT_SUPPORTED_OPTIONS, _u16_list(values))


@_opt
def t_error(code):
    return tlv(OPT_REPLY_ERROR_CODE, u16(code))


@_opt
def t_max_request_size(n):
    return tlv(OPT_SERVER_MAX_REQUEST_SIZE, u32(n))


@_opt
def t_max_reply_size(n):
    return tlv(OPT_SERVER_MAX_REPLY_SIZE, u32(n))


@_opt
def t_node_id(n):
    return tlv(OPT_NODE_ID, u32(n))


@_opt
def t_supported_algorithms(values):
    return tlv(OPT_SUPPORTED_ALGORITHMS, _u16_list(values))


@_opt
def t_algorithm(a):
    return tlv(OPT_ALGORITHM, u16(a))


@_opt
def t_heartbeat(ms):
    return tlv(OPT_HEARTBEAT_INTERVAL, u32(ms))


@_opt
def t_ring_id(ring):
    """ring: (node_id, seq)."""
    node_id, seq = ring
    return tlv(OPT_RING_ID, u32(node_id) + u64(seq))


@_opt
def t_config_version(v):
    return tlv(OPT_CONFIG_VERSION, u64(v))


@_opt
def t_data_center_id(v):
    return tlv(OPT_DATA_CENTER_ID, u32(v))


@_opt
def t_node_state(v):
    return tlv(OPT_NODE_STATE, u8(v))


def node_info_value(node_id, dc=0, state=None):
    """Nested TLV list as upstream writes it: 9, [15 if dc], [16 if state]."""
    v = tlv(OPT_NODE_ID, u32(node_id))
    if dc:
        v += tlv(OPT_DATA_CENTER_ID, u32(dc))
    if state is not None:
        v += tlv(OPT_NODE_STATE, u8(state))
    return v


@_opt
def t_node_info(node):
    """node: int node id, or (node_id, dc, state), or raw bytes value."""
    if isinstance(node, (bytes, bytearray)):
        return tlv(OPT_NODE_INFO, bytes(node))
    if isinstance(node, int):
        return tlv(OPT_NODE_INFO, node_info_value(node))
    return tlv(OPT_NODE_INFO, node_info_value(*node))


@_opt
def t_node_list_type(v):
    return tlv(OPT_NODE_LIST_TYPE, u8(v))


@_opt
def t_vote(v):
    return tlv(OPT_VOTE, u8(v))


@_opt
def t_quorate(v):
    return tlv(OPT_QUORATE, u8(v))


@_opt
def t_tie_breaker(tb):
    """tb: mode int, or (mode, node_id)."""
    if isinstance(tb, int):
        tb = (tb, 0)
    mode, node_id = tb
    return tlv(OPT_TIE_BREAKER, u8(mode) + u32(node_id))


@_opt
def t_heuristics(v):
    return tlv(OPT_HEURISTICS, u8(v))


@_opt
def t_kap(v):
    return tlv(OPT_KAP_TIE_BREAKER, u8(v))


# ---- client-to-server messages (TLVs in the order the real client uses)

def preinit(seq=1, cluster="testcl"):
    return message(MSG_PREINIT, t_seq(seq), t_cluster_name(cluster))


def starttls(seq=2):
    return message(MSG_STARTTLS, t_seq(seq))


def init(seq=2, node_id=1, algorithm=ALGO_FFSPLIT, heartbeat=8000,
         tie_breaker=TB_LOWEST, ring=(1, 4), messages=ALL_MESSAGES,
         options=ALL_OPTIONS):
    return message(MSG_INIT, t_seq(seq), t_supported_messages(messages),
                   t_supported_options(options), t_node_id(node_id),
                   t_algorithm(algorithm), t_heartbeat(heartbeat),
                   t_tie_breaker(tie_breaker), t_ring_id(ring))


def set_option(seq=3, heartbeat=None, kap=None):
    return message(MSG_SET_OPTION, t_seq(seq), t_heartbeat(heartbeat),
                   t_kap(kap))


def echo_request(seq=1, extra=b""):
    """ECHO_REQUEST with seq (None: without) and raw extra body bytes."""
    return frame(MSG_ECHO_REQUEST, (t_seq(seq) or b"") + extra)


def node_list(seq=4, list_type=LIST_INITIAL_CONFIG, nodes=(1, 2), ring=None,
              config_version=None, quorate=None, heuristics=None):
    return message(MSG_NODE_LIST, t_seq(seq), t_node_list_type(list_type),
                   t_ring_id(ring), t_config_version(config_version),
                   t_quorate(quorate), *[t_node_info(n) for n in nodes],
                   t_heuristics(heuristics))


def ask_for_vote(seq=7):
    return message(MSG_ASK_FOR_VOTE, t_seq(seq))


def vote_info_reply(seq=1):
    return message(MSG_VOTE_INFO_REPLY, t_seq(seq))


def heuristics_change(seq=8, heuristics=HEUR_PASS):
    return message(MSG_HEURISTICS_CHANGE, t_seq(seq), t_heuristics(heuristics))


# ---- server-to-client messages (TLVs in upstream's emit order)

def preinit_reply(seq=1, tls=TLS_UNSUPPORTED, cert_required=1):
    return message(MSG_PREINIT_REPLY, t_seq(seq), t_tls_supported(tls),
                   t_tls_client_cert_required(cert_required))


def init_reply(seq=2, error=E_NO_ERROR, messages=True, options=True,
               max_request=DEFAULT_MAX_SIZE, max_reply=DEFAULT_MAX_SIZE,
               algorithms=ALL_ALGORITHMS):
    return message(MSG_INIT_REPLY, t_error(error),
                   t_supported_messages(ALL_MESSAGES if messages else None),
                   t_supported_options(ALL_OPTIONS if options else None),
                   t_seq(seq), t_max_request_size(max_request),
                   t_max_reply_size(max_reply),
                   t_supported_algorithms(algorithms))


def server_error(error, seq=None):
    return message(MSG_SERVER_ERROR, t_seq(seq), t_error(error))


def set_option_reply(seq=3, heartbeat=None, kap=None):
    return message(MSG_SET_OPTION_REPLY, t_seq(seq), t_heartbeat(heartbeat),
                   t_kap(kap))


def echo_reply_of(request):
    """ECHO_REPLY: the request bytes with the type rewritten to 9."""
    return u16(MSG_ECHO_REPLY) + bytes(request[2:])


def node_list_reply(seq, list_type, ring, vote):
    return message(MSG_NODE_LIST_REPLY, t_seq(seq), t_node_list_type(list_type),
                   t_ring_id(ring), t_vote(vote))


def ask_for_vote_reply(seq, vote, ring):
    return message(MSG_ASK_FOR_VOTE_REPLY, t_seq(seq), t_vote(vote),
                   t_ring_id(ring))


def vote_info(seq, vote, ring):
    return message(MSG_VOTE_INFO, t_seq(seq), t_vote(vote), t_ring_id(ring))


def heuristics_change_reply(seq, vote, ring, heuristics):
    return message(MSG_HEURISTICS_CHANGE_REPLY, t_seq(seq), t_vote(vote),
                   t_ring_id(ring), t_heuristics(heuristics))


# ---------------------------------------------------------------- decoding

def hexs(data, limit=None):
    """Hex dump; with limit, long data is cut in the middle."""
    if not data:
        return "(empty)"
    if limit is not None and len(data) > limit:
        head = data[:limit // 2].hex(" ")
        tail = data[-(limit // 4):].hex(" ")
        return "%s ... (%d bytes) ... %s" % (head, len(data), tail)
    return data.hex(" ")


def first_difference(a, b):
    """Offset of the first differing byte (or the shorter length)."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


SHOW = 160  # bytes of a frame shown in failure messages


def split_tlvs(body):
    """[(type, value)], leftover bytes that do not form a TLV."""
    out = []
    pos = 0
    while len(body) - pos >= 4:
        t, n = struct.unpack_from(">HH", body, pos)
        if pos + 4 + n > len(body):
            break
        out.append((t, bytes(body[pos + 4:pos + 4 + n])))
        pos += 4 + n
    return out, bytes(body[pos:])


def _describe_value(opt, v):
    try:
        if opt in (OPT_SEQ, OPT_NODE_ID, OPT_SERVER_MAX_REQUEST_SIZE,
                   OPT_SERVER_MAX_REPLY_SIZE, OPT_HEARTBEAT_INTERVAL,
                   OPT_DATA_CENTER_ID) and len(v) == 4:
            return str(struct.unpack(">I", v)[0])
        if opt == OPT_CLUSTER_NAME:
            return repr(v.decode(errors="replace"))
        if opt in (OPT_SUPPORTED_MESSAGES, OPT_SUPPORTED_OPTIONS,
                   OPT_SUPPORTED_ALGORITHMS) and len(v) % 2 == 0:
            return str(list(struct.unpack(">%dH" % (len(v) // 2), v)))
        if opt == OPT_REPLY_ERROR_CODE and len(v) == 2:
            c = struct.unpack(">H", v)[0]
            name = ERROR_NAMES[c] if c < len(ERROR_NAMES) else "?"
            return "%d %s" % (c, name)
        if opt == OPT_ALGORITHM and len(v) == 2:
            return str(struct.unpack(">H", v)[0])
        if opt == OPT_RING_ID and len(v) == 12:
            a, b = struct.unpack(">IQ", v)
            return "%x.%x" % (a, b)
        if opt == OPT_CONFIG_VERSION and len(v) == 8:
            return str(struct.unpack(">Q", v)[0])
        if opt == OPT_VOTE and len(v) == 1:
            return VOTE_NAMES.get(v[0], str(v[0]))
        if opt == OPT_TIE_BREAKER and len(v) == 5:
            return "mode %d node %d" % struct.unpack(">BI", v)
        if opt == OPT_NODE_INFO:
            inner, rest = split_tlvs(v)
            s = ",".join("%d=%s" % (t, _describe_value(t, x)) for t, x in inner)
            return "{%s%s}" % (s, " +" + hexs(rest) if rest else "")
        if len(v) == 1:
            return str(v[0])
    except (struct.error, IndexError):
        pass
    return "<%s>" % hexs(v)


class Message:
    """A received (or built) frame."""

    def __init__(self, raw):
        self.raw = bytes(raw)
        self.type, self.length = struct.unpack_from(">HI", self.raw, 0)
        self.body = self.raw[HEADER_LEN:]
        self.tlvs, self.leftover = split_tlvs(self.body)

    def get(self, opt):
        """Value bytes of the last occurrence of opt, or None."""
        value = None
        for t, v in self.tlvs:
            if t == opt:
                value = v
        return value

    def get_all(self, opt):
        return [v for t, v in self.tlvs if t == opt]

    def u32(self, opt):
        v = self.get(opt)
        return None if v is None or len(v) != 4 else struct.unpack(">I", v)[0]

    def u16(self, opt):
        v = self.get(opt)
        return None if v is None or len(v) != 2 else struct.unpack(">H", v)[0]

    def u8(self, opt):
        v = self.get(opt)
        return None if v is None or len(v) != 1 else v[0]

    @property
    def seq(self):
        return self.u32(OPT_SEQ)

    @property
    def error(self):
        return self.u16(OPT_REPLY_ERROR_CODE)

    @property
    def name(self):
        return MSG_NAMES[self.type] if self.type < len(MSG_NAMES) else \
            "type%d" % self.type

    def describe(self):
        return describe(self.raw)


def describe(raw):
    """Human-readable one-liner for a frame (tolerates junk)."""
    if raw is None:
        return "(nothing)"
    if len(raw) < HEADER_LEN:
        return "<short %s>" % hexs(raw)
    m = Message(raw)
    parts = ["%d:%s" % (t, _describe_value(t, v)) for t, v in m.tlvs]
    s = "%s{%s}" % (m.name, ", ".join(parts))
    if m.leftover:
        s += " +trailing " + hexs(m.leftover)
    return s


# ---------------------------------------------------------------- client

def _client_context(cert=None, key=None, ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(ca)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class _BioSocket:
    """Just enough of a socket over ssl.SSLObject + MemoryBIO, so the
    ClientHello can be sent in the same write as STARTTLS."""

    def __init__(self, raw, ctx, server_hostname):
        self.raw = raw
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out,
                                server_hostname=server_hostname)

    def start(self):
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return self.out.read()

    def _flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def _pull(self):
        data = self.raw.recv(65536)
        if not data:
            self.inc.write_eof()
            raise ssl.SSLEOFError(8, "EOF")
        self.inc.write(data)

    def finish_handshake(self, timeout):
        self.raw.settimeout(timeout)
        while True:
            try:
                self.obj.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                self._pull()

    def settimeout(self, t):
        self.raw.settimeout(t)

    def recv(self, n):
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                self._flush()
                try:
                    self._pull()
                except ssl.SSLEOFError:
                    return b""
            except ssl.SSLZeroReturnError:
                return b""

    def sendall(self, data):
        self.obj.write(data)
        self._flush()

    def version(self):
        return self.obj.version()

    def close(self):
        self.raw.close()


class ProtocolMismatch(AssertionError):
    pass


class Closed(Exception):
    """The peer closed the connection (EOF, reset, or a TLS alert)."""


class Timeout(Exception):
    """Nothing (complete) arrived in time."""


# transcript event kinds
EV_MSG = "msg"
EV_CLOSED = "closed"
EV_TIMEOUT = "timeout"
EV_SILENT = "silent"
EV_NOTE = "note"
EV_SENT = "sent"


class Client:
    """One TCP connection to the daemon.

    strict=True: expect()/expect_*() raise ProtocolMismatch on any difference.
    strict=False: they only record what happened into self.transcript.
    """

    def __init__(self, host, port, name="c", timeout=3.0, strict=True,
                 transcript=None, connect=True):
        self.host = host
        self.port = port
        self.name = name
        self.timeout = timeout
        self.strict = strict
        self.transcript = transcript if transcript is not None else []
        self.sock = None
        self.buf = b""
        self.closed = False
        self.close_reason = None
        self.tls = False
        self.last_sent = b""
        if connect:
            self.connect()

    # -- plumbing

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port),
                                             timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def record(self, kind, data=None):
        self.transcript.append((self.name, kind, data))

    def note(self, key, value):
        """Record an observation (differential runs compare them)."""
        self.record(EV_NOTE, (key, value))

    def send_raw(self, data):
        """Send bytes; returns them. A send on a closed socket raises Closed."""
        self.last_sent = bytes(data)
        self.record(EV_SENT, bytes(data))
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError) as e:
            self._mark_closed("send: %s" % e)
            self.record(EV_CLOSED, self.close_kind())
            raise Closed(self.close_reason)
        return bytes(data)

    send = send_raw

    def _mark_closed(self, reason):
        self.closed = True
        if self.close_reason is None:
            self.close_reason = reason

    def close_kind(self):
        """Normalised close reason for transcripts: a TLS alert name, or
        "closed" for EOF/reset (which one depends on timing)."""
        r = self.close_reason or ""
        if r.startswith("TLS: ") and "EOF" not in r:
            return r
        return "closed"

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout()
        except ssl.SSLError as e:
            self._mark_closed("TLS: %s" % (e.reason or e))
            raise Closed(self.close_reason)
        except (ConnectionResetError, ConnectionAbortedError, OSError) as e:
            self._mark_closed("%s" % e)
            raise Closed(self.close_reason)
        if not chunk:
            self._mark_closed("EOF")
            raise Closed("EOF")
        self.buf += chunk

    def recv_frame(self, timeout=None):
        """Next complete frame as bytes. Raises Timeout or Closed."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while len(self.buf) < HEADER_LEN:
            self._fill(deadline)
        length = struct.unpack_from(">I", self.buf, 2)[0]
        while len(self.buf) < HEADER_LEN + length:
            self._fill(deadline)
        raw = self.buf[:HEADER_LEN + length]
        self.buf = self.buf[HEADER_LEN + length:]
        return raw

    def recv(self, timeout=None):
        """Next message (Message), recorded. Raises Timeout or Closed."""
        try:
            raw = self.recv_frame(timeout)
        except Timeout:
            self.record(EV_TIMEOUT)
            raise
        except Closed:
            self.record(EV_CLOSED, self.close_kind())
            raise
        self.record(EV_MSG, raw)
        return Message(raw)

    def _event(self, timeout):
        """(kind, raw) for the next event without raising."""
        try:
            return EV_MSG, self.recv(timeout).raw
        except Timeout:
            return EV_TIMEOUT, None
        except Closed:
            return EV_CLOSED, None

    # -- expectations

    def fail(self, text):
        raise ProtocolMismatch("[%s] %s" % (self.name, text))

    def expect(self, expected, what="", timeout=None):
        """Receive one message and compare it byte for byte with `expected`.

        Returns the received Message (None if closed/timeout in record mode).
        """
        kind, raw = self._event(timeout)
        if kind == EV_MSG and raw == expected:
            return Message(raw)
        if self.strict:
            got = {EV_MSG: None, EV_TIMEOUT: "TIMEOUT (nothing received)",
                   EV_CLOSED: "CONNECTION CLOSED (%s)" % self.close_reason}
            lines = ["%s: reply differs" % (what or "message"),
                     "  expected: %s" % describe(expected)[:600],
                     "            %s" % hexs(expected, SHOW)]
            if kind == EV_MSG:
                lines += ["  got:      %s" % describe(raw)[:600],
                          "            %s" % hexs(raw, SHOW),
                          "  first difference at byte %d (of %d / %d)" % (
                              first_difference(expected, raw),
                              len(expected), len(raw))]
            else:
                lines += ["  got:      %s" % got[kind]]
            self.fail("\n".join(lines))
        return Message(raw) if kind == EV_MSG else None

    def expect_type(self, msg_type, what="", timeout=None):
        """Receive one message and check only its type."""
        kind, raw = self._event(timeout)
        if kind == EV_MSG and Message(raw).type == msg_type:
            return Message(raw)
        if self.strict:
            self.fail("%s: expected a %s, got %s" % (
                what or "message", MSG_NAMES[msg_type],
                describe(raw) if kind == EV_MSG else kind))
        return Message(raw) if kind == EV_MSG else None

    def expect_silence(self, seconds=0.3, what=""):
        """Nothing may arrive for `seconds` (and the connection stays up)."""
        kind, raw = self._event(seconds)
        if kind == EV_TIMEOUT:
            self.transcript[-1] = (self.name, EV_SILENT, None)
            return True
        if self.strict:
            self.fail("%s: expected no reply, got %s" % (
                what or "silence",
                describe(raw) if kind == EV_MSG else
                "connection closed (%s)" % self.close_reason))
        return False

    def expect_closed(self, timeout=None, what=""):
        """The server must close the connection without sending anything.

        Returns the elapsed seconds until the close was seen.
        """
        start = time.monotonic()
        kind, raw = self._event(timeout)
        elapsed = time.monotonic() - start
        if kind == EV_CLOSED:
            return elapsed
        if self.strict:
            self.fail("%s: expected the server to close the connection, "
                      "got %s" % (what or "close",
                                  describe(raw) if kind == EV_MSG else
                                  "nothing within %.1fs" % (
                                      self.timeout if timeout is None
                                      else timeout)))
        return None

    def expect_open(self, initialized, seq=0x5eed, what="connection check"):
        """Prove the connection is still usable: send an ECHO_REQUEST.

        Before INIT the answer is SERVER_ERROR 11 with the seq; after INIT
        it is the byte copy ECHO_REPLY.
        """
        req = echo_request(seq)
        try:
            self.send(req)
        except Closed:
            if self.strict:
                self.fail("%s: connection closed by the server" % what)
            return None
        if initialized:
            return self.expect(echo_reply_of(req), what)
        return self.expect(server_error(E_INIT_REQUIRED, seq), what)

    # -- TLS

    def starttls(self, seq=2, cert=None, key=None, ca=None,
                 server_hostname=SERVER_HOSTNAME, handshake=True):
        """Send STARTTLS then wrap this socket with TLS (client side).

        cert/key: PEM client certificate (optional). ca: PEM CA file used to
        verify the server (None: no server verification). Raises Closed if
        the handshake fails.
        """
        self.send(starttls(seq))
        return self.wrap_tls(cert, key, ca, server_hostname, handshake)

    def wrap_tls(self, cert=None, key=None, ca=None,
                 server_hostname=SERVER_HOSTNAME, handshake=True):
        if self.buf:
            self.fail("bytes pending before TLS: %s" % hexs(self.buf))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ca:
            ctx.load_verify_locations(ca)
            ctx.check_hostname = True
            ctx.verify_mode = ssl.CERT_REQUIRED
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if cert:
            ctx.load_cert_chain(cert, key)
        self.sock.settimeout(self.timeout)
        try:
            self.sock = ctx.wrap_socket(self.sock,
                                        server_hostname=server_hostname,
                                        do_handshake_on_connect=False)
            self.tls = True
            if handshake:
                self.sock.do_handshake()
        except ssl.SSLError as e:
            self._mark_closed("TLS: %s" % (e.reason or e))
            self.record(EV_CLOSED, self.close_kind())
            raise Closed(self.close_reason)
        except (OSError, socket.timeout) as e:
            self._mark_closed("TLS handshake: %s" % e)
            self.record(EV_CLOSED, self.close_kind())
            raise Closed(self.close_reason)
        return self

    def starttls_coalesced(self, seq=2, cert=None, key=None, ca=None,
                           server_hostname=SERVER_HOSTNAME):
        """STARTTLS and the TLS ClientHello in one write (one TCP segment on
        loopback): a server that reads past the STARTTLS message loses the
        ClientHello.  The rest of the connection runs over the BIO pair."""
        if self.buf:
            self.fail("bytes pending before TLS: %s" % hexs(self.buf))
        ctx = _client_context(cert, key, ca)
        bio = _BioSocket(self.sock, ctx, server_hostname)
        hello = bio.start()
        self.send(starttls(seq) + hello)
        self.sock = bio
        self.tls = True
        try:
            bio.finish_handshake(self.timeout)
        except ssl.SSLError as e:
            self._mark_closed("TLS: %s" % (e.reason or e))
            self.record(EV_CLOSED, self.close_kind())
            raise Closed(self.close_reason)
        except (OSError, socket.timeout, EOFError) as e:
            self._mark_closed("TLS handshake: %s" % e)
            self.record(EV_CLOSED, self.close_kind())
            raise Closed(self.close_reason)
        return self

    def tls_version(self):
        return self.sock.version() if self.tls else None

    # -- common sequences (strict: exact replies)

    def do_preinit(self, cluster="testcl", seq=1, tls=TLS_UNSUPPORTED,
                   cert_required=1):
        self.send(preinit(seq, cluster))
        return self.expect(preinit_reply(seq, tls, cert_required), "PREINIT")

    def do_init(self, node_id=1, seq=2, algorithm=ALGO_FFSPLIT,
                heartbeat=8000, tie_breaker=TB_LOWEST, ring=(1, 4),
                error=E_NO_ERROR):
        self.send(init(seq, node_id, algorithm, heartbeat, tie_breaker, ring))
        return self.expect(init_reply(seq, error), "INIT")

    def do_set_option(self, seq=3, heartbeat=None, kap=None):
        self.send(set_option(seq, heartbeat, kap))
        return self.expect(set_option_reply(seq, heartbeat, kap),
                           "SET_OPTION")

    def do_node_list(self, seq, list_type, nodes, ring_reply, vote,
                     ring=None, config_version=None, quorate=None,
                     heuristics=None, what="NODE_LIST"):
        self.send(node_list(seq, list_type, nodes, ring, config_version,
                            quorate, heuristics))
        return self.expect(node_list_reply(seq, list_type, ring_reply, vote),
                           what)

    def do_vote_info_reply(self, seq):
        self.send(vote_info_reply(seq))

    def do_echo(self, seq=1):
        req = self.send(echo_request(seq))
        return self.expect(echo_reply_of(req), "ECHO")

    def handshake(self, cluster="testcl", node_id=1, **init_args):
        """PREINIT + INIT with default values, both checked."""
        self.do_preinit(cluster)
        return self.do_init(node_id=node_id, **init_args)
