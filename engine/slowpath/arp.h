/* SPDX-License-Identifier: MIT */
/* arp.h - ARP responder for the gateway address */
#ifndef BROTH_ARP_H
#define BROTH_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

#define ARP_REPLY_LEN	60	/* 14 + 28, padded to the Ethernet minimum */

enum drop_reason arp_input(struct vnet *vn, const struct pkt *p, uint8_t *out,
			   size_t cap, size_t *out_len);

size_t arp_build_request(const struct vnet *vn, uint8_t *out);

#endif
