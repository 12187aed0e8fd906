/* SPDX-License-Identifier: MIT */
/*
 * sink.c - the host end of vhostgen's traffic: counts what broth delivers
 *
 *   vhostsink udp|tcp ADDR PORT SECONDS [spin]
 *
 * udp: one socket bound to ADDR:PORT drains datagrams with recvmmsg, 64 at
 *      a time, into a large receive buffer (so a burst is not lost while
 *      we share a core with the generator);
 * tcp: a listener on ADDR:PORT accepts every connection and closes it at
 *      once (vhostgen resets it from the guest side anyway).
 * Each second prints "sec N rx=COUNT"; after SECONDS (bounded run) one
 * "summary rx=TOTAL seconds=S rate=R" line. Plain sockets, no DPDK: it runs
 * in the host network namespace, where broth's sockets go.
 *
 * By default an empty socket puts the sink to sleep in poll(), like any
 * server; each datagram that finds it asleep then costs the sender (broth's
 * worker, in whose sendmsg the loopback delivery runs) a wake-up, which in
 * a VM is an IPI and a VM exit. "spin" never sleeps (it yields the CPU
 * instead), so broth pays only for the delivery itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define DGRAM_MAX	2048
#define RCVBUF		(32 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Up to BATCH datagrams already queued, without waiting */
static unsigned udp_drain(int fd)
{
	static char buf[BATCH][DGRAM_MAX];
	static struct iovec iov[BATCH];
	static struct mmsghdr msg[BATCH];
	int n;

	if (!iov[0].iov_base)
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], DGRAM_MAX };
			msg[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
							  .msg_iovlen = 1 };
		}
	n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
	return n > 0 ? (unsigned)n : 0;
}

/* Accept what the backlog holds and close it */
static unsigned tcp_drain(int fd)
{
	unsigned n = 0;
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

static int open_socket(bool udp, const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int one = 1, size = RCVBUF;
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK,
			0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* FORCE: above rmem_max, we run as root; plain as a fallback */
	if (udp && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (!udp && listen(fd, 4096))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct pollfd pfd = { .events = POLLIN };
	uint64_t total = 0, last = 0;
	double t0, tick, end, t;
	unsigned sec = 0;
	bool udp, spin;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5 || argc > 6 ||
	    (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp")) ||
	    (argc == 6 && strcmp(argv[5], "spin"))) {
		fprintf(stderr, "usage: vhostsink udp|tcp ADDR PORT SECONDS [spin]\n");
		return 2;
	}
	udp = !strcmp(argv[1], "udp");
	spin = argc == 6;
	pfd.fd = open_socket(udp, argv[2], atoi(argv[3]));
	if (pfd.fd < 0) {
		fprintf(stderr, "vhostsink: %s %s:%s: %s\n", argv[1], argv[2],
			argv[3], strerror(errno));
		return 1;
	}
	printf("ready\n");
	t0 = now_s();
	tick = t0 + 1;
	end = t0 + atof(argv[4]);
	while ((t = now_s()) < end) {
		unsigned n = udp ? udp_drain(pfd.fd) : tcp_drain(pfd.fd);

		total += n;
		if (t >= tick) {
			printf("sec %u rx=%" PRIu64 "\n", ++sec, total - last);
			last = total;
			tick += 1;
		}
		/* wait only when the socket is empty; wake for the next tick */
		if (spin && n < BATCH)
			sched_yield();
		else if (!n || !udp)
			poll(&pfd, 1, 100);
	}
	printf("summary rx=%" PRIu64 " seconds=%.3f rate=%.0f\n", total,
	       t - t0, (double)total / (t - t0));
	close(pfd.fd);
	return 0;
}
