/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the engine's threads and what they share
 *
 * Ownership: each worker owns its queues on every port, its rings' consumer
 * side, its counters and (later) its flows. The slow path owns the vnets'
 * control state (leases). The main thread owns configuration and lifecycle;
 * while threads run it only reads counters.
 */
#ifndef BROTH_ENGINE_H
#define BROTH_ENGINE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "broth/broth.h"
#include "counters.h"
#include "flow.h"
#include "impair.h"
#include "inet.h"
#include "ratelim.h"
#include "reasm.h"
#include "slowpath/dns.h"
#include "port.h"
#include "vnet.h"

#define ENGINE_BURST		32
#define ENGINE_RING_SIZE	1024	/* handoff, TX and slow-path rings */
#define ENGINE_MAX_FWDS		64	/* port forwards over all vnets */

struct broth_engine;

/* Requests from the main thread to a running worker (runtime.c) */
enum worker_op {
	WOP_NONE = 0,
	WOP_ADD_PORT,		/* start serving port arg */
	WOP_DEL_PORT,		/* close its flows, stop serving port arg */
	WOP_ADD_FWD,		/* open a listener for forward arg */
	WOP_DEL_FWD,		/* close the listener of forward arg */
	WOP_FLOWS,		/* copy the flows of port arg into flows[] */
};

struct worker_ctl {
	enum worker_op op;
	unsigned arg;
	struct broth_flow_info *flows;
	unsigned cap, n;
	int rc;
};

struct worker {
	unsigned id;
	struct broth_engine *e;
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;			/* eventfd: ring arrivals, shutdown */
	int sleeping;			/* set while in epoll_wait */
	struct rte_ring *handoff;	/* frames whose flows this worker owns */
	struct rte_ring *tx_ring;	/* frames to send for the slow path */
	struct rte_eth_dev_tx_buffer *txb[BROTH_MAX_VNETS];	/* per port */
	int txfd[BROTH_MAX_VNETS];	/* queue fd, for frames the driver refuses */
	struct impair *im_rx[BROTH_MAX_VNETS];	/* --impair, guest -> broth */
	struct impair *im_tx[BROTH_MAX_VNETS];	/* --impair, broth -> guest */
	int listen_fd[ENGINE_MAX_FWDS];	/* SO_REUSEPORT listener per forward */
	struct flow_table tcp;		/* this worker's TCP connections */
	struct flow_table udp;		/* this worker's UDP mappings */
	struct flow_table ping;		/* this worker's ICMP echo flows */
	uint8_t *udp_scratch;		/* recvmmsg overflow for long datagrams */
	struct reasm reasm;		/* the guest's IPv4 fragments */
	uint32_t *tcp_dirty;		/* connections to flush this burst */
	uint32_t n_tcp_dirty;
	bool port_on[BROTH_MAX_VNETS];	/* ports this worker serves */
	struct ratelim rst_lim;		/* RSTs for segments without a flow */
	struct ratelim flow_lim[BROTH_MAX_VNETS];	/* new flows, per guest */
	int ctl_pending;		/* main thread's request waits in ctl */
	struct worker_ctl ctl;
	struct counters ctr;
} __rte_cache_aligned;

/* What an epoll event of a worker is about: tag in the high 32 bits */
enum worker_ev {
	WORKER_EV_WAKE = 1,
	WORKER_EV_RXQ,
	WORKER_EV_TCP,
	WORKER_EV_LISTEN,
	WORKER_EV_UDP,
	WORKER_EV_PING,
};

static inline uint64_t worker_ev_tag(enum worker_ev type, uint32_t idx)
{
	return (uint64_t)type << 32 | idx;
}

/*
 * May guest port @pidx open one more flow (socket) now? Its flow-rate,
 * split evenly over the workers: a guest opening connections faster has
 * the excess dropped unanswered (its TCP retries SYNs), so a flood of SYNs
 * or of new UDP destinations cannot keep a worker in socket()/connect().
 */
static inline bool worker_flow_admit(struct worker *w, unsigned pidx)
{
	return ratelim_take(&w->flow_lim[pidx], rte_rdtsc());
}

/* The worker running on this thread, for timer callbacks */
extern __thread struct worker *worker_self;

/* Like worker_send(), fragmenting IP frames above the guest's MTU */
void worker_send_mtu(struct worker *w, unsigned pidx, struct rte_mbuf *m);
/* Send the guest an ICMP error quoting @quote (see icmp_error4()) */
void worker_send_icmp_error(struct worker *w, unsigned pidx,
			    const uint8_t src[INET_ALEN],
			    const struct rte_ether_addr *mac, uint8_t type,
			    uint8_t code, uint32_t info, const uint8_t *quote,
			    size_t qlen);
