/* SPDX-License-Identifier: MIT */
/* reasm.h - IPv4 and IPv6 reassembly of the guest's fragmented datagrams */
#ifndef BROTH_REASM_H
#define BROTH_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "parse.h"

#define REASM_SLOTS		64	/* datagrams in progress per worker */
#define REASM_MAX_FRAGS		128	/* 64 KB at MTU 576 */

struct reasm_dgram {
	bool used;
	bool v6;
	uint8_t proto;			/* IPv6: the fragment header's next header */
	uint16_t nh_off;		/* IPv6: the byte naming the fragment header */
	uint32_t id;			/* IPv4 16 bits, IPv6 32 bits */
	uint8_t src[16], dst[16];
	uint64_t first_tsc;
	uint32_t total;			/* payload length, known once the last
					 * fragment arrived; 0 before */
	uint32_t have;			/* payload bytes held */
	uint16_t n;
	struct rte_mbuf *frag[REASM_MAX_FRAGS];
	uint16_t off[REASM_MAX_FRAGS];	/* payload offset of each fragment */
};

struct reasm {
	struct reasm_dgram *slot;	/* REASM_SLOTS entries */
	uint64_t last_scan_tsc;
	struct counters *ctr;
};

int reasm_init(struct reasm *r, struct counters *ctr);
void reasm_fini(struct reasm *r);
struct rte_mbuf *reasm_input(struct reasm *r, struct rte_mbuf *m,
			     const struct pkt *p);
void reasm_expire(struct reasm *r, uint64_t now);

#endif
