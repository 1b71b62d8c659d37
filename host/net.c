// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Network backends, the common part: --net option parsing, the choice of
 * backend, and the short queue of frames the frontend could not take yet.
 *
 * The queue exists because a burst from the host side (slirp answering a
 * window's worth of TCP segments at once, a tap with a backlog) can arrive
 * while the guest has fewer receive buffers posted than frames in flight:
 * dropping them would stall TCP until a retransmission timer fires. Up to
 * NET_RXQ_MAX frames wait; beyond that they are dropped, as a NIC would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/net.h"

/* ---- parsing ---- */

static int parse_port(const char *s, size_t len, u16 *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (u16)v;
	return 0;
}

/* An IPv4 address of len bytes at s; empty means `def`. */
static int parse_addr(const char *s, size_t len, const char *def, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];

	if (len == 0)
		return inet_pton(AF_INET, def, out) == 1 ? 0 : -EINVAL;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, out) == 1 ? 0 : -EINVAL;
}

int net_parse_hostfwd(const char *s, struct net_hostfwd *fwd, char *err, size_t errlen)
{
	const char *p = s, *colon, *dash, *gcolon;
	const char *hint = "the form is hostfwd=tcp:127.0.0.1:2222-:22";

	memset(fwd, 0, sizeof(*fwd));
	/* [tcp|udp:][haddr]:hport-[gaddr]:gport: two colons before the dash mean a protocol. */
	dash = strchr(p, '-');
	colon = strchr(p, ':');
	if (dash && colon && colon < dash && (gcolon = strchr(colon + 1, ':')) && gcolon < dash) {
		size_t plen = (size_t)(colon - p);

		if (plen == 3 && !strncmp(p, "udp", 3))
			fwd->udp = true;
		else if (plen != 0 && !(plen == 3 && !strncmp(p, "tcp", 3))) {
			snprintf(err, errlen, "hostfwd=%s: the protocol must be tcp or udp (%s)", s,
				 hint);
			return -EINVAL;
		}
		p = colon + 1;
	}
	/* [haddr]:hport-[gaddr]:gport */
	dash = strchr(p, '-');
	colon = strchr(p, ':');
	if (!dash || !colon || colon > dash) {
		snprintf(err, errlen, "hostfwd=%s: not a forwarding rule (%s)", s, hint);
		return -EINVAL;
	}
	if (parse_addr(p, (size_t)(colon - p), "127.0.0.1", &fwd->host_addr)) {
		snprintf(err, errlen, "hostfwd=%s: '%.*s' is not an IPv4 address (%s)", s,
			 (int)(colon - p), p, hint);
		return -EINVAL;
	}
	if (parse_port(colon + 1, (size_t)(dash - colon - 1), &fwd->host_port)) {
		snprintf(err, errlen, "hostfwd=%s: host port '%.*s' is not a port number 1-65535 (%s)",
			 s, (int)(dash - colon - 1), colon + 1, hint);
		return -EINVAL;
	}
	gcolon = strchr(dash + 1, ':');
	if (!gcolon) {
		snprintf(err, errlen, "hostfwd=%s: the guest side needs ':PORT' (%s)", s, hint);
		return -EINVAL;
	}
	if (parse_addr(dash + 1, (size_t)(gcolon - dash - 1), "10.0.2.15", &fwd->guest_addr)) {
		snprintf(err, errlen, "hostfwd=%s: '%.*s' is not an IPv4 address (%s)", s,
			 (int)(gcolon - dash - 1), dash + 1, hint);
		return -EINVAL;
	}
	if (parse_port(gcolon + 1, strlen(gcolon + 1), &fwd->guest_port)) {
		snprintf(err, errlen, "hostfwd=%s: guest port '%s' is not a port number 1-65535 (%s)",
			 s, gcolon + 1, hint);
		return -EINVAL;
	}
	return 0;
}

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (u8)v[i];
	/* A unicast address: the I/G bit of the first octet clear. */
	return (mac[0] & 1) ? -EINVAL : 0;
}

