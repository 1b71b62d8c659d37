// SPDX-License-Identifier: GPL-2.0-or-later
/* `hover run --incoming` (run_incoming.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "machine/pc.h"
#include "machine/pc_migrate.h"
#include "migration/migrate_chan.h"
#include "mgmt/cmd.h"
#include "mgmt/run_incoming.h"

static const char *find_addr(int argc, char **argv)
{
	const char *addr = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--incoming") && i + 1 < argc)
			addr = argv[i + 1];
		else if (!strncmp(argv[i], "--incoming=", 11))
			addr = argv[i] + 11;
	}
	return addr;
}

/*
 * The source is another host: it may shape the machine (what `hover run`
 * writes into a snapshot's "machine" section) and nothing else — no
 * --no-sandbox, --jail, sockets or snapshot directories of its choosing.
 */
static int check_args(const char *const *a, unsigned n, char *err, size_t errlen)
{
	static const char *const with_value[] = { "--kernel", "--initrd", "--cmdline", "--memory",
						  "--cpus", "--disk", "--net", "--console-port" };

	for (unsigned i = 0; i < n; i++) {
		bool ok = !strcmp(a[i], "--no-rng");

		for (size_t k = 0; !ok && k < sizeof(with_value) / sizeof(with_value[0]); k++)
			if (!strcmp(a[i], with_value[k]) && i + 1 < n) {
				ok = true;
				i++;
			}
		if (!ok) {
			snprintf(err, errlen, "the source sent \"%.64s\" among the machine's options; "
				 "only --kernel --initrd --cmdline --memory --cpus --disk --net "
				 "--console-port --no-rng are taken from it", a[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int run_incoming_begin(struct run_incoming *ri, int argc, char **argv, int *argc2, char ***argv2)
{
	const char *text = find_addr(argc, argv), *const *sargs;
	struct migrate_addr a;
	char err[1024];
	int lfd, ret;
	unsigned n;

	*ri = (struct run_incoming){ .fd = -1 };
	*argc2 = argc;
	*argv2 = argv;
	if (!text)
		return 0;
	if (migrate_addr_parse(text, &a, err, sizeof(err))) {
		fprintf(stderr, "hover: --incoming %s\n", err);
		return EXIT_USAGE;
	}
	if (migrate_chan_listen(&a, &lfd, err, sizeof(err))) {
		fprintf(stderr, "hover: --incoming %s\n", err);
		return EXIT_USAGE;
	}
	log_info("waiting for a migrating VM on %s", text);
	ret = migrate_chan_accept(lfd, -1, &ri->fd);
	close(lfd);
	if (a.unix_path)
		unlink(a.host); /* one migration per listen: nobody else may connect */
	if (ret) {
		fprintf(stderr, "hover: --incoming %s: %s\n", text, strerror(-ret));
		return EXIT_HOST_ERROR;
	}
	ret = pc_migrate_in_open(&ri->in, ri->fd, err, sizeof(err));
	if (ret) {
		pc_migrate_in_refuse(ri->fd, err);
		fprintf(stderr, "hover: --incoming %s: %s\n", text, err);
		run_incoming_end(ri);
		return ret == -EINVAL || ret == -EPROTO ? EXIT_USAGE : EXIT_HOST_ERROR;
	}
	n = pc_migrate_in_args(ri->in, &sargs);
	if (check_args(sargs, n, err, sizeof(err))) {
		pc_migrate_in_refuse(ri->fd, err);
		fprintf(stderr, "hover: --incoming %s: %s\n", text, err);
		run_incoming_end(ri);
		return EXIT_USAGE;
	}
	ri->argv = calloc((size_t)argc + n + 1, sizeof(char *));
	if (!ri->argv) {
		run_incoming_end(ri);
		return EXIT_HOST_ERROR;
	}
	ri->argv[0] = argv[0];
	for (unsigned i = 0; i < n; i++)
		ri->argv[1 + i] = (char *)sargs[i];
	for (int i = 1; i < argc; i++)
		ri->argv[n + i] = argv[i];
	*argc2 = argc + (int)n;
	*argv2 = ri->argv;
	return 0;
}

int run_incoming_receive(struct run_incoming *ri, struct pc *pc, char *err, size_t errlen)
{
	struct pc_migrate_in_stats st;
	u64 t0 = clock_ns();
	int ret = pc_migrate_in_run(pc, ri->in, &st, err, errlen);

	if (ret) {
		pc_migrate_in_refuse(ri->fd, err);
		return ret == -EINVAL || ret == -EPROTO || ret == -ESTALE ? EXIT_USAGE
									  : EXIT_HOST_ERROR;
	}
	/* The source let its disks' locks go before its commit; it may take a moment to show. */
	for (int i = 0; (ret = pc_disks_lock(pc, err, errlen)) == -EAGAIN && i < 500; i++)
		usleep(10000);
	if (ret)
		log_warn("%s (the VM runs on without the lock)", err);
	log_info("migrated in: %.1f MiB, %llu pages in %.0f ms (state and handshake %.1f ms); "
		 "the guest continues", st.bytes / (double)MiB, (unsigned long long)st.pages,
		 (clock_ns() - t0) / 1e6, st.final_ns / 1e6);
	run_incoming_end(ri);
	return 0;
}

void run_incoming_refuse(struct run_incoming *ri, const char *why)
{
	if (ri->fd >= 0)
		pc_migrate_in_refuse(ri->fd, why);
}

void run_incoming_end(struct run_incoming *ri)
{
	/* The options stay: the parsed ones point into them for the process's life (reboots). */
	if (ri->fd >= 0)
		close(ri->fd);
	ri->fd = -1;
}
