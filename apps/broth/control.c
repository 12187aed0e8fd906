/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (--control PATH): a unix stream socket,
 * one JSON request per line (control_proto.c), served by the main thread
 *
 * Only the main thread touches it, between signals, so the data path never
 * waits for a client. A client that sends a line too long, or does not read
 * its replies within CONTROL_SEND_TIMEOUT_S, is dropped; the others and the
 * guests are not affected. The socket is created mode 0600: whoever may
 * talk to it may add guests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "control_proto.h"

#define CONTROL_CLIENTS		16
#define CONTROL_LINE_MAX	8192
#define CONTROL_SEND_TIMEOUT_S	2

struct control_client {
	int fd;
	size_t len;
	char buf[CONTROL_LINE_MAX];
};

struct control {
	int lfd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct broth_engine *e;
	struct control_client cl[CONTROL_CLIENTS];
};

/* ---- the engine behind the protocol ---- */

static int ops_guest_info(void *ctx, unsigned slot, struct broth_guest_info *gi)
{
	return broth_engine_guest_info(ctx, slot, gi);
}

static int ops_add_guest(void *ctx, const struct broth_vnet_conf *vc,
			 char *err, size_t errlen)
{
	return broth_engine_add_guest(ctx, vc, err, errlen);
}

static int ops_remove_guest(void *ctx, const char *name, char *err,
			    size_t errlen)
{
	return broth_engine_remove_guest(ctx, name, err, errlen);
}

static int ops_add_fwd(void *ctx, const char *name, const struct broth_fwd *f,
		       char *err, size_t errlen)
{
	return broth_engine_add_fwd(ctx, name, f, err, errlen);
}

static int ops_remove_fwd(void *ctx, const char *name,
			  const struct broth_fwd *f, char *err, size_t errlen)
{
	return broth_engine_remove_fwd(ctx, name, f, err, errlen);
}

static int ops_flows(void *ctx, const char *name, struct broth_flow_info *out,
		     unsigned max, unsigned *n, char *err, size_t errlen)
{
	return broth_engine_flows(ctx, name, out, max, n, err, errlen);
}

static const struct control_ops engine_ops = {
	.guest_info = ops_guest_info,
	.add_guest = ops_add_guest,
	.remove_guest = ops_remove_guest,
	.add_fwd = ops_add_fwd,
	.remove_fwd = ops_remove_fwd,
	.flows = ops_flows,
};

/* ---- the socket ---- */

/**
 * control_open() - listen on @path
 * @path:	socket path; a stale socket there is replaced, anything else
 *		is an error
 * @e:		engine the requests act on
 * @epfd:	the main loop's epoll set; the socket's fds join it with
 *		their own fd as data
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: the control socket, or NULL
 */
struct control *control_open(const char *path, struct broth_engine *e,
			     int epfd, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct control *c;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--control %s: path too long", path);
		return NULL;
	}
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--control %s: exists and is not a socket",
			 path);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "--control: out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < CONTROL_CLIENTS; i++)
		c->cl[i].fd = -1;
	c->e = e;
	c->epfd = epfd;
	strcpy(c->path, path);
	strcpy(sa.sun_path, path);
	unlink(path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ev.data.fd = c->lfd;
	if (c->lfd < 0 || fchmod(c->lfd, 0600) ||
	    bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0600) || listen(c->lfd, CONTROL_CLIENTS) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c->lfd, &ev)) {
		snprintf(err, errlen, "--control %s: %s", path, strerror(errno));
		control_close(c);
		return NULL;
	}
	return c;
}

static void client_drop(struct control *c, struct control_client *cl)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

static void control_accept(struct control *c)
{
	struct timeval tv = { CONTROL_SEND_TIMEOUT_S, 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
	unsigned i;

	if (fd < 0)
		return;
	for (i = 0; i < CONTROL_CLIENTS && c->cl[i].fd >= 0; i++)
		;
	ev.data.fd = fd;
	if (i == CONTROL_CLIENTS ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);	/* too many clients: they see EOF */
		return;
	}
	c->cl[i].fd = fd;
	c->cl[i].len = 0;
}

/* Send a reply line; false if the client must go */
static bool client_send(struct control_client *cl, char *reply)
{
	size_t len = reply ? strlen(reply) : 0, off = 0;
	bool ok = reply != NULL;

	if (reply)
		reply[len++] = '\n';	/* json_dumps left room: see below */
	while (ok && off < len) {
		ssize_t n = send(cl->fd, reply + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			ok = false;
		else
			off += (size_t)n;
	}
	free(reply);
	return ok;
}

/* json_dumps() output with one more byte for the newline */
static char *with_room(char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = realloc(s, strlen(s) + 2);
	if (!r)
		free(s);
	return r;
}

/* Answer every complete line in the client's buffer */
static bool client_lines(struct control *c, struct control_client *cl)
{
	char *nl;

	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t used = (size_t)(nl - cl->buf) + 1;

		*nl = '\0';
		if (nl > cl->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		if (cl->buf[0] &&
		    !client_send(cl, with_room(control_handle(&engine_ops, c->e,
							     cl->buf))))
			return false;
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	return true;
}

static void client_read(struct control *c, struct control_client *cl)
{
	ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len,
			 MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_drop(c, cl);
		return;
	}
	if (n < 0)
		return;
	cl->len += (size_t)n;
	if (!client_lines(c, cl)) {
		client_drop(c, cl);
		return;
	}
	if (cl->len == sizeof(cl->buf) - 1) {	/* a line longer than we take */
		client_send(cl, with_room(strdup("{\"ok\":false,\"error\":"
						 "\"request line too long\"}")));
		client_drop(c, cl);
	}
}

/**
 * control_event() - an epoll event on one of the control socket's fds
 * @c:		control socket
 * @fd:		the fd from the event
 *
 * Return: true if @fd was the control socket's, false if it is not ours
 */
bool control_event(struct control *c, int fd)
{
	if (!c)
		return false;
	if (fd == c->lfd) {
		control_accept(c);
		return true;
	}
	for (unsigned i = 0; i < CONTROL_CLIENTS; i++)
		if (c->cl[i].fd == fd) {
			client_read(c, &c->cl[i]);
			return true;
		}
	return false;
}

/* control_close() - close every client and the socket, remove its path */
void control_close(struct control *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CONTROL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_drop(c, &c->cl[i]);
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	free(c);
}
