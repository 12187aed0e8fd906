/* SPDX-License-Identifier: MIT */
/*
 * test_tcp.c - the TCP split proxy (engine/tcp*.c), segment by segment
 *
 * Each test plays the guest with crafted segments and the host peer with a
 * real socket on loopback, and stops and starts time (tcp_harness.h): the
 * handshake and its options, which guest segments are accepted (window,
 * checksum, ACK, RST and SYN acceptability), reordering and SACK,
 * retransmission (RTO backoff, RTT, fast retransmit), zero windows both
 * ways, and closing (half-close, simultaneous close, resets).
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_common.h>
#include <rte_timer.h>

#include "tcp_harness.h"

TestSuite(tcp, .init = harness_setup, .fini = harness_teardown, .timeout = 60);

/* ---- handshake ---- */

Test(tcp, handshake_negotiates_options)
{
	uint8_t o[12], data[3000];
	struct tcp_conn *c;
	struct seg s;

	guest_syn(listen_port, o, syn_opts(o, 1400, true, 7), NULL, 0);
	c = conn();
	cr_assert_eq(c->state, TCPS_CONNECTING, "no SYN-ACK before connect()");
	s = expect_synack();
	cr_assert_eq(s.mss, 1460, "our MSS: MTU 1500 - 40");
	cr_assert(s.sack_ok, "SACK-permitted echoed");
	cr_assert_eq(s.ws, TCP_RCV_WS);
	cr_assert_eq(s.win, 65535, "a SYN-ACK's window is never scaled");
	cr_assert_eq(c->state, TCPS_SYNACK_SENT);
	cr_assert_eq(c->mss, 1400);
	cr_assert_eq(c->snd_ws, 7);
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	cr_assert_eq(c->state, TCPS_ESTABLISHED);
	cr_assert_eq(c->f.state, FLOW_ACTIVE);

	g.win = 16;			/* scaled: 16 << 7 = 2048 bytes */
	guest_ack();
	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 1400);
	cr_assert(!memcmp(s.data, data, 1400));
	cr_assert_eq(s.win, TCP_RCV_WIN >> TCP_RCV_WS, "our window, scaled");
	s = expect_seg(ACK, g.rcv_nxt + 1400, g.snd_nxt, 648);
	cr_assert(!memcmp(s.data, data + 1400, 648));
	expect_quiet();			/* the guest's window is full */
	g.rcv_nxt += 2048;
	guest_ack();
	s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 952);
	cr_assert(!memcmp(s.data, data + 2048, 952));
	g.rcv_nxt += 952;
	guest_ack();
	expect_quiet();

	guest_data("hello", 5);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("hello");
	finish();
}

Test(tcp, no_window_scaling_offered)
{
	uint8_t o[12], data[3000];
	struct tcp_conn *c;
	struct seg s;

	guest_syn(listen_port, o, syn_opts(o, 1460, false, -1), NULL, 0);
	s = expect_synack();
	cr_assert_eq(s.ws, -1, "window scale offered though the guest did not");
	cr_assert_not(s.sack_ok, "SACK-permitted though the guest did not");
	cr_assert_eq(s.mss, 1460);
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	c = conn();
	cr_assert_eq(c->snd_ws, 0);

	g.win = 1000;			/* bytes, not scaled */
	guest_ack();
	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	for (unsigned i = 0; i < 3; i++) {
		s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 1000);
		cr_assert(!memcmp(s.data, data + 1000 * i, 1000));
		cr_assert_eq(s.win, 65535, "our 512 KiB, unscaled: capped");
		expect_quiet();
		g.rcv_nxt += 1000;
		guest_ack();
	}
	expect_quiet();
	finish();
}

Test(tcp, syn_without_options_gets_default_mss)
{
	uint8_t data[1000];
	struct seg s;

	guest_syn(listen_port, NULL, 0, NULL, 0);
	s = expect_synack();
	cr_assert_eq(s.mss, 1460, "our MSS is always sent");
	cr_assert_eq(s.ws, -1);
	cr_assert_not(s.sack_ok);
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	cr_assert_eq(conn()->mss, 536, "RFC 9293 3.7.1: 536 without the option");
	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 536);
	s = expect_seg(ACK, g.rcv_nxt + 536, g.snd_nxt, 464);
	cr_assert(!memcmp(s.data, data + 536, 464));
	finish();
}

