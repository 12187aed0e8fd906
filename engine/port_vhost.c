/* SPDX-License-Identifier: MIT */
/*
 * port_vhost.c - a VM guest on a DPDK net_vhost device (vhost-user server)
 *
 * broth listens on a unix socket; QEMU (or any vhost-user front end)
 * connects, shares the guest's memory and virtqueues, and the net_vhost PMD
 * turns them into an ethdev with one RX/TX queue pair per worker.
 *
 * Theory of operation
 *
 * - The VM comes and goes while broth runs. The PMD reports a connected,
 *   ready guest and its departure as link status changes (LSC), and each
 *   virtqueue the guest enables or disables as a QUEUE_STATE event. Both
 *   arrive on the vhost library's thread and are handled here, under one
 *   mutex: vhost_resync() recomputes, per worker queue, whether its RX vring
 *   is usable (pt->rx_on) and where its TX frames go (pt->tx_map).
 * - A guest may enable fewer queue pairs than broth offers (Linux uses one
 *   per vCPU), and --queues may offer fewer than there are workers. A worker
 *   whose TX queue is unusable hands its frames to the TX ring of a worker
 *   whose queue is (worker.c), so every flow keeps flowing; with no guest at
 *   all the frames are counted as tx_no_guest drops.
 * - Idle workers sleep. Each worker queue has a "proxy" epoll fd in the
 *   worker's epoll set. It holds, edge-triggered, a dup of the guest's kick
 *   eventfd of that queue's RX vring and a poke eventfd written here on every
 *   state change. Before sleeping, the worker asks the guest for kicks
 *   (rte_vhost_enable_guest_notification()) and checks the ring once more;
 *   after waking it turns kicks off again, so a busy queue costs the guest no
 *   notifications. Being edge-triggered, the eventfds are never read: the
 *   worker empties the proxy's ready list with epoll_wait(), so neither fd
 *   number is touched after the vhost thread may have replaced it.
 * - Calls into the vhost library from a worker (kicks on/off, ring count)
 *   happen only while the queue is "active", bracketed by a busy flag: the
 *   LSC down handler clears active and waits for busy to drop before the
 *   library frees the device (the same handshake the PMD uses for its own
 *   bursts; see vhost_resync() for why a mere ring disable does not wait).
 * - A guest that leaves takes its MAC with it: the vnet forgets it, so the
 *   next guest's MAC is learned afresh from its DHCP or ARP (unless mac= gave
 *   it: then it is the only source MAC accepted, as for a tap). The DHCP
 *   lease needs no reset: broth offers its single guest address to any
 *   client.
 *
 * Guest memory must be shared with broth (QEMU: memory-backend-memfd with
 * share=on); see "the guest's memory" below for how broth tells when it is
 * not.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_bus_vdev.h>
#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_vhost.h>

#include "log.h"
#include "port.h"

#define VHOST_RX_DESC	1024	/* ignored by net_vhost; ethdev wants a value */
#define VHOST_TX_DESC	1024

/*
 * Offered to the guest besides what the library always offers: no GSO or
 * TSO either way (broth neither accepts nor produces segmentation offload
 * frames) and no ECN/UFO variants of them. VIRTIO_NET_F_CSUM stays: the
 * guest may send partial checksums, which the PMD completes in software
 * before broth sees the frame (rx_sw_csum), and GUEST_CSUM is harmless as
 * broth always sends full checksums.
 */
#define VHOST_FEATURES_OFF						\
	((1ULL << VIRTIO_NET_F_GSO) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |	\
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) | \
	 (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) | \
	 (1ULL << VIRTIO_NET_F_GUEST_UFO))

/* what woke a worker, in its proxy epoll set */
#define VHOST_EV_POKE	0
#define VHOST_EV_KICK	1
#define VHOST_ZERO_KICKS	1	/* kicks on a blank ring: not shared */
#define VHOST_MEM_WAIT_US	(3 * 1000 * 1000)	/* features -> mem table */

