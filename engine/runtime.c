/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - guests and port forwards added and removed while running
 *
 * The main thread (the control socket) owns these changes; the workers own
 * their queues, flows and listeners. So the main thread prepares what is
 * shared (the vnet, the port, the forward entry), then asks every worker in
 * turn to take its part through a one-slot mailbox (worker_ctl), waiting a
 * bounded time for each answer. Workers serve a port only once they have
 * set it up themselves, and stop before the port is closed. The slow path
 * skips ports that are not active. A removed guest's mbuf pool stays for the
 * slot's next guest, as frames of it may still wait in a ring.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "log.h"

#define RUNTIME_WAIT_MS		5000

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* Run @op on worker @k and wait for its answer: its rc, or -ETIMEDOUT */
static int runtime_call(struct broth_engine *e, unsigned k, enum worker_op op,
			unsigned arg, struct broth_flow_info *flows,
			unsigned cap, unsigned *n)
{
	struct worker *w = &e->workers[k];

	if (!w->running)
		return -ESRCH;
	w->ctl = (struct worker_ctl){ .op = op, .arg = arg, .flows = flows,
				      .cap = cap };
	__atomic_store_n(&w->ctl_pending, 1, __ATOMIC_RELEASE);
	engine_wake(&w->sleeping, w->wake_fd);
	for (unsigned t = 0; t < RUNTIME_WAIT_MS * 10; t++) {
		if (!__atomic_load_n(&w->ctl_pending, __ATOMIC_ACQUIRE)) {
			if (n)
				*n = w->ctl.n;
			return w->ctl.rc;
		}
		sleep_us(100);
	}
	BLOG(ERR, "worker %u did not answer request %d", k, op);
	return -ETIMEDOUT;
}

/* Run @op on every worker; on failure, @undo on those that succeeded */
static int runtime_call_all(struct broth_engine *e, enum worker_op op,
			    enum worker_op undo, unsigned arg)
{
	for (unsigned k = 0; k < e->n_workers; k++) {
		int rc = runtime_call(e, k, op, arg, NULL, 0, NULL);

		if (rc) {
			while (undo && k--)
				runtime_call(e, k, undo, arg, NULL, 0, NULL);
			return rc;
		}
	}
	return 0;
}

/* The slot of active guest @name, or -1 */
static int runtime_find(const struct broth_engine *e, const char *name)
{
	for (unsigned i = 0; i < e->n_ports; i++)
		if (e->ports[i].active && !strcmp(e->vnets[i].name, name))
			return (int)i;
	return -1;
}

static bool fwd_same(const struct broth_fwd *a, const struct broth_fwd *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       a->host_addr.s_addr == b->host_addr.s_addr;
}

/* Add forward @f to slot @i: a free entry, listeners on every worker */
static int runtime_fwd_open(struct broth_engine *e, unsigned i,
			    const struct broth_fwd *f, char *err, size_t errlen)
{
	unsigned fi;
	int rc;

	for (fi = 0; fi < e->n_fwds; fi++)
		if (e->fwds[fi].active && fwd_same(&e->fwds[fi].f, f)) {
			snprintf(err, errlen, "host port %u is already forwarded",
				 f->host_port);
			return -EEXIST;
		}
	for (fi = 0; fi < ENGINE_MAX_FWDS && (fi < e->n_fwds &&
					      e->fwds[fi].active); fi++)
		;
	if (fi == ENGINE_MAX_FWDS) {
		snprintf(err, errlen, "more than %u port forwards", ENGINE_MAX_FWDS);
		return -E2BIG;
	}
	e->fwds[fi] = (struct engine_fwd){ .pidx = (uint16_t)i, .f = *f };
	if (fi == e->n_fwds)
		e->n_fwds++;
	rc = runtime_call_all(e, WOP_ADD_FWD, WOP_DEL_FWD, fi);
	if (rc) {
		snprintf(err, errlen, "listen on host port %u: %s", f->host_port,
			 strerror(-rc));
		return rc;
	}
	e->fwds[fi].active = true;
	return 0;
}

