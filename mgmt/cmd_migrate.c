// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover snapshot NAME FILE [--stop]`, `hover restore FILE [--name NAME]`,
 * `hover migrate NAME --to ADDR`: hoverd's snapshot, restore and migrate
 * routes (mgmt/hoverd_migrate.c), with progress on the terminal while a
 * migration runs.
 */
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "migration/migrate_wire.h"
#include "mgmt/client.h"
#include "mgmt/cmd.h"
#include "mgmt/vm_cli.h"

void cmd_snapshot_help(FILE *f)
{
	fprintf(f, "usage: hover snapshot NAME FILE [--stop] [--json]\n\n"
		"Save the running VM NAME whole (vCPUs, devices, RAM) to FILE, a file name in\n"
		"hoverd's snapshot directory for it (STATE_DIR/snapshots/NAME); it resumes,\n"
		"or stops with --stop. `hover restore` brings it back.\n");
}

void cmd_restore_help(FILE *f)
{
	fprintf(f, "usage: hover restore FILE [--name NAME] [--json]\n\n"
		"Start the stopped VM NAME from snapshot FILE (hover snapshot wrote it; NAME\n"
		"defaults to the VM whose snapshot directory holds FILE). Its disks must be as\n"
		"they were when the snapshot was taken.\n");
}

void cmd_migrate_help(FILE *f)
{
	fprintf(f, "usage: hover migrate NAME --to tcp:HOST:PORT|unix:PATH [--max-downtime MS]\n"
		"                    [--bandwidth SIZE] [--max-rounds N] [--json]\n\n"
		"Move the running VM NAME, live, to a `hover run --incoming ADDR` waiting at\n"
		"ADDR (disks: shared storage, the same paths there). RAM goes while the guest\n"
		"runs, then the pages it dirtied, round after round, until the rest fits in\n"
		"--max-downtime (default 50 ms) or after --max-rounds (default 30); then the\n"
		"VM pauses, the rest goes, and the destination runs it. --bandwidth caps the\n"
		"rate (bytes per second: 100M). Progress is shown until it is done. On any\n"
		"failure the VM runs on here.\n");
}

/* POST or GET without printing errors: (status, body) or -1 on a transport failure. */
static int call(const char *method, const char *path, const char *body, json_t **out)
{
	struct http_resp r;
	char err[512];
	int st;

	*out = NULL;
	if (http_call(cmd_connect_path(), method, path, body, &r, NULL, NULL, 30000, err,
		      sizeof(err)))
		return -1;
	st = r.status;
	*out = json_loads(r.body, 0, NULL);
	http_resp_free(&r);
	return st;
}

static int parse(int argc, char **argv, const struct option *lo, void (*help)(FILE *),
		 int (*opt)(int c, const char *arg, void *ctx), void *ctx)
{
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			help(stdout);
			return -1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "hover: %s: unknown option or missing value (see `hover help "
				"%s`)\n", argv[optind - 1], argv[0]);
			return EXIT_USAGE;
		}
		if (opt(c, optarg, ctx))
			return EXIT_USAGE;
	}
	return 0;
}

struct snap_opts {
	bool stop, json;
	const char *name;
};

