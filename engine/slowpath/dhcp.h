/* SPDX-License-Identifier: MIT */
/* dhcp.h - DHCPv4 server for the single guest address of a vnet */
#ifndef BROTH_DHCP_H
#define BROTH_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
/* Largest reply broth builds: headers + BOOTP + all options, padded */
#define DHCP_REPLY_MAX		1024

enum drop_reason dhcp_input(struct vnet *vn, const struct pkt *p,
			    uint64_t now_s, uint8_t *out, size_t cap,
			    size_t *out_len);

#endif
