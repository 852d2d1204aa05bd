/*
 * bench_conn.c - one simulated corosync-qdevice connection: connect,
 * PREINIT, [STARTTLS + TLS], INIT with the supported lists, SET_OPTION
 * KAP=1, the initial config, membership and quorum lists, a
 * VOTE_INFO_REPLY to every VOTE_INFO, and ECHO_REQUEST heartbeats.
 *
 * Every byte from the server is checked: a message that does not decode,
 * or one a real client would not accept, kills the connection and is
 * counted.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "codec/msg.h"
#include "codec/node_list.h"
#include "codec/wbuf.h"

/* A larger server message than this is a protocol failure for the bench. */
#define MAX_SERVER_MSG (1024 * 1024)
#define INIT_RING_SEQ 4

static uint8_t rbuf[MAX_SERVER_MSG + 65536];
static unsigned eof_shown;
static struct wbuf wb;
static int wb_ready;

static const char *fail_names[FAIL_COUNT] = {
	"none", "connect", "eof", "io", "tls", "protocol", "server_error",
	"init_reply", "timeout",
};

const char *
bench_fail_str(enum conn_fail f)
{
	if ((unsigned)f >= FAIL_COUNT)
		return "?";
	return fail_names[f];
}

static struct wbuf *
msgbuf(void)
{
	if (!wb_ready) {
		wbuf_init(&wb, MAX_SERVER_MSG);
		wb_ready = 1;
	}
	wbuf_reset(&wb);
	return &wb;
}

static uint32_t
conn_index(const struct bench *b, const struct conn *c)
{
	return (uint32_t)(c - b->conns);
}

static void
conn_arm(struct bench *b, struct conn *c, int want_out)
{
	struct epoll_event ev;

	if (c->want_out == want_out)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
	ev.data.u32 = conn_index(b, c);
	if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = want_out;
}

void
bench_conn_kill(struct bench *b, struct conn *c, enum conn_fail why)
{
	struct linger lg = { 1, 0 };

	if (c->state == CONN_DEAD || c->state == CONN_IDLE)
		return;
	if (c->state == CONN_ACTIVE && why == FAIL_EOF && eof_shown++ < 5) {
		/* Tells a dead-peer drop by the server from a silent generator. */
		fprintf(stderr, "qnetd-bench: server closed cluster %u node %u; its last echo "
		    "went %.1f s ago%s\n", b->cluster_base + c->cluster, c->node_id,
		    (double)(now_ns() - c->t_echo_sent) / 1e9,
		    c->t_echo_sent == 0 ? " (none sent yet)" :
		    c->echo_outstanding ? ", unanswered" : ", answered");
	}
	if (c->state == CONN_ACTIVE) {
		b->active--;
		if (c->setup_done)
			b->setup_done--;
	} else if (c->state != CONN_FROZEN)
		b->pending--;
	/* Reset rather than FIN: no TIME_WAIT ports left behind on our side. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl != NULL)
		bench_tls_close(c);
	else
		close(c->fd);
	c->fd = -1;
	free(c->out);
	free(c->in);
	c->out = c->in = NULL;
	c->out_len = c->out_off = c->out_cap = c->in_len = 0;
	c->state = CONN_DEAD;
	b->fails[why]++;
}

void
bench_conn_freeze(struct bench *b, struct conn *c)
{
	if (c->state == CONN_IDLE || c->state >= CONN_ACTIVE)
		return;
	(void)epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	b->pending--;
	c->state = CONN_FROZEN;
}

/* Write what is queued; 0, or -1 when the connection died. */
static int
conn_flush(struct bench *b, struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		if (c->ssl != NULL)
			n = bench_tls_write(c, c->out + c->out_off, c->out_len - c->out_off);
		else
			n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			conn_arm(b, c, 1);
			return 0;
		}
		bench_conn_kill(b, c, c->ssl != NULL ? FAIL_TLS : FAIL_IO);
		return -1;
	}
	c->out_off = c->out_len = 0;
	conn_arm(b, c, 0);
	return 0;
}

/* Appends the message built in wb to the queue. */
static int
conn_queue(struct bench *b, struct conn *c, const struct wbuf *w)
{
	size_t need;
	uint8_t *p;

	if (w->failed) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		return -1;
	}
	need = c->out_len + w->len;
	if (need > c->out_cap) {
		p = realloc(c->out, need);
		if (p == NULL) {
			bench_conn_kill(b, c, FAIL_IO);
			return -1;
		}
		c->out = p;
		c->out_cap = need;
	}
	memcpy(c->out + c->out_len, w->data, w->len);
	c->out_len += w->len;
	return 0;
}

static int
conn_send(struct bench *b, struct conn *c, const struct wbuf *w)
{
	if (conn_queue(b, c, w) < 0)
		return -1;
	return conn_flush(b, c);
}

