/*
 * vote_keeper.c - the vote memory in the running daemon (vote_keeper.h).
 *
 * A decision only notes the new partition in memory.  A loop timer,
 * every VOTE_KEEPER_TICK_MS, formats the file when something changed
 * (in memory, fast) and hands it to the writer thread (vote_writer.c),
 * which writes, fsyncs and renames it: no vote, and no other client,
 * ever waits on the disk, and a burst of changes costs one write.  When
 * nothing changed, the timer asks the writer to refresh the stamp in
 * place (a split may stand for hours without the partition changing,
 * and a restart must still find a fresh memory).  A second timer ends
 * the grace of the remembered partitions.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "algo/algo.h"
#include "base/log.h"
#include "core/cluster.h"
#include "core/instance.h"
#include "extras/vote_keeper.h"
#include "extras/vote_writer.h"
#include "net/loop.h"

static struct vote_memory *keeper_vm;
static char keeper_dir[4096];
static char keeper_path[sizeof(keeper_dir) + 256];
static struct loop_timer tick_timer, grace_timer;
static int keeper_graces; /* a grace runs: recall has something to find */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* The clients' heartbeat: the longest of the cluster's, for the grace. */
static uint32_t
cluster_hb(const struct qnetd_cluster *cluster)
{
	const struct qnetd_client *c;
	uint32_t hb;

	hb = 0;
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries)
		if (c->heartbeat_interval > hb)
			hb = c->heartbeat_interval;
	if (hb < VOTE_MEMORY_MIN_HB)
		hb = VOTE_MEMORY_MIN_HB;
	return (hb > VOTE_MEMORY_MAX_HB ? VOTE_MEMORY_MAX_HB : hb);
}

static int
env_recall(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    struct algo_recall *out)
{

	/* After the graces (nearly always) a decision pays no lookup. */
	if (keeper_vm == NULL || !keeper_graces)
		return (0);
	return (vote_memory_recall(keeper_vm, cluster->name, cluster->name_len, algorithm,
	    loop_now_ms(), out));
}

static void
env_note(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    const uint32_t *ids, size_t n)
{

	if (keeper_vm == NULL)
		return;
	if (vote_memory_note(keeper_vm, cluster->name, cluster->name_len, algorithm,
	        cluster_hb(cluster), ids, n) != 0) {
		log_msg(LOG_ERR, "vote memory: out of memory; cluster %s keeps its older memory",
		    cluster->name);
	}
}

static const struct algo_memory_env keeper_env = {
	.recall = env_recall,
	.note = env_note,
};

/* Format and hand over the whole file.  0, or -1 on out of memory. */
static int
post_content(void)
{
	char *buf;
	size_t len;

	if (vote_memory_format(keeper_vm, wall_ms(), &buf, &len) != 0) {
		log_msg(LOG_ERR, "vote memory: out of memory formatting the file");
		return (-1);
	}
	vote_writer_post(buf, len);
	return (0);
}

/*
 * Hand what changed to the writer, else a stamp; a failed write (the
 * writer says so here, it never logs) is logged and retried slowly.
 */
static void
tick_cb(struct loop_timer *t)
{
	int err, content;

	if (keeper_vm == NULL)
		return;
	err = vote_writer_take_error(&content);
	if (err != 0) {
		log_msg(LOG_ERR, "vote memory: can't %s %s: %s; retrying in %u s",
		    content ? "write" : "stamp", keeper_path, strerror(err),
		    VOTE_KEEPER_RETRY_MS / 1000);
		if (content)
			vote_memory_mark_dirty(keeper_vm);
		(void)loop_timer_arm(t, VOTE_KEEPER_RETRY_MS);
		return;
	}
	if (vote_memory_dirty(keeper_vm))
		(void)post_content();
	else
		vote_writer_stamp(wall_ms());
	(void)loop_timer_arm(t, VOTE_KEEPER_TICK_MS);
}

static int
cluster_present(const char *name, size_t len, void *arg)
{

	(void)arg;
	return (cluster_registry_find(&qnetd_instance.clusters, name, len) != NULL);
}

static void
arm_grace_timer(void)
{
	uint64_t end, now;

	end = vote_memory_next_grace_end(keeper_vm);
	keeper_graces = end != 0;
	if (end == 0)
		return;
	now = loop_now_ms();
	(void)loop_timer_arm(&grace_timer, end > now ? end - now : 0);
}