static void runtime_fwd_close(struct broth_engine *e, unsigned fi)
{
	e->fwds[fi].active = false;
	runtime_call_all(e, WOP_DEL_FWD, WOP_NONE, fi);
}

/**
 * broth_engine_add_guest() - serve one more guest
 * @e:		engine, started
 * @vc:		its configuration (name required, unique)
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno; on failure nothing of the guest is left
 */
int broth_engine_add_guest(struct broth_engine *e,
			   const struct broth_vnet_conf *vc, char *err,
			   size_t errlen)
{
	unsigned i;
	int rc;

	if (!vc->name[0] || runtime_find(e, vc->name) >= 0) {
		snprintf(err, errlen, "guest name '%s' is empty or taken", vc->name);
		return -EEXIST;
	}
	for (i = 0; i < BROTH_MAX_VNETS && (e->ports[i].active ||
					    e->ports[i].netns_fd >= 0 ||
					    e->ports[i].vh); i++)
		;
	if (i == BROTH_MAX_VNETS) {
		snprintf(err, errlen, "already %u guests", BROTH_MAX_VNETS);
		return -ENOSPC;
	}
	e->conf.vnets[i] = *vc;
	e->conf.vnets[i].n_fwd = 0;		/* added below, one by one */
	rc = engine_vnet_setup(e, i, err, errlen);
	if (!rc)
		rc = engine_add_port(e, i, err, errlen);
	if (!rc && (rc = runtime_call_all(e, WOP_ADD_PORT, WOP_DEL_PORT, i)))
		snprintf(err, errlen, "workers: %s", strerror(-rc));
	if (rc) {
		port_destroy(&e->ports[i]);
		return rc;
	}
	__atomic_store_n(&e->ports[i].active, true, __ATOMIC_RELEASE);
	engine_wake(&e->sp.sleeping, e->sp.wake_fd);	/* its first RAs */
	for (unsigned k = 0; k < vc->n_fwd; k++)
		if ((rc = broth_engine_add_fwd(e, vc->name, &vc->fwd[k], err,
					       errlen))) {
			broth_engine_remove_guest(e, vc->name, NULL, 0);
			return rc;
		}
	BLOG(NOTICE, "guest %s added (%s %s)", vc->name,
	     vc->vhost_user[0] ? "vhost-user" : "netns",
	     vc->vhost_user[0] ? vc->vhost_user : vc->netns);
	return 0;
}

/**
 * broth_engine_remove_guest() - stop serving a guest
 * @e:		engine, started
 * @name:	the guest
 * @err:	one-line message on failure (may be NULL)
 * @errlen:	size of @err
 *
 * Its forwards close first, then every worker resets its connections and
 * leaves the port, then the port and the guest's interface are removed.
 *
 * Return: 0, or -ENOENT
 */
int broth_engine_remove_guest(struct broth_engine *e, const char *name,
			      char *err, size_t errlen)
{
	int i = runtime_find(e, name);

	if (i < 0) {
		if (err)
			snprintf(err, errlen, "no guest named '%s'", name);
		return -ENOENT;
	}
	__atomic_store_n(&e->ports[i].active, false, __ATOMIC_RELEASE);
	for (unsigned fi = 0; fi < e->n_fwds; fi++)
		if (e->fwds[fi].active && e->fwds[fi].pidx == i)
			runtime_fwd_close(e, fi);
	runtime_call_all(e, WOP_DEL_PORT, WOP_NONE, (unsigned)i);
	port_destroy(&e->ports[i]);
	e->conf.vnets[i].name[0] = '\0';
	BLOG(NOTICE, "guest %s removed", name);
	return 0;
}

