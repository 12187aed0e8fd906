/* SPDX-License-Identifier: MIT */
/*
 * engine.c - lifecycle of the engine: create, start, stop, destroy
 *
 * Creation validates the configuration before anything is started, then
 * brings up the EAL, the threads' rings, and one port per vnet. Any failure
 * undoes everything done so far, so a bad option or a missing namespace
 * leaves nothing behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_timer.h>

#include "eal.h"
#include "engine.h"
#include "log.h"
#include "mbuf_chain.h"
#include "mbuf_pool.h"
#include "slowpath/dns_fwd.h"
#include "tcp.h"

#define POOL_CACHE	256
#define POOL_RX_DESC	256	/* net_tap pins this many mbufs per queue */

/**
 * engine_wake() - wake a thread that may be asleep in epoll_wait
 * @sleeping:	the thread's sleeping flag
 * @wake_fd:	its eventfd
 *
 * Called after enqueuing; the full fence pairs with the one in the
 * sleeper (worker_sleep(), slowpath_sleep()), so either the sleeper sees the new entry or we see it
 * sleeping. A busy thread is never sent a syscall.
 */
void engine_wake(int *sleeping, int wake_fd)
{
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(sleeping, __ATOMIC_RELAXED) &&
	    write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		BLOG(DEBUG, "wake: %s", strerror(errno));
}

static unsigned engine_pool_size(unsigned n_queues)
{
	unsigned n = n_queues * POOL_RX_DESC + 4 * ENGINE_RING_SIZE +
		     (n_queues + 2) * POOL_CACHE * 2 + 1024;

	return rte_align32pow2(n) - 1;	/* mempools like 2^k - 1 */
}

/**
 * engine_add_port() - the port of slot @i: its mbuf pool (kept for the
 *		       slot's next guest once created) and its ethdev
 * @e:		engine
 * @i:		slot, its vnet set up
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int engine_add_port(struct broth_engine *e, unsigned i, char *err,
		    size_t errlen)
{
	struct port *pt = &e->ports[i];
	char name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	pt->vn = &e->vnets[i];
	snprintf(name, sizeof(name), "pool%u", i);
	if (!pt->pool)	/* mbufs of a removed guest may linger in rings */
		pt->pool = mbuf_pool_create(name, engine_pool_size(e->n_workers),
					    POOL_CACHE, RTE_MBUF_DEFAULT_DATAROOM);
	if (!pt->pool) {
		snprintf(err, errlen, "mbuf pool for %s: %s", pt->vn->name,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = port_create(pt, i, &e->conf.vnets[i], (uint16_t)e->n_workers,
			 err, errlen);
	if (rc)
		return rc;
	e->port_idx[pt->port_id] = (uint8_t)i;
	if (e->n_ports < i + 1)
		e->n_ports = i + 1;
	return 0;
}

/* Upstream resolvers: --dns, else the nameserver lines of resolv.conf */
static int engine_dns_conf(struct broth_engine *e, char *err, size_t errlen)
{
	const struct broth_conf *c = &e->conf;

	for (unsigned i = 0; i < c->n_dns; i++)
		inet_sa_set(&e->dns_up[e->n_dns_up++], c->dns[i].s6_addr,
			    RTE_BE16(DNS_PORT));
	if (!c->n_dns)
		e->n_dns_up = vnet_resolv_nameservers(c->resolv_conf ?
					c->resolv_conf : BROTH_RESOLV_CONF,
					e->dns_up, BROTH_MAX_DNS);
	for (unsigned i = 0; i < c->n_dns_hosts; i++)
		if (dns_static_parse(c->dns_hosts[i], &e->dns_hosts[i], err,
				     errlen))
			return -EINVAL;
	e->n_dns_hosts = c->n_dns_hosts;
	return 0;
}

/**
 * engine_vnet_setup() - the vnet of slot @i from e->conf.vnets[i]
 * @e:		engine
 * @i:		slot
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int engine_vnet_setup(struct broth_engine *e, unsigned i, char *err,
		      size_t errlen)
{
	const struct broth_conf *c = &e->conf;
	int rc = vnet_init(&e->vnets[i], (uint16_t)i, &c->vnets[i], err, errlen);

	if (rc)
		return rc;
	e->vnets[i].max_flows = c->vnets[i].max_flows ? c->vnets[i].max_flows :
				c->max_flows ? c->max_flows :
				BROTH_MAX_FLOWS_DEFAULT;
	e->vnets[i].flow_rate = c->vnets[i].flow_rate ? c->vnets[i].flow_rate :
				c->flow_rate ? c->flow_rate :
				BROTH_FLOW_RATE_DEFAULT;
	e->vnets[i].no_host_loopback = c->no_host_loopback ||
				       c->vnets[i].no_host_loopback;
	memset(&e->impair[i], 0, sizeof(e->impair[i]));
	if (c->vnets[i].impair[0] &&
	    impair_parse(c->vnets[i].impair, &e->impair[i], err, errlen))
		return -EINVAL;
	/* the default file may be absent; a file the user named may not */
	rc = vnet_load_resolv(&e->vnets[i], c->resolv_conf ?
			      c->resolv_conf : BROTH_RESOLV_CONF);
	if (rc && c->resolv_conf) {
		snprintf(err, errlen, "resolver configuration %s: %s",
			 c->resolv_conf, strerror(-rc));
		return rc;
	}
	return 0;
}

