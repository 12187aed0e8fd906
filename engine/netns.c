/* SPDX-License-Identifier: MIT */
/*
 * netns.c - open and enter network namespaces
 *
 * setns() changes the namespace of the calling thread only, so a caller can
 * step into a guest's namespace, create sockets or devices there (they stay
 * bound to it), and step back, without affecting other threads.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/**
 * netns_open() - open a network namespace given as NAME, PATH or PID
 * @spec:	"NAME" (/run/netns/NAME), a path containing '/', or a PID
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: file descriptor, or -errno
 */
int netns_open(const char *spec, char *err, size_t errlen)
{
	char path[4096];
	int fd, e;

	if (all_digits(spec))
		snprintf(path, sizeof(path), "/proc/%s/ns/net", spec);
	else if (strchr(spec, '/'))
		snprintf(path, sizeof(path), "%s", spec);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", spec);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "network namespace '%s' (%s): %s", spec,
			 path, strerror(e));
		return -e;
	}
	return fd;
}

/**
 * netns_enter() - move the calling thread into a network namespace
 * @ns_fd:	namespace to enter
 * @saved_fd:	set to the thread's previous namespace, for netns_leave()
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int netns_enter(int ns_fd, int *saved_fd, char *err, size_t errlen)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), e;

	if (self < 0) {
		e = errno;
		snprintf(err, errlen, "own network namespace: %s", strerror(e));
		return -e;
	}
	if (setns(ns_fd, CLONE_NEWNET)) {
		e = errno;
		snprintf(err, errlen, "cannot enter network namespace: %s%s",
			 strerror(e), e == EPERM ? " (CAP_SYS_ADMIN needed)" : "");
		close(self);
		return -e;
	}
	*saved_fd = self;
	return 0;
}

/**
 * netns_leave() - return the calling thread to the namespace it came from
 * @saved_fd:	from netns_enter(); closed here
 */
void netns_leave(int saved_fd)
{
	if (setns(saved_fd, CLONE_NEWNET))
		BLOG(ERR, "cannot return to own network namespace: %s",
		     strerror(errno));
	close(saved_fd);
}
