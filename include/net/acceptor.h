/*
 * acceptor.h - one listening socket served on the event loop: accept in
 * bounded batches, pause on descriptor exhaustion instead of spinning,
 * refuse past a connection cap, rate-limit the log lines about all that,
 * and free closed connections after the event batch that may still name
 * them.  Used by the client listener, the IPC socket and the metrics
 * endpoint; each supplies only what to do with an accepted socket.
 *
 * Lifetime of a tracked connection (IPC, metrics): the owner embeds a
 * struct acceptor_link, calls acceptor_conn_add() once it is set up and
 * acceptor_conn_close() once its descriptor is closed and its watch
 * removed; the acceptor then calls ops->free_cb from a zero-delay timer,
 * after the batch of events that may still hold it.  Client connections
 * are not tracked here (net/conn.c reaps them): such an acceptor gives a
 * count_cb instead.
 */
#ifndef QNETD_ACCEPTOR_H
#define QNETD_ACCEPTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "net/loop.h"

struct acceptor;

struct acceptor_link {
	TAILQ_ENTRY(acceptor_link) entries;
};

TAILQ_HEAD(acceptor_link_list, acceptor_link);

struct acceptor_ops {
	/*
	 * A new socket (non-blocking, close-on-exec), within the cap; the
	 * callee owns fd.  peer: the address accept() gave (family 0 for
	 * AF_UNIX sockets).
	 */
	void (*accepted_cb)(struct acceptor *a, int fd, const struct sockaddr_storage *peer);
	/* Connections open now, for the cap.  NULL: those added with acceptor_conn_add(). */
	size_t (*count_cb)(struct acceptor *a);
	/* Free a connection closed with acceptor_conn_close().  NULL if none are tracked. */
	void (*free_cb)(struct acceptor_link *l);
};

struct acceptor_config {
	/* In log lines: "Maximum %s reached", "with %zu %s" ("clients", "IPC clients"). */
	const char *who;
	unsigned batch;    /* accepts per wake-up, so a flood cannot starve the loop */
	unsigned pause_ms; /* back-off after EMFILE/ENFILE/ENOBUFS/ENOMEM */
	size_t max_conns;  /* 0: unlimited */
	int log_peer;      /* 1: name the refused peer's address in the cap line */
};

struct acceptor {
	struct acceptor_config cfg;
	const struct acceptor_ops *ops;
	void *data; /* the owner's */
	int fd;     /* -1: not listening */
	struct loop_watch watch;
	struct loop_timer pause_timer;
	struct loop_timer reap_timer;
	struct acceptor_link_list open, closed;
	size_t nconns;
	uint64_t last_fd_log_ms, last_cap_log_ms, last_err_log_ms;
	unsigned long refused_since_log;
};

/* Set up (no socket yet).  cfg and ops are copied / kept; data is the owner's. */
void acceptor_init(struct acceptor *a, const struct acceptor_config *cfg,
    const struct acceptor_ops *ops, void *data);

/* Serve the listening socket fd (takes it).  0, or -1 with errno (fd closed). */
int acceptor_start(struct acceptor *a, int fd);

/* Stop accepting and close the socket; open connections stay.  Idempotent. */
void acceptor_stop(struct acceptor *a);

/* 1 while the socket is open and watched (or paused for a moment). */
int acceptor_is_open(const struct acceptor *a);

/* Track a new connection (counts toward the cap). */
void acceptor_conn_add(struct acceptor *a, struct acceptor_link *l);

/*
 * The connection's descriptor is closed: stop counting it and free it
 * (ops->free_cb) after the current event batch.  Call once.
 */
void acceptor_conn_close(struct acceptor *a, struct acceptor_link *l);

/* The oldest open tracked connection, or NULL (to close them all at exit). */
struct acceptor_link *acceptor_conn_first(const struct acceptor *a);

/* Connections tracked and open. */
size_t acceptor_conn_count(const struct acceptor *a);

/* Free every closed connection now (at exit, outside any callback). */
void acceptor_reap(struct acceptor *a);

/* "address:port" of an AF_INET/AF_INET6 peer, upstream's form (no brackets); "?:0" otherwise. */
void acceptor_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
