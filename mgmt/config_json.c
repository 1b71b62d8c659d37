// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VM definitions as JSON (see config_json.h), parsed with jansson. Every
 * error names the key and what was wrong with its value, so that a person
 * fixing a file, or an API client, knows what to change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/config_json.h"
#include "mgmt/parse.h"

static const char *const known_keys[] = {
	"name", "kernel", "initrd", "cmdline", "memory", "cpus", "accel", "disk", "net",
	"firmware", "boot", "balloon", "mem-merge", "mem-hugepages", "cpu-weight", "cpu-cap",
	"cpu-pin", "rt", "display", "cdrom", NULL,
};
/* hover run's resource options (mgmt/run_res.c checks their values). */
static const char *const res_keys[] = {
	"balloon", "mem-merge", "mem-hugepages", "cpu-weight", "cpu-cap", "cpu-pin", "rt", NULL,
};

/* true: a bare flag; false: left out; a string or a whole number: the value. */
static int get_res(json_t *obj, struct vm_def *def, char *err, size_t errlen)
{
	for (const char *const *k = res_keys; *k; k++) {
		json_t *v = json_object_get(obj, *k);
		char buf[32];
		const char *val = NULL;

		if (!v || json_is_null(v) || json_is_false(v))
			continue;
		if (json_is_string(v)) {
			val = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
			val = buf;
		} else if (!json_is_true(v)) {
			snprintf(err, errlen, "\"%s\" must be true, a string or a whole number", *k);
			return -EINVAL;
		}
		def->res_name[def->nres] = strdup(*k);
		def->res_val[def->nres] = val ? strdup(val) : NULL;
		def->nres++;
	}
	return 0;
}

bool config_json_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int get_string(json_t *obj, const char *key, char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int get_list(json_t *obj, const char *key, char **list, size_t *n, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(obj, key), *item;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "\"%s\" must be a list of strings, e.g. [\"%s\"]", key,
			 strcmp(key, "net") == 0 ? "user" : "disk.img,format=raw");
		return -EINVAL;
	}
	if (json_array_size(v) > VM_DEF_MAX_LIST) {
		snprintf(err, errlen, "\"%s\": at most %d entries", key, VM_DEF_MAX_LIST);
		return -EINVAL;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			snprintf(err, errlen, "\"%s\"[%zu] must be a string", key, i);
			return -EINVAL;
		}
		list[*n] = strdup(json_string_value(item));
		if (!list[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

int config_json_parse(json_t *obj, struct vm_def *def, char *err, size_t errlen)
{
	const char *field;

	return config_json_parse_field(obj, def, err, errlen, &field);
}

int config_json_parse_field(json_t *obj, struct vm_def *def, char *err, size_t errlen,
			    const char **field)
{
	static const char *const strings[] = { "name",  "kernel",   "initrd", "cmdline",
					       "accel", "firmware", "boot",   "display" };
	char **const string_out[] = { &def->name,  &def->kernel,   &def->initrd, &def->cmdline,
				      &def->accel, &def->firmware, &def->boot,   &def->display };
	const char *key;
	json_t *v;
	int ret;

	memset(def, 0, sizeof(*def));
	*field = NULL;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "a VM definition must be a JSON object ({\"name\": ..., "
			 "\"kernel\": ...})");
		return -EINVAL;
	}
	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (const char *const *k = known_keys; *k; k++)
			ok |= strcmp(*k, key) == 0;
		if (!ok) {
			*field = key;
			snprintf(err, errlen, "unknown key \"%s\" (known: name, kernel, initrd, "
				 "cmdline, firmware, boot, memory, cpus, accel, disk, net, balloon, "
				 "mem-merge, mem-hugepages, cpu-weight, cpu-cap, cpu-pin, rt, display, "
				 "cdrom)", key);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		*field = strings[i];
		if ((ret = get_string(obj, strings[i], string_out[i], err, errlen)))
			goto fail;
	}
	*field = "disk";
	if ((ret = get_list(obj, "disk", def->disk, &def->ndisk, err, errlen)))
		goto fail;
	*field = "net";
	if ((ret = get_list(obj, "net", def->net, &def->nnet, err, errlen)))
		goto fail;
	*field = "cdrom";
	if ((ret = get_list(obj, "cdrom", def->cdrom, &def->ncdrom, err, errlen)))
		goto fail;
	*field = NULL; /* get_res names the key itself */
	if ((ret = get_res(obj, def, err, errlen)))
		goto fail;
	*field = "name";
	if (def->name && !config_json_valid_name(def->name)) {
		snprintf(err, errlen, "\"name\": \"%s\" is not a valid VM name (1 to 64 letters, "
			 "digits, '_', '.', '-')", def->name);
		ret = -EINVAL;
		goto fail;
	}
	*field = "memory";
	v = json_object_get(obj, "memory");
	if (v && !json_is_null(v)) {
		char buf[64];

		/* Like --memory: "512M", "2G"; a bare number is MiB. */
		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else
			buf[0] = '\0';
		if (parse_size(buf, &def->memory) || def->memory == 0) {
			snprintf(err, errlen, "\"memory\": %s is not a size (try \"512M\" or \"2G\")",
				 buf[0] ? buf : "this value");
			ret = -EINVAL;
			goto fail;
		}
		def->memory_text = strdup(buf);
	}
	*field = "cpus";
	v = json_object_get(obj, "cpus");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64) {
			snprintf(err, errlen, "\"cpus\" must be a number from 1 to 64");
			ret = -EINVAL;
			goto fail;
		}
		def->cpus = (unsigned)json_integer_value(v);
	}
	*field = NULL;
	return 0;
