// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every VM with its live counters: hoverd's own record (hvm_object) and, for
 * a VM whose process runs, "metrics" from that VM's API (GET /vm/metrics:
 * CPU time, RSS, disk and network bytes). Serves GET /vms?metrics=1 (hover ls) and the web
 * UI's pushed metrics. The lock is not held while VMs are asked, and a VM
 * that does not answer in time just has no metrics this round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/hoverd.h"

#define METRICS_TIMEOUT_MS 500

json_t *hoverd_vms_metrics(struct hoverd *d)
{
	json_t *a = json_array(), *o;
	size_t i, n;
	char (*socks)[HOVERD_SOCK_MAX];

	pthread_mutex_lock(&d->lock);
	for (struct hvm *vm = d->vms; vm; vm = vm->next)
		json_array_append_new(a, hvm_object(vm));
	pthread_mutex_unlock(&d->lock);
	n = json_array_size(a);
	socks = calloc(n ? n : 1, sizeof(*socks));
	if (!socks)
		return a;
	json_array_foreach(a, i, o) {
		const char *st = json_string_value(json_object_get(o, "state"));

		if (st && (!strcmp(st, "running") || !strcmp(st, "paused")))
			snprintf(socks[i], sizeof(socks[i]), "%s",
				 json_string_value(json_object_get(o, "api_socket")));
	}
	for (i = 0; i < n; i++) {
		json_t *m = NULL;
		int status = 0;

		if (!socks[i][0])
			continue;
		if (hvm_call(socks[i], "GET", "/vm/metrics", &status, &m, METRICS_TIMEOUT_MS) == 0 &&
		    status == 200 && json_is_object(m))
			json_object_set_new(json_array_get(a, i), "metrics", m);
		else if (m)
			json_decref(m);
	}
	free(socks);
	return a;
}
