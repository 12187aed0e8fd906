/* SPDX-License-Identifier: MIT */
/*
 * tcp_harness.h - a guest, a host peer and a cut-down broth for test_tcp.c
 *
 * Theory of operation
 *
 * A test plays both ends of one spliced connection:
 *
 *   test (guest) ──crafted frame──► tcp_guest_input()
 *   test (guest) ◄──net_ring TX ring◄── worker_send()      broth
 *   test (host)  ◄──127.0.0.1 socket──► tcp_sock.c
 *
 * The engine is the real one, cut down: one vnet (10.0.0.0/24), one worker
 * with its real epoll set and flow table, and one port whose ethdev is a
 * net_ring device, so every frame broth sends to the guest lands on a ring
 * the harness reads, checks (addresses, checksums) and decodes into a FIFO
 * of struct seg. Guest frames take the worker's path in miniature:
 * parse_frame(), which owns checksum validation, then tcp_guest_input().
 * pump() is one worker iteration for TCP: socket events, tcp_flush(), TX.
 *
 * Time stands still: pump() never calls rte_timer_manage(), so no timer
 * fires on its own; rto_fire() expires the connection's timer when the test
 * says so, which makes RTO backoff and zero-window probing deterministic
 * and free of sleeps. Code that reads the TSC itself (RTT samples,
 * lost-retransmission detection) is steered by moving the timestamps it
 * stored in the connection.
 *
 * Criterion forks a process per test and runs .init in it, so every test
 * starts its own EAL (harness_setup()); each test ends with finish(), which
 * closes the connections and checks that every mbuf is back in the pool.
 * Failures inside helpers report the test's line (the *_at(__LINE__) forms).
 */
#ifndef BROTH_TEST_TCP_HARNESS_H
#define BROTH_TEST_TCP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_tcp.h>

#include "engine.h"
#include "frames.h"
#include "tcp_conn.h"

#define GPORT		40000		/* the guest's port */
#define G_ISS		0xfffff000u	/* guest ISS: its sequence numbers wrap */

#define FIN	RTE_TCP_FIN_FLAG
#define SYN	RTE_TCP_SYN_FLAG
#define RST	RTE_TCP_RST_FLAG
#define PSH	RTE_TCP_PSH_FLAG
#define ACK	RTE_TCP_ACK_FLAG

/* A segment from broth to the guest, decoded */
struct seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t mss;		/* MSS option; 0: absent */
	int ws;			/* window scale option; -1: absent */
	bool sack_ok;
	unsigned n_sack;
	uint32_t sack[4][2];	/* SACK blocks, left and right edge */
	uint32_t len;
	uint8_t data[TF_MAX];
};

/* The guest end of the connection under test */
struct guest {
	uint16_t dport;		/* host port, reached at the gateway address */
	uint32_t snd_nxt;	/* next sequence number the guest sends */
	uint32_t rcv_nxt;	/* next from broth: what the guest acknowledges */
	uint16_t win;		/* window field the guest advertises */
	uint32_t iss;		/* broth's ISS */
	int host_fd;		/* the host peer's accepted socket */
};

extern struct guest g;		/* the guest */
extern struct worker *w;	/* broth's only worker */
extern struct vnet *vn;		/* and its only vnet */
extern uint16_t listen_port;	/* the host peer's listener on 127.0.0.1 */

/* Criterion .init and .fini */
void harness_setup(void);
void harness_teardown(void);
void finish(void);

/* broth: run it, and what it sent to the guest */
void pump(int timeout_ms);
bool seg_pending(void);
#define next_seg()			next_seg_at(__LINE__)
#define expect_seg(fl, sq, ak, ln)	expect_seg_at(__LINE__, fl, sq, ak, ln)
#define expect_synack()			expect_synack_at(__LINE__)
#define expect_quiet()			expect_quiet_at(__LINE__)
struct seg next_seg_at(int line);
struct seg expect_seg_at(int line, uint8_t flags, uint32_t seq, uint32_t ack,
			 uint32_t len);
struct seg expect_synack_at(int line);
void expect_quiet_at(int line);
void assert_sack(const struct seg *s, unsigned n, const uint32_t (*blk)[2]);

/* the connection inside broth */
struct tcp_conn *conn_of(uint16_t dport);
struct tcp_conn *conn(void);
void rto_fire(void);
const char *drops(void);
uint64_t ms_tsc(uint64_t ms);

/* the guest */
size_t syn_opts(uint8_t *o, uint16_t mss, bool sack, int ws);
void guest_syn(uint16_t dport, const uint8_t *opts, size_t optlen,
	       const void *data, size_t len);
struct tcp_conn *guest_connect(uint16_t mss, bool sack, int ws);
void guest_seg_opts(uint8_t flags, uint32_t seq, uint32_t ack,
		    const uint8_t *opts, size_t optlen, const void *data,
		    size_t len, unsigned bad);
void guest_seg(uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	       size_t len);
void guest_data(const void *data, size_t len);
void guest_ack(void);
void guest_sack(uint32_t ack, const uint32_t (*blk)[2], unsigned n);
void fill(uint8_t *b, size_t n, uint32_t off);

/* the host peer */
int host_accept(void);
void host_write(const void *buf, size_t len);
void host_read(void *buf, size_t len);
void host_expect(const char *text);
void host_expect_nothing(void);
void host_expect_end(int err);

#endif
