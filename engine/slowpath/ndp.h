/* SPDX-License-Identifier: MIT */
/* ndp.h - neighbor discovery for the gateway, router advertisements */
#ifndef BROTH_NDP_H
#define BROTH_NDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

/* Buffer a reply needs: an RA with every option, within 1280 bytes */
#define NDP_RA_MAX		(14 + 1280)
/* Seconds between unsolicited RAs (RFC 4861 §6.2.1 allows 4..1800) */
#define NDP_RA_INTERVAL_S	200

bool ndp_opts_valid(const uint8_t *o, size_t len, const uint8_t **slla);
enum drop_reason ndp_input(struct vnet *vn, const struct pkt *p, uint8_t *out,
			   size_t cap, size_t *out_len);
size_t ndp_build_ra(const struct vnet *vn, const uint8_t dst[16],
		    const struct rte_ether_addr *dst_mac, uint8_t *out,
		    size_t cap);
size_t ndp_build_unsolicited_ra(const struct vnet *vn, uint8_t *out, size_t cap);

#endif
