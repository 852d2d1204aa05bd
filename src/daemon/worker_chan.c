/*
 * worker_chan.c - records over the parent/worker socketpair (see
 * worker_chan.h).  Both ends are our own processes, but a record is still
 * checked (size, descriptor count) before use.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon/worker_chan.h"

#define CHAN_SNDBUF (4 * 1024 * 1024)
#define CHAN_SEND_TIMEOUT_S 2

int
wchan_pair(int sv[2])
{
	struct timeval tv = { CHAN_SEND_TIMEOUT_S, 0 };
	int sz = CHAN_SNDBUF, i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return (-1);
	for (i = 0; i < 2; i++) {
		/* Best effort: the kernel caps it at wmem_max. */
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		/* A blocking send never waits forever on a stuck peer. */
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return (0);
}

int
wchan_send(int chan, const struct wchan_hdr *h, const void *payload, size_t len, int fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	if (len > WCHAN_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return (-1);
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)(uintptr_t)h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		n = sendmsg(chan, &mh, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (-1);
	return (0);
}

/* Take the descriptors out of the control data: the first into *fd, others closed. */
static int
take_fds(struct msghdr *mh, int *fd)
{
	struct cmsghdr *cm;
	int bad = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*fd < 0) {
				*fd = f;
			} else {
				close(f);
				bad = 1;
			}
		}
	}
	return (bad ? -1 : 0);
}

ssize_t
wchan_recv(int chan, struct wchan_hdr *h, uint8_t *buf, size_t cap, int *fd)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	*fd = -1;
	memset(h, 0, sizeof(*h));
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = buf;
	iov[1].iov_len = cap;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do {
		n = recvmsg(chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1);
	if (n == 0)
		return (0);
	if (take_fds(&mh, fd) != 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < sizeof(*h) || h->type == 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EPROTO;
		return (-1);
	}
	h->addr[sizeof(h->addr) - 1] = '\0';
	return (n - (ssize_t)sizeof(*h));
}