/* A guest silent after its SYN: the SYN-ACK is resent with backoff, then the
 * host side is reset and the flow freed (it must not be held for ever) */
Test(tcp, synack_unanswered_gives_up)
{
	struct tcp_conn *c;

	guest_syn(listen_port, NULL, 0, NULL, 0);
	expect_synack();
	c = conn();
	cr_assert_eq(c->state, TCPS_SYNACK_SENT);
	cr_assert(rte_timer_pending(&c->timer), "SYN-ACK timer armed");
	g.host_fd = host_accept();
	for (unsigned i = 1; i <= TCP_SYN_RETRIES; i++) {
		rto_fire();
		expect_synack();
		cr_assert_eq(c->retries, i);
		cr_assert_eq(c->rto, RTE_MIN(TCP_RTO_INIT_MS << i, TCP_RTO_MAX_MS));
	}
	rto_fire();
	expect_quiet();
	cr_assert_null(conn_of(g.dport), "flow freed");
	cr_assert_eq(w->ctr.drop[DROP_TCP_HANDSHAKE_TIMEOUT], 1);
	host_expect_end(ECONNRESET);
	finish();
}

/* A retransmitted SYN-ACK answered late still establishes */
Test(tcp, synack_retransmitted_then_answered)
{
	struct tcp_conn *c;

	guest_syn(listen_port, NULL, 0, NULL, 0);
	expect_synack();
	c = conn();
	rto_fire();
	expect_synack();
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	cr_assert_eq(c->state, TCPS_ESTABLISHED);
	cr_assert_eq(c->retries, 0);
	host_write("x", 1);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 1);
	finish();
}

/* No TCP Fast Open: data on a SYN is not acknowledged, the guest resends it */
Test(tcp, syn_with_data_is_not_acknowledged)
{
	uint8_t o[12];

	guest_syn(listen_port, o, syn_opts(o, 1460, true, 7), "early", 5);
	expect_synack();		/* ack = ISS + 1: not the data */
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	host_expect_nothing();
	guest_data("early", 5);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("early");
	host_expect_nothing();
	finish();
}

Test(tcp, handshake_repeated_syn_and_bad_ack)
{
	uint8_t o[12];
	size_t n = syn_opts(o, 1460, true, 7);
	struct seg s, again;

	guest_syn(listen_port, o, n, NULL, 0);
	s = expect_synack();
	guest_seg_opts(SYN, G_ISS, 0, o, n, NULL, 0, 0);	/* our SYN-ACK lost */
	again = expect_synack();
	cr_assert_eq(again.seq, s.seq, "the same ISS");
	expect_quiet();
	guest_seg(ACK, g.snd_nxt, g.iss + 100, NULL, 0);	/* not our ISS + 1 */
	expect_seg(RST, g.iss + 100, 0, 0);
	cr_assert_eq(w->ctr.drop[DROP_TCP_BAD_ACK], 1);
	cr_assert_eq(conn()->state, TCPS_SYNACK_SENT, "the handshake goes on");
	guest_ack();
	g.host_fd = host_accept();
	expect_quiet();
	cr_assert_eq(conn()->state, TCPS_ESTABLISHED);
	finish();
}

Test(tcp, connect_refused_resets_guest)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint8_t o[12];

	/* a port that was just free: nothing listens there */
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	guest_syn(ntohs(sa.sin_port), o, syn_opts(o, 1460, true, 7), NULL, 0);
	expect_seg(RST | ACK, 0, G_ISS + 1, 0);
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	cr_assert_eq(w->ctr.drop[DROP_TCP_REFUSED], 1);
	finish();
}

/* ---- acceptability of guest segments ---- */

