// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verbs that talk to hoverd: create, ls, info, start, logs, pause,
 * resume, stop, kill, rm (console is in cmd_console.c). Each is one request
 * to hoverd's API (mgmt/openapi.yaml) over its unix socket; --json prints the
 * API's JSON answer as is, for scripts.
 *
 * Exit status: 0 ok, 1 the request failed (refused in this state, hoverd
 * unreachable), 2 bad usage or input, 4 no such VM.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/client.h"
#include "mgmt/cmd.h"
#include "mgmt/image_store.h"
#include "mgmt/vm_actions.h"
#include "mgmt/vm_cli.h"

static const char *connect_path;
static char default_sock[256];

void cmd_set_connect(const char *path)
{
	connect_path = path;
}

const char *cmd_connect_path(void)
{
	const char *env = getenv("HOVER_CONNECT"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (connect_path)
		return connect_path;
	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/run/hover/hoverd.sock";
	if (xdg && *xdg)
		snprintf(default_sock, sizeof(default_sock), "%s/hover/hoverd.sock", xdg);
	else
		snprintf(default_sock, sizeof(default_sock), "/tmp/hover-%u/hoverd.sock",
			 (unsigned)geteuid());
	return default_sock;
}

int vm_cli_parse(int argc, char **argv, const struct vm_cli_spec *spec, struct vm_cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			spec->help(stdout);
			return -1;
		} else if (strcmp(a, "--connect") == 0 && i + 1 < argc) {
			cmd_set_connect(argv[++i]);
		} else if (strncmp(a, "--connect=", 10) == 0) {
			cmd_set_connect(a + 10);
		} else if (spec->follow && (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0)) {
			o->follow = true;
		} else if (spec->timeout && strcmp(a, "--timeout") == 0 && i + 1 < argc) {
			char *end;

			o->timeout = strtod(argv[++i], &end);
			if (*end || o->timeout < 0) {
				fprintf(stderr, "hover: --timeout %s: not a number of seconds\n", argv[i]);
				return EXIT_USAGE;
			}
		} else if (spec->timeout && strcmp(a, "--no-wait") == 0) {
			o->no_wait = true;
		} else if (spec->follow && strcmp(a, "--tail") == 0 && i + 1 < argc) {
			o->tail = strtol(argv[++i], NULL, 10);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "hover: %s: unknown option '%s' (see `hover help %s`)\n",
				spec->verb, a, spec->verb);
			return EXIT_USAGE;
		} else if (!o->arg && spec->arg) {
			o->arg = a;
		} else {
			fprintf(stderr, "hover: %s: unexpected argument '%s' (see `hover help %s`)\n",
				spec->verb, a, spec->verb);
			return EXIT_USAGE;
		}
	}
	if (spec->arg && !o->arg) {
		fprintf(stderr, "hover: %s needs %s (see `hover help %s`)\n", spec->verb, spec->arg,
			spec->verb);
		return EXIT_USAGE;
	}
	return 0;
}

