/* SPDX-License-Identifier: MIT */
/* control.h - the control socket of broth (--control PATH) */
#ifndef BROTH_APP_CONTROL_H
#define BROTH_APP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "broth/broth.h"

struct control;

struct control *control_open(const char *path, struct broth_engine *e,
			     int epfd, char *err, size_t errlen);
bool control_event(struct control *c, int fd);
void control_close(struct control *c);

#endif