/* parse_frame() validates checksums for every handler: nothing reaches TCP */
Test(tcp, bad_checksum_ignored)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t rcv_nxt = c->rcv_nxt;

	guest_seg_opts(ACK | PSH, g.snd_nxt, g.rcv_nxt, NULL, 0, "evil", 4,
		       TF_BAD_L4_CSUM);
	guest_seg_opts(RST, g.snd_nxt, 0, NULL, 0, NULL, 0, TF_BAD_L4_CSUM);
	guest_seg_opts(FIN | ACK, g.snd_nxt, g.rcv_nxt, NULL, 0, NULL, 0,
		       TF_BAD_L4_CSUM);
	guest_seg_opts(ACK | PSH, g.snd_nxt, g.rcv_nxt, NULL, 0, "evil", 4,
		       TF_BAD_IP_CSUM);
	expect_quiet();
	host_expect_nothing();
	cr_assert_eq(w->ctr.drop[DROP_TCP_BAD_CSUM], 3);
	cr_assert_eq(w->ctr.drop[DROP_IPV4_BAD_CSUM], 1);
	cr_assert_eq(conn()->rcv_nxt, rcv_nxt, "the exact RST was not taken");
	guest_data("good", 4);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("good");
	finish();
}

Test(tcp, out_of_window_data_dropped)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);

	guest_seg(ACK | PSH, g.snd_nxt + TCP_RCV_WIN + 1000, g.rcv_nxt, "far", 3);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);	/* RFC 9293: ACK it */
	cr_assert_eq(w->ctr.drop[DROP_TCP_OUT_OF_WINDOW], 1);
	guest_seg(ACK | PSH, g.snd_nxt - 1000, g.rcv_nxt, "old", 3);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	expect_quiet();
	host_expect_nothing();
	cr_assert_eq(c->rcv_nxt, g.snd_nxt);
	cr_assert_eq(c->n_ooo, 0, "kept a segment outside the window");
	guest_data("in", 2);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("in");
	finish();
}

Test(tcp, ack_beyond_snd_max_dropped)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t una = g.rcv_nxt;

	host_write("0123456789", 10);
	expect_seg(ACK, una, g.snd_nxt, 10);
	/* acknowledges 1000 bytes never sent, and carries data */
	guest_seg(ACK | PSH, g.snd_nxt, una + 1010, "bad", 3);
	expect_seg(ACK, una + 10, g.snd_nxt, 0);	/* RFC 5961 5.2 */
	expect_quiet();
	cr_assert_eq(w->ctr.drop[DROP_TCP_BAD_ACK], 1);
	cr_assert_eq(c->snd_una, una);
	cr_assert_eq(c->rcv_nxt, g.snd_nxt, "its data was taken");
	host_expect_nothing();
	g.rcv_nxt = una + 10;
	guest_data("ok", 2);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("ok");
	cr_assert_eq(c->snd_una, una + 10);
	finish();
}

Test(tcp, duplicate_segment_reacked)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t b = g.snd_nxt;

	guest_data("abc", 3);
	expect_seg(ACK, g.rcv_nxt, b + 3, 0);
	host_expect("abc");
	guest_seg(ACK | PSH, b, g.rcv_nxt, "abc", 3);	/* our ACK was lost */
	expect_seg(ACK, g.rcv_nxt, b + 3, 0);
	host_expect_nothing();
	guest_seg(ACK | PSH, b + 1, g.rcv_nxt, "bcdef", 5);	/* overlaps */
	g.snd_nxt = b + 6;
	expect_seg(ACK, g.rcv_nxt, b + 6, 0);
	host_expect("def");
	host_expect_nothing();
	cr_assert_eq(c->rcv_nxt, b + 6);
	finish();
}

