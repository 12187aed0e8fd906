/* SPDX-License-Identifier: MIT */
/*
 * dpdk_tsan.h - force-included in every file of a -Db_sanitize=thread build
 *
 * DPDK's multi-producer ring publishes entries in order: a producer that
 * has written its slots waits until the producers before it have stored
 * the ring's tail, then stores its own tail with release
 * (rte_ring_c11_pvt.h, __rte_ring_update_tail()). The wait is a relaxed
 * load. x86 (and Arm) order the earlier producers' slot writes before the
 * later tail store all the same, so a consumer that acquires the tail sees
 * every slot before it. In the C11 model that ThreadSanitizer checks, only
 * the last producer's writes are ordered before the consumer's reads: every
 * ring with two producers (the slow path's ring, the handoff rings, the
 * mempool's) reports races on its slots and on the frames they carry.
 * Multi-consumer dequeues (the mempool's ring) have the same wait, which
 * there orders slot reads before a later consumer hands the slots back to
 * the producers.
 *
 * Here the wait loads with acquire (the same instruction on x86), which
 * makes the chain an explicit happens-before in C11 terms. It changes no
 * ordering broth's own code relies on and hides no access: it states
 * DPDK's hardware argument in the model TSan understands. generic/
 * rte_pause.h leaves these definitions to the architecture when
 * RTE_WAIT_UNTIL_EQUAL_ARCH_DEFINED is set; x86 does not define them.
 */
#ifndef BROTH_DPDK_TSAN_H
#define BROTH_DPDK_TSAN_H

/* targets without DPDK (brothctl) have nothing to change */
#if __has_include(<rte_config.h>)

#include <rte_config.h>

#define RTE_WAIT_UNTIL_EQUAL_ARCH_DEFINED
#include <rte_pause.h>

static __rte_always_inline void
rte_wait_until_equal_16(volatile uint16_t *addr, uint16_t expected,
			int memorder)
{
	(void)memorder;
	while (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected)
		rte_pause();
}

static __rte_always_inline void
rte_wait_until_equal_32(volatile uint32_t *addr, uint32_t expected,
			int memorder)
{
	(void)memorder;
	while (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected)
		rte_pause();
}

static __rte_always_inline void
rte_wait_until_equal_64(volatile uint64_t *addr, uint64_t expected,
			int memorder)
{
	(void)memorder;
	while (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected)
		rte_pause();
}

#define RTE_WAIT_UNTIL_MASKED(addr, mask, cond, expected, memorder) do { \
	typeof(*(addr)) expected_value = (expected);			\
	(void)(memorder);						\
	while (!((__atomic_load_n((addr), __ATOMIC_ACQUIRE) & (mask)) cond \
		 expected_value))					\
		rte_pause();						\
} while (0)

#endif /* __has_include(<rte_config.h>) */
#endif