struct vhost_q {
	int epfd;		/* proxy epoll: kick (ET) + poke (ET) */
	int poke_fd;		/* eventfd: wakes the worker on state changes */
	int kick_fd;		/* our dup of the RX vring's kick eventfd; -1 */
	int kick_orig;		/* the library's fd number it was dup'ed from */
	int vid;		/* device, valid while active */
	int active;		/* worker may call the library on this queue */
	int busy;		/* worker is inside such a call */
	bool armed;		/* guest notifications on (worker only) */
	unsigned gen;		/* connection number, valid while active */
	unsigned mem_gen;	/* worker only: connection whose memory is checked */
	unsigned zero_kicks;	/* worker only: kicks with avail index 0 */
	bool rx_en, tx_en;	/* vring state from QUEUE_STATE events */
} __rte_cache_aligned;

struct port_vhost {
	char path[PATH_MAX];
	uint16_t port_id;
	uint16_t n_queues;	/* queue pairs offered to the guest */
	uint16_t n_workers;	/* worker queues served (>= n_queues) */
	pthread_mutex_t lock;	/* event handlers, destroy */
	bool cb_lsc, cb_qs;	/* callbacks registered */
	bool link_up;
	int vid;
	unsigned connects;
	struct port *pt;
	char log_tag[PATH_MAX + 2];	/* "(PATH)", as the library logs it */
	bool awaiting_mem;	/* features set, no memory table yet */
	bool mem_seen;		/* this connection sent a memory table */
	int mem_warned;		/* "not shared" said for this connection */
	struct vhost_q q[BROTH_MAX_WORKERS];
};

/* --- the guest's memory: one clear error when it is not shared ---------- */

/*
 * QEMU shares guest RAM by passing its file descriptors. Two ways to get it
 * wrong, neither of which the vhost library reports:
 *  - RAM without a file (no memory backend): QEMU sends no memory table at
 *    all, says so on its own stderr and falls back to a NIC without a
 *    backend. broth sees a front end that sets the features and then sends
 *    no VHOST_USER_SET_MEM_TABLE (it always follows at once otherwise): an
 *    EAL alarm VHOST_MEM_WAIT_US after the features tells. The library
 *    reports each message only in its own (info-level) log, so broth's log
 *    stream is wrapped while a vhost port exists: the library's config log
 *    type is raised to info, the wrapper follows that message sequence and
 *    prints only what the user's log level asked for.
 *  - A file mapped privately (memory-backend-memfd,share=off): the table
 *    arrives and the device starts, but the guest writes into its own
 *    copy-on-write pages. broth's view of the rings never moves: the guest
 *    kicks a TX ring whose avail index broth still reads as 0
 *    (vhost_check_shared(), on the worker).
 * Either way the first sign is turned into one error naming cause and fix,
 * once per connection.
 */
static pthread_mutex_t vhost_log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct port_vhost *vhost_log_ports[BROTH_MAX_VNETS];	/* watched */
static unsigned vhost_log_users;
static FILE *vhost_log_orig;		/* the stream the wrapper writes to */
static FILE *vhost_log_wrap;		/* kept once made: a thread may hold it */
static int vhost_log_type = -1;		/* lib.vhost.config */
static int vhost_log_level;		/* what the user asked for it */

static void vhost_warn_unshared(struct port_vhost *vh, const char *why)
{
	FILE *out = vhost_log_orig ? vhost_log_orig : stderr;

	if (__atomic_exchange_n(&vh->mem_warned, 1, __ATOMIC_RELAXED))
		return;
	fprintf(out, "broth: vhost-user %s: the VM's memory is not shared with "
		"broth (%s), so the guest gets no network; start QEMU with "
		"-object memory-backend-memfd,id=mem,size=<RAM>,share=on "
		"-machine memory-backend=mem (or -numa node,memdev=mem)\n",
		vh->path, why);
	fflush(out);
}

/* The features came a while ago and still no memory table: RAM without fd */
static void vhost_mem_alarm(void *arg)
{
	struct port_vhost *vh = arg;

	pthread_mutex_lock(&vhost_log_lock);
	if (vh->awaiting_mem) {
		vh->awaiting_mem = false;
		vhost_warn_unshared(vh, "QEMU sent no memory table: guest RAM "
				    "has no file descriptor");
	}
	pthread_mutex_unlock(&vhost_log_lock);
}

/* One of the vhost library's messages about @vh's socket: follow the front
 * end's requests (vhost_log_lock held) */
