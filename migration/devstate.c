// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A device list through the state stream (format: migration/stream_write.c).
 * Saving quiesces first, so no device has I/O half done while any other is
 * read. Loading matches sections to devices by (name, instance), never by
 * position, so the list may grow without breaking old snapshots; what cannot
 * be matched — an unknown section, a newer layout, a device with no section —
 * is refused with the names in the message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/devstate.h"

int devstate_save(struct stream_writer *sw, const struct devstate_entry *e, size_t n,
		  char *err, size_t errlen)
{
	int ret;

	for (size_t i = 0; i < n; i++)
		if (e[i].ops->quiesce)
			e[i].ops->quiesce(e[i].dev);
	for (size_t i = 0; i < n; i++) {
		struct state_writer *w = stream_begin_section(sw, e[i].ops->section,
							      e[i].instance, e[i].ops->version);

		ret = e[i].ops->save(e[i].dev, w);
		if (ret == 0)
			ret = state_writer_error(w);
		if (ret == 0)
			ret = stream_end_section(sw);
		if (ret) {
			snprintf(err, errlen, "cannot save %s %u: %s", e[i].ops->section,
				 e[i].instance, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static long find(const struct devstate_entry *e, size_t n, const struct stream_section *s)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].instance == s->instance && !strcmp(e[i].ops->section, s->name))
			return (long)i;
	return -1;
}

/* First pass: framing and matching only, no device touched. */
static int check(const void *data, size_t len, const struct devstate_entry *e, size_t n,
		 char *err, size_t errlen)
{
	struct stream_reader sr;
	struct stream_section s;
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	int ret;

	if (!seen)
		return -ENOMEM;
	ret = stream_reader_init(&sr, data, len, err, errlen);
	while (ret == 0 && (ret = stream_reader_next(&sr, &s, err, errlen)) == 1) {
		long i = find(e, n, &s);

		ret = -EINVAL;
		if (i < 0) {
			snprintf(err, errlen, "the state has a section '%s' instance %u that this "
				 "machine has no device for (a different machine configuration?)",
				 s.name, s.instance);
		} else if (s.version > e[i].ops->version) {
			snprintf(err, errlen, "section '%s' instance %u has version %u, newer than "
				 "the %u this hover knows (restore it with a newer hover)", s.name,
				 s.instance, s.version, e[i].ops->version);
		} else if (seen[i]) {
			snprintf(err, errlen, "section '%s' instance %u appears twice", s.name,
				 s.instance);
		} else {
			seen[i] = true;
			ret = 0;
		}
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (!seen[i]) {
			snprintf(err, errlen, "the state has no section for device '%s' instance %u "
				 "(a different machine configuration?)", e[i].ops->section,
				 e[i].instance);
			ret = -EINVAL;
		}
	}
	free(seen);
	return ret;
}

int devstate_load(const void *data, size_t len, const struct devstate_entry *e, size_t n,
		  char *err, size_t errlen)
{
	struct stream_reader sr;
	struct stream_section s;
	int ret = check(data, len, e, n, err, errlen);

	if (ret)
		return ret;
	ret = stream_reader_init(&sr, data, len, err, errlen);
	while (ret == 0 && (ret = stream_reader_next(&sr, &s, err, errlen)) == 1) {
		const struct devstate_entry *d = &e[find(e, n, &s)];

		ret = d->ops->load(d->dev, &s.payload);
		if (ret == 0)
			ret = state_reader_error(&s.payload);
		if (ret == 0 && state_reader_left(&s.payload)) {
			state_reader_fail(&s.payload, "%zu bytes after the last field (a layout "
					  "this hover does not know)", state_reader_left(&s.payload));
			ret = -EINVAL;
		}
		if (ret) {
			const char *why = state_reader_message(&s.payload);

			snprintf(err, errlen, "section '%s' instance %u (version %u): %s", s.name,
				 s.instance, s.version, *why ? why : strerror(-ret));
		}
	}
	return ret;
}