int vm_cli_request(const char *method, const char *path, const char *body, bool json_out,
		   json_t **out)
{
	struct http_resp r;
	char err[512];
	json_t *j;
	int ret = http_call(cmd_connect_path(), method, path, body, &r, NULL, NULL, 120000, err,
			    sizeof(err));

	if (out)
		*out = NULL;
	if (ret) {
		fprintf(stderr, "hover: %s (is hoverd running? start it, or give --connect SOCKET)\n",
			err);
		return EXIT_GUEST_FAILED;
	}
	j = json_loads(r.body, 0, NULL);
	if (json_out)
		fputs(r.body, stdout);
	http_resp_free(&r);
	if (r.status >= 300) {
		const char *msg = json_string_value(json_object_get(json_object_get(j, "error"),
								    "message"));

		fprintf(stderr, "hover: %s\n", msg ? msg : "request failed");
		if (j)
			json_decref(j);
		return r.status == 404 ? EXIT_NO_SUCH_VM : r.status == 400 ? EXIT_USAGE
									 : EXIT_GUEST_FAILED;
	}
	if (out)
		*out = j;
	else if (j)
		json_decref(j);
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

/* ---- verbs ---- */

#define HELP(fn, text)                                                                             \
	static void fn(FILE *f)                                                                    \
	{                                                                                          \
		fputs(text "\ncommon options: --json (the API's JSON answer), --connect SOCKET\n"  \
			   "exit status: 0 ok, 1 failed, 2 bad usage or input, 4 no such VM\n", f); \
	}

HELP(help_create, "usage: hover create FILE.json\n\nDefine a VM from a JSON file whose keys are "
		  "hover run's long options:\n  {\"name\": \"web\", \"kernel\": \"/path/vmlinuz\", "
		  "\"initrd\": \"/path/initrd.gz\",\n   \"cmdline\": \"console=ttyS0\", \"memory\": "
		  "\"512M\", \"cpus\": 1, \"accel\": \"emu\",\n   \"disk\": [], \"net\": []}\n")
HELP(help_ls, "usage: hover ls\n\nList VMs: name, state, engine, vCPUs, memory, pid, uptime, CPU% (the VM\n"
	      "process's CPU time over its life, as ps shows it) and resident memory; under a\n"
	      "VM that crashed or did not start, why.\n")
HELP(help_info, "usage: hover info NAME\n\nA VM's state, configuration, uptime, vCPUs and memory.\n")
HELP(help_start, "usage: hover start NAME\n\nStart a VM as its own `hover run` process.\n")
HELP(help_logs, "usage: hover logs NAME [--follow] [--tail LINES]\n\nThe VM's console output "
		"(the last 256 KiB); --follow goes on until the VM stops.\n")
HELP(help_pause, "usage: hover pause NAME\n\nStop the vCPUs (devices quiesce); resume continues.\n")
HELP(help_resume, "usage: hover resume NAME\n\nContinue a paused VM.\n")
HELP(help_stop, "usage: hover stop NAME [--timeout S] [--no-wait]\n\nPress the ACPI power button; "
		"if the VM still runs after S seconds (default 30),\npower it off. Waits until it "
		"has stopped unless --no-wait.\n")
HELP(help_kill, "usage: hover kill NAME\n\nEnd the VM's process at once (SIGKILL); returns once it has ended.\n")
HELP(help_rm, "usage: hover rm NAME\n\nDelete a stopped VM's definition and log.\n")
HELP(help_console, "usage: hover console NAME\n\nAttach to the VM's serial console; Ctrl-] "
		   "detaches and leaves the VM running.\n")

static const struct vm_cli_spec specs[] = {
	{ .verb = "create", .arg = "FILE.json", .help = help_create },
	{ .verb = "ls", .arg = NULL, .help = help_ls },
	{ .verb = "info", .arg = "NAME", .help = help_info },
	{ .verb = "start", .arg = "NAME", .help = help_start },
	{ .verb = "logs", .arg = "NAME", .help = help_logs, .follow = true },
	{ .verb = "pause", .arg = "NAME", .help = help_pause },
	{ .verb = "resume", .arg = "NAME", .help = help_resume },
	{ .verb = "stop", .arg = "NAME", .help = help_stop, .timeout = true },
	{ .verb = "kill", .arg = "NAME", .help = help_kill },
	{ .verb = "rm", .arg = "NAME", .help = help_rm },
	{ .verb = "console", .arg = "NAME", .help = help_console },
};

const struct vm_cli_spec *vm_cli_spec(const char *verb)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(specs[i].verb, verb) == 0)
			return &specs[i];
	return NULL;
}

void cmd_vm_help(FILE *f, const char *verb)
{
	const struct vm_cli_spec *s = vm_cli_spec(verb);

	if (s)
		s->help(f);
}

