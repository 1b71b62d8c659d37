/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Saving and loading a list of devices through the state stream: one section
 * per entry, named by its dev_state_ops (include/hover/state.h) and instance.
 * The board keeps the list (machine/pc.c); this walks it.
 */
#ifndef HOVER_MIGRATION_DEVSTATE_H
#define HOVER_MIGRATION_DEVSTATE_H

#include "include/hover/state.h"
#include "migration/stream.h"

struct devstate_entry {
	const struct dev_state_ops *ops;
	void *dev;
	u32 instance;
};

/* Quiesce every entry (list order), then save each as a section. */
int devstate_save(struct stream_writer *sw, const struct devstate_entry *e, size_t n,
		  char *err, size_t errlen) HOVER_WUR;
/*
 * Load every entry from the stream. The whole stream is checked first
 * (checksums, every section known, no version newer than the device's, none
 * missing, none twice), so a bad stream is refused before any device
 * changes; a device refusing its payload in the second pass leaves the
 * devices half loaded, and the caller discards the machine.
 */
int devstate_load(const void *data, size_t len, const struct devstate_entry *e, size_t n,
		  char *err, size_t errlen) HOVER_WUR;

#endif
