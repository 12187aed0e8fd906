/* SPDX-License-Identifier: MIT */
/*
 * test_control.c - the control protocol's request validation
 *		    (apps/broth/control_proto.c) against a test double of the
 *		    engine: what reaches the engine, and what comes back
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "control_proto.h"

/* The double: one guest "alpha"; records the last call */
static struct {
	int calls;
	char last[64];
	struct broth_vnet_conf added;
	struct broth_fwd fwd;
	int fail;			/* -errno the next call returns */
} eng;

static int d_guest_info(void *ctx, unsigned slot, struct broth_guest_info *gi)
{
	(void)ctx;
	if (slot != 3)
		return -ENOENT;
	memset(gi, 0, sizeof(*gi));
	broth_vnet_conf_defaults(&gi->conf);
	strcpy(gi->conf.name, "alpha");
	strcpy(gi->conf.netns, "nsA");
	gi->conf.n_fwd = 1;
	gi->conf.fwd[0] = (struct broth_fwd){ IPPROTO_TCP, { 0 }, 8080, 80 };
	gi->tcp_flows = 7;
	gi->rx = 100;
	gi->tx = 200;
	return 0;
}

static int record(const char *what, char *err, size_t errlen)
{
	eng.calls++;
	snprintf(eng.last, sizeof(eng.last), "%s", what);
	if (eng.fail)
		snprintf(err, errlen, "engine says no");
	return eng.fail;
}

static int d_add(void *ctx, const struct broth_vnet_conf *vc, char *err,
		 size_t errlen)
{
	(void)ctx;
	eng.added = *vc;
	return record("add", err, errlen);
}

static int d_remove(void *ctx, const char *name, char *err, size_t errlen)
{
	(void)ctx;
	return record(name, err, errlen);
}

static int d_fwd_add(void *ctx, const char *name, const struct broth_fwd *f,
		     char *err, size_t errlen)
{
	(void)ctx;
	(void)name;
	eng.fwd = *f;
	return record("fwd-add", err, errlen);
}

static int d_fwd_remove(void *ctx, const char *name, const struct broth_fwd *f,
			char *err, size_t errlen)
{
	(void)ctx;
	(void)name;
	eng.fwd = *f;
	return record("fwd-remove", err, errlen);
}

static int d_flows(void *ctx, const char *name, struct broth_flow_info *out,
		   unsigned max, unsigned *n, char *err, size_t errlen)
{
	(void)ctx;
	cr_assert_gt(max, 2);
	memset(out, 0, 2 * sizeof(*out));
	out[0].proto = IPPROTO_TCP;
	out[0].state = 2;
	out[0].gaddr[10] = out[0].gaddr[11] = 0xff;
	out[0].gaddr[12] = 10;
	out[0].gaddr[15] = 2;
	out[0].gport = 40000;
	out[0].rport = 443;
	out[1].proto = IPPROTO_UDP;
	out[1].gaddr[0] = 0xfd;
	out[1].gaddr[15] = 9;
	*n = 2;
	return record(name, err, errlen);
}

static const struct control_ops ops = {
	d_guest_info, d_add, d_remove, d_fwd_add, d_fwd_remove, d_flows,
};

static json_t *ask(const char *line)
{
	char *s = control_handle(&ops, NULL, line);
	json_error_t e;
	json_t *r;

	cr_assert_not_null(s);
	cr_assert_null(strchr(s, '\n'), "a reply is one line: %s", s);
	r = json_loads(s, 0, &e);
	cr_assert_not_null(r, "reply is not JSON: %s", s);
	free(s);
	return r;
}

static void setup(void)
{
	memset(&eng, 0, sizeof(eng));
}

TestSuite(control, .init = setup);

/* The request fails without reaching the engine; the error names @needle */
static void refused(const char *line, const char *needle)
{
	json_t *r = ask(line);
	const char *msg = json_string_value(json_object_get(r, "error"));

	cr_assert(json_is_false(json_object_get(r, "ok")), "%s accepted", line);
	cr_assert_not_null(msg);
	cr_assert(strstr(msg, needle), "'%s': '%s' lacks '%s'", line, msg, needle);
	cr_assert_eq(eng.calls, 0, "'%s' reached the engine", line);
	json_decref(r);
}