static int engine_check_conf(struct broth_engine *e, char *err, size_t errlen)
{
	const struct broth_conf *c = &e->conf;
	int rc;

	/* default: one worker per CPU broth may run on (taskset, cgroups) */
	e->n_workers = c->workers ? c->workers : eal_cpus();
	rc = engine_dns_conf(e, err, errlen);
	if (rc)
		return rc;
	if (e->n_workers > BROTH_MAX_WORKERS)
		e->n_workers = BROTH_MAX_WORKERS;
	if ((!c->n_vnets && !c->runtime_guests) || c->n_vnets > BROTH_MAX_VNETS) {
		snprintf(err, errlen, "need 1 to %u guests, got %u",
			 BROTH_MAX_VNETS, c->n_vnets);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_vnets; i++)
		if ((rc = engine_vnet_setup(e, i, err, errlen)))
			return rc;
	return 0;
}

static int engine_setup(struct broth_engine *e, char *err, size_t errlen)
{
	unsigned mem = 0;
	int rc;

	uint32_t flows = e->conf.max_flows ? e->conf.max_flows :
			 BROTH_MAX_FLOWS_DEFAULT;

	/* ~2.5 KB per mbuf; memory of guests to come is reserved, not touched */
	mem = (e->conf.runtime_guests ? BROTH_MAX_VNETS : e->conf.n_vnets) *
	      (engine_pool_size(e->n_workers) / 400 + 8);
	/* flow slots, rte_hash buckets and dirty lists: ~1 KB per flow */
	mem += 2 * (flows / 1024) + 16;	/* TCP and UDP tables */
	rc = eal_start(mem, e->conf.log_level, err, errlen);
	if (rc)
		return rc;
	e->eal_up = true;
	rc = mbuf_link_register();
	if (rc) {
		snprintf(err, errlen, "mbuf field: %s", strerror(-rc));
		return rc;
	}
	rc = rte_timer_subsystem_init();
	if (rc && rc != -EALREADY) {
		snprintf(err, errlen, "timer subsystem: %s", strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < e->n_workers; i++)
		if ((rc = worker_init(&e->workers[i], e, i))) {
			snprintf(err, errlen, "worker %u: %s", i, strerror(-rc));
			return rc;
		}
	if ((rc = slowpath_init(&e->sp, e))) {
		snprintf(err, errlen, "slow path: %s", strerror(-rc));
		return rc;
	}
	if ((rc = dns_fwd_init(&e->sp, err, errlen)))
		return rc;
	for (unsigned i = 0; i < e->conf.n_vnets; i++)
		if ((rc = engine_add_port(e, i, err, errlen)))
			return rc;
	for (unsigned w = 0; w < e->n_workers; w++)
		for (unsigned i = 0; i < e->n_ports; i++)
			if ((rc = worker_add_port(&e->workers[w], i))) {
				snprintf(err, errlen, "worker %u: %s", w,
					 strerror(-rc));
				return rc;
			}
	for (unsigned i = 0; i < e->n_ports; i++)
		e->ports[i].active = true;
	return tcp_fwd_listen_all(e, err, errlen);
}

/**
 * broth_engine_create() - validate @conf and bring up EAL, rings and ports
 * @conf:	configuration, copied
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: engine, or NULL with @err set and nothing left behind
 */
struct broth_engine *broth_engine_create(const struct broth_conf *conf,
					 char *err, size_t errlen)
{
	struct broth_engine *e = aligned_alloc(RTE_CACHE_LINE_SIZE,
					       RTE_ALIGN_CEIL(sizeof(*e),
							      RTE_CACHE_LINE_SIZE));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->conf = *conf;
	if (!e->conf.udp_timeout_s)
		e->conf.udp_timeout_s = BROTH_UDP_TIMEOUT_DEFAULT;
	e->sp.epfd = e->sp.wake_fd = -1;
	for (unsigned i = 0; i < BROTH_MAX_WORKERS; i++)
		e->workers[i].epfd = e->workers[i].wake_fd = -1;
	for (unsigned i = 0; i < BROTH_MAX_VNETS; i++)
		e->ports[i].netns_fd = -1;
	if (engine_check_conf(e, err, errlen) || engine_setup(e, err, errlen)) {
		broth_engine_destroy(e);
		return NULL;
	}
	return e;
}

/**
 * broth_engine_start() - start the slow path and the workers
 * @e:		engine
 *
 * Return: 0, or -errno (threads already started are stopped again)
 */
int broth_engine_start(struct broth_engine *e)
{
	int rc = pthread_create(&e->sp.thread, NULL, slowpath_main, &e->sp);

	if (rc)
		return -rc;
	e->sp.running = true;
	for (unsigned i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];

		rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			broth_engine_stop(e);
			return -rc;
		}
		w->running = true;
	}
	return 0;
}