static int
build_range(struct node_list *nl, uint32_t lo, uint32_t hi, enum tlv_node_state st)
{
	uint32_t id;

	for (id = lo; id <= hi && id != 0; id++)
		if (node_list_add(nl, id, 0, st) < 0)
			return -1;
	return 0;
}

/* Appends a membership NODE_LIST for ids lo..hi to w and remembers it. */
static void
add_membership(struct conn *c, struct wbuf *w, uint32_t lo, uint32_t hi,
    const struct tlv_ring_id *ring)
{
	struct node_list nl;

	node_list_init(&nl);
	if (build_range(&nl, lo, hi, TLV_NODE_STATE_NOT_SET) < 0)
		w->failed = 1;
	else
		(void)msg_create_node_list(w, ++c->seq, TLV_NODE_LIST_TYPE_MEMBERSHIP, ring,
		    0, 0, 0, 0, &nl, TLV_HEURISTICS_UNDEFINED);
	node_list_destroy(&nl);
	c->ring = *ring;
	c->memb_lo = lo;
	c->memb_hi = hi;
}

int
bench_conn_report_membership(struct bench *b, struct conn *c, uint32_t lo, uint32_t hi,
    uint32_t ring_node, uint64_t ring_seq)
{
	struct tlv_ring_id ring = { ring_node, ring_seq };
	struct wbuf *w = msgbuf();
	struct cluster *cl = &b->clusters[c->cluster];

	if (c->state != CONN_ACTIVE)
		return -1;
	add_membership(c, w, lo, hi, &ring);
	if (conn_send(b, c, w) < 0)
		return -1;
	cl->t_last_report = now_ns();
	return 0;
}

/* After INIT_REPLY: what corosync-qdevice queues at once. */
static int
send_session_start(struct bench *b, struct conn *c)
{
	struct wbuf *w = msgbuf();
	struct node_list nl;
	struct tlv_ring_id ring = { 1, INIT_RING_SEQ };
	struct cluster *cl = &b->clusters[c->cluster];
	int rc;

	node_list_init(&nl);
	(void)msg_create_set_option(w, 1, ++c->seq, 0, 0, 1, 1);
	if (build_range(&nl, 1, b->o.nodes, TLV_NODE_STATE_NOT_SET) < 0)
		w->failed = 1;
	(void)msg_create_node_list(w, ++c->seq, TLV_NODE_LIST_TYPE_INITIAL_CONFIG, NULL,
	    1, 1, 0, 0, &nl, TLV_HEURISTICS_UNDEFINED);
	node_list_destroy(&nl);
	add_membership(c, w, 1, b->o.nodes, &ring);
	node_list_init(&nl);
	if (build_range(&nl, 1, b->o.nodes, TLV_NODE_STATE_MEMBER) < 0)
		w->failed = 1;
	(void)msg_create_node_list(w, ++c->seq, TLV_NODE_LIST_TYPE_QUORUM, NULL,
	    0, 0, 1, TLV_QUORATE_QUORATE, &nl, TLV_HEURISTICS_UNDEFINED);
	node_list_destroy(&nl);
	rc = conn_send(b, c, w);
	if (rc == 0)
		cl->t_last_report = now_ns();
	return rc;
}

static int
send_init(struct bench *b, struct conn *c)
{
	struct wbuf *w = msgbuf();
	struct tlv_tie_breaker tb = { TLV_TIE_BREAKER_MODE_LOWEST, 0 };
	struct tlv_ring_id ring = { 1, INIT_RING_SEQ };

	(void)msg_create_init(w, 1, ++c->seq, 1, c->node_id, TLV_DECISION_ALGORITHM_FFSPLIT,
	    b->o.init_hb_ms, &tb, &ring);
	c->state = CONN_INIT;
	return conn_send(b, c, w);
}

static uint64_t
rnd(struct bench *b)
{
	uint64_t s = b->rnd;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	b->rnd = s;
	return s;
}

static void
on_init_reply(struct bench *b, struct conn *c, const struct msg_decoded *m)
{
	uint64_t t = now_ns();

	if (c->state != CONN_INIT || !m->reply_error_code_set || !m->seq_number_set ||
	    m->seq_number != c->seq) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		return;
	}
	if (m->reply_error_code != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		if ((unsigned)m->reply_error_code < 32)
			b->server_errors[m->reply_error_code]++;
		bench_conn_kill(b, c, FAIL_INIT_REPLY);
		return;
	}
	c->state = CONN_ACTIVE;
	b->pending--;
	b->active++;
	samples_add(&b->st.handshake, t - c->t_start);
	b->st.done_at[b->st.done_n++] = t;
	c->next_echo = t + rnd(b) % ((uint64_t)b->o.hb_ms * BENCH_NS_PER_MS);
	bench_heap_push(b, c->next_echo, conn_index(b, c));
	(void)send_session_start(b, c);
}