Test(tcp, out_of_order_held_and_sacked)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t b = g.snd_nxt;
	uint8_t d[400], rd[200];
	struct seg s;

	fill(d, sizeof(d), 0);
	guest_seg(ACK | PSH, b + 100, g.rcv_nxt, d + 100, 100);
	s = expect_seg(ACK, g.rcv_nxt, b, 0);
	assert_sack(&s, 1, (const uint32_t[][2]){ { b + 100, b + 200 } });
	guest_seg(ACK | PSH, b + 300, g.rcv_nxt, d + 300, 100);
	s = expect_seg(ACK, g.rcv_nxt, b, 0);
	assert_sack(&s, 2, (const uint32_t[][2]){ { b + 100, b + 200 },
						  { b + 300, b + 400 } });
	host_expect_nothing();
	cr_assert_eq(c->n_ooo, 2);

	guest_seg(ACK | PSH, b, g.rcv_nxt, d, 100);	/* the first hole */
	s = expect_seg(ACK, g.rcv_nxt, b + 200, 0);
	assert_sack(&s, 1, (const uint32_t[][2]){ { b + 300, b + 400 } });
	host_read(rd, 200);
	cr_assert(!memcmp(rd, d, 200));
	guest_seg(ACK | PSH, b + 200, g.rcv_nxt, d + 200, 100);
	s = expect_seg(ACK, g.rcv_nxt, b + 400, 0);
	cr_assert_eq(s.n_sack, 0);
	host_read(rd, 200);
	cr_assert(!memcmp(rd, d + 200, 200));
	host_expect_nothing();
	cr_assert_eq(c->n_ooo, 0);
	finish();
}

/* A FIN riding on an early segment closes once the hole before it fills */
Test(tcp, out_of_order_fin_kept)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t b = g.snd_nxt;
	uint8_t d[6], rd[6];

	fill(d, sizeof(d), 0);
	guest_seg(ACK | PSH | FIN, b + 3, g.rcv_nxt, d + 3, 3);
	expect_seg(ACK, g.rcv_nxt, b, 0);
	cr_assert_eq(c->n_ooo, 1);
	guest_seg(ACK | PSH, b, g.rcv_nxt, d, 3);
	expect_seg(ACK, g.rcv_nxt, b + 7, 0);	/* 6 bytes and the FIN */
	host_read(rd, 6);
	cr_assert(!memcmp(rd, d, 6));
	host_expect_end(0);
	finish();
}

/* Held data beyond the guest's FIN is not part of its stream (found by
 * fuzz_tcp: it reached the host one byte off, after the FIN) */
Test(tcp, out_of_order_beyond_fin_dropped)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t b = g.snd_nxt;
	uint8_t d[300], rd[300];

	fill(d, sizeof(d), 0);
	guest_seg(ACK | PSH, b + 10, g.rcv_nxt, d + 10, 290);	/* to b + 300 */
	expect_seg(ACK, g.rcv_nxt, b, 0);
	cr_assert_eq(c->n_ooo, 1);
	guest_seg(ACK | FIN, b, g.rcv_nxt, d, 200);	/* the stream ends at 200 */
	expect_seg(ACK, g.rcv_nxt, b + 201, 0);
	cr_assert_eq(c->n_ooo, 0);
	host_read(rd, 200);
	cr_assert(!memcmp(rd, d, 200));
	host_expect_end(0);
	finish();
}

/* ---- RST and SYN on a connection (RFC 5961) ---- */

Test(tcp, rst_exact_closes)
{
	guest_connect(1460, true, 7);
	guest_seg(RST, g.snd_nxt, 0, NULL, 0);
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	host_expect_end(ECONNRESET);
	guest_ack();			/* no connection any more */
	expect_seg(RST, g.rcv_nxt, 0, 0);
	cr_assert_eq(w->ctr.drop[DROP_TCP_NO_CONN], 1);
	finish();
}

Test(tcp, rst_inexact_challenged)
{
	guest_connect(1460, true, 7);
	guest_seg(RST, g.snd_nxt + 1, 0, NULL, 0);	/* in window */
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);	/* challenge ACK */
	expect_quiet();
	guest_seg(RST, g.snd_nxt + TCP_RCV_WIN + 1, 0, NULL, 0);
	guest_seg(RST, g.snd_nxt - 1, 0, NULL, 0);
	expect_quiet();			/* outside: silently dropped */
	cr_assert_eq(w->ctr.drop[DROP_TCP_BAD_RST], 3);
	cr_assert_not_null(conn_of(g.dport));
	host_expect_nothing();
	guest_data("alive", 5);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("alive");
	host_write("yes", 3);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 3);
	finish();
}