static int snap_opt(int c, const char *arg, void *ctx)
{
	struct snap_opts *o = ctx;

	if (c == 's')
		o->stop = true;
	else if (c == 'j')
		o->json = true;
	else if (c == 'n')
		o->name = arg;
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = { { "stop", no_argument, NULL, 's' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct snap_opts o = { 0 };
	char path[256], *body;
	json_t *v;
	int ret = parse(argc, argv, lo, cmd_snapshot_help, snap_opt, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (argc - optind != 2) {
		fprintf(stderr, "hover: snapshot needs NAME and FILE (see `hover help snapshot`)\n");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/vms/%s/snapshot", argv[optind]);
	body = json_dumps(json_pack("{s:s,s:b}", "file", argv[optind + 1], "stop", o.stop),
			  JSON_COMPACT);
	ret = vm_cli_request("POST", path, body, o.json, &v);
	free(body);
	if (!ret && !o.json)
		printf("saved %s to %s (%.0f MiB of RAM, the VM paused for %.1f ms)%s\n", argv[optind],
		       json_string_value(json_object_get(v, "path")),
		       json_number_value(json_object_get(v, "ram_bytes")) / (1 << 20),
		       json_number_value(json_object_get(v, "total_ms")),
		       o.stop ? "; stopped" : "");
	if (v)
		json_decref(v);
	return ret;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option lo[] = { { "name", required_argument, NULL, 'n' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct snap_opts o = { 0 };
	char path[256], real[4096], name[128] = "", *body;
	json_t *v;
	int ret = parse(argc, argv, lo, cmd_restore_help, snap_opt, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (argc - optind != 1) {
		fprintf(stderr, "hover: restore needs FILE (see `hover help restore`)\n");
		return EXIT_USAGE;
	}
	if (!realpath(argv[optind], real)) {
		fprintf(stderr, "hover: restore %s: no such file\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.name) {
		snprintf(name, sizeof(name), "%s", o.name);
	} else {
		/* .../snapshots/NAME/FILE: the VM it came from. */
		char *slash = strrchr(real, '/'), *prev;

		*slash = '\0';
		prev = strrchr(real, '/');
		if (prev && prev - real >= 10 && !strncmp(prev - 10, "/snapshots", 10))
			snprintf(name, sizeof(name), "%s", prev + 1);
		*slash = '/';
		if (!name[0]) {
			fprintf(stderr, "hover: restore %s: which VM? (give --name NAME)\n", real);
			return EXIT_USAGE;
		}
	}
	snprintf(path, sizeof(path), "/vms/%s/restore", name);
	body = json_dumps(json_pack("{s:s}", "file", real), JSON_COMPACT);
	ret = vm_cli_request("POST", path, body, o.json, &v);
	free(body);
	if (!ret && !o.json)
		printf("restored %s from %s\n", name, real);
	if (v)
		json_decref(v);
	return ret;
}

struct mig_opts {
	const char *to, *bandwidth;
	double max_downtime;
	int max_rounds;
	bool json;
};

static int mig_opt(int c, const char *arg, void *ctx)
{
	struct mig_opts *o = ctx;
	char *end;

	if (c == 't') {
		o->to = arg;
	} else if (c == 'b') {
		o->bandwidth = arg;
	} else if (c == 'j') {
		o->json = true;
	} else if (c == 'd') {
		o->max_downtime = strtod(arg, &end);
		if (*end || o->max_downtime < 1) {
			fprintf(stderr, "hover: --max-downtime %s: milliseconds, 1 or more\n", arg);
			return -1;
		}
	} else if (c == 'r') {
		o->max_rounds = (int)strtol(arg, &end, 10);
		if (*end || o->max_rounds < 0 || o->max_rounds > 1000) {
			fprintf(stderr, "hover: --max-rounds %s: 0 to 1000\n", arg);
			return -1;
		}
	}
	return 0;
}

/* tcp:HOST:PORT with a host name: the VM's sandbox resolves nothing, so do it here. */
static int numeric_to(const char *to, char *out, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	struct migrate_addr a;
	char err[512], host[INET6_ADDRSTRLEN];
	int gai;

	if (migrate_addr_parse(to, &a, err, sizeof(err))) {
		fprintf(stderr, "hover: --to %s\n", err);
		return EXIT_USAGE;
	}
	if (a.unix_path) {
		snprintf(out, len, "%s", to);
		return 0;
	}
	gai = getaddrinfo(a.host, a.port, &hints, &res);
	if (gai) {
		fprintf(stderr, "hover: --to %s: %s\n", to, gai_strerror(gai));
		return EXIT_USAGE;
	}
	getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	snprintf(out, len, res->ai_family == AF_INET6 ? "tcp:[%s]:%s" : "tcp:%s:%s", host, a.port);
	freeaddrinfo(res);
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option lo[] = { { "to", required_argument, NULL, 't' },
					    { "max-downtime", required_argument, NULL, 'd' },
					    { "bandwidth", required_argument, NULL, 'b' },
					    { "max-rounds", required_argument, NULL, 'r' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct mig_opts o = { .max_downtime = 50, .max_rounds = 30 };
	char path[256], to[320], *body;
	const char *name;
	json_t *v = NULL, *req;
	bool tty = isatty(STDERR_FILENO);
	int ret = parse(argc, argv, lo, cmd_migrate_help, mig_opt, &o), st;

	if (ret)
		return ret < 0 ? 0 : ret;
	if (argc - optind != 1 || !o.to) {
		fprintf(stderr, "hover: migrate needs NAME and --to ADDR (see `hover help migrate`)\n");
		return EXIT_USAGE;
	}
	name = argv[optind];
	ret = numeric_to(o.to, to, sizeof(to));
	if (ret)
		return ret;
	req = json_pack("{s:s,s:f,s:i}", "to", to, "max_downtime_ms", o.max_downtime,
			"max_rounds", o.max_rounds);
	if (o.bandwidth)
		json_object_set_new(req, "bandwidth", json_string(o.bandwidth));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(path, sizeof(path), "/vms/%s/migrate", name);
	ret = vm_cli_request("POST", path, body, false, NULL);
	free(body);
	if (ret)
		return ret;
	/* Follow it: while active, a line of progress; then the VM's process has exited (moved). */
	for (;;) {
		struct timespec ts = { 0, 200 * 1000000L };

		if (v)
			json_decref(v);
		st = call("GET", path, NULL, &v);
		if (st != 200 || !v)
			break; /* the VM stopped: hoverd answers 409 */
		if (strcmp(json_string_value(json_object_get(v, "state")) ?: "", "active"))
			break;
		if (!o.json)
			fprintf(stderr, "%s%s: %-13s round %lld, %.1f MiB sent, %.1f MiB dirty, %.0f MiB/s, "
				"expected downtime %.0f ms%s", tty ? "\r" : "", name,
				json_string_value(json_object_get(v, "phase")),
				(long long)json_integer_value(json_object_get(v, "rounds")),
				json_integer_value(json_object_get(v, "bytes_sent")) / 1048576.0,
				json_integer_value(json_object_get(v, "remaining_bytes")) / 1048576.0,
				json_integer_value(json_object_get(v, "rate_bytes_per_s")) / 1048576.0,
				json_number_value(json_object_get(v, "expected_downtime_ms")),
				tty ? "   " : "\n");
		nanosleep(&ts, NULL);
	}
	if (tty && !o.json)
		fputc('\n', stderr);
	if (v && !strcmp(json_string_value(json_object_get(v, "state")) ?: "", "failed")) {
		if (o.json)
			puts(json_dumps(v, JSON_COMPACT));
		fprintf(stderr, "hover: migrate %s: %s (it runs on here)\n", name,
			json_string_value(json_object_get(v, "error")));
		json_decref(v);
		return EXIT_GUEST_FAILED;
	}
	if (v)
		json_decref(v);
	/* Gone from here: it exited 0 if the destination has it. */
	snprintf(path, sizeof(path), "/vms/%s", name);
	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000000L };
		json_t *le;

		st = call("GET", path, NULL, &v);
		le = v ? json_object_get(v, "last_exit") : NULL;
		if (st == 200 && json_is_object(le) &&
		    strcmp(json_string_value(json_object_get(v, "state")) ?: "", "running")) {
			bool ok = json_integer_value(json_object_get(le, "code")) == 0 &&
				  !json_object_get(le, "signal");

			if (o.json)
				printf("{\"name\":\"%s\",\"migrated\":%s,\"to\":\"%s\"}\n", name,
				       ok ? "true" : "false", to);
			else if (ok)
				printf("migrated %s to %s\n", name, to);
			else
				fprintf(stderr, "hover: migrate %s: the VM's process ended: %s\n", name,
					json_string_value(json_object_get(le, "message")));
			json_decref(v);
			return ok ? 0 : EXIT_GUEST_FAILED;
		}
		if (v)
			json_decref(v);
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "hover: migrate %s: no answer from hoverd about how it ended\n", name);
	return EXIT_GUEST_FAILED;
}
