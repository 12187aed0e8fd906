/* SPDX-License-Identifier: MIT */
/*
 * inet.h - one address type for both IP families
 *
 * Flows, pending DNS queries and sockets carry 16-byte addresses: IPv6 as is,
 * IPv4 in the v4-mapped form ::ffff:a.b.c.d. Code that does not care about
 * the family (flow keys, hashing, socket addresses) handles both alike; code
 * that does asks inet_is_v4().
 */
#ifndef BROTH_INET_H
#define BROTH_INET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>

#define INET_ALEN	16

static const uint8_t inet_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static inline void inet_from_v4(uint8_t a[INET_ALEN], rte_be32_t v4)
{
	memcpy(a, inet_v4mapped_prefix, 12);
	memcpy(a + 12, &v4, 4);
}

static inline bool inet_is_v4(const uint8_t a[INET_ALEN])
{
	return !memcmp(a, inet_v4mapped_prefix, 12);
}

static inline rte_be32_t inet_to_v4(const uint8_t a[INET_ALEN])
{
	rte_be32_t v4;

	memcpy(&v4, a + 12, 4);
	return v4;
}

static inline bool inet_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, INET_ALEN);
}

/* fe80::/10 */
static inline bool inet6_is_linklocal(const uint8_t a[INET_ALEN])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static inline bool inet6_is_mcast(const uint8_t a[INET_ALEN])
{
	return a[0] == 0xff;
}

/* 127.0.0.0/8 or ::1: the host's loopback, which the guest sees as the gateway */
static inline bool inet_is_loopback(const uint8_t a[INET_ALEN])
{
	static const uint8_t lo6[INET_ALEN] = { [15] = 1 };

	if (inet_is_v4(a))
		return a[12] == 127;
	return inet_eq(a, lo6);
}

union inet_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Socket address of @a:@port (network order) in @a's own family */
static inline socklen_t inet_sa_set(union inet_sa *sa, const uint8_t a[INET_ALEN],
				    rte_be16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_is_v4(a)) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_port = port;
		sa->in.sin_addr.s_addr = inet_to_v4(a);
		return sizeof(sa->in);
	}
	sa->in6.sin6_family = AF_INET6;
	sa->in6.sin6_port = port;
	memcpy(&sa->in6.sin6_addr, a, INET_ALEN);
	return sizeof(sa->in6);
}

/* Address and port of a socket address (AF_INET or AF_INET6) */
static inline void inet_sa_get(const union inet_sa *sa, uint8_t a[INET_ALEN],
			       rte_be16_t *port)
{
	if (sa->sa.sa_family == AF_INET6) {
		memcpy(a, &sa->in6.sin6_addr, INET_ALEN);
		if (port)
			*port = sa->in6.sin6_port;
		return;
	}
	inet_from_v4(a, sa->in.sin_addr.s_addr);
	if (port)
		*port = sa->in.sin_port;
}

#endif