static void
on_preinit_reply(struct bench *b, struct conn *c, const struct msg_decoded *m)
{
	struct wbuf *w;

	if (c->state != CONN_PREINIT || !m->seq_number_set || m->seq_number != 1 ||
	    !m->tls_supported_set || !m->tls_client_cert_required_set) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		return;
	}
	if (!b->o.tls || m->tls_supported == TLV_TLS_UNSUPPORTED) {
		if (m->tls_supported == TLV_TLS_REQUIRED)
			bench_conn_kill(b, c, FAIL_TLS);
		else
			(void)send_init(b, c);
		return;
	}
	w = msgbuf();
	(void)msg_create_starttls(w, 1, ++c->seq);
	if (conn_send(b, c, w) < 0)
		return;
	if (c->out_len != 0 || bench_tls_start(b, c) < 0) {
		/* STARTTLS must be on the wire before the ClientHello. */
		bench_conn_kill(b, c, FAIL_TLS);
		return;
	}
	c->state = CONN_TLS_HANDSHAKE;
	/* Sends the ClientHello; the reply comes with a later event. */
	switch (bench_tls_handshake(c)) {
	case 0:
		break;
	case 1:
		(void)send_init(b, c);
		break;
	default:
		bench_conn_kill(b, c, FAIL_TLS);
		break;
	}
}

static void
on_vote_info(struct bench *b, struct conn *c, const struct msg_decoded *m)
{
	struct wbuf *w;

	if (c->state != CONN_ACTIVE || !m->seq_number_set || !m->vote_set || !m->ring_id_set) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		return;
	}
	b->vote_infos++;
	c->vote = m->vote;
	c->vote_ring = m->ring_id;
	c->vote_info_seq = m->seq_number;
	w = msgbuf();
	(void)msg_create_vote_info_reply(w, m->seq_number);
	if (conn_send(b, c, w) < 0)
		return;
	bench_cluster_vote_changed(b, c, now_ns());
}

static void
on_echo_reply(struct bench *b, struct conn *c, const struct msg_decoded *m)
{
	if (!m->seq_number_set || m->seq_number != c->echo_seq || !c->echo_outstanding) {
		/* The real client would drop the connection; count it instead. */
		b->st.echo_late++;
		return;
	}
	c->echo_outstanding = 0;
	if (b->record_echo)
		samples_add(&b->st.echo_rtt, now_ns() - c->t_echo_sent);
}

static void
on_message(struct bench *b, struct conn *c, const uint8_t *p, size_t len)
{
	struct msg_decoded m;

	msg_decoded_init(&m);
	if (msg_decode(p, len, &m) != MSG_DECODE_OK) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		goto out;
	}
	switch (m.type) {
	case MSG_TYPE_PREINIT_REPLY:
		on_preinit_reply(b, c, &m);
		break;
	case MSG_TYPE_INIT_REPLY:
		on_init_reply(b, c, &m);
		break;
	case MSG_TYPE_SERVER_ERROR:
		if (m.reply_error_code_set && (unsigned)m.reply_error_code < 32)
			b->server_errors[m.reply_error_code]++;
		bench_conn_kill(b, c, FAIL_SERVER_ERROR);
		break;
	case MSG_TYPE_SET_OPTION_REPLY:
		break;
	case MSG_TYPE_ECHO_REPLY:
		on_echo_reply(b, c, &m);
		break;
	case MSG_TYPE_NODE_LIST_REPLY:
		if (!m.vote_set || !m.node_list_type_set || !m.ring_id_set) {
			bench_conn_kill(b, c, FAIL_PROTOCOL);
			break;
		}
		if (m.node_list_type == TLV_NODE_LIST_TYPE_QUORUM && !c->setup_done) {
			c->setup_done = 1;
			b->setup_done++;
		}
		break;
	case MSG_TYPE_VOTE_INFO:
		on_vote_info(b, c, &m);
		break;
	default:
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		break;
	}
out:
	msg_decoded_destroy(&m);
}

