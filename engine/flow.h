/* SPDX-License-Identifier: MIT */
/*
 * flow.h - per-worker flow table
 *
 * A flow is one guest conversation (TCP connection, UDP mapping, ICMP echo
 * identifier) and the host socket carrying it. Flows live on exactly one
 * worker, chosen by flow_owner() of the symmetric hash, and are never shared.
 *
 * Lifecycle (the only transitions; only flow.c changes state):
 *   FREE   -> NEW      flow_alloc(): slot taken, key inserted, caps counted
 *   NEW    -> ACTIVE   the protocol handler says the flow is usable
 *   NEW/ACTIVE -> CLOSING   one side ended; the handler is draining
 *   any    -> DEAD     flow_kill(): key removed, socket closed; the slot is
 *                      returned to FREE by flow_reap() at the end of the
 *                      burst, so pointers held during a burst stay valid.
 */
#ifndef BROTH_FLOW_H
#define BROTH_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_hash.h>

enum flow_state {
	FLOW_FREE = 0,
	FLOW_NEW,
	FLOW_ACTIVE,
	FLOW_CLOSING,
	FLOW_DEAD,
};

/* Addresses are 16 bytes: IPv4 uses the v4-mapped form ::ffff:a.b.c.d */
struct flow_key {
	uint16_t vnet;
	uint8_t proto;
	uint8_t pad;
	rte_be16_t gport;	/* guest side */
	rte_be16_t rport;	/* remote side */
	uint8_t gaddr[16];
	uint8_t raddr[16];
};

struct flow {
	struct flow_key key;
	uint32_t idx;
	uint8_t state;
	uint16_t pidx;		/* port (vnet) the guest is on */
	int fd;			/* host socket, -1 if none */
};

struct flow_table {
	struct rte_hash *hash;
	void *slots;		/* protocol structs, each starting with struct flow */
	uint32_t slot_size;
	uint32_t cap;
	uint32_t n_used;
	uint32_t *free;		/* stack of free slot indices */
	uint32_t n_free;
	uint32_t *dead;		/* slots to reap at the end of the burst */
	uint32_t n_dead;
};

void flow_key(struct flow_key *k, uint16_t vnet, uint8_t proto,
	      const uint8_t *gaddr, rte_be16_t gport, const uint8_t *raddr,
	      rte_be16_t rport);

int flow_table_init(struct flow_table *t, const char *name, uint32_t cap,
		    uint32_t slot_size);
void flow_table_fini(struct flow_table *t);
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *k);
struct flow *flow_alloc(struct flow_table *t, const struct flow_key *k);
struct flow *flow_at(struct flow_table *t, uint32_t idx);
void flow_set_state(struct flow *f, enum flow_state s);
void flow_kill(struct flow_table *t, struct flow *f);
void flow_reap(struct flow_table *t);
void flow_for_each_live(struct flow_table *t, void (*fn)(struct flow *, void *),
			void *arg);
void flow_for_each_of_port(struct flow_table *t, uint16_t pidx,
			   void (*fn)(struct flow *, void *), void *arg);

#endif
