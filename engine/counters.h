/* SPDX-License-Identifier: MIT */
/*
 * counters.h - per-thread frame counters and the table of drop reasons
 *
 * Every frame broth does not forward or answer is dropped for exactly one
 * reason from the table below and counted there; the data path never logs.
 * Each thread (worker or slow path) owns one struct counters and is its only
 * writer; the main thread reads them for SIGUSR1/exit dumps, so fields are
 * plain 64-bit words updated with relaxed atomics.
 */
#ifndef BROTH_COUNTERS_H
#define BROTH_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

/* X(enum suffix, printable name) */
#define BROTH_DROP_REASONS(X)                                           \
	X(ETH_TRUNC, "eth_truncated")                                   \
	X(ETH_UNKNOWN_TYPE, "eth_unknown_ethertype")                    \
	X(ETH_MULTISEG, "eth_multisegment")                             \
	X(ARP_TRUNC, "arp_truncated")                                   \
	X(ARP_BAD_FORMAT, "arp_bad_format")                             \
	X(ARP_NOT_OURS, "arp_not_for_gateway")                          \
	X(ARP_IGNORED, "arp_gratuitous_or_reply")                       \
	X(IPV4_TRUNC, "ipv4_truncated")                                 \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                         \
	X(IPV4_BAD_IHL, "ipv4_bad_header_length")                       \
	X(IPV4_BAD_LEN, "ipv4_bad_total_length")                        \
	X(IPV4_BAD_CSUM, "ipv4_bad_checksum")                           \
	X(IPV4_BAD_SRC, "ipv4_bad_source")                              \
	X(IPV4_FRAGMENT, "ipv4_fragment")                               \
	X(IPV4_REASM_TIMEOUT, "ip_reassembly_timeout")                  \
	X(IPV4_REASM_FULL, "ip_reassembly_table_full")                  \
	X(IPV4_REASM_OVERLAP, "ip_reassembly_bad_fragments")            \
	X(IPV4_UNKNOWN_PROTO, "ipv4_unknown_protocol")                  \
	X(IPV4_BCAST_MCAST, "ipv4_broadcast_multicast")                 \
	X(IPV6_TRUNC, "ipv6_truncated")                                 \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                         \
	X(IPV6_BAD_LEN, "ipv6_bad_payload_length")                      \
	X(IPV6_BAD_SRC, "ipv6_bad_source")                              \
	X(IPV6_BAD_EXT, "ipv6_malformed_extension_header")              \
	X(IPV6_EXT_UNSUPPORTED, "ipv6_extension_not_handled")           \
	X(IPV6_FRAGMENT, "ipv6_fragment")                               \
	X(IPV6_UNKNOWN_PROTO, "ipv6_unknown_protocol")                  \
	X(IPV6_MCAST, "ipv6_multicast")                                 \
	X(SPOOFED_MAC, "spoofed_source_mac")                            \
	X(SPOOFED_IP, "spoofed_source_ip")                              \
	X(ICMP6_IGNORED, "icmpv6_ignored_type")                         \
	X(NDP_BAD, "ndp_malformed")                                     \
	X(NDP_NOT_OURS, "ndp_target_not_gateway")                       \
	X(DHCP6_BAD, "dhcpv6_malformed")                                \
	X(DHCP6_NOT_FOR_US, "dhcpv6_not_for_us")                        \
	X(ICMP_TRUNC, "icmp_truncated")                                 \
	X(ICMP_BAD_CSUM, "icmp_bad_checksum")                           \
	X(ICMP_UNSUPPORTED, "icmp_unsupported_type")                    \
	X(UDP_TRUNC, "udp_truncated")                                   \
	X(UDP_BAD_LEN, "udp_bad_length")                                \
	X(UDP_BAD_CSUM, "udp_bad_checksum")                             \
	X(TCP_TRUNC, "tcp_truncated")                                   \
	X(TCP_BAD_CSUM, "tcp_bad_checksum")                             \
	X(DHCP_TRUNC, "dhcp_truncated")                                 \
	X(DHCP_NO_COOKIE, "dhcp_no_magic_cookie")                       \
	X(DHCP_BAD_OPTION, "dhcp_bad_option")                           \
	X(DHCP_BAD_MESSAGE, "dhcp_bad_message")                         \
	X(DHCP_NOT_FOR_US, "dhcp_not_for_us")                           \
	X(DNS_TRUNC, "dns_truncated")                                   \
	X(DNS_BAD_NAME, "dns_bad_name")                                 \
	X(DNS_BAD_COUNT, "dns_bad_section_count")                       \
	X(DNS_NOT_QUERY, "dns_not_a_query")                             \
	X(DNS_NOT_RESPONSE, "dns_upstream_not_response")                \
	X(TCP_NO_CONN, "tcp_no_connection")                             \
	X(TCP_FLOW_LIMIT, "tcp_flow_table_full")                        \
	X(TCP_FLOW_RATE, "tcp_flow_rate_exceeded")                      \
	X(TCP_NO_FD, "tcp_no_file_descriptor")                          \
	X(TCP_DST_REFUSED, "tcp_destination_refused")                   \
	X(TCP_REFUSED, "tcp_connect_refused")                           \
	X(TCP_UNREACHABLE, "tcp_connect_unreachable")                   \
	X(TCP_CONNECT_TIMEOUT, "tcp_connect_timeout")                   \
	X(TCP_HANDSHAKE_TIMEOUT, "tcp_synack_unanswered")               \
	X(TCP_HOST_RESET, "tcp_host_reset")                             \
	X(TCP_TIMEOUT, "tcp_retransmission_timeout")                    \
	X(TCP_BAD_RST, "tcp_rst_not_exact")                             \
	X(TCP_BAD_ACK, "tcp_ack_unacceptable")                          \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window")                       \
	X(TCP_OOO_FULL, "tcp_out_of_order_full")                        \
	X(UDP_FLOW_LIMIT, "udp_flow_table_full")                        \
	X(UDP_FLOW_RATE, "udp_flow_rate_exceeded")                      \
	X(UDP_NO_FD, "udp_no_file_descriptor")                          \
	X(UDP_DST_REFUSED, "udp_destination_refused")                   \
	X(UDP_SEND_FAILED, "udp_send_failed")                           \
	X(FRAGMENT_FAILED, "ip_fragmentation_failed")                  \
	X(DNS_TOO_BIG, "dns_answer_too_big")                            \
	X(DNS_UPSTREAM_SEND, "dns_upstream_send_failed")                \
	X(DNS_UPSTREAM_TIMEOUT, "dns_upstream_timeout")                 \
	X(PING_FLOW_LIMIT, "ping_flow_table_full")                      \
	X(PING_NO_SOCKET, "ping_no_icmp_socket")                        \
	X(PING_SEND_FAILED, "ping_send_failed")                         \
	X(NO_HANDLER, "flow_protocol_not_yet_supported")                \
	X(SLOWPATH_RING_FULL, "slowpath_ring_full")                     \
	X(HANDOFF_RING_FULL, "handoff_ring_full")                       \
	X(NO_MBUF, "mbuf_pool_empty")                                   \
	X(TX_FULL, "tx_queue_full")                                     \
	X(TX_NO_GUEST, "tx_no_guest_attached")                          \
	X(PORT_GONE, "guest_removed")

