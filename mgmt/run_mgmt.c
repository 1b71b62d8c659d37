// SPDX-License-Identifier: GPL-2.0-or-later
/* `hover run`'s management options (run_mgmt.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/api_vm.h"
#include "mgmt/console_sock.h"
#include "mgmt/run_migrate.h"
#include "mgmt/run_mgmt.h"

int run_mgmt_load_config(struct run_mgmt *m, int argc, char **argv, char *err, size_t errlen)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	if (!path)
		return 0;
	if (config_json_load(path, &m->def, err, errlen))
		return -EINVAL;
	m->have_def = true;
	if (m->def.name && !m->name)
		m->name = m->def.name;
	return 0;
}

int run_mgmt_open(struct run_mgmt *m, const struct vm_def *eff, char *err, size_t errlen)
{
	int ret;

	if (!m->name)
		m->name = "vm";
	if (!config_json_valid_name(m->name)) {
		snprintf(err, errlen, "--name %s: not a valid VM name (letters, digits, '_', '.', '-')",
			 m->name);
		return -EINVAL;
	}
	m->config = config_json_dump(eff);
	json_object_set_new(m->config, "name", json_string(m->name));
	if (m->console_sock) {
		ret = console_sock_create(&m->csock, m->console_sock, err, errlen);
		if (ret)
			return ret;
	}
	if (m->api_sock) {
		ret = run_migrate_create(&m->migrate);
		if (ret)
			return ret;
	}
	if (m->api_sock) {
		struct api_vm_info info = {
			.name = m->name, .accel = eff->accel, .memory = eff->memory,
			.cpus = eff->cpus, .config = m->config, .api_socket = m->api_sock,
			.console_socket = m->console_sock,
			.machine_args = m->machine_args, .nmachine_args = m->nmachine_args,
			.snapshot_dirfd = m->snapshot_dirfd, .snapshot_dir = m->snapshot_dir,
			.migrate = m->migrate,
		};

		ret = api_vm_create(&m->api, &info, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int run_mgmt_attach(struct run_mgmt *m, struct pc *pc)
{
	int ret = 0;

	if (m->csock)
		ret = console_sock_attach(m->csock, pc);
	if (!ret && m->api)
		ret = api_vm_attach(m->api, pc);
	/* From the main thread, whose sandbox still allows starting threads. */
	if (!ret && m->migrate)
		ret = run_migrate_start(m->migrate, m->thread_enter, m->thread_opaque);
	return ret;
}

void run_mgmt_detach(struct run_mgmt *m)
{
	run_migrate_release(m->migrate);
	if (m->api)
		api_vm_detach(m->api);
	if (m->csock)
		console_sock_detach(m->csock);
}

void run_mgmt_close(struct run_mgmt *m)
{
	api_vm_destroy(m->api);
	m->api = NULL;
	run_migrate_destroy(m->migrate);
	m->migrate = NULL;
	console_sock_destroy(m->csock);
	m->csock = NULL;
	if (m->config)
		json_decref(m->config);
	m->config = NULL;
	if (m->have_def)
		config_json_free(&m->def);
	m->have_def = false;
}

void run_mgmt_output(struct run_mgmt *m, const u8 *buf, size_t len)
{
	if (m->csock)
		console_sock_output(m->csock, buf, len);
	if (m->api)
		api_vm_console_bytes(m->api, len);
}

void run_mgmt_set_res(struct run_mgmt *m, struct run_res *res)
{
	if (m->api)
		api_vm_set_res(m->api, res);
}
