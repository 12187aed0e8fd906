/* SPDX-License-Identifier: MIT */
/*
 * flow_hash.h - which worker owns a flow
 *
 * The owner is a pure function of the flow key, symmetric in its two ends,
 * so a frame from the guest and a reply from the host side land on the same
 * worker without the workers ever talking about it (DESIGN.md §2).
 */
#ifndef BROTH_FLOW_HASH_H
#define BROTH_FLOW_HASH_H

#include <stdint.h>
#include <string.h>

#include <rte_jhash.h>

#include "parse.h"

#define FLOW_HASH_SEED	0x62726f74u	/* "brot" */

static inline uint32_t flow_hash4(uint16_t vnet, uint8_t proto, rte_be32_t a,
				  rte_be32_t b, rte_be16_t pa, rte_be16_t pb)
{
	/* xor and sum make the key order-free; jhash mixes the result */
	return rte_jhash_3words(a ^ b, a + b,
				((uint32_t)vnet << 16 | proto) ^
				((uint32_t)pa ^ pb) << 8 ^ (uint32_t)(pa + pb),
				FLOW_HASH_SEED);
}

/* XOR of an address's four words: order-free use below keeps symmetry */
static inline uint32_t flow_hash_fold(const uint8_t a[16])
{
	uint32_t w[4];

	memcpy(w, a, sizeof(w));
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/* flow_hash() - symmetric hash of a flow with 16-byte addresses */
static inline uint32_t flow_hash(uint16_t vnet, uint8_t proto, const uint8_t a[16],
				 const uint8_t b[16], rte_be16_t pa, rte_be16_t pb)
{
	return flow_hash4(vnet, proto, flow_hash_fold(a), flow_hash_fold(b), pa, pb);
}

static inline unsigned flow_owner(uint32_t hash, unsigned n_workers)
{
	return (unsigned)(((uint64_t)hash * n_workers) >> 32);
}

#endif