static void sink_stdout(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

static int do_logs(const struct vm_cli_opts *o)
{
	struct http_resp r;
	char path[256], err[512];
	int ret;

	snprintf(path, sizeof(path), "/vms/%s/logs?follow=%d%s%ld", o->arg, o->follow ? 1 : 0,
		 o->tail > 0 ? "&tail=" : "", o->tail > 0 ? o->tail : 0L);
	if (o->tail <= 0)
		path[strlen(path) - 1] = '\0'; /* drop the "0" */
	/* The VM must exist: ask first, so that a typo exits 4 with a message. */
	snprintf(err, sizeof(err), "/vms/%s", o->arg);
	ret = vm_cli_request("GET", err, NULL, false, NULL);
	if (ret)
		return ret;
	ret = http_call(cmd_connect_path(), "GET", path, NULL, &r, sink_stdout, NULL, -1, err,
			sizeof(err));
	if (ret) {
		fprintf(stderr, "hover: %s\n", err);
		return EXIT_GUEST_FAILED;
	}
	return 0;
}

/* A running VM's balloon and resource settings, from its metrics (GET /vms/NAME/metrics). */
static void print_resources(json_t *v)
{
	json_t *m = NULL, *b, *r, *g, *mem;
	char path[256];
	const char *st = jstr(v, "state");

	if (strcmp(st, "running") && strcmp(st, "paused"))
		return;
	snprintf(path, sizeof(path), "/vms/%s/metrics", jstr(v, "name"));
	if (vm_cli_request("GET", path, NULL, false, &m) || !m)
		return;
	mem = json_object_get(m, "memory");
	b = json_object_get(mem, "balloon");
	r = json_object_get(m, "resources");
	g = json_object_get(b, "guest");
	printf("rss:      %lld MiB%s\n",
	       (long long)(json_integer_value(json_object_get(mem, "rss_bytes")) >> 20),
	       json_is_true(json_object_get(mem, "mergeable")) ? " (RAM mergeable by KSM)" : "");
	if (json_is_integer(json_object_get(mem, "ksm_merged_bytes")))
		printf("ksm:      %lld MiB merged\n",
		       (long long)(json_integer_value(json_object_get(mem, "ksm_merged_bytes")) >> 20));

#define MIB(o, k) ((long long)(json_integer_value(json_object_get((o), (k))) >> 20))
	if (json_is_object(b))
		printf("balloon:  target %lld MiB, actual %lld MiB, returned by free page reporting "
		       "%lld MiB\n", MIB(b, "target_bytes"), MIB(b, "actual_bytes"),
		       MIB(b, "reported_free_bytes"));
	if (json_is_object(g))
		printf("guest:    total %lld MiB, free %lld MiB, available %lld MiB, caches %lld MiB, "
		       "swapped in/out %lld/%lld\n", MIB(g, "total"), MIB(g, "free"),
		       MIB(g, "available"), MIB(g, "caches"),
		       (long long)json_integer_value(json_object_get(g, "swap_in")),
		       (long long)json_integer_value(json_object_get(g, "swap_out")));
#undef MIB
	if (json_is_object(r)) {
		json_t *cap = json_object_get(r, "cpu_cap_percent");
		char captext[32] = "none";

		if (json_is_integer(cap))
			snprintf(captext, sizeof(captext), "%lld%%", (long long)json_integer_value(cap));
		printf("cpu:      weight %lld, cap %s, pinned to %s, rt priority %lld\n",
		       (long long)json_integer_value(json_object_get(r, "cpu_weight")), captext,
		       json_is_string(json_object_get(r, "cpu_pin")) ? jstr(r, "cpu_pin") : "any CPU",
		       (long long)json_integer_value(json_object_get(r, "rt_priority")));
	}
	json_decref(m);
}

static void print_vm(json_t *v)
{
	json_t *le = json_object_get(v, "last_exit");

	printf("name:     %s\nstate:    %s\n", jstr(v, "name"), jstr(v, "state"));
	if (json_object_get(v, "pid"))
		printf("pid:      %lld\n", (long long)json_integer_value(json_object_get(v, "pid")));
	if (json_object_get(v, "uptime_s"))
		printf("uptime:   %.1f s\n", json_number_value(json_object_get(v, "uptime_s")));
	printf("vcpus:    %lld\nmemory:   %lld MiB\naccel:    %s\n",
	       (long long)json_integer_value(json_object_get(v, "vcpus")),
	       (long long)(json_integer_value(json_object_get(v, "memory_bytes")) >> 20),
	       jstr(v, "accel"));
	printf("kernel:   %s\n", jstr(json_object_get(v, "config"), "kernel"));
	printf("console:  %s\nlog:      %s\n", jstr(v, "console_socket"), jstr(v, "log_file"));
	if (json_is_object(le))
		printf("last exit: %s\n", jstr(le, "message"));
	print_resources(v);
}

static void fmt_uptime(double s, char *buf, size_t len)
{
	unsigned long t = (unsigned long)s;

	if (t < 60)
		snprintf(buf, len, "%lus", t);
	else if (t < 3600)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%luh%02lum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lud%02luh", t / 86400, t % 86400 / 3600);
}

/*
 * NAME STATE ENGINE VCPUS MEMORY PID UPTIME CPU% RSS, then why a VM last
 * ended if it crashed or did not start. CPU% is ps(1)'s: the VM process's CPU
 * time over its life, so 100% is one host core busy all along.
 */
static void print_ls(json_t *vms)
{
	size_t i;
	json_t *e;

	printf("%-20s %-9s %-6s %5s %8s %8s %8s %5s %8s\n", "NAME", "STATE", "ENGINE", "VCPUS",
	       "MEMORY", "PID", "UPTIME", "CPU%", "RSS");
	json_array_foreach(vms, i, e) {
		json_t *pid = json_object_get(e, "pid"), *m = json_object_get(e, "metrics");
		json_t *le = json_object_get(e, "last_exit");
		const char *engine = json_string_value(json_object_get(m, "accel"));
		char pidbuf[24] = "-", up[24] = "-", cpu[16] = "-", rss[24] = "-";

		if (pid)
			snprintf(pidbuf, sizeof(pidbuf), "%lld", (long long)json_integer_value(pid));
		if (json_object_get(e, "uptime_s"))
			fmt_uptime(json_number_value(json_object_get(e, "uptime_s")), up, sizeof(up));
		if (m) {
			json_t *p = json_object_get(m, "process");
			double t = json_number_value(json_object_get(p, "user_cpu_s")) +
				   json_number_value(json_object_get(p, "system_cpu_s"));
			double u = json_number_value(json_object_get(m, "uptime_s"));

			if (u > 0)
				snprintf(cpu, sizeof(cpu), "%.0f", 100.0 * t / u);
			snprintf(rss, sizeof(rss), "%lldM",
				 (long long)(json_integer_value(json_object_get(json_object_get(m, "memory"),
										 "rss_bytes")) >> 20));
		}
		printf("%-20s %-9s %-6s %5lld %7lldM %8s %8s %5s %8s\n", jstr(e, "name"),
		       jstr(e, "state"), engine ? engine : jstr(e, "accel"),
		       (long long)json_integer_value(json_object_get(e, "vcpus")),
		       (long long)(json_integer_value(json_object_get(e, "memory_bytes")) >> 20),
		       pidbuf, up, cpu, rss);
		if (!strcmp(jstr(e, "state"), "crashed") && json_is_object(le))
			printf("    %s\n", jstr(le, "message"));
	}
}

/* After stop: wait for the VM to leave the running state. */
static int wait_stopped(const char *name, double timeout, bool json)
{
	char path[256];
	time_t end = time(NULL) + (time_t)timeout + 15;

	snprintf(path, sizeof(path), "/vms/%s", name);
	while (time(NULL) < end) {
		json_t *v;
		int ret = vm_cli_request("GET", path, NULL, false, &v);
		const char *st;

		if (ret)
			return ret;
		st = jstr(v, "state");
		if (strcmp(st, "running") && strcmp(st, "paused") && strcmp(st, "starting")) {
			if (json) {
				json_dumpf(v, stdout, JSON_COMPACT);
				putchar('\n');
			} else {
				printf("%s %s\n", name, st);
			}
			json_decref(v);
			return 0;
		}
		json_decref(v);
		usleep(200000);
	}
	fprintf(stderr, "hover: %s is still running\n", name);
	return EXIT_GUEST_FAILED;
}

/*
 * hoverd runs elsewhere (another working directory, maybe another root): a
 * relative path in a definition means the caller's directory, so it is made
 * absolute here, before the definition leaves. "disk.img,format=raw" keeps
 * its options. Paths that are already absolute, and non-strings, are left.
 */
static json_t *absolute(const char *v)
{
	char cwd[4096], *out;
	json_t *j;

	if (!v[0] || v[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, v) < 0)
		return NULL;
	j = json_string(out);
	free(out);
	return j;
}

static void absolute_paths(json_t *def)
{
	static const char *const keys[] = { "kernel", "initrd" };
	json_t *list = json_object_get(def, "disk"), *e, *abs;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(def, keys[i]);

		if (json_is_string(v) && (abs = absolute(json_string_value(v))))
			json_object_set_new(def, keys[i], abs);
	}
	json_array_foreach(list, i, e) {
		if (json_is_string(e) && (abs = absolute(json_string_value(e))))
			json_array_set_new(list, i, abs);
	}
}