enum drop_reason {
	DROP_NONE = 0,
#define BROTH_X_ENUM(e, s) DROP_##e,
	BROTH_DROP_REASONS(BROTH_X_ENUM)
#undef BROTH_X_ENUM
	DROP__COUNT
};

struct counters {
	uint64_t rx;		/* frames received from the guest */
	uint64_t tx;		/* frames sent to the guest */
	uint64_t to_slowpath;	/* frames passed to the slow-path ring */
	uint64_t handoff_out;	/* frames passed to another worker */
	uint64_t handoff_in;	/* frames received from another worker */
	uint64_t answered;	/* frames answered locally (ARP, DHCP, ping) */
	uint64_t dns_forwarded;	/* queries sent upstream */
	uint64_t udp_opened;	/* UDP mappings created */
	uint64_t udp_to_guest;	/* datagrams from host sockets */
	uint64_t icmp_errors_relayed;
	uint64_t tcp_opened;	/* guest SYNs that got a host socket */
	uint64_t tcp_closed;	/* connections that ended, by FIN or RST */
	uint64_t tcp_rto;	/* retransmission timeouts toward the guest */
	uint64_t tcp_fast_rexmit;	/* fast recovery episodes */
	uint64_t tcp_rexmit_segs;	/* segments resent in recovery */
	uint64_t tcp_rst_suppressed;	/* refusals over the RST rate, unsent */
	uint64_t drop[DROP__COUNT];
};

/* Single writer per struct: a relaxed add is enough and keeps readers tear-free */
static inline void counters_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void counters_drop(struct counters *c, enum drop_reason r)
{
	counters_add(&c->drop[r], 1);
}

const char *counters_drop_name(enum drop_reason r);
void counters_sum(struct counters *dst, const struct counters *src);
void counters_print(FILE *f, const char *label, const struct counters *c);

#endif
