/* SPDX-License-Identifier: MIT */
/* options.h - command line of broth (DESIGN.md §6) */
#ifndef BROTH_APP_OPTIONS_H
#define BROTH_APP_OPTIONS_H

#include "broth/broth.h"

struct options {
	struct broth_conf conf;
	const char *pid_file;
	bool ifname_set;	/* --ifname given (netns guests only) */
};

/* 0: run; 1: done (help/version printed); -1: error printed */
int options_parse(int argc, char **argv, struct options *o);

#endif
