/* SPDX-License-Identifier: MIT */
/*
 * main.c - broth: options, signals and lifecycle; no packets here
 *
 * Signals are blocked before the engine starts any thread, so every thread
 * inherits the mask and only this thread receives them, in sigwaitinfo().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "broth/broth.h"
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

static void print_ready(const struct options *o, unsigned workers)
{
	const struct broth_vnet_conf *vc = &o->conf.vnets[0];
	char net[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &vc->net4, net, sizeof(net));
	if (vc->vhost_user[0]) {
		fprintf(stderr, "broth: ready: VM guest on vhost-user socket "
			"%s, network %s/%u, MTU %u, %u worker(s), %u queue "
			"pair(s)\n", vc->vhost_user, net, vc->prefix4, vc->mtu,
			workers, vc->queues ? vc->queues : workers);
		return;
	}
	fprintf(stderr, "broth: ready: guest %s in netns %s, network %s/%u, "
		"MTU %u, %u worker(s)\n", vc->ifname, vc->netns, net,
		vc->prefix4, vc->mtu, workers);
}

static void wait_for_stop(struct broth_engine *e, const sigset_t *set)
{
	siginfo_t si;

	for (;;) {
		int sig = sigwaitinfo(set, &si);

		if (sig == SIGUSR1)
			broth_engine_dump_stats(e, stderr);
		else if (sig == SIGINT || sig == SIGTERM)
			return;
	}
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
	print_ready(&o, broth_engine_workers(e));
	wait_for_stop(e, &set);
	broth_engine_stop(e);
	broth_engine_dump_stats(e, stderr);
	broth_engine_destroy(e);
	if (o.pid_file)
		unlink(o.pid_file);
	return 0;
}