/* The algorithms' timers decide again; here the memory lets go. */
static void
grace_cb(struct loop_timer *t)
{
	size_t n;

	(void)t;
	if (keeper_vm == NULL)
		return;
	n = vote_memory_end_graces(keeper_vm, loop_now_ms(), cluster_present, NULL);
	if (n > 0)
		log_msg(LOG_INFO, "vote memory: grace over for %zu cluster(s)", n);
	arm_grace_timer();
}

/* The directory: created 0700 if missing; it must be a directory. */
static int
keeper_dir_ready(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_msg(LOG_ERR, "vote memory: can't create state directory %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_msg(LOG_ERR, "vote memory: state directory %s is not a directory", dir);
		return (-1);
	}
	return (0);
}

long
vote_keeper_load(const char *file_name, vote_memory_want_fn want, void *arg)
{
	char path[sizeof(keeper_dir) + 256];
	long n;

	if (keeper_vm == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/%s", keeper_dir, file_name);
	n = vote_memory_load(keeper_vm, path, want, arg, wall_ms(), loop_now_ms());
	if (n > 0)
		arm_grace_timer();
	return (n);
}

/* VOTE_KEEPER_FILE or VOTE_KEEPER_FILE.<worker>, not a temporary file. */
static int
keeper_file_name(const char *name)
{
	size_t n = strlen(VOTE_KEEPER_FILE), len = strlen(name);

	if (strncmp(name, VOTE_KEEPER_FILE, n) != 0)
		return (0);
	if (len >= 4 && strcmp(name + len - 4, ".tmp") == 0)
		return (0);
	return (name[n] == '\0' || (name[n] == '.' && name[n + 1] != '\0'));
}

long
vote_keeper_load_all(vote_memory_want_fn want, void *arg)
{
	struct dirent *de;
	long n, total;
	DIR *d;

	if (keeper_vm == NULL)
		return (-1);
	d = opendir(keeper_dir);
	if (d == NULL) {
		log_msg(LOG_ERR, "vote memory: can't read %s: %s", keeper_dir, strerror(errno));
		return (-1);
	}
	total = 0;
	while ((de = readdir(d)) != NULL) {
		if (!keeper_file_name(de->d_name) || strlen(de->d_name) > 200)
			continue;
		n = vote_keeper_load(de->d_name, want, arg);
		if (n > 0)
			total += n;
	}
	closedir(d);
	return (total);
}

void
vote_keeper_init(const struct qnetd_settings *s, const char *file_name, vote_memory_want_fn want,
    void *arg)
{

	if (s->state_dir == NULL || s->state_dir[0] == '\0') {
		log_msg(LOG_INFO, "vote memory: off (no state_dir)");
		return;
	}
	if (strlen(s->state_dir) >= sizeof(keeper_dir) || strlen(file_name) > 200 ||
	    keeper_dir_ready(s->state_dir) != 0) {
		log_msg(LOG_ERR, "vote memory: off; votes are not kept across restarts");
		return;
	}
	snprintf(keeper_dir, sizeof(keeper_dir), "%s", s->state_dir);
	snprintf(keeper_path, sizeof(keeper_path), "%s/%s", keeper_dir, file_name);
	keeper_vm = vote_memory_new(keeper_path);
	if (keeper_vm == NULL || vote_writer_start(keeper_path) != 0) {
		log_msg(LOG_ERR, "vote memory: out of memory or no writer thread; off");
		vote_memory_free(keeper_vm);
		keeper_vm = NULL;
		return;
	}
	loop_timer_init(&tick_timer, tick_cb, NULL);
	loop_timer_init(&grace_timer, grace_cb, NULL);
	/* Every process's file: after a change of workers a cluster may be ours now. */
	(void)vote_keeper_load_all(want, arg);
	/* The file now says what this process holds, stamped from now on. */
	(void)post_content();
	(void)loop_timer_arm(&tick_timer, VOTE_KEEPER_TICK_MS);
	algo_memory_env_set(&keeper_env);
}

void
vote_keeper_fini(void)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (keeper_vm == NULL)
		return;
	algo_memory_env_set(NULL);
	keeper_graces = 0;
	loop_timer_disarm(&tick_timer);
	loop_timer_disarm(&grace_timer);
	/* A clean stop writes the whole file once more: stamped now, fsynced. */
	if (vote_memory_format(keeper_vm, wall_ms(), &buf, &len) != 0)
		log_msg(LOG_ERR, "vote memory: out of memory formatting the file");
	err = vote_writer_stop(buf, len, wall_ms());
	if (err != 0)
		log_msg(LOG_ERR, "vote memory: can't write %s at stop: %s", keeper_path,
		    strerror(err));
	vote_memory_free(keeper_vm);
	keeper_vm = NULL;
}