int cmd_vm(int argc, char **argv)
{
	const struct vm_cli_spec *spec = vm_cli_spec(argv[0]);
	struct vm_cli_opts o;
	char path[256];
	json_t *v = NULL;
	int ret;

	ret = vm_cli_parse(argc, argv, spec, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (o.arg && strcmp(spec->verb, "create") && strlen(o.arg) > 100) {
		fprintf(stderr, "hover: %s: not a VM name\n", o.arg);
		return EXIT_USAGE;
	}
	if (strcmp(spec->verb, "create") == 0) {
		json_error_t jerr;
		json_t *def = json_load_file(o.arg, JSON_REJECT_DUPLICATES, &jerr);
		char *body;

		if (!def) {
			fprintf(stderr, "hover: %s: %s%s (line %d, column %d)\n", o.arg,
				jerr.line < 1 ? "" : "malformed JSON: ", jerr.text, jerr.line,
				jerr.column);
			return EXIT_USAGE;
		}
		absolute_paths(def);
		body = json_dumps(def, JSON_COMPACT);
		json_decref(def);
		ret = vm_cli_request("POST", "/vms", body, o.json, &v);
		free(body);
		if (!ret && !o.json)
			printf("created %s\n", jstr(v, "name"));
	} else if (strcmp(spec->verb, "ls") == 0) {
		ret = vm_cli_request("GET", "/vms?metrics=1", NULL, o.json, &v);
		if (!ret && !o.json)
			print_ls(v);
	} else if (strcmp(spec->verb, "info") == 0) {
		snprintf(path, sizeof(path), "/vms/%s", o.arg);
		ret = vm_cli_request("GET", path, NULL, o.json, &v);
		if (!ret && !o.json)
			print_vm(v);
	} else if (strcmp(spec->verb, "logs") == 0) {
		ret = do_logs(&o);
	} else if (strcmp(spec->verb, "rm") == 0) {
		snprintf(path, sizeof(path), "/vms/%s", o.arg);
		ret = vm_cli_request("DELETE", path, NULL, o.json, &v);
		if (!ret && !o.json)
			printf("removed %s\n", o.arg);
		/* A VM from `hover launch`: its overlay, seed and key go with it. */
		if (!ret && image_vm_files_remove(o.arg) && !o.json)
			printf("removed %s's disk, seed and key\n", o.arg);
	} else {
		char body[64] = "";

		if (strcmp(spec->verb, "stop") == 0)
			snprintf(body, sizeof(body), "{\"timeout\": %g}", o.timeout);
		snprintf(path, sizeof(path), "/vms/%s/%s", o.arg, spec->verb);
		ret = vm_cli_request("POST", path, body[0] ? body : NULL,
				     o.json && (strcmp(spec->verb, "stop") || o.no_wait), &v);
		if (!ret && strcmp(spec->verb, "stop") == 0 && !o.no_wait) {
			if (!o.json)
				printf("stopping %s (ACPI power button; powered off after %g s)\n",
				       o.arg, o.timeout);
			ret = wait_stopped(o.arg, o.timeout, o.json);
		} else if (!ret && !o.json) {
			const struct vm_action *a = vm_action_find(spec->verb);

			if (a && a->done)
				printf("%s %s\n", a->done, o.arg);
		}
	}
	if (v)
		json_decref(v);
	return ret;
}
