/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration connection: connect to or accept on a tcp:/unix: address
 * (migrate_wire.h), and move whole buffers over it with a time limit, so a
 * peer that stops answering is an error after a while, not a hang.
 */
#ifndef HOVER_MIGRATION_MIGRATE_CHAN_H
#define HOVER_MIGRATION_MIGRATE_CHAN_H

#include <stddef.h>

#include "include/hover/types.h"
#include "migration/migrate_wire.h"

/* Connect (blocking, with TCP_NODELAY). -errno and a sentence naming the address. */
int migrate_chan_connect(const struct migrate_addr *a, int *fd, char *err, size_t errlen) HOVER_WUR;
/* Listen on the address (a unix path is created, and must not exist). */
int migrate_chan_listen(const struct migrate_addr *a, int *fd, char *err, size_t errlen) HOVER_WUR;
/* Accept one connection on a listening fd, waiting at most timeout_ms (-1: forever). */
int migrate_chan_accept(int lfd, int timeout_ms, int *fd) HOVER_WUR;
/* All of buf, or -errno (-ETIMEDOUT when the peer took nothing for timeout_ms). */
int migrate_chan_send(int fd, const void *buf, size_t len, int timeout_ms) HOVER_WUR;
/* Exactly len bytes; -ECONNRESET if the peer closed first, -ETIMEDOUT if it went quiet. */
int migrate_chan_recv(int fd, void *buf, size_t len, int timeout_ms) HOVER_WUR;
/* Whether a byte is waiting to be read (or the peer closed): a cheap look between batches. */
bool migrate_chan_readable(int fd);

#endif
