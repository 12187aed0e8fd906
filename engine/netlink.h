/* SPDX-License-Identifier: MIT */
/* netlink.h - configure the guest interface (for --configure) */
#ifndef BROTH_NETLINK_H
#define BROTH_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>

int netlink_configure(const char *ifname, rte_be32_t addr, uint8_t prefix,
		      rte_be32_t gw, uint16_t mtu, char *err, size_t errlen);

int netlink_set_mtu(const char *ifname, uint16_t mtu, char *err,
		    size_t errlen);

#endif
