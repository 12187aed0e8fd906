/* SPDX-License-Identifier: MIT */
/*
 * tcp_fwd.c - inbound TCP port forwards (-t)
 *
 * Every worker has its own listening socket for each forward, bound with
 * SO_REUSEPORT, so the kernel spreads incoming connections over the workers
 * and no worker hands accepted sockets to another: tcp_open_inbound() picks
 * a gateway-side port whose flow hash lands on the accepting worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "tcp.h"

#define TCP_FWD_BACKLOG		1024
#define TCP_FWD_ACCEPT_BURST	32

/**
 * tcp_fwd_listen() - open worker @w's listener of forward @fi
 * @w:		worker
 * @fi:		index in e->fwds
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int tcp_fwd_listen(struct worker *w, unsigned fi, char *err, size_t errlen)
{
	const struct broth_fwd *f = &w->e->fwds[fi].f;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(f->host_port),
				  .sin_addr = f->host_addr };
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = worker_ev_tag(WORKER_EV_LISTEN, fi) };
	char addr[INET_ADDRSTRLEN];
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	w->listen_fd[fi] = fd;
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, TCP_FWD_BACKLOG) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		inet_ntop(AF_INET, &f->host_addr, addr, sizeof(addr));
		snprintf(err, errlen, "port forward tcp %s:%u: %s", addr,
			 f->host_port, strerror(errno));
		return -errno;
	}
	return 0;
}

/**
 * tcp_fwd_listen_all() - open the listeners of every forward on every worker
 * @e:		engine, workers initialised, ports up
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int tcp_fwd_listen_all(struct broth_engine *e, char *err, size_t errlen)
{
	for (unsigned v = 0; v < e->n_ports; v++) {
		const struct broth_vnet_conf *vc = &e->conf.vnets[v];

		for (unsigned i = 0; i < vc->n_fwd; i++) {
			if (e->n_fwds >= ENGINE_MAX_FWDS) {
				snprintf(err, errlen, "more than %u port forwards",
					 ENGINE_MAX_FWDS);
				return -E2BIG;
			}
			e->fwds[e->n_fwds] = (struct engine_fwd){
				.pidx = (uint16_t)v, .active = true, .f = vc->fwd[i] };
			e->n_fwds++;
		}
	}
	for (unsigned fi = 0; fi < e->n_fwds; fi++)
		for (unsigned k = 0; k < e->n_workers; k++) {
			int rc = tcp_fwd_listen(&e->workers[k], fi, err, errlen);

			if (rc)
				return rc;
		}
	return 0;
}

/* tcp_fwd_close_all() - close a worker's listeners */
void tcp_fwd_close_all(struct worker *w)
{
	for (unsigned fi = 0; fi < ENGINE_MAX_FWDS; fi++)
		if (w->listen_fd[fi] >= 0) {
			close(w->listen_fd[fi]);
			w->listen_fd[fi] = -1;
		}
}

/**
 * tcp_fwd_accept() - accept pending connections of a forward
 * @w:		worker owning the listener
 * @fi:		forward index
 */
void tcp_fwd_accept(struct worker *w, uint32_t fi)
{
	const struct engine_fwd *fw = &w->e->fwds[fi];

	for (unsigned i = 0; i < TCP_FWD_ACCEPT_BURST; i++) {
		int fd = accept4(w->listen_fd[fi], NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				counters_drop(&w->ctr, DROP_TCP_NO_FD);
			return;
		}
		tcp_open_inbound(w, fw->pidx, fd, fw->f.guest_port);
	}
}