Test(control, malformed_requests)
{
	refused("", "not JSON");
	refused("{\"op\":", "not JSON");
	refused("[\"list\"]", "needs \"op\"");
	refused("{\"op\":5}", "needs \"op\"");
	refused("{\"op\":\"list\",\"op\":\"add\"}", "not JSON");	/* duplicate key */
	refused("{\"op\":\"reboot\"}", "unknown op");
	refused("{\"op\":\"add\"}", "spec");
	refused("{\"op\":\"add\",\"spec\":42}", "spec");
	refused("{\"op\":\"add\",\"spec\":\"netns=x,mtu=9\"}", "mtu=9");
	refused("{\"op\":\"add\",\"spec\":\"netns=x\"}", "name=");
	refused("{\"op\":\"remove\"}", "name");
	refused("{\"op\":\"fwd-add\",\"name\":\"alpha\"}", "\"fwd\"");
	refused("{\"op\":\"fwd-add\",\"name\":\"alpha\",\"fwd\":\"udp:53\"}", "tcp:");
	refused("{\"op\":\"fwd-add\",\"name\":\"alpha\",\"fwd\":\"tcp:0\"}", "fwd-add");
	refused("{\"op\":\"flows\",\"name\":[]}", "name");
}

Test(control, list)
{
	json_t *r = ask("{\"op\":\"list\"}"), *g;

	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_eq(json_array_size(json_object_get(r, "guests")), 1);
	g = json_array_get(json_object_get(r, "guests"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(g, "name")), "alpha");
	cr_assert_str_eq(json_string_value(json_object_get(g, "net")), "10.0.0.0/24");
	cr_assert_str_eq(json_string_value(json_object_get(g, "net6")),
			 "fd00:b0:7d::/64");
	cr_assert_eq(json_integer_value(json_object_get(g, "tcp_flows")), 7);
	cr_assert_eq(json_integer_value(json_object_get(g, "tx")), 200);
	cr_assert_str_eq(json_string_value(json_array_get(
		json_object_get(g, "forwards"), 0)), "tcp:0.0.0.0:8080:80");
	json_decref(r);
}

Test(control, add_remove_and_forwards_reach_the_engine)
{
	json_t *r = ask("{\"op\":\"add\",\"spec\":\"name=b,netns=nsB,mtu=9000\"}");

	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_str_eq(eng.added.name, "b");
	cr_assert_eq(eng.added.mtu, 9000);
	json_decref(r);

	r = ask("{\"op\":\"fwd-add\",\"name\":\"b\",\"fwd\":\"tcp:127.0.0.1:2222:22\"}");
	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_eq(eng.fwd.host_port, 2222);
	cr_assert_eq(eng.fwd.guest_port, 22);
	cr_assert_eq(eng.fwd.host_addr.s_addr, htonl(0x7f000001));
	json_decref(r);

	r = ask("{\"op\":\"remove\",\"name\":\"b\"}");
	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_str_eq(eng.last, "b");
	json_decref(r);
	cr_assert_eq(eng.calls, 3);
}

Test(control, engine_errors_come_back)
{
	json_t *r;

	eng.fail = -ENOENT;
	r = ask("{\"op\":\"remove\",\"name\":\"zz\"}");
	cr_assert(json_is_false(json_object_get(r, "ok")));
	cr_assert(strstr(json_string_value(json_object_get(r, "error")),
			 "engine says no"));
	json_decref(r);
}

Test(control, flows)
{
	json_t *r = ask("{\"op\":\"flows\",\"name\":\"alpha\"}"), *f;

	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_eq(json_array_size(json_object_get(r, "flows")), 2);
	f = json_array_get(json_object_get(r, "flows"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "proto")), "tcp");
	cr_assert_str_eq(json_string_value(json_object_get(f, "guest")), "10.0.0.2");
	cr_assert_str_eq(json_string_value(json_object_get(f, "state")), "active");
	cr_assert_eq(json_integer_value(json_object_get(f, "rport")), 443);
	f = json_array_get(json_object_get(r, "flows"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(f, "guest")), "fd00::9");
	json_decref(r);
}