/* Splits rbuf[0..len) into messages; keeps a partial tail in c->in. */
static void
conn_parse(struct bench *b, struct conn *c, size_t len)
{
	size_t off = 0, mlen;
	uint16_t type;
	uint32_t body;

	while (c->state != CONN_DEAD && len - off >= MSG_HEADER_LEN) {
		msg_header_parse(rbuf + off, &type, &body);
		if (body > MAX_SERVER_MSG - MSG_HEADER_LEN) {
			bench_conn_kill(b, c, FAIL_PROTOCOL);
			return;
		}
		mlen = MSG_HEADER_LEN + (size_t)body;
		if (len - off < mlen)
			break;
		on_message(b, c, rbuf + off, mlen);
		off += mlen;
		if (c->state == CONN_TLS_HANDSHAKE) {
			/* Plain bytes after PREINIT_REPLY would be eaten by TLS. */
			if (off != len) {
				bench_conn_kill(b, c, FAIL_PROTOCOL);
				return;
			}
			free(c->in);
			c->in = NULL;
			c->in_len = 0;
			return;
		}
	}
	if (c->state == CONN_DEAD)
		return;
	free(c->in);
	c->in = NULL;
	c->in_len = len - off;
	if (c->in_len == 0)
		return;
	c->in = malloc(c->in_len);
	if (c->in == NULL) {
		bench_conn_kill(b, c, FAIL_IO);
		return;
	}
	memcpy(c->in, rbuf + off, c->in_len);
}

static void
conn_read(struct bench *b, struct conn *c)
{
	size_t have;
	ssize_t n;
	int i;

	for (i = 0; i < 16 && c->state != CONN_DEAD && c->state != CONN_TLS_HANDSHAKE; i++) {
		have = c->in_len;
		if (have != 0)
			memcpy(rbuf, c->in, have);
		if (c->ssl != NULL)
			n = bench_tls_read(c, rbuf + have, sizeof(rbuf) - have);
		else
			n = read(c->fd, rbuf + have, sizeof(rbuf) - have);
		if (n == 0) {
			bench_conn_kill(b, c, FAIL_EOF);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			bench_conn_kill(b, c, c->ssl != NULL ? FAIL_TLS : FAIL_IO);
			return;
		}
		conn_parse(b, c, have + (size_t)n);
	}
}

static void
on_connected(struct bench *b, struct conn *c)
{
	struct wbuf *w;
	char name[128];
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		bench_conn_kill(b, c, FAIL_CONNECT);
		return;
	}
	/* Numbered globally: the shards of a run hold disjoint ranges. */
	n = snprintf(name, sizeof(name), b->o.cluster_fmt, b->cluster_base + c->cluster);
	if (n <= 0 || (size_t)n >= sizeof(name)) {
		bench_conn_kill(b, c, FAIL_PROTOCOL);
		return;
	}
	c->state = CONN_PREINIT;
	c->seq = 1;
	w = msgbuf();
	(void)msg_create_preinit(w, 1, c->seq, name, (size_t)n);
	(void)conn_send(b, c, w);
}

static void
tls_step(struct bench *b, struct conn *c)
{
	int r;

	r = bench_tls_handshake(c);
	if (r < 0) {
		bench_conn_kill(b, c, FAIL_TLS);
		return;
	}
	if (r == 0)
		return;
	if (send_init(b, c) < 0)
		return;
	conn_read(b, c);
}

void
bench_conn_event(struct bench *b, struct conn *c, uint32_t events)
{
	if (c->state == CONN_CONNECTING) {
		on_connected(b, c);
		return;
	}
	if (c->state == CONN_TLS_HANDSHAKE) {
		tls_step(b, c);
		return;
	}
	if ((events & EPOLLOUT) && conn_flush(b, c) < 0)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_read(b, c);
}

void
bench_conn_echo(struct bench *b, struct conn *c)
{
	struct wbuf *w;

	if (c->state != CONN_ACTIVE)
		return;
	if (c->echo_outstanding)
		b->st.echo_late++;
	w = msgbuf();
	(void)msg_create_echo_request(w, 1, ++c->echo_seq);
	c->echo_outstanding = 1;
	c->t_echo_sent = now_ns();
	b->st.echo_sent++;
	(void)conn_send(b, c, w);
}

static int
conn_socket(struct bench *b, struct conn *c)
{
	struct sockaddr_in src;
	int one = 1, fd;

	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (b->o.nodelay)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (b->o.quickack)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	if (b->o.src_ips > 1 && b->addr.ss_family == AF_INET) {
		/* More than one source address: past the ~28k ephemeral ports. */
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001U +
		    (b->cluster_base * b->o.nodes + conn_index(b, c)) % b->o.src_ips);
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

int
bench_conn_start(struct bench *b, struct conn *c)
{
	struct epoll_event ev;

	c->t_start = now_ns();
	c->state = CONN_CONNECTING;
	b->pending++;
	c->fd = conn_socket(b, c);
	if (c->fd < 0) {
		fprintf(stderr, "qnetd-bench: socket: %s\n", strerror(errno));
		c->state = CONN_DEAD;
		b->pending--;
		b->fails[FAIL_CONNECT]++;
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&b->addr, b->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		c->state = CONN_DEAD;
		b->pending--;
		b->fails[FAIL_CONNECT]++;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = conn_index(b, c);
	c->want_out = 1;
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		bench_conn_kill(b, c, FAIL_IO);
		return -1;
	}
	return 0;
}