fail:
	config_json_free(def);
	return ret;
}

int config_json_load(const char *path, struct vm_def *def, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *obj;
	char inner[512];
	struct stat st;
	int ret, fd;

	/* O_NONBLOCK: a FIFO named as the config must not hang us; then only regular files. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file (give a JSON file)", path);
		return -EINVAL;
	}
	obj = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (!obj) {
		if (jerr.line < 1 && strstr(jerr.text, "unable to open"))
			snprintf(err, errlen, "%s: cannot read: %s", path, jerr.text);
		else
			snprintf(err, errlen, "%s: malformed JSON at line %d, column %d: %s", path,
				 jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	ret = config_json_parse(obj, def, inner, sizeof(inner));
	if (ret)
		snprintf(err, errlen, "%s: %s", path, inner);
	json_decref(obj);
	return ret;
}

static json_t *list_json(char *const *list, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

json_t *config_json_dump(const struct vm_def *def)
{
	json_t *o = json_object();

	if (def->name)
		json_object_set_new(o, "name", json_string(def->name));
	if (def->kernel)
		json_object_set_new(o, "kernel", json_string(def->kernel));
	if (def->initrd)
		json_object_set_new(o, "initrd", json_string(def->initrd));
	if (def->cmdline)
		json_object_set_new(o, "cmdline", json_string(def->cmdline));
	if (def->firmware)
		json_object_set_new(o, "firmware", json_string(def->firmware));
	if (def->boot)
		json_object_set_new(o, "boot", json_string(def->boot));
	if (def->memory_text)
		json_object_set_new(o, "memory", json_string(def->memory_text));
	if (def->cpus)
		json_object_set_new(o, "cpus", json_integer(def->cpus));
	if (def->accel)
		json_object_set_new(o, "accel", json_string(def->accel));
	if (def->display)
		json_object_set_new(o, "display", json_string(def->display));
	json_object_set_new(o, "disk", list_json(def->disk, def->ndisk));
	json_object_set_new(o, "net", list_json(def->net, def->nnet));
	for (size_t i = 0; i < def->nres; i++)
		json_object_set_new(o, def->res_name[i], def->res_val[i] ? json_string(def->res_val[i])
								     : json_true());
	if (def->ncdrom)
		json_object_set_new(o, "cdrom", list_json(def->cdrom, def->ncdrom));
	return o;
}

void config_json_free(struct vm_def *def)
{
	free(def->name);
	free(def->kernel);
	free(def->initrd);
	free(def->cmdline);
	free(def->accel);
	free(def->firmware);
	free(def->boot);
	free(def->display);
	free(def->memory_text);
	for (size_t i = 0; i < def->ndisk; i++)
		free(def->disk[i]);
	for (size_t i = 0; i < def->nnet; i++)
		free(def->net[i]);
	for (size_t i = 0; i < def->nres; i++) {
		free(def->res_name[i]);
		free(def->res_val[i]);
	}
	for (size_t i = 0; i < def->ncdrom; i++)
		free(def->cdrom[i]);
	memset(def, 0, sizeof(*def));
}