static void vhost_log_follow(struct port_vhost *vh, const char *buf, size_t n)
{
	if (memmem(buf, n, "new vhost user connection", 25)) {
		__atomic_store_n(&vh->mem_warned, 0, __ATOMIC_RELAXED);
		vh->awaiting_mem = vh->mem_seen = false;
	} else if (memmem(buf, n, "negotiated Virtio features", 26)) {
		/* QEMU sends the table right after the features, once per
		 * connection (with the first queue pair, not again for the
		 * others); without one it gives up silently, so the alarm
		 * tells */
		vh->awaiting_mem = !vh->mem_seen;
		if (vh->awaiting_mem && rte_eal_alarm_set(VHOST_MEM_WAIT_US,
						vhost_mem_alarm, vh))
			BLOG(DEBUG, "vhost-user %s: no alarm", vh->path);
	} else if (memmem(buf, n, "VHOST_USER_SET_MEM_TABLE", 24)) {
		vh->awaiting_mem = false;
		vh->mem_seen = true;
	} else if (memmem(buf, n, "peer closed", 11)) {
		vh->awaiting_mem = false;
	} else if (vh->awaiting_mem &&
		   memmem(buf, n, "VHOST_USER_SET_VRING_ENABLE", 27)) {
		vh->awaiting_mem = false;
		vhost_warn_unshared(vh, "QEMU sent no memory table: guest RAM "
				    "has no file descriptor");
	}
}

static ssize_t vhost_log_write(void *c, const char *buf, size_t n)
{
	FILE *out = c;

	if (rte_log_cur_msg_logtype() == vhost_log_type) {
		/* the library's lines start "VHOST_CONFIG: (PATH) " */
		pthread_mutex_lock(&vhost_log_lock);
		for (unsigned i = 0; i < BROTH_MAX_VNETS; i++)
			if (vhost_log_ports[i] &&
			    memmem(buf, n, vhost_log_ports[i]->log_tag,
				   strlen(vhost_log_ports[i]->log_tag)))
				vhost_log_follow(vhost_log_ports[i], buf, n);
		pthread_mutex_unlock(&vhost_log_lock);
		if (rte_log_cur_msg_loglevel() > vhost_log_level)
			return (ssize_t)n;	/* raised for us, not the user */
	}
	return (ssize_t)fwrite(buf, 1, n, out);
}

/* Watch the library's messages about @vh's socket */
static void vhost_log_watch(struct port_vhost *vh)
{
	cookie_io_functions_t io = { .write = vhost_log_write };

	snprintf(vh->log_tag, sizeof(vh->log_tag), "(%s)", vh->path);
	pthread_mutex_lock(&vhost_log_lock);
	for (unsigned i = 0; i < BROTH_MAX_VNETS; i++)
		if (!vhost_log_ports[i]) {
			vhost_log_ports[i] = vh;
			break;
		}
	if (!vhost_log_users++) {
		vhost_log_orig = rte_log_get_stream();
		if (!vhost_log_wrap)
			vhost_log_wrap = fopencookie(vhost_log_orig ?
						     vhost_log_orig : stderr,
						     "w", io);
		if (vhost_log_wrap) {
			setvbuf(vhost_log_wrap, NULL, _IOLBF, 0);
			rte_openlog_stream(vhost_log_wrap);
		}
		vhost_log_type = rte_log_register("lib.vhost.config");
		if (vhost_log_type >= 0) {
			vhost_log_level = rte_log_get_level(vhost_log_type);
			if (vhost_log_level < (int)RTE_LOG_INFO)
				rte_log_set_level(vhost_log_type, RTE_LOG_INFO);
		}
	}
	pthread_mutex_unlock(&vhost_log_lock);
}

static void vhost_log_unwatch(struct port_vhost *vh)
{
	bool found = false;

	rte_eal_alarm_cancel(vhost_mem_alarm, vh);	/* waits if it runs */
	pthread_mutex_lock(&vhost_log_lock);
	for (unsigned i = 0; i < BROTH_MAX_VNETS; i++)
		if (vhost_log_ports[i] == vh) {
			vhost_log_ports[i] = NULL;
			found = true;
		}
	if (found && !--vhost_log_users) {
		if (vhost_log_type >= 0)
			rte_log_set_level(vhost_log_type,
					  (uint32_t)vhost_log_level);
		rte_openlog_stream(vhost_log_orig);
	}
	pthread_mutex_unlock(&vhost_log_lock);
}

/* --- state changes, on the vhost library's thread ---------------------- */

