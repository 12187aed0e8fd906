/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - helpers shared by the libFuzzer harnesses
 *
 * Every harness copies the input to an exact-size heap buffer, so that
 * AddressSanitizer reports a read one byte past the frame, and keeps no
 * state from one input to the next: a vnet is rebuilt from the same
 * configuration every time.
 */
#ifndef BROTH_FUZZ_H
#define BROTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broth/broth.h"
#include "vnet.h"

#define FUZZ_NOW_S	1000	/* fixed "now" for handlers that take time */

/* Abort with a message: libFuzzer saves the input as a crash */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/* An exact-size heap copy of the input; never NULL */
static inline uint8_t *fuzz_dup(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);

	FUZZ_CHECK(b);
	if (size)
		memcpy(b, data, size);
	return b;
}

/* The default guest network: 10.0.0.0/24, gateway .1, guest .2 */
static inline void fuzz_vnet(struct vnet *vn)
{
	struct broth_vnet_conf vc;
	char err[128];

	broth_vnet_conf_defaults(&vc);
	FUZZ_CHECK(vnet_init(vn, 0, &vc, err, sizeof(err)) == 0);
	strcpy(vn->domain, "example.com");
	strcpy(vn->search[0], "example.com");
	strcpy(vn->search[1], "corp.example.org");
	vn->n_search = 2;
}

static inline uint32_t fuzz_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline void fuzz_put_csum(uint8_t *at, uint32_t sum, int udp)
{
	uint16_t ck;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	if (udp && !ck)
		ck = 0xffff;
	at[0] = (uint8_t)(ck >> 8);
	at[1] = (uint8_t)ck;
}

/*
 * fuzz_fix_csums() - make the IPv4 and L4 checksums of @f right
 *
 * A mutated frame almost never has a valid IPv4 header checksum, so the
 * harnesses for the handlers behind parse_frame() fix it (and the UDP, TCP,
 * ICMP or ICMPv6 checksum) before parsing; fuzz_parse covers the checks themselves.
 * Lengths are taken as parse_frame() would take them; anything it would
 * reject is left alone.
 */
/* The L4 checksum of a TCP, UDP or ICMP(v6) message with pseudo-sum @ph */
static inline void fuzz_fix_l4(uint8_t *l4, size_t l4len, uint8_t proto,
			       uint32_t ph)
{
	size_t ulen;

	switch (proto) {
	case 1:		/* ICMP: no pseudo-header */
		ph = 0;
		/* fall through */
	case 58:	/* ICMPv6 */
		if (l4len < 8)
			return;
		l4[2] = l4[3] = 0;
		fuzz_put_csum(l4 + 2, fuzz_sum(l4, l4len, ph ? ph + (uint32_t)l4len :
						0), 0);
		break;
	case 6:		/* TCP */
		if (l4len < 20)
			return;
		l4[16] = l4[17] = 0;
		fuzz_put_csum(l4 + 16, fuzz_sum(l4, l4len, ph + (uint32_t)l4len), 0);
		break;
	case 17:	/* UDP */
		if (l4len < 8)
			return;
		ulen = (size_t)(l4[4] << 8 | l4[5]);
		if (ulen < 8 || ulen > l4len)
			return;
		l4[6] = l4[7] = 0;
		fuzz_put_csum(l4 + 6, fuzz_sum(l4, ulen, ph + (uint32_t)ulen), 1);
		break;
	}
}

/* IPv6 without extension headers: the L4 checksum over the pseudo-header */
static inline void fuzz_fix_csums6(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;
	size_t plen;

	if (len < 14 + 40 || ip[0] >> 4 != 6)
		return;
	plen = (size_t)(ip[4] << 8 | ip[5]);
	if (plen > len - 14 - 40)
		return;
	fuzz_fix_l4(ip + 40, plen, ip[6], fuzz_sum(ip + 8, 32, 0) + ip[6]);
}

static inline void fuzz_fix_csums(uint8_t *f, size_t len)
{
	size_t ihl, tot;
	uint8_t *ip = f + 14;

	if (len >= 14 && f[12] == 0x86 && f[13] == 0xdd) {
		fuzz_fix_csums6(f, len);
		return;
	}
	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[0] >> 4 != 4)
		return;
	ihl = (ip[0] & 0xfu) * 4u;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	if (ihl < 20 || ihl > len - 14 || tot < ihl || tot > len - 14)
		return;
	ip[10] = ip[11] = 0;
	fuzz_put_csum(ip + 10, fuzz_sum(ip, ihl, 0), 0);
	fuzz_fix_l4(ip + ihl, tot - ihl, ip[9], fuzz_sum(ip + 12, 8, 0) + ip[9]);
}

#endif