/* Destination unreachable from the gateway to @guest, quoting its packet */
void worker_send_unreach(struct worker *w, unsigned pidx,
			 const struct rte_ether_addr *mac,
			 const uint8_t guest[INET_ALEN], bool net,
			 const uint8_t *quote, size_t qlen);
/* The same for a guest packet the host had no route for (send errno) */
void worker_send_unreach_err(struct worker *w, unsigned pidx,
			     const struct rte_mbuf *m, const struct pkt *p,
			     int err);
/* Send an ARP request for the guest's address on port @pidx */
void worker_arp_guest(struct worker *w, unsigned pidx);
/* Queue a frame for TX on the worker's queue of port @pidx */
void worker_send(struct worker *w, unsigned pidx, struct rte_mbuf *m);

struct slowpath {
	struct broth_engine *e;
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;
	int sleeping;
	struct rte_ring *ring;		/* MPSC from the workers */
	struct dns_fwd *dns;		/* the DNS forwarder's state */
	struct counters ctr;
} __rte_cache_aligned;

/* epoll tags of the slow path */
#define SLOWPATH_EV_WAKE	1
#define SLOWPATH_EV_DNS		2

/* A port forward of one vnet */
struct engine_fwd {
	uint16_t pidx;
	bool active;			/* listeners open on every worker */
	struct broth_fwd f;
};

struct impair;

struct broth_engine {
	struct broth_conf conf;
	int quit;
	bool eal_up;
	unsigned n_workers;
	unsigned n_ports;			/* slots ever used: ports[0..n) */
	uint8_t port_idx[RTE_MAX_ETHPORTS];	/* ethdev port id -> ports[] */
	struct vnet vnets[BROTH_MAX_VNETS];
	struct impair_conf impair[BROTH_MAX_VNETS];
	struct port ports[BROTH_MAX_VNETS];
	struct worker workers[BROTH_MAX_WORKERS];
	struct slowpath sp;
	unsigned n_fwds;
	struct engine_fwd fwds[ENGINE_MAX_FWDS];
	unsigned n_dns_up;			/* upstream resolvers */
	union inet_sa dns_up[BROTH_MAX_DNS];
	unsigned n_dns_hosts;			/* --dns-host records */
	struct dns_static dns_hosts[BROTH_MAX_DNS_HOSTS];
};

/* Wake a thread sleeping in epoll_wait after enqueuing to one of its rings */
void engine_wake(int *sleeping, int wake_fd);

/*
 * Is ring @r empty, as its consumer sees it just before sleeping (after the
 * fence in worker_sleep(), slowpath_sleep())? rte_ring_count() reads the
 * producers' tail with a plain load while they store it atomically: a data
 * race, and outside what the fence pairing with engine_wake() guarantees.
 */
static inline bool engine_ring_empty(const struct rte_ring *r)
{
	return __atomic_load_n(&r->prod.tail, __ATOMIC_RELAXED) ==
	       __atomic_load_n(&r->cons.tail, __ATOMIC_RELAXED);
}
static inline bool engine_quitting(const struct broth_engine *e)
{
	return __atomic_load_n(&e->quit, __ATOMIC_RELAXED);
}

static inline struct port *engine_port_of(struct broth_engine *e,
					  uint16_t port_id)
{
	return &e->ports[e->port_idx[port_id]];
}

int engine_vnet_setup(struct broth_engine *e, unsigned i, char *err,
		      size_t errlen);
int engine_add_port(struct broth_engine *e, unsigned i, char *err,
		    size_t errlen);

void *worker_main(void *arg);
int worker_init(struct worker *w, struct broth_engine *e, unsigned id);
void worker_fini(struct worker *w);
int worker_add_port(struct worker *w, unsigned port_idx);
void worker_ctl_run(struct worker *w);
int tcp_fwd_listen(struct worker *w, unsigned fi, char *err, size_t errlen);

void *slowpath_main(void *arg);
int slowpath_init(struct slowpath *sp, struct broth_engine *e);
void slowpath_fini(struct slowpath *sp);
/* Slow path side: give a reply to @worker to transmit */
void slowpath_send(struct slowpath *sp, struct rte_mbuf *reply, unsigned worker);
/* Worker side: pass @n frames to the slow path, dropping what does not fit */
void slowpath_enqueue_burst(struct slowpath *sp, struct worker *w,
			    struct rte_mbuf **m, unsigned n);

#endif