static void vhost_poke(struct vhost_q *vq)
{
	uint64_t one = 1;

	if (write(vq->poke_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		BLOG(DEBUG, "vhost poke: %s", strerror(errno));
}

static void vhost_kick_drop(struct vhost_q *vq)
{
	if (vq->kick_fd < 0)
		return;
	epoll_ctl(vq->epfd, EPOLL_CTL_DEL, vq->kick_fd, NULL);
	close(vq->kick_fd);
	vq->kick_fd = vq->kick_orig = -1;
}

/* Follow the RX vring's kick eventfd: the guest may hand over a new one */
static void vhost_kick_track(struct port_vhost *vh, unsigned q)
{
	struct vhost_q *vq = &vh->q[q];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
				  .data.u32 = VHOST_EV_KICK };
	struct rte_vhost_vring vring;

	if (rte_vhost_get_vhost_vring(vh->vid, (uint16_t)(2 * q + 1), &vring) ||
	    vring.kickfd < 0) {
		vhost_kick_drop(vq);
		return;
	}
	if (vring.kickfd == vq->kick_orig)
		return;
	vhost_kick_drop(vq);
	vq->kick_fd = fcntl(vring.kickfd, F_DUPFD_CLOEXEC, 0);
	/* QEMU creates it signalled: consume that, the rings are checked
	 * anyway when the worker is poked below (a readable eventfd's read
	 * does not block) */
	if (vq->kick_fd >= 0 && poll(&(struct pollfd){ .fd = vq->kick_fd,
					.events = POLLIN }, 1, 0) == 1 &&
	    read(vq->kick_fd, &(uint64_t){ 0 }, sizeof(uint64_t)) < 0)
		BLOG(DEBUG, "vhost-user queue %u: kick fd: %s", q,
		     strerror(errno));
	if (vq->kick_fd < 0) {
		BLOG(WARNING, "vhost-user queue %u: kick fd: %s", q,
		     strerror(errno));
		return;
	}
	if (epoll_ctl(vq->epfd, EPOLL_CTL_ADD, vq->kick_fd, &ev)) {
		BLOG(WARNING, "vhost-user queue %u: epoll: %s", q,
		     strerror(errno));
		close(vq->kick_fd);
		vq->kick_fd = -1;
		return;
	}
	vq->kick_orig = vring.kickfd;
}

/* Stop a worker's library calls on @vq and wait until it is out of them */
static void vhost_q_quiesce(struct vhost_q *vq)
{
	__atomic_store_n(&vq->active, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(&vq->busy, __ATOMIC_ACQUIRE))
		rte_pause();
}

/*
 * Publish, per worker queue, whether RX is usable and which TX queue takes
 * its frames: its own when the guest enabled it, else an enabled one (spread
 * over them), else none.
 */
static void vhost_resync(struct port_vhost *vh)
{
	struct port *pt = vh->pt;
	uint16_t en[BROTH_MAX_WORKERS];
	unsigned n_en = 0;

	for (unsigned q = 0; q < vh->n_queues; q++)
		if (vh->link_up && vh->q[q].tx_en)
			en[n_en++] = (uint16_t)q;
	for (unsigned q = 0; q < vh->n_workers; q++) {
		struct vhost_q *vq = &vh->q[q];
		bool rx = vh->link_up && q < vh->n_queues && vq->rx_en;
		int to = -1;

		if (n_en)
			to = q < vh->n_queues && vh->link_up && vq->tx_en ?
			     (int)q : en[q % n_en];
		__atomic_store_n(&pt->tx_map[q], (int8_t)to, __ATOMIC_RELAXED);
		if (!rx) {
			__atomic_store_n(&pt->rx_on[q], 0, __ATOMIC_RELAXED);
			/*
			 * Wait for the worker only when the device goes away:
			 * the library calls destroy_device without holding
			 * queue locks, but may hold all of them while it
			 * reports a ring disabled, and a worker blocked on one
			 * of those would never leave. A disabled ring of a
			 * live device stays mapped, so a late call is harmless.
			 */
			if (vh->link_up)
				__atomic_store_n(&vq->active, 0, __ATOMIC_RELEASE);
			else
				vhost_q_quiesce(vq);
			vhost_kick_drop(vq);
		} else {
			vhost_kick_track(vh, q);
			vq->vid = vh->vid;
			vq->gen = vh->connects;
			__atomic_store_n(&vq->active, 1, __ATOMIC_RELEASE);
			__atomic_store_n(&pt->rx_on[q], 1, __ATOMIC_RELAXED);
		}
		vhost_poke(vq);	/* the worker re-arms with the new state */
	}
}

static void vhost_queue_events(struct port_vhost *vh)
{
	struct rte_eth_vhost_queue_event ev;

	for (unsigned i = 0; i < 2 * RTE_MAX_QUEUES_PER_PORT; i++) {
		if (rte_eth_vhost_get_queue_event(vh->port_id, &ev))
			break;
		if (ev.queue_id >= vh->n_queues)
			continue;
		if (ev.rx)
			vh->q[ev.queue_id].rx_en = ev.enable;
		else
			vh->q[ev.queue_id].tx_en = ev.enable;
		BLOG(DEBUG, "vhost-user %s: queue %u %s %s", vh->path,
		     ev.queue_id, ev.rx ? "rx" : "tx",
		     ev.enable ? "enabled" : "disabled");
	}
}

/* The guest's memory regions: all must come with a file (shared memory) */
static void vhost_check_memory(struct port_vhost *vh)
{
	struct rte_vhost_memory *mem = NULL;
	uint64_t size = 0;

	if (rte_vhost_get_mem_table(vh->vid, &mem) || !mem)
		return;
	for (uint32_t i = 0; i < mem->nregions; i++)
		size += mem->regions[i].size;
	BLOG(INFO, "vhost-user %s: %u memory region(s), %" PRIu64 " MiB",
	     vh->path, mem->nregions, size >> 20);
	free(mem);
}

static void vhost_link_up(struct port_vhost *vh)
{
	uint64_t f = 0;
	uint16_t nvr;

	vh->vid = rte_eth_vhost_get_vid_from_port_id(vh->port_id);
	if (vh->vid < 0)
		return;
	vh->link_up = true;
	vh->connects++;
	__atomic_store_n(&vh->mem_warned, 0, __ATOMIC_RELAXED);
	rte_vhost_get_negotiated_features(vh->vid, &f);
	nvr = rte_vhost_get_vring_num(vh->vid);
	vhost_check_memory(vh);
	BLOG(NOTICE, "vhost-user %s: guest connected (%u queue pair(s) of %u, "
	     "features 0x%" PRIx64 ": csum %s, mergeable rx %s, event idx %s)",
	     vh->path, nvr / 2, vh->n_queues, f,
	     f & (1ULL << VIRTIO_NET_F_CSUM) ? "on" : "off",
	     f & (1ULL << VIRTIO_NET_F_MRG_RXBUF) ? "on" : "off",
	     f & (1ULL << VIRTIO_RING_F_EVENT_IDX) ? "on" : "off");
}

static void vhost_link_down(struct port_vhost *vh)
{
	vh->link_up = false;
	for (unsigned q = 0; q < vh->n_queues; q++)
		vh->q[q].rx_en = vh->q[q].tx_en = false;
	/* the next guest may have another MAC: learn it again (DHCP, ARP),
	 * unless it was configured (mac=) */
	if (!vh->pt->vn->guest_mac_fixed)
		__atomic_store_n(&vh->pt->vn->guest_mac, 0, __ATOMIC_RELAXED);
	BLOG(NOTICE, "vhost-user %s: guest disconnected", vh->path);
}

static int vhost_event(uint16_t port_id, enum rte_eth_event_type type,
		       void *arg, void *ret_param)
{
	struct port_vhost *vh = arg;
	struct rte_eth_link link;

	RTE_SET_USED(port_id);
	RTE_SET_USED(ret_param);
	pthread_mutex_lock(&vh->lock);
	if (type == RTE_ETH_EVENT_QUEUE_STATE) {
		vhost_queue_events(vh);
	} else if (!rte_eth_link_get_nowait(vh->port_id, &link)) {
		if (link.link_status && !vh->link_up) {
			vhost_link_up(vh);
		} else if (!link.link_status && vh->link_up) {
			/* quiesce the workers while the device still exists */
			vh->link_up = false;
			vhost_resync(vh);
			vhost_link_down(vh);
		}
	}
	vhost_resync(vh);
	pthread_mutex_unlock(&vh->lock);
	return 0;
}

/* --- the worker side ----------------------------------------------------- */

/**
 * port_vhost_rx_intr_fd() - the proxy epoll fd of a worker queue
 * @pt:		vhost port
 * @queue:	worker id
 *
 * Return: fd; stays the same across guest reconnects
 */
int port_vhost_rx_intr_fd(struct port *pt, uint16_t queue)
{
	return queue < pt->vh->n_workers ? pt->vh->q[queue].epfd : -ENOENT;
}

static bool vhost_q_enter(struct vhost_q *vq);
static void vhost_q_leave(struct vhost_q *vq);

/*
 * A kick means the guest published frames on its TX ring. If broth's view
 * of that ring is still blank (avail index 0, first descriptor all zero),
 * the guest writes memory broth does not see (private mapping). QEMU's own
 * initial kick was consumed in vhost_kick_track(), and a shared ring that
 * has carried frames keeps its old descriptors even when its index wraps.
 */
static void vhost_check_shared(struct port_vhost *vh, uint16_t queue)
{
	struct vhost_q *vq = &vh->q[queue];
	struct rte_vhost_vring vring;
	uint16_t idx = 1;

	if (!vhost_q_enter(vq))
		return;
	if (vq->mem_gen != vq->gen) {
		vq->mem_gen = vq->gen;
		vq->zero_kicks = 0;
	}
	if (vq->zero_kicks < VHOST_ZERO_KICKS &&
	    !rte_vhost_get_vhost_vring(vq->vid, (uint16_t)(2 * queue + 1),
				       &vring) && vring.avail && vring.desc)
		idx = __atomic_load_n(&vring.avail->idx, __ATOMIC_ACQUIRE) |
		      (uint16_t)(vring.desc[0].addr != 0 || vring.desc[0].len);
	vhost_q_leave(vq);
	if (idx) {
		vq->zero_kicks = VHOST_ZERO_KICKS;	/* seen moving: fine */
	} else if (++vq->zero_kicks == VHOST_ZERO_KICKS) {
		vhost_warn_unshared(vh, "the guest kicks a ring "
				    "broth sees blank: its memory is mapped "
				    "private, share=off");
	}
}

/* Empty the proxy's ready list (edge-triggered: nothing to read) */
void port_vhost_rx_intr_ack(struct port *pt, uint16_t queue)
{
	struct vhost_q *vq = &pt->vh->q[queue];
	struct epoll_event ev[4];
	bool kick = false;
	int n;

	for (int i = 0; i < 4; i++) {
		n = epoll_wait(vq->epfd, ev, 4, 0);
		for (int k = 0; k < n; k++)
			kick |= ev[k].data.u32 == VHOST_EV_KICK;
		if (n < 4)
			break;
	}
	if (kick && queue < pt->vh->n_queues)
		vhost_check_shared(pt->vh, queue);
}

/* Enter a library call on @vq; false if the queue is not active */
static bool vhost_q_enter(struct vhost_q *vq)
{
	__atomic_store_n(&vq->busy, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vq->active, __ATOMIC_ACQUIRE))
		return true;
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
	return false;
}

