/* SPDX-License-Identifier: MIT */
/*
 * main.c - broth: options, signals and lifecycle; no packets here
 *
 * Signals are blocked before the engine starts any thread, so every thread
 * inherits the mask and only this thread receives them, through a signalfd
 * in one epoll set with the control socket (--control).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "broth/broth.h"
#include "control.h"
#include "options.h"

static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "broth: pid file %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Every flow holds a socket: take the whole hard limit of open files, as
 * pasta does, so the soft default of 1024 does not cap connections.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* One line saying every guest is served: tests and scripts wait for it */
static void print_ready(const struct options *o, unsigned workers)
{
	fprintf(stderr, "broth: ready:");
	for (unsigned i = 0; i < o->conf.n_vnets; i++) {
		const struct broth_vnet_conf *vc = &o->conf.vnets[i];
		char net[INET_ADDRSTRLEN], net6[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET, &vc->net4, net, sizeof(net));
		inet_ntop(AF_INET6, &vc->net6, net6, sizeof(net6));
		if (vc->vhost_user[0])
			fprintf(stderr, "%s guest %s: VM on vhost-user socket "
				"%s (%u queue pair(s)), network %s/%u %s/64, "
				"MTU %u", i ? ";" : "", vc->name, vc->vhost_user,
				vc->queues ? vc->queues : workers, net,
				vc->prefix4, net6, vc->mtu);
		else
			fprintf(stderr, "%s guest %s %s in netns %s, network "
				"%s/%u %s/64, MTU %u", i ? ";" : "", vc->name,
				vc->ifname, vc->netns, net, vc->prefix4, net6,
				vc->mtu);
	}
	fprintf(stderr, ", %u worker(s)\n", workers);
}

/* A signal from the signalfd: true for SIGINT/SIGTERM (stop) */
static bool signal_stops(struct broth_engine *e, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo == SIGUSR1)
		broth_engine_dump_stats(e, stderr);
	return si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM;
}

/* Serve signals and the control socket until SIGINT or SIGTERM */
static int run(struct broth_engine *e, const struct options *o,
	       const sigset_t *set)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int sfd = signalfd(-1, set, SFD_CLOEXEC);
	struct control *c = NULL;
	char err[512];
	bool stop = false;

	ev.data.fd = sfd;
	if (epfd < 0 || sfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev)) {
		fprintf(stderr, "broth: signals: %s\n", strerror(errno));
		return -1;
	}
	if (o->control && !(c = control_open(o->control, e, epfd, err,
					     sizeof(err)))) {
		fprintf(stderr, "broth: %s\n", err);
		return -1;
	}
	print_ready(o, broth_engine_workers(e));
	while (!stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(epfd, evs, 8, -1);

		for (int i = 0; i < n; i++)
			if (evs[i].data.fd == sfd)
				stop |= signal_stops(e, sfd);
			else
				control_event(c, evs[i].data.fd);
	}
	control_close(c);
	close(sfd);
	close(epfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct broth_engine *e;
	struct options o;
	char err[512];
	sigset_t set;
	int rc = options_parse(argc, argv, &o);

	if (rc)
		return rc > 0 ? 0 : 1;
	raise_nofile();
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	e = broth_engine_create(&o.conf, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "broth: %s\n", err);
		return 1;
	}
	rc = broth_engine_start(e);
	if (rc) {
		fprintf(stderr, "broth: cannot start threads: %s\n", strerror(-rc));
		broth_engine_destroy(e);
		return 1;
	}
	if (o.pid_file && write_pid_file(o.pid_file)) {
		broth_engine_destroy(e);
		return 1;
	}
	if (run(e, &o, &set)) {
		broth_engine_destroy(e);
		return 1;
	}
	broth_engine_stop(e);
	broth_engine_dump_stats(e, stderr);
	broth_engine_destroy(e);
	if (o.pid_file)
		unlink(o.pid_file);
	return 0;
}