Test(tcp, syn_on_established_challenged)
{
	uint8_t o[12];
	size_t n = syn_opts(o, 1460, true, 7);

	guest_connect(1460, true, 7);
	guest_seg_opts(SYN, 12345, 0, o, n, NULL, 0, 0);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	guest_seg_opts(SYN, G_ISS, 0, o, n, NULL, 0, 0);	/* the old SYN */
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	expect_quiet();
	cr_assert_eq(conn()->state, TCPS_ESTABLISHED);
	host_expect_nothing();
	guest_data("still", 5);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect("still");
	finish();
}

Test(tcp, host_reset_resets_guest)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	guest_connect(1460, true, 7);
	setsockopt(g.host_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(g.host_fd);
	g.host_fd = -1;
	expect_seg(RST | ACK, g.rcv_nxt, g.snd_nxt, 0);
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	cr_assert_eq(w->ctr.drop[DROP_TCP_HOST_RESET], 1);
	finish();
}

/* ---- retransmission toward the guest ---- */

Test(tcp, rto_backoff)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t una = g.rcv_nxt;
	uint8_t data[100];
	struct seg s;

	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	expect_seg(ACK, una, g.snd_nxt, 100);
	cr_assert_eq(c->rto, TCP_RTO_INIT_MS, "RFC 6298 2.1: 1 s");
	for (unsigned i = 1; i <= TCP_MAX_RETRIES; i++) {
		uint32_t rto = RTE_MIN(TCP_RTO_INIT_MS << i, TCP_RTO_MAX_MS);
		uint64_t t0 = rte_get_timer_cycles();

		rto_fire();
		s = expect_seg(ACK, una, g.snd_nxt, 100);	/* from snd_una */
		cr_assert(!memcmp(s.data, data, 100));
		expect_quiet();
		cr_assert_eq(c->rto, rto, "try %u: RTO %u, want %u", i, c->rto, rto);
		cr_assert_eq(c->retries, i);
		cr_assert(rte_timer_pending(&c->timer));
		cr_assert_geq(c->timer.expire - t0, ms_tsc(rto));
		cr_assert_lt(c->timer.expire - t0, ms_tsc(rto + 500));
	}
	cr_assert_eq(w->ctr.tcp_rto, TCP_MAX_RETRIES);
	rto_fire();			/* the guest is gone: give up */
	expect_seg(RST | ACK, una + 100, g.snd_nxt, 0);
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	cr_assert_eq(w->ctr.drop[DROP_TCP_TIMEOUT], 1);
	host_expect_end(ECONNRESET);	/* unread data: close() resets */
	finish();
}

/* Host data, acknowledged by the guest as if @age_ms after it left */
static void rtt_round(struct tcp_conn *c, uint32_t age_ms)
{
	host_write("ping", 4);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 4);
	cr_assert(rte_timer_pending(&c->timer));
	cr_assert_neq(c->rtt_seq, 0, "the segment is timed");
	c->rtt_tsc -= ms_tsc(age_ms);
	g.rcv_nxt += 4;
	guest_ack();
	expect_quiet();
	cr_assert_not(rte_timer_pending(&c->timer), "nothing in flight");
}

Test(tcp, rtt_sample_sets_rto)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t srtt, rttvar;
	bool match = false;

	rtt_round(c, 300);
	cr_assert(c->srtt >= 300 && c->srtt <= 310, "SRTT %u", c->srtt);
	cr_assert_eq(c->rttvar, c->srtt / 2, "RFC 6298 2.2");
	cr_assert_eq(c->rto, c->srtt + 4 * c->rttvar);
	srtt = c->srtt;
	rttvar = c->rttvar;
	rtt_round(c, 100);
	for (uint32_t r = 100; r <= 110; r++) {	/* RFC 6298 2.3; r < srtt */
		uint32_t v = (3 * rttvar + srtt - r) / 4, s = (7 * srtt + r) / 8;

		match |= c->srtt == s && c->rttvar == v && c->rto == s + 4 * v;
	}
	cr_assert(match, "from SRTT %u RTTVAR %u to %u %u, RTO %u", srtt,
		  rttvar, c->srtt, c->rttvar, c->rto);
	finish();
}

