/* SPDX-License-Identifier: MIT */
/* options.h - command line of broth (DESIGN.md §6) */
#ifndef BROTH_APP_OPTIONS_H
#define BROTH_APP_OPTIONS_H

#include "broth/broth.h"

struct options {
	struct broth_conf conf;		/* guests: the --netns one first, then
					 * --guest / --config in order */
	const char *pid_file;
	const char *control;		/* --control PATH */
	struct broth_vnet_conf single;	/* --netns and its shorthand options */
	bool single_opts;		/* a shorthand guest option was given */
	bool single_ifname;		/* --ifname given (netns guests only) */
	unsigned n_guests;		/* from --guest and --config */
	struct broth_vnet_conf guests[BROTH_MAX_VNETS];
};

/* 0: run; 1: done (help/version printed); -1: error printed */
int options_parse(int argc, char **argv, struct options *o);

#endif
