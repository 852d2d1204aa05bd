/*
 * test_metrics_merge.c - several processes' metrics texts become one:
 * families once in first-seen order with all their samples together,
 * sums by series, the largest build_info and *_max_seconds, the smallest
 * start time; per-cluster series of different workers side by side.
 */
#include <string.h>

#include "check.h"
#include "extras/metrics_merge.h"

static void
part(struct wbuf *w, const char *text)
{
	wbuf_init(w, 1 << 20);
	wbuf_put(w, text, strlen(text));
}

int
main(void)
{
	struct wbuf parts[3], out;
	const char *want = "# HELP qnetd_start_time_seconds Start.\n"
	                   "# TYPE qnetd_start_time_seconds gauge\n"
	                   "qnetd_start_time_seconds 100\n"
	                   "# HELP qnetd_clients_connected Clients.\n"
	                   "# TYPE qnetd_clients_connected gauge\n"
	                   "qnetd_clients_connected 7\n"
	                   "# HELP qnetd_cluster_clients Per cluster.\n"
	                   "# TYPE qnetd_cluster_clients gauge\n"
	                   "qnetd_cluster_clients{cluster=\"a\"} 2\n"
	                   "qnetd_cluster_clients{cluster=\"b\"} 1\n"
	                   "# HELP qnetd_event_loop_lag_max_seconds Lag.\n"
	                   "# TYPE qnetd_event_loop_lag_max_seconds gauge\n"
	                   "qnetd_event_loop_lag_max_seconds 0.500\n"
	                   "# HELP qnetd_votes_total Votes.\n"
	                   "# TYPE qnetd_votes_total counter\n"
	                   "qnetd_votes_total{result=\"ack\"} 5\n";

	part(&parts[0],
	    "# HELP qnetd_start_time_seconds Start.\n"
	    "# TYPE qnetd_start_time_seconds gauge\n"
	    "qnetd_start_time_seconds 100\n"
	    "# HELP qnetd_clients_connected Clients.\n"
	    "# TYPE qnetd_clients_connected gauge\n"
	    "qnetd_clients_connected 0\n"
	    "# HELP qnetd_cluster_clients Per cluster.\n"
	    "# TYPE qnetd_cluster_clients gauge\n");
	part(&parts[1],
	    "# HELP qnetd_start_time_seconds Start.\n"
	    "# TYPE qnetd_start_time_seconds gauge\n"
	    "qnetd_start_time_seconds 200\n"
	    "# HELP qnetd_clients_connected Clients.\n"
	    "# TYPE qnetd_clients_connected gauge\n"
	    "qnetd_clients_connected 3\n"
	    "# HELP qnetd_cluster_clients Per cluster.\n"
	    "# TYPE qnetd_cluster_clients gauge\n"
	    "qnetd_cluster_clients{cluster=\"a\"} 2\n"
	    "# HELP qnetd_event_loop_lag_max_seconds Lag.\n"
	    "# TYPE qnetd_event_loop_lag_max_seconds gauge\n"
	    "qnetd_event_loop_lag_max_seconds 0.500\n"
	    "# HELP qnetd_votes_total Votes.\n"
	    "# TYPE qnetd_votes_total counter\n"
	    "qnetd_votes_total{result=\"ack\"} 2\n");
	part(&parts[2],
	    "# HELP qnetd_start_time_seconds Start.\n"
	    "# TYPE qnetd_start_time_seconds gauge\n"
	    "qnetd_start_time_seconds 150\n"
	    "# HELP qnetd_clients_connected Clients.\n"
	    "# TYPE qnetd_clients_connected gauge\n"
	    "qnetd_clients_connected 4\n"
	    "# HELP qnetd_cluster_clients Per cluster.\n"
	    "# TYPE qnetd_cluster_clients gauge\n"
	    "qnetd_cluster_clients{cluster=\"b\"} 1\n"
	    "# HELP qnetd_event_loop_lag_max_seconds Lag.\n"
	    "# TYPE qnetd_event_loop_lag_max_seconds gauge\n"
	    "qnetd_event_loop_lag_max_seconds 0.250\n"
	    "# HELP qnetd_votes_total Votes.\n"
	    "# TYPE qnetd_votes_total counter\n"
	    "qnetd_votes_total{result=\"ack\"} 3\n");
	wbuf_init(&out, 1 << 20);
	CHECK_EQ(metrics_merge(parts, 3, &out), 0);
	CHECK_MEM(out.data, out.len, want, strlen(want));
	if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0)
		fprintf(stderr, "got:\n%.*s", (int)out.len, (const char *)out.data);

	/* The output limit is honoured. */
	wbuf_destroy(&out);
	wbuf_init(&out, 64);
	CHECK_EQ(metrics_merge(parts, 3, &out), -1);
	wbuf_destroy(&out);
	for (int i = 0; i < 3; i++)
		wbuf_destroy(&parts[i]);
	return (check_exit("test_metrics_merge"));
}
