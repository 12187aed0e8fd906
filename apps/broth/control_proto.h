/* SPDX-License-Identifier: MIT */
/* control_proto.h - JSON requests of the control socket (control_proto.c) */
#ifndef BROTH_APP_CONTROL_PROTO_H
#define BROTH_APP_CONTROL_PROTO_H

#include <stddef.h>

#include "broth/broth.h"

/* What a request may do; the engine's API, or a test double */
struct control_ops {
	int (*guest_info)(void *ctx, unsigned slot, struct broth_guest_info *gi);
	int (*add_guest)(void *ctx, const struct broth_vnet_conf *vc, char *err,
			 size_t errlen);
	int (*remove_guest)(void *ctx, const char *name, char *err,
			    size_t errlen);
	int (*add_fwd)(void *ctx, const char *name, const struct broth_fwd *f,
		       char *err, size_t errlen);
	int (*remove_fwd)(void *ctx, const char *name, const struct broth_fwd *f,
			  char *err, size_t errlen);
	int (*flows)(void *ctx, const char *name, struct broth_flow_info *out,
		     unsigned max, unsigned *n, char *err, size_t errlen);
};

char *control_handle(const struct control_ops *ops, void *ctx, const char *line);

#endif
