/* SPDX-License-Identifier: MIT */
/* dns_fwd.h - the DNS forwarder on the gateway address (slow path) */
#ifndef BROTH_DNS_FWD_H
#define BROTH_DNS_FWD_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parse.h"
#include "vnet.h"

struct slowpath;
struct dns_fwd;

int dns_fwd_init(struct slowpath *sp, char *err, size_t errlen);
void dns_fwd_fini(struct slowpath *sp);
enum drop_reason dns_fwd_query(struct slowpath *sp, struct vnet *vn,
			       const struct pkt *p, unsigned worker,
			       uint8_t *out, size_t cap, size_t *out_len);
void dns_fwd_upstream_read(struct slowpath *sp);
void dns_fwd_expire(struct slowpath *sp, uint64_t now_tsc);
unsigned dns_fwd_pending(const struct slowpath *sp);

#endif
