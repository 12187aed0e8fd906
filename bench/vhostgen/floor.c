/* SPDX-License-Identifier: MIT */
/*
 * floor.c - the kernel's own price for what broth does per UDP datagram or
 *	     per TCP connection attempt, without broth
 *
 *   vhostfloor udp|tcp ADDR PORT SECONDS
 *
 * udp: sendmsg() of an 18-byte datagram to ADDR:PORT in a loop, one
 *      unconnected socket with the address in every message, as broth's
 *      UDP flows send (so the loopback delivery into the receiver runs in
 *      this thread, as it does in broth's worker);
 * tcp: socket(), non-blocking connect() to ADDR:PORT, wait until it is
 *      connected, close with SO_LINGER {1, 0} (a RST, as broth closes on a
 *      guest's RST): connection attempts, one at a time.
 * Prints "summary ops=N seconds=S rate=R". Pinned to the core a broth
 * worker gets, the rate is the ceiling for one worker in bench/vhost.sh's
 * udp and syn modes: what is left of broth's own per-frame work shows as
 * the gap to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int udp_send(int fd, const struct sockaddr_in *sa)
{
	static char payload[18] = "vhostfloor";
	struct iovec iov = { payload, sizeof(payload) };
	struct msghdr msg = { .msg_name = (void *)sa, .msg_namelen = sizeof(*sa),
			      .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(fd, &msg, MSG_DONTWAIT) < 0 ? -1 : 0;
}

static int tcp_attempt(const struct sockaddr_in *sa)
{
	struct linger lg = { 1, 0 };
	struct pollfd pfd = { .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);

	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0)
		return -1;
	if (connect(pfd.fd, (const struct sockaddr *)sa, sizeof(*sa)) &&
	    errno != EINPROGRESS)
		err = errno;
	else if (poll(&pfd, 1, 1000) != 1 ||
		 getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = ETIMEDOUT;
	setsockopt(pfd.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(pfd.fd);
	return err ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t ok = 0, failed = 0;
	double t0, end, t;
	int fd = -1;
	bool udp;

	if (argc != 5 || (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp")) ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: vhostfloor udp|tcp ADDR PORT SECONDS\n");
		return 2;
	}
	udp = !strcmp(argv[1], "udp");
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	if (udp && (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("vhostfloor: socket");
		return 1;
	}
	t0 = now_s();
	end = t0 + atof(argv[4]);
	do {
		/* check the clock every 64 operations only */
		for (int i = 0; i < 64; i++) {
			if (!(udp ? udp_send(fd, &sa) : tcp_attempt(&sa)))
				ok++;
			else
				failed++;
		}
	} while ((t = now_s()) < end);
	printf("summary ops=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f rate=%.0f\n",
	       ok, failed, t - t0, (double)ok / (t - t0));
	return 0;
}