Test(tcp, rto_floor)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);

	rtt_round(c, 0);
	cr_assert_lt(c->srtt, 50, "SRTT %u on loopback", c->srtt);
	cr_assert_eq(c->rto, TCP_RTO_MIN_MS);
	finish();
}

/*
 * Karn: an ACK after a retransmission may be for either copy, so the
 * segment resent after tcp_sock_rewind() is not timed.
 */
Test(tcp, rto_ack_of_retransmission_takes_no_rtt_sample)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);

	host_write("data", 4);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 4);
	rto_fire();
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 4);
	cr_assert_eq(c->rto, 2 * TCP_RTO_INIT_MS);
	g.rcv_nxt += 4;
	guest_ack();
	expect_quiet();
	cr_assert_eq(c->srtt, 0, "RFC 6298 3: RTT sampled on a retransmission");
	cr_assert_eq(c->rto, 2 * TCP_RTO_INIT_MS,
		     "RFC 6298 5: backed-off RTO kept until a valid sample");
	finish();
}

Test(tcp, fast_retransmit_newreno)
{
	struct tcp_conn *c = guest_connect(1000, false, -1);
	uint32_t s0 = g.rcv_nxt;
	uint8_t data[5000];
	struct seg s;

	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	for (unsigned i = 0; i < 5; i++)
		expect_seg(ACK, s0 + 1000 * i, g.snd_nxt, 1000);
	expect_quiet();
	g.rcv_nxt = s0 + 1000;		/* the first arrives, the second not */
	guest_ack();
	guest_ack();
	guest_ack();
	expect_quiet();			/* two duplicates: not yet */
	cr_assert_eq(c->dupacks, 2);
	guest_ack();			/* the third */
	s = expect_seg(ACK, s0 + 1000, g.snd_nxt, 1000);
	cr_assert(!memcmp(s.data, data + 1000, 1000));
	expect_quiet();
	cr_assert(c->flags & TCPF_RECOVERY);
	cr_assert_eq(w->ctr.tcp_fast_rexmit, 1);
	guest_ack();			/* more duplicates: wait for a partial ACK */
	expect_quiet();
	g.rcv_nxt = s0 + 3000;		/* partial: the fourth was lost too */
	guest_ack();
	s = expect_seg(ACK, s0 + 3000, g.snd_nxt, 1000);
	cr_assert(!memcmp(s.data, data + 3000, 1000));
	expect_quiet();
	g.rcv_nxt = s0 + 5000;
	guest_ack();
	expect_quiet();
	cr_assert_not(c->flags & TCPF_RECOVERY);
	cr_assert_eq(w->ctr.tcp_fast_rexmit, 1);
	cr_assert_not(rte_timer_pending(&c->timer));
	finish();
}

