/* SPDX-License-Identifier: MIT */
/*
 * brothctl - command-line client of broth's control socket
 *
 *   brothctl [-s PATH] list
 *   brothctl [-s PATH] add SPEC              e.g. name=web,netns=web,net=10.0.5.0/24
 *   brothctl [-s PATH] remove NAME
 *   brothctl [-s PATH] fwd-add NAME tcp:[ADDR:]HPORT[:GPORT]
 *   brothctl [-s PATH] fwd-remove NAME tcp:[ADDR:]HPORT
 *   brothctl [-s PATH] flows NAME
 *   brothctl [-s PATH] raw JSON              send one request as is
 *
 * The socket is -s PATH, else $BROTH_CONTROL. The reply is printed as
 * indented JSON; an error reply goes to stderr as one line and the exit
 * status is 1 (2 for usage or connection errors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define BROTHCTL_TIMEOUT_S	10
#define BROTHCTL_REPLY_MAX	(16u << 20)

static int usage(void)
{
	fputs("usage: brothctl [-s SOCKET] list | add SPEC | remove NAME |\n"
	      "                fwd-add NAME tcp:[ADDR:]HPORT[:GPORT] |\n"
	      "                fwd-remove NAME tcp:[ADDR:]HPORT | flows NAME |\n"
	      "                raw JSON\n"
	      "SOCKET defaults to $BROTH_CONTROL.\n", stderr);
	return 2;
}

/* The request for argv, or NULL on a usage error */
static json_t *build_request(int argc, char **argv)
{
	const char *op = argv[0];

	if (!strcmp(op, "list") && argc == 1)
		return json_pack("{s:s}", "op", "list");
	if (!strcmp(op, "add") && argc == 2)
		return json_pack("{s:s, s:s}", "op", "add", "spec", argv[1]);
	if ((!strcmp(op, "remove") || !strcmp(op, "flows")) && argc == 2)
		return json_pack("{s:s, s:s}", "op", op, "name", argv[1]);
	if ((!strcmp(op, "fwd-add") || !strcmp(op, "fwd-remove")) && argc == 3)
		return json_pack("{s:s, s:s, s:s}", "op", op, "name", argv[1],
				 "fwd", argv[2]);
	if (!strcmp(op, "raw") && argc == 2) {
		json_error_t e;
		json_t *r = json_loads(argv[1], 0, &e);

		if (!r)
			fprintf(stderr, "brothctl: raw: %s\n", e.text);
		return r;
	}
	return NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { BROTHCTL_TIMEOUT_S, 0 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "brothctl: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "brothctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one line, read one line back; the reply (malloc'd) or NULL */
static char *exchange(int fd, const char *req)
{
	size_t len = strlen(req), cap = 4096, got = 0;
	char *buf = malloc(cap);

	if (!buf || send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (got + 1 == cap) {
			char *b = cap < BROTHCTL_REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf + got - (size_t)n, '\n', (size_t)n)) {
			buf[got] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *path = getenv("BROTH_CONTROL");
	json_t *req, *rep;
	char *line, *reqs;
	json_error_t jerr;
	int argi = 1, fd, rc;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		path = argv[2];
		argi = 3;
	}
	if (!path || argi >= argc)
		return usage();
	req = build_request(argc - argi, argv + argi);
	if (!req)
		return usage();
	reqs = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	fd = connect_to(path);
	if (fd < 0) {
		free(reqs);
		return 2;
	}
	line = exchange(fd, reqs);
	close(fd);
	free(reqs);
	if (!line) {
		fprintf(stderr, "brothctl: no reply from %s\n", path);
		return 2;
	}
	rep = json_loads(line, 0, &jerr);
	free(line);
	if (!rep) {
		fprintf(stderr, "brothctl: bad reply: %s\n", jerr.text);
		return 2;
	}
	if (json_is_true(json_object_get(rep, "ok"))) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		rc = 0;
	} else {
		fprintf(stderr, "brothctl: %s\n",
			json_string_value(json_object_get(rep, "error")) ?
			json_string_value(json_object_get(rep, "error")) :
			"error");
		rc = 1;
	}
	json_decref(rep);
	return rc;
}