static void vhost_q_leave(struct vhost_q *vq)
{
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
}

/**
 * port_vhost_rx_arm() - ask the guest to kick before the worker sleeps
 * @pt:		vhost port
 * @queue:	worker id
 *
 * Return: false if frames arrived meanwhile: poll instead of sleeping
 */
bool port_vhost_rx_arm(struct port *pt, uint16_t queue)
{
	struct vhost_q *vq = &pt->vh->q[queue];
	uint16_t ring = (uint16_t)(2 * queue + 1);
	bool idle = true;

	if (queue >= pt->vh->n_queues || !vhost_q_enter(vq))
		return true;
	rte_vhost_enable_guest_notification(vq->vid, ring, 1);
	vq->armed = true;
	rte_smp_mb();	/* the guest sees the flag, or we see its frame */
	idle = rte_vhost_rx_queue_count(vq->vid, ring) == 0;
	vhost_q_leave(vq);
	return idle;
}

/**
 * port_vhost_rx_disarm() - no kicks while the worker polls
 * @pt:		vhost port
 * @queue:	worker id
 */
void port_vhost_rx_disarm(struct port *pt, uint16_t queue)
{
	struct vhost_q *vq = &pt->vh->q[queue];

	if (queue >= pt->vh->n_queues)
		return;
	port_vhost_rx_intr_ack(pt, queue);
	if (!vq->armed || !vhost_q_enter(vq))
		return;
	rte_vhost_enable_guest_notification(vq->vid, (uint16_t)(2 * queue + 1),
					    0);
	vq->armed = false;
	vhost_q_leave(vq);
}

