/* SPDX-License-Identifier: MIT */
/* icmp.h - ICMP echo answered by the gateway itself */
#ifndef BROTH_ICMP_H
#define BROTH_ICMP_H

#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

enum drop_reason icmp_gateway_echo(const struct vnet *vn, uint8_t *frame,
				   const struct pkt *p);

#endif
