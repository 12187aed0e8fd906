/* SPDX-License-Identifier: MIT */
/*
 * control_proto.c - the control protocol: one JSON request per line, one
 * JSON reply per line
 *
 *   {"op":"list"}                                  guests and their counters
 *   {"op":"add","spec":"name=N,netns=NS,..."}      a guest (--guest syntax)
 *   {"op":"remove","name":"N"}                     a guest, its flows closed
 *   {"op":"fwd-add","name":"N","fwd":"tcp:[ADDR:]HPORT[:GPORT]"}
 *   {"op":"fwd-remove","name":"N","fwd":"tcp:[ADDR:]HPORT"}
 *   {"op":"flows","name":"N"}                      a guest's flows
 *
 * Replies are {"ok":true,...} or {"ok":false,"error":"one line"}. Every
 * request is validated here, before the engine sees it; the engine is
 * reached only through struct control_ops, so tests drive this file alone.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control_proto.h"

#define CONTROL_MAX_FLOWS	4096

static char *reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *reply_error(const char *fmt, ...)
{
	char msg[640];
	va_list ap;
	json_t *r;
	char *s;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

/* Reply with @r (consumed) plus "ok": true */
static char *reply_ok(json_t *r)
{
	char *s;

	json_object_set_new(r, "ok", json_true());
	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

/* A string member @key of @req, or NULL */
static const char *req_str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *fwd_json(const struct broth_fwd *f)
{
	char addr[INET_ADDRSTRLEN], buf[64];

	inet_ntop(AF_INET, &f->host_addr, addr, sizeof(addr));
	snprintf(buf, sizeof(buf), "tcp:%s:%u:%u", addr, f->host_port,
		 f->guest_port);
	return json_string(buf);
}

static json_t *guest_json(const struct broth_guest_info *gi)
{
	const struct broth_vnet_conf *vc = &gi->conf;
	char net[INET_ADDRSTRLEN + 4], net6[INET6_ADDRSTRLEN + 4];
	json_t *fwds = json_array();

	inet_ntop(AF_INET, &vc->net4, net, sizeof(net));
	snprintf(net + strlen(net), sizeof(net) - strlen(net), "/%u", vc->prefix4);
	inet_ntop(AF_INET6, &vc->net6, net6, sizeof(net6));
	strcat(net6, "/64");
	for (unsigned i = 0; i < vc->n_fwd; i++)
		json_array_append_new(fwds, fwd_json(&vc->fwd[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:o, s:I, s:I, s:I}",
			 "name", vc->name, "netns", vc->netns, "ifname", vc->ifname,
			 "net", net, "net6", net6, "mtu", (int)vc->mtu,
			 "host_loopback", !vc->no_host_loopback, "forwards", fwds,
			 "tcp_flows", (json_int_t)gi->tcp_flows,
			 "rx", (json_int_t)gi->rx, "tx", (json_int_t)gi->tx);
}

static char *op_list(const struct control_ops *ops, void *ctx)
{
	json_t *guests = json_array();
	struct broth_guest_info gi;

	for (unsigned slot = 0; slot < BROTH_MAX_VNETS; slot++)
		if (!ops->guest_info(ctx, slot, &gi))
			json_array_append_new(guests, guest_json(&gi));
	return reply_ok(json_pack("{s:o}", "guests", guests));
}

static char *op_add(const struct control_ops *ops, void *ctx, json_t *req)
{
	const char *spec = req_str(req, "spec");
	struct broth_vnet_conf vc;
	char err[512];

	if (!spec)
		return reply_error("add: \"spec\" (a string like --guest) is required");
	if (broth_parse_guest(spec, &vc, err, sizeof(err)))
		return reply_error("add: %s", err);
	if (!vc.name[0])
		return reply_error("add: the spec needs name=, to remove it later");
	if (ops->add_guest(ctx, &vc, err, sizeof(err)))
		return reply_error("add: %s", err);
	return reply_ok(json_pack("{s:s}", "name", vc.name));
}

static char *op_remove(const struct control_ops *ops, void *ctx, json_t *req)
{
	const char *name = req_str(req, "name");
	char err[512];

	if (!name)
		return reply_error("remove: \"name\" is required");
	if (ops->remove_guest(ctx, name, err, sizeof(err)))
		return reply_error("remove: %s", err);
	return reply_ok(json_pack("{s:s}", "name", name));
}

/* fwd-add / fwd-remove: "tcp:[ADDR:]HPORT[:GPORT]" of guest "name" */
static char *op_fwd(const struct control_ops *ops, void *ctx, json_t *req,
		    bool add)
{
	const char *name = req_str(req, "name"), *spec = req_str(req, "fwd");
	const char *op = add ? "fwd-add" : "fwd-remove";
	struct broth_fwd f;
	char err[512];
	int rc;

	if (!name || !spec)
		return reply_error("%s: \"name\" and \"fwd\" are required", op);
	if (strncmp(spec, "tcp:", 4))
		return reply_error("%s: '%.64s': expected tcp:[ADDR:]HPORT[:GPORT]",
				   op, spec);
	if (broth_parse_fwd(spec + 4, IPPROTO_TCP, &f, err, sizeof(err)))
		return reply_error("%s: %s", op, err);
	rc = add ? ops->add_fwd(ctx, name, &f, err, sizeof(err)) :
		   ops->remove_fwd(ctx, name, &f, err, sizeof(err));
	if (rc)
		return reply_error("%s: %s", op, err);
	return reply_ok(json_pack("{s:s, s:o}", "name", name, "fwd", fwd_json(&f)));
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "icmpv6";
	}
}

static const char *addr_str(const uint8_t a[16], char *buf, size_t len)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(a, v4mapped, 12))
		return inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	return inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static char *op_flows(const struct control_ops *ops, void *ctx, json_t *req)
{
	static const char *const state[] = { "free", "new", "active", "closing",
					     "dead" };
	const char *name = req_str(req, "name");
	struct broth_flow_info *fl;
	json_t *arr;
	unsigned n = 0;
	char err[512];

	if (!name)
		return reply_error("flows: \"name\" is required");
	fl = calloc(CONTROL_MAX_FLOWS, sizeof(*fl));
	if (!fl)
		return reply_error("flows: out of memory");
	if (ops->flows(ctx, name, fl, CONTROL_MAX_FLOWS, &n, err, sizeof(err))) {
		free(fl);
		return reply_error("flows: %s", err);
	}
	arr = json_array();
	for (unsigned i = 0; i < n; i++) {
		char g[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:i, s:s, s:i, s:s, s:i}",
			"proto", proto_name(fl[i].proto),
			"guest", addr_str(fl[i].gaddr, g, sizeof(g)),
			"gport", fl[i].gport,
			"remote", addr_str(fl[i].raddr, r, sizeof(r)),
			"rport", fl[i].rport,
			"state", fl[i].state < 5 ? state[fl[i].state] : "?",
			"worker", fl[i].worker));
	}
	free(fl);
	return reply_ok(json_pack("{s:s, s:o, s:b}", "name", name, "flows", arr,
				  "truncated", n == CONTROL_MAX_FLOWS));
}

