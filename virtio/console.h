/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console (virtio 1.2 section 5.3) with VIRTIO_CONSOLE_F_MULTIPORT:
 * port 0 is a console port (the guest's hvc0, not connected on the host:
 * the serial console stays hover's main console), and every
 * --console-port adds a named port (1, 2, ...) that the guest sees as
 * /dev/vportNpM with /sys/class/virtio-ports/vportNpM/name = NAME.
 *
 * Host side of a named port:
 *   socket=PATH  hover listens on a unix stream socket at PATH; one client
 *                at a time is connected to the port, both ways
 *   file=PATH    what the guest writes is appended to PATH; it reads nothing
 */
#ifndef HOVER_VIRTIO_CONSOLE_H
#define HOVER_VIRTIO_CONSOLE_H

#include <stddef.h>

#include "include/hover/virtio.h"

struct evloop;
struct vm;
struct virtio_console;

#define VIRTIO_CONSOLE_MAX_PORTS 8 /* named ports, besides port 0 */
#define VIRTIO_CONSOLE_NAME_MAX 64

#define VIRTIO_CONSOLE_PATH_MAX 108 /* sun_path */

enum virtio_console_backend { VIRTIO_CONSOLE_SOCKET = 1, VIRTIO_CONSOLE_FILE };

struct virtio_console_port_config {
	char name[VIRTIO_CONSOLE_NAME_MAX];
	enum virtio_console_backend kind;
	char path[VIRTIO_CONSOLE_PATH_MAX];
};

/* "name=NAME,socket=PATH" or "name=NAME,file=PATH"; -EINVAL and a sentence in err. */
int virtio_console_parse_port(const char *spec, struct virtio_console_port_config *cfg,
			      char *err, size_t errlen) HOVER_WUR;

int virtio_console_create(struct virtio_console **out, struct vm *vm, struct evloop *el,
			  const struct virtio_console_port_config *ports, unsigned nports,
			  char *err, size_t errlen) HOVER_WUR;
struct virtio_dev *virtio_console_dev(struct virtio_console *c);
void virtio_console_destroy(struct virtio_console *c);

/* Section "virtio-console", one per device: the virtio core state, ports the guest opened, queued control messages. */
extern const struct dev_state_ops virtio_console_state_ops;

#endif
