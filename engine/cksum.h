/* SPDX-License-Identifier: MIT */
/* cksum.h - Internet checksum helpers over DPDK's raw checksum primitives */
#ifndef BROTH_CKSUM_H
#define BROTH_CKSUM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_ip.h>

/* Sum of the IPv4 pseudo-header, not folded */
static inline uint32_t cksum_pseudo4(rte_be32_t src, rte_be32_t dst,
				     uint8_t proto, uint16_t l4_len)
{
	struct {
		rte_be32_t src, dst;
		uint8_t zero, proto;
		rte_be16_t len;
	} __rte_packed ph = { src, dst, 0, proto, rte_cpu_to_be_16(l4_len) };

	return __rte_raw_cksum(&ph, sizeof(ph), 0);
}

/* Sum of the IPv6 pseudo-header (RFC 8200 §8.1), not folded */
static inline uint32_t cksum_pseudo6(const uint8_t *src, const uint8_t *dst,
				     uint8_t proto, uint32_t l4_len)
{
	struct {
		uint8_t src[16], dst[16];
		rte_be32_t len;
		uint8_t zero[3], proto;
	} __rte_packed ph = { .len = rte_cpu_to_be_32(l4_len), .proto = proto };

	memcpy(ph.src, src, 16);
	memcpy(ph.dst, dst, 16);
	return __rte_raw_cksum(&ph, sizeof(ph), 0);
}

/* Checksum field value of an ICMPv6 message whose checksum field is zero */
static inline uint16_t cksum_icmp6(const uint8_t *src, const uint8_t *dst,
				   const void *msg, uint32_t len)
{
	return (uint16_t)~__rte_raw_cksum_reduce(__rte_raw_cksum(msg, len,
		cksum_pseudo6(src, dst, IPPROTO_ICMPV6, len)));
}

/* True if an IPv6 L4 segment with its pseudo-header sums to all ones */
static inline bool cksum_l4_ok6(const uint8_t *src, const uint8_t *dst,
				uint8_t proto, const void *l4, uint32_t l4_len)
{
	uint32_t sum = __rte_raw_cksum(l4, l4_len,
				       cksum_pseudo6(src, dst, proto, l4_len));

	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* True if an L4 segment with its pseudo-header sums to all ones */
static inline bool cksum_l4_ok4(rte_be32_t src, rte_be32_t dst, uint8_t proto,
				const void *l4, uint16_t l4_len)
{
	uint32_t sum = __rte_raw_cksum(l4, l4_len,
				       cksum_pseudo4(src, dst, proto, l4_len));

	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* True if a buffer (IPv4 header, ICMP message) sums to all ones */
static inline bool cksum_ok(const void *buf, uint32_t len)
{
	return rte_raw_cksum(buf, len) == 0xffff;
}

/* Checksum field value for a buffer whose checksum field is zero */
static inline uint16_t cksum_fold(const void *buf, uint32_t len)
{
	uint16_t c = ~rte_raw_cksum(buf, len);

	return c;
}

/* RFC 1624 eqn. 3: checksum after one 16-bit word changes from @old to @new */
static inline uint16_t cksum_update16(uint16_t ck, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~ck + (uint16_t)~old + (uint32_t)new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
