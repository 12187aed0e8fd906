/* SPDX-License-Identifier: MIT */
/* netns.h - open and enter network namespaces named like pasta does */
#ifndef BROTH_NETNS_H
#define BROTH_NETNS_H

#include <stddef.h>

int netns_open(const char *spec, char *err, size_t errlen);
int netns_enter(int ns_fd, int *saved_fd, char *err, size_t errlen);
void netns_leave(int saved_fd);

#endif