static void engine_kick(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		BLOG(DEBUG, "kick: %s", strerror(errno));
}

/**
 * broth_engine_stop() - stop and join all threads; idempotent
 * @e:		engine
 */
void broth_engine_stop(struct broth_engine *e)
{
	__atomic_store_n(&e->quit, 1, __ATOMIC_RELAXED);
	engine_kick(e->sp.wake_fd);
	for (unsigned i = 0; i < e->n_workers; i++)
		engine_kick(e->workers[i].wake_fd);
	for (unsigned i = 0; i < e->n_workers; i++)
		if (e->workers[i].running) {
			pthread_join(e->workers[i].thread, NULL);
			e->workers[i].running = false;
		}
	if (e->sp.running) {
		pthread_join(e->sp.thread, NULL);
		e->sp.running = false;
	}
}

/**
 * broth_engine_destroy() - stop, remove guest interfaces, free everything
 * @e:		engine, possibly half-created; NULL is fine
 */
void broth_engine_destroy(struct broth_engine *e)
{
	if (!e)
		return;
	broth_engine_stop(e);
	for (unsigned i = 0; i < e->n_workers; i++)
		worker_fini(&e->workers[i]);
	slowpath_fini(&e->sp);
	for (unsigned i = 0; i < BROTH_MAX_VNETS; i++) {
		port_destroy(&e->ports[i]);
		rte_mempool_free(e->ports[i].pool);
	}
	if (e->eal_up) {
		rte_timer_subsystem_finalize();
		eal_stop();
	}
	free(e);
}

static void engine_dump_impair(struct broth_engine *e, unsigned pidx, FILE *f)
{
	struct impair_stats sum[2] = { 0 }, st;
	static const char *const dir[2] = { "guest->broth", "broth->guest" };

	if (!e->impair[pidx].enabled)
		return;
	for (unsigned k = 0; k < e->n_workers; k++)
		for (int d = 0; d < 2; d++) {
			struct impair *im = d ? e->workers[k].im_tx[pidx] :
						e->workers[k].im_rx[pidx];

			if (!im)
				continue;
			impair_stats_get(im, &st);
			sum[d].in += st.in;
			sum[d].dropped += st.dropped;
			sum[d].duplicated += st.duplicated;
			sum[d].reordered += st.reordered;
			sum[d].delayed += st.delayed;
			sum[d].overflow += st.overflow;
		}
	for (int d = 0; d < 2; d++)
		fprintf(f, "stats: impair %s %s: in %" PRIu64 " dropped %" PRIu64
			" duplicated %" PRIu64 " reordered %" PRIu64 " delayed %"
			PRIu64 " overflow %" PRIu64 "\n", e->ports[pidx].ifname,
			dir[d], sum[d].in, sum[d].dropped, sum[d].duplicated,
			sum[d].reordered, sum[d].delayed, sum[d].overflow);
}

/**
 * broth_engine_dump_stats() - counters of every thread and port
 * @e:		engine
 * @f:		output stream
 */
void broth_engine_dump_stats(struct broth_engine *e, FILE *f)
{
	struct counters total = { 0 };
	struct rte_eth_stats st;
	char label[32];

	for (unsigned i = 0; i < e->n_workers; i++) {
		snprintf(label, sizeof(label), "stats: worker %u", i);
		counters_print(f, label, &e->workers[i].ctr);
		counters_sum(&total, &e->workers[i].ctr);
	}
	counters_print(f, "stats: workers total", &total);
	counters_print(f, "stats: slowpath", &e->sp.ctr);
	for (unsigned i = 0; i < e->n_ports; i++) {
		struct port *pt = &e->ports[i];

		if (!pt->started)	/* a slot whose guest was removed */
			continue;
		engine_dump_impair(e, i, f);
		if (port_stats(pt, &st))
			continue;
		fprintf(f, "stats: port %s (%s, guest %s): rx %" PRIu64 " tx %"
			PRIu64 " rx_missed %" PRIu64 " rx_errors %" PRIu64
			" tx_errors %" PRIu64 " mbufs_free %u\n", pt->ifname,
			pt->devname, pt->vn->name, st.ipackets, st.opackets, st.imissed,
			st.ierrors, st.oerrors, rte_mempool_avail_count(pt->pool));
	}
	fflush(f);
}

/* broth_engine_workers() - number of worker threads, after defaults and caps */
unsigned broth_engine_workers(const struct broth_engine *e)
{
	return e->n_workers;
}