/* --- create and destroy ------------------------------------------------ */

/*
 * The socket path: a leftover socket nobody listens on (broth killed) is
 * removed; a live one, or anything that is not a socket, is an error.
 */
static int vhost_check_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "vhost-user socket path %s is longer "
			 "than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (strchr(path, ',')) {
		snprintf(err, errlen, "vhost-user socket path %s: a comma is "
			 "not allowed", path);
		return -EINVAL;
	}
	if (lstat(path, &st)) {
		char dir[PATH_MAX], *slash;

		if (errno != ENOENT) {
			snprintf(err, errlen, "vhost-user socket %s: %s", path,
				 strerror(errno));
			return -errno;
		}
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (!slash)
			return 0;
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "vhost-user socket %s: directory "
				 "%s does not exist", path, dir);
			return -ENOENT;
		}
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "vhost-user socket %s: exists and is "
			 "not a socket", path);
		return -EEXIST;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (!rc) {
		snprintf(err, errlen, "vhost-user socket %s is in use by "
			 "another process", path);
		return -EADDRINUSE;
	}
	if (unlink(path)) {
		snprintf(err, errlen, "cannot remove stale vhost-user socket "
			 "%s: %s", path, strerror(errno));
		return -errno;
	}
	BLOG(INFO, "removed stale vhost-user socket %s", path);
	return 0;
}

