/* SPDX-License-Identifier: MIT */
/* dhcp6.h - DHCPv6 server on the gateway (stateless, and one address) */
#ifndef BROTH_DHCP6_H
#define BROTH_DHCP6_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

#define DHCP6_CLIENT_PORT	546
#define DHCP6_SERVER_PORT	547

enum drop_reason dhcp6_input(struct vnet *vn, const struct pkt *p,
			     uint8_t *out, size_t cap, size_t *out_len);

#endif
