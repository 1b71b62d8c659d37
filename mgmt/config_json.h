/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM definition as JSON: the keys are `hover run`'s long options (name,
 * kernel, initrd, cmdline, firmware, boot, memory, cpus, accel, the lists
 * disk, net and cdrom, and the resource options balloon, mem-merge, mem-hugepages,
 * cpu-weight, cpu-cap, cpu-pin, rt: true for a bare flag, or the option's
 * value as text or number).
 * `hover run --config FILE` and hoverd's stored definitions share it.
 *
 *   {"name": "web", "kernel": "/boot/vmlinuz", "memory": "512M", "cpus": 1,
 *    "disk": ["root.qcow2,format=qcow2"], "net": ["user"]}
 */
#ifndef HOVER_MGMT_CONFIG_JSON_H
#define HOVER_MGMT_CONFIG_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "include/hover/types.h"

#define VM_DEF_MAX_LIST 16
#define VM_DEF_MAX_RES 8

struct vm_def {
	char *name, *kernel, *initrd, *cmdline, *accel;
	char *firmware, *boot; /* without a kernel: --firmware, --boot */
	char *display; /* --display */
	char *memory_text; /* as given ("512M"); NULL: unset */
	u64 memory;        /* bytes; 0: unset */
	unsigned cpus;     /* 0: unset */
	char *disk[VM_DEF_MAX_LIST];
	size_t ndisk;
	char *net[VM_DEF_MAX_LIST];
	size_t nnet;
	/* Resource options (balloon, mem-merge, mem-hugepages, cpu-weight, cpu-cap,
	 * cpu-pin, rt) as hover run takes them: value NULL for a bare flag (true). */
	char *res_name[VM_DEF_MAX_RES], *res_val[VM_DEF_MAX_RES];
	size_t nres;
	char *cdrom[VM_DEF_MAX_LIST]; /* --cdrom images ("" an empty drive) */
	size_t ncdrom;
};

/* Check every key and type; unknown keys are named in err. The def owns its strings. */
int config_json_parse(json_t *obj, struct vm_def *def, char *err, size_t errlen) HOVER_WUR;
/* The same; on failure *field is the key at fault (NULL when the value is not an object). */
int config_json_parse_field(json_t *obj, struct vm_def *def, char *err, size_t errlen,
			    const char **field) HOVER_WUR;
/* Read FILE and parse it; malformed JSON is reported with its line and column. */
int config_json_load(const char *path, struct vm_def *def, char *err, size_t errlen) HOVER_WUR;
json_t *config_json_dump(const struct vm_def *def);
void config_json_free(struct vm_def *def);

/* A VM name: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool config_json_valid_name(const char *name);

#endif