/**
 * broth_engine_add_fwd() - forward a host TCP port into guest @name
 * @e:		engine, started
 * @name:	guest
 * @f:		the forward
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int broth_engine_add_fwd(struct broth_engine *e, const char *name,
			 const struct broth_fwd *f, char *err, size_t errlen)
{
	int i = runtime_find(e, name);

	if (i < 0) {
		snprintf(err, errlen, "no guest named '%s'", name);
		return -ENOENT;
	}
	if (f->proto != IPPROTO_TCP) {
		snprintf(err, errlen, "only TCP port forwards are supported");
		return -EINVAL;
	}
	return runtime_fwd_open(e, (unsigned)i, f, err, errlen);
}

/**
 * broth_engine_remove_fwd() - stop forwarding a host port into guest @name
 * @e:		engine, started
 * @name:	guest
 * @f:		the forward (host address and port identify it)
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Connections already accepted go on; new ones are refused by the host.
 *
 * Return: 0, or -ENOENT
 */
int broth_engine_remove_fwd(struct broth_engine *e, const char *name,
			    const struct broth_fwd *f, char *err, size_t errlen)
{
	int i = runtime_find(e, name);

	if (i < 0) {
		snprintf(err, errlen, "no guest named '%s'", name);
		return -ENOENT;
	}
	for (unsigned fi = 0; fi < e->n_fwds; fi++)
		if (e->fwds[fi].active && e->fwds[fi].pidx == i &&
		    fwd_same(&e->fwds[fi].f, f)) {
			runtime_fwd_close(e, fi);
			return 0;
		}
	snprintf(err, errlen, "guest '%s' has no forward of host port %u", name,
		 f->host_port);
	return -ENOENT;
}

/**
 * broth_engine_guest_info() - a guest slot as it is now
 * @e:		engine
 * @slot:	0..BROTH_MAX_VNETS-1
 * @gi:		filled for an active slot
 *
 * Return: 0, -ENOENT for an empty slot, -EINVAL past the last
 */
int broth_engine_guest_info(struct broth_engine *e, unsigned slot,
			    struct broth_guest_info *gi)
{
	struct rte_eth_stats st;
	struct port *pt;

	if (slot >= BROTH_MAX_VNETS)
		return -EINVAL;
	pt = &e->ports[slot];
	if (!__atomic_load_n(&pt->active, __ATOMIC_ACQUIRE))
		return -ENOENT;
	memset(gi, 0, sizeof(*gi));
	gi->conf = e->conf.vnets[slot];
	gi->conf.n_fwd = 0;
	for (unsigned fi = 0; fi < e->n_fwds; fi++)
		if (e->fwds[fi].active && e->fwds[fi].pidx == slot &&
		    gi->conf.n_fwd < BROTH_MAX_FWDS)
			gi->conf.fwd[gi->conf.n_fwd++] = e->fwds[fi].f;
	gi->tcp_flows = __atomic_load_n(&e->vnets[slot].n_flows, __ATOMIC_RELAXED);
	if (!port_stats(pt, &st)) {
		gi->rx = st.ipackets;
		gi->tx = st.opackets;
	}
	return 0;
}

/**
 * broth_engine_flows() - the flows of guest @name, from every worker
 * @e:		engine, started
 * @name:	guest
 * @out:	flows
 * @max:	size of @out
 * @n:		set to the number written
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
int broth_engine_flows(struct broth_engine *e, const char *name,
		       struct broth_flow_info *out, unsigned max, unsigned *n,
		       char *err, size_t errlen)
{
	int i = runtime_find(e, name);

	*n = 0;
	if (i < 0) {
		snprintf(err, errlen, "no guest named '%s'", name);
		return -ENOENT;
	}
	for (unsigned k = 0; k < e->n_workers && *n < max; k++) {
		unsigned got = 0;
		int rc = runtime_call(e, k, WOP_FLOWS, (unsigned)i, out + *n,
				      max - *n, &got);

		if (rc) {
			snprintf(err, errlen, "worker %u: %s", k, strerror(-rc));
			return rc;
		}
		*n += got;
	}
	return 0;
}