static int vhost_q_init(struct vhost_q *vq)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
				  .data.u32 = VHOST_EV_POKE };

	vq->kick_fd = vq->kick_orig = -1;
	vq->epfd = epoll_create1(EPOLL_CLOEXEC);
	vq->poke_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->epfd < 0 || vq->poke_fd < 0)
		return -errno;
	return epoll_ctl(vq->epfd, EPOLL_CTL_ADD, vq->poke_fd, &ev) ? -errno : 0;
}

static int vhost_setup(struct port *pt, char *err, size_t errlen)
{
	struct port_vhost *vh = pt->vh;
	struct rte_eth_conf conf = { 0 };
	int rc;

	rc = rte_eth_dev_callback_register(pt->port_id, RTE_ETH_EVENT_INTR_LSC,
					   vhost_event, vh);
	vh->cb_lsc = !rc;
	if (!rc) {
		rc = rte_eth_dev_callback_register(pt->port_id,
						   RTE_ETH_EVENT_QUEUE_STATE,
						   vhost_event, vh);
		vh->cb_qs = !rc;
	}
	if (rc) {
		snprintf(err, errlen, "%s: event callback: %s", pt->devname,
			 strerror(-rc));
		return rc;
	}
	/* net_vhost opens its socket here */
	rc = rte_eth_dev_configure(pt->port_id, pt->n_queues, pt->n_queues,
				   &conf);
	if (rc) {
		snprintf(err, errlen, "cannot listen on vhost-user socket %s: "
			 "%s", vh->path, strerror(-rc));
		return rc;
	}
	if (rte_vhost_driver_disable_features(vh->path, VHOST_FEATURES_OFF))
		BLOG(WARNING, "vhost-user %s: cannot turn off GSO features",
		     vh->path);
	for (uint16_t q = 0; q < pt->n_queues && !rc; q++) {
		rc = rte_eth_rx_queue_setup(pt->port_id, q, VHOST_RX_DESC,
					    SOCKET_ID_ANY, NULL, pt->pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(pt->port_id, q,
						    VHOST_TX_DESC,
						    SOCKET_ID_ANY, NULL);
	}
	if (!rc && (rc = rte_eth_dev_start(pt->port_id)) == 0)
		pt->started = true;
	if (rc)
		snprintf(err, errlen, "start %s: %s", pt->devname,
			 strerror(-rc));
	return rc;
}

/**
 * port_vhost_create() - listen for a VM on a vhost-user socket
 * @pt:		port; vn, pool and devname are set by the caller
 * @vc:		the vnet's configuration (vhost_user path)
 * @n_queues:	queue pairs offered to the guest
 * @n_workers:	workers, each with a queue index (>= @n_queues)
 * @err:	one-line message on failure
 * @errlen:	size of @err
 *
 * "Up" means listening: the VM may connect, leave and come back at any time
 * afterwards. On failure everything created here is removed again.
 *
 * Return: 0, or -errno
 */
int port_vhost_create(struct port *pt, const struct broth_vnet_conf *vc,
		      uint16_t n_queues, uint16_t n_workers, char *err,
		      size_t errlen)
{
	struct port_vhost *vh;
	char args[PATH_MAX + 64];
	int rc;

	rc = vhost_check_path(vc->vhost_user, err, errlen);
	if (rc)
		return rc;
	vh = calloc(1, sizeof(*vh));
	if (!vh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&vh->lock, NULL);
	snprintf(vh->path, sizeof(vh->path), "%s", vc->vhost_user);
	vh->n_queues = n_queues;
	vh->n_workers = n_workers;
	vh->vid = -1;
	vh->pt = pt;
	pt->vh = vh;
	pt->n_queues = n_queues;
	snprintf(pt->ifname, sizeof(pt->ifname), "vhost-user");
	for (unsigned q = 0; q < BROTH_MAX_WORKERS; q++) {
		pt->tx_map[q] = -1;
		vh->q[q].epfd = vh->q[q].poke_fd = vh->q[q].kick_fd = -1;
	}
	for (unsigned q = 0; q < n_workers; q++)
		if ((rc = vhost_q_init(&vh->q[q]))) {
			snprintf(err, errlen, "vhost-user queue %u: %s", q,
				 strerror(-rc));
			port_vhost_destroy(pt);
			return rc;
		}
	/* mac= names the VM's MAC (QEMU's -device ...,mac=): the only source
	 * accepted, as for a tap; without it the MAC is learned */
	if (vc->has_mac)
		vnet_guest_mac_fix(pt->vn, (const struct rte_ether_addr *)vc->mac);
	vhost_log_watch(vh);
	snprintf(args, sizeof(args), "iface=%s,queues=%u,client=0",
		 vc->vhost_user, n_queues);
	rc = rte_vdev_init(pt->devname, args);
	if (rc) {
		snprintf(err, errlen, "cannot create vhost-user port on %s: %s",
			 vc->vhost_user, strerror(rc < 0 ? -rc : rc));
		port_vhost_destroy(pt);
		return rc < 0 ? rc : -rc;
	}
	pt->probed = true;
	rc = rte_eth_dev_get_port_by_name(pt->devname, &pt->port_id);
	vh->port_id = pt->port_id;
	if (!rc)
		rc = vhost_setup(pt, err, errlen);
	if (rc) {
		port_vhost_destroy(pt);
		return rc;
	}
	return 0;
}

/**
 * port_vhost_destroy() - close the socket and the device
 * @pt:		port, possibly half-created; the workers are stopped
 */
void port_vhost_destroy(struct port *pt)
{
	struct port_vhost *vh = pt->vh;

	if (!vh)
		return;
	/* a callback still running makes unregister fail with -EAGAIN */
	for (int i = 0; i < 1000 && vh->cb_lsc; i++) {
		if (rte_eth_dev_callback_unregister(pt->port_id,
				RTE_ETH_EVENT_INTR_LSC, vhost_event, vh) != -EAGAIN)
			vh->cb_lsc = false;
		else
			usleep(1000);
	}
	for (int i = 0; i < 1000 && vh->cb_qs; i++) {
		if (rte_eth_dev_callback_unregister(pt->port_id,
				RTE_ETH_EVENT_QUEUE_STATE, vhost_event, vh) != -EAGAIN)
			vh->cb_qs = false;
		else
			usleep(1000);
	}
	if (pt->started)
		rte_eth_dev_stop(pt->port_id);
	if (pt->probed) {
		rte_eth_dev_close(pt->port_id);	/* removes the socket file */
		rte_vdev_uninit(pt->devname);
	}
	pt->started = pt->probed = false;
	for (unsigned q = 0; q < BROTH_MAX_WORKERS; q++) {
		struct vhost_q *vq = &vh->q[q];

		if (vq->kick_fd >= 0)
			close(vq->kick_fd);
		if (vq->poke_fd >= 0)
			close(vq->poke_fd);
		if (vq->epfd >= 0)
			close(vq->epfd);
	}
	vhost_log_unwatch(vh);
	pthread_mutex_destroy(&vh->lock);
	free(vh);
	pt->vh = NULL;
}