Test(tcp, fast_retransmit_sack)
{
	struct tcp_conn *c = guest_connect(1000, true, 7);
	uint32_t s0 = g.rcv_nxt;
	uint8_t data[5000];
	struct seg s;

	fill(data, sizeof(data), 0);
	host_write(data, sizeof(data));
	for (unsigned i = 0; i < 5; i++)
		expect_seg(ACK, s0 + 1000 * i, g.snd_nxt, 1000);
	/* lost-retransmission detection waits 2 SRTT: only when we say so */
	c->srtt = 1000;
	/* 3 segments SACKed: both holes go at once, without 3 dupacks */
	guest_sack(s0, (const uint32_t[][2]){ { s0 + 1000, s0 + 2000 },
					      { s0 + 3000, s0 + 5000 } }, 2);
	s = expect_seg(ACK, s0, g.snd_nxt, 1000);
	cr_assert(!memcmp(s.data, data, 1000));
	s = expect_seg(ACK, s0 + 2000, g.snd_nxt, 1000);
	cr_assert(!memcmp(s.data, data + 2000, 1000));
	expect_quiet();
	cr_assert_eq(w->ctr.tcp_fast_rexmit, 1);
	/* partial ACK: both holes were resent already this episode */
	guest_sack(s0 + 2000, (const uint32_t[][2]){ { s0 + 3000, s0 + 5000 } },
		   1);
	expect_quiet();
	guest_sack(s0 + 2000, (const uint32_t[][2]){ { s0 + 3000, s0 + 5000 } },
		   1);
	expect_quiet();
	/* two round trips on, snd_una still not acked: its resend was lost */
	c->una_rexmit_tsc -= ms_tsc(2 * c->srtt + 2);
	guest_sack(s0 + 2000, (const uint32_t[][2]){ { s0 + 3000, s0 + 5000 } },
		   1);
	expect_seg(ACK, s0 + 2000, g.snd_nxt, 1000);
	expect_quiet();
	g.rcv_nxt = s0 + 5000;
	guest_ack();
	expect_quiet();
	cr_assert_not(c->flags & TCPF_RECOVERY);
	cr_assert_eq(w->ctr.tcp_fast_rexmit, 1);
	finish();
}

/* ---- zero windows ---- */

Test(tcp, zero_window_persist_probes)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	uint32_t rto;
	struct seg s;

	g.win = 0;
	guest_ack();
	expect_quiet();
	cr_assert_eq(c->snd_wnd, 0);
	host_write("waiting", 7);
	expect_quiet();			/* nothing fits */
	rto = c->rto;
	rto_fire();
	expect_seg(ACK, g.rcv_nxt - 1, g.snd_nxt, 0);	/* below the window */
	expect_quiet();
	cr_assert_eq(c->rto, 2 * rto);
	guest_ack();			/* still closed */
	expect_quiet();
	rto_fire();
	expect_seg(ACK, g.rcv_nxt - 1, g.snd_nxt, 0);
	cr_assert_eq(c->rto, 4 * rto);
	g.win = 1;			/* 128 bytes */
	guest_ack();
	s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 7);
	cr_assert(!memcmp(s.data, "waiting", 7));
	expect_quiet();
	finish();
}

/*
 * RFC 1122 4.2.2.17: a receiver that answers probes is kept, indefinitely:
 * answered probes do not count toward TCP_MAX_RETRIES.
 */
Test(tcp, zero_window_probes_answered_keep_connection)
{
	struct seg s;

	guest_connect(1460, true, 7);
	g.win = 0;
	guest_ack();
	host_write("x", 1);
	for (unsigned i = 1; i <= TCP_MAX_RETRIES + 2; i++) {
		rto_fire();
		s = next_seg();
		cr_assert_eq(s.flags, ACK, "probe %u: flags %#x", i, s.flags);
		cr_assert_eq(s.seq, g.rcv_nxt - 1);
		guest_ack();		/* alive, window still closed */
		expect_quiet();
	}
	cr_assert_not_null(conn_of(g.dport));
	g.win = 10;
	guest_ack();
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 1);
	finish();
}

/* Send in-order data into window @win until broth's ACK shows it closed */
static void close_our_window(struct tcp_conn *c, uint32_t *sent, uint32_t win)
{
	uint8_t chunk[1460];
	struct seg s;

	for (unsigned i = 0; win; i++) {
		uint32_t n = RTE_MIN(win, 1460u);

		cr_assert_lt(i, 4000u, "our window never closes");
		fill(chunk, n, *sent);
		guest_data(chunk, n);
		*sent += n;
		s = next_seg();
		cr_assert_eq(s.ack, g.snd_nxt, "segment %u not taken", i);
		win = s.win;
	}
	cr_assert_lt(TCP_RCV_WIN - c->pend_bytes, 1460u,	/* our MSS */
		     "window 0 with %u bytes of room", TCP_RCV_WIN - c->pend_bytes);
}

/*
 * The host does not read: our window closes, then reopens by itself. The
 * host's kernel may still find room after the window closed (it collapses a
 * full receive queue and updates its window), and broth may then rightly
 * take the next segment: each try closes the window again, and only a
 * segment refused with the window still shut counts.
 */