/**
 * control_handle() - answer one request line
 * @ops:	the engine, or a test double
 * @ctx:	passed to @ops
 * @line:	the request, without its newline
 *
 * Return: the reply (malloc'd, no newline), never NULL unless out of memory
 */
char *control_handle(const struct control_ops *ops, void *ctx, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	const char *op;
	char *reply;

	if (!req)
		return reply_error("request is not JSON: %s", jerr.text);
	op = json_is_object(req) ? req_str(req, "op") : NULL;
	if (!op)
		reply = reply_error("request needs \"op\": list, add, remove, "
				    "fwd-add, fwd-remove or flows");
	else if (!strcmp(op, "list"))
		reply = op_list(ops, ctx);
	else if (!strcmp(op, "add"))
		reply = op_add(ops, ctx, req);
	else if (!strcmp(op, "remove"))
		reply = op_remove(ops, ctx, req);
	else if (!strcmp(op, "fwd-add"))
		reply = op_fwd(ops, ctx, req, true);
	else if (!strcmp(op, "fwd-remove"))
		reply = op_fwd(ops, ctx, req, false);
	else if (!strcmp(op, "flows"))
		reply = op_flows(ops, ctx, req);
	else
		reply = reply_error("unknown op '%.64s'", op);
	json_decref(req);
	return reply;
}