static int parse_onoff(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* One "key=value" option of a --net value; `opt` is NUL-terminated and writable. */
static int parse_option(char *opt, struct net_config *cfg, char *err, size_t errlen)
{
	char *eq = strchr(opt, '=');
	const char *key = opt, *val;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected key=value", opt);
		return -EINVAL;
	}
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(key, "mac")) {
		if (parse_mac(val, cfg->mac)) {
			snprintf(err, errlen, "mac=%s: not a unicast MAC address (try 52:54:00:12:34:56)",
				 val);
			return -EINVAL;
		}
		cfg->mac_set = true;
		return 0;
	}
	if (cfg->type == NET_USER && !strcmp(key, "hostfwd")) {
		if (cfg->nfwd == NET_MAX_HOSTFWD) {
			snprintf(err, errlen, "hostfwd=%s: at most %d forwarding rules", val,
				 NET_MAX_HOSTFWD);
			return -EINVAL;
		}
		return net_parse_hostfwd(val, &cfg->fwd[cfg->nfwd++], err, errlen);
	}
	if (cfg->type == NET_USER && !strcmp(key, "restrict")) {
		if (parse_onoff(val, &cfg->restrict_guest)) {
			snprintf(err, errlen, "restrict=%s: expected on or off", val);
			return -EINVAL;
		}
		return 0;
	}
	if (cfg->type == NET_TAP && !strcmp(key, "ifname")) {
		if (val[0] == '\0' || strlen(val) >= NET_IFNAME_MAX || strchr(val, '/') ||
		    !strcmp(val, ".") || !strcmp(val, "..")) {
			snprintf(err, errlen, "ifname=%s: not an interface name (1 to %d characters)",
				 val, NET_IFNAME_MAX - 1);
			return -EINVAL;
		}
		strcpy(cfg->ifname, val);
		return 0;
	}
	snprintf(err, errlen, "unknown option '%s' for %s (%s)", key,
		 cfg->type == NET_USER ? "user" : "tap",
		 cfg->type == NET_USER ? "user takes hostfwd=, restrict=, mac="
				       : "tap takes ifname=, mac=");
	return -EINVAL;
}

int net_parse(const char *spec, struct net_config *cfg, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	tok = strtok_r(copy, ",", &save);
	if (!tok) {
		snprintf(err, errlen, "empty (try --net user or --net tap,ifname=tap0)");
		ret = -EINVAL;
		goto out;
	}
	if (!strcmp(tok, "user")) {
		cfg->type = NET_USER;
	} else if (!strcmp(tok, "tap")) {
		cfg->type = NET_TAP;
	} else {
		snprintf(err, errlen, "unknown network type '%s' (user or tap)", tok);
		ret = -EINVAL;
		goto out;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		ret = parse_option(tok, cfg, err, errlen);
		if (ret)
			goto out;
	}
	if (cfg->type == NET_TAP && cfg->ifname[0] == '\0') {
		snprintf(err, errlen, "tap needs ifname=NAME (e.g. tap,ifname=tap0)");
		ret = -EINVAL;
	}
out:
	free(copy);
	return ret;
}

/* ---- backends ---- */

int net_backend_create(struct net_backend **out, const struct net_config *cfg,
		       struct evloop *el, struct timer_list *timers, char *err, size_t errlen)
{
	switch (cfg->type) {
	case NET_USER:
		return net_slirp_create(out, cfg, el, timers, err, errlen);
	case NET_TAP:
		return net_tap_create(out, cfg, el, err, errlen);
	}
	snprintf(err, errlen, "unknown network type %d", (int)cfg->type);
	return -EINVAL;
}

static void rxq_clear(struct net_backend *be)
{
	while (be->rxq_len) {
		free(be->rxq[be->rxq_head].buf);
		be->rxq_head = (be->rxq_head + 1) % NET_RXQ_MAX;
		be->rxq_len--;
	}
}

void net_backend_destroy(struct net_backend *be)
{
	if (!be)
		return;
	rxq_clear(be);
	be->ops->destroy(be);
}

void net_backend_set_frontend(struct net_backend *be, const struct net_frontend *fe)
{
	be->fe = *fe;
}

/* Offer held-back frames, oldest first; true when the queue is empty. */
static bool rxq_flush(struct net_backend *be)
{
	while (be->rxq_len) {
		struct net_rxq_entry *e = &be->rxq[be->rxq_head];

		if (be->fe.receive && be->fe.receive(be->fe.opaque, e->buf, e->len) == -EAGAIN)
			return false;
		free(e->buf);
		be->rxq_head = (be->rxq_head + 1) % NET_RXQ_MAX;
		be->rxq_len--;
	}
	return true;
}

int net_backend_deliver(struct net_backend *be, const u8 *frame, size_t len)
{
	struct net_rxq_entry *e;

	if (!be->fe.receive)
		return 0; /* no NIC attached: the wire goes nowhere */
	if (be->rxq_len == 0 && be->fe.receive(be->fe.opaque, frame, len) != -EAGAIN)
		return 0;
	if (be->rxq_len == NET_RXQ_MAX)
		goto drop;
	e = &be->rxq[(be->rxq_head + be->rxq_len) % NET_RXQ_MAX];
	e->buf = malloc(len);
	if (!e->buf)
		goto drop;
	memcpy(e->buf, frame, len);
	e->len = len;
	be->rxq_len++;
	return 0;
drop:
	be->rx_dropped++;
	return -ENOBUFS;
}

void net_backend_rx_ready(struct net_backend *be)
{
	bool drained = rxq_flush(be);

	net_backend_rx_flush(be);
	if (drained && be->ops->rx_resume)
		be->ops->rx_resume(be);
}