Test(tcp, zero_window_toward_guest)
{
	struct tcp_conn *c = guest_connect(1460, false, -1);	/* unscaled */
	uint8_t chunk[4096], want[4096];
	uint32_t sent = 0, got = 0, win = 65535;
	int small = 4096;
	struct seg s;

	cr_assert_eq(setsockopt(c->f.fd, SOL_SOCKET, SO_SNDBUF, &small,
				sizeof(small)), 0);
	for (unsigned tries = 0;; tries++) {
		uint64_t drops = w->ctr.drop[DROP_TCP_OUT_OF_WINDOW];

		cr_assert_lt(tries, 5u, "no segment refused into a closed window");
		close_our_window(c, &sent, win);
		fill(chunk, 1460, sent);	/* a full segment into it */
		guest_data(chunk, 1460);
		s = next_seg();
		win = s.win;
		if (s.ack == g.snd_nxt) {	/* room appeared: taken */
			sent += 1460;
			continue;
		}
		g.snd_nxt -= 1460;
		cr_assert_eq(s.ack, g.snd_nxt);
		cr_assert_eq(w->ctr.drop[DROP_TCP_OUT_OF_WINDOW], drops + 1);
		if (win)
			continue;
		guest_seg(ACK, g.snd_nxt - 1, g.rcv_nxt, NULL, 0); /* Linux's probe */
		win = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0).win;
		if (!win)
			break;
	}

	while (got < sent) {
		uint32_t n = RTE_MIN(sent - got, (uint32_t)sizeof(chunk));

		host_read(chunk, n);
		fill(want, n, got);
		cr_assert(!memcmp(chunk, want, n), "bytes %u.. differ", got);
		got += n;
	}
	s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);	/* unasked */
	cr_assert_geq(s.win, 1460u, "reopened window %u", s.win);
	while (seg_pending())
		expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	cr_assert_eq(c->pend_bytes, 0);
	host_expect_nothing();
	finish();
}

/* ---- closing ---- */

/* The guest closes first; the host still sends, then closes too */
Test(tcp, half_close)
{
	struct tcp_conn *c = guest_connect(1460, true, 7);
	struct seg s;

	guest_seg(FIN | ACK, g.snd_nxt++, g.rcv_nxt, NULL, 0);
	expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 0);
	host_expect_end(0);
	cr_assert(c->flags & TCPF_HOST_SHUT);
	host_write("late reply", 10);
	s = expect_seg(ACK, g.rcv_nxt, g.snd_nxt, 10);
	cr_assert(!memcmp(s.data, "late reply", 10));
	g.rcv_nxt += 10;
	guest_ack();
	expect_quiet();
	close(g.host_fd);
	g.host_fd = -1;
	expect_seg(FIN | ACK, g.rcv_nxt, g.snd_nxt, 0);
	cr_assert_not_null(conn_of(g.dport));
	g.rcv_nxt++;
	guest_ack();
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	cr_assert_eq(w->ctr.tcp_closed, 1);
	finish();
}

/* Both FINs cross: each side's FIN does not acknowledge the other's */
Test(tcp, simultaneous_close)
{
	uint32_t fin;

	guest_connect(1460, true, 7);
	fin = g.rcv_nxt;
	shutdown(g.host_fd, SHUT_WR);
	expect_seg(FIN | ACK, fin, g.snd_nxt, 0);
	guest_seg(FIN | ACK, g.snd_nxt++, fin, NULL, 0);
	expect_seg(ACK, fin + 1, g.snd_nxt, 0);
	host_expect_end(0);
	cr_assert_not_null(conn_of(g.dport), "our FIN is not acknowledged");
	rto_fire();			/* and was lost: sent again */
	expect_seg(FIN | ACK, fin, g.snd_nxt, 0);
	expect_quiet();
	g.rcv_nxt = fin + 1;
	guest_ack();
	expect_quiet();
	cr_assert_null(conn_of(g.dport));
	cr_assert_eq(w->ctr.tcp_closed, 1);
	finish();
}
