/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where `hover image` keeps base images and `hover launch` keeps each VM's
 * files, both under one root hoverd serves (its default --allow-dir):
 *   ROOT/base/NAME/YYYYMMDD/  disk.qcow2 vmlinuz initrd.img image.json
 *   ROOT/vms/VM/              disk.qcow2 (overlay) seed.img id_ed25519 launch.json
 * ROOT is $HOVER_IMAGE_DIR, else hoverd's default STATE_DIR/images
 * (/var/lib/hover/images as root, ~/.local/share/hover/images otherwise).
 */
#ifndef HOVER_MGMT_IMAGE_STORE_H
#define HOVER_MGMT_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define IMAGE_PATH_MAX 4096
#define IMAGE_ROOT_MAX 3000 /* the store's own path: room for what goes under it */

void image_root(char *buf, size_t len);
/* Image and VM names become directory names: [A-Za-z0-9_.-], 1..64, no leading dot. */
bool image_name_ok(const char *name);
/* The newest build of image NAME: its directory; 0 or -ENOENT. */
int image_find(const char *name, char *dir, size_t len);
/* ROOT/vms/VM */
void image_vm_dir(const char *vm, char *buf, size_t len);
/* A JSON file's object, or NULL. */
json_t *image_json_load(const char *dir, const char *file);
/* rm -r path (no symbolic links followed); 0 or -errno. */
int image_rmtree(const char *path);
/* mkdir -p path with mode; 0 or -errno. */
int image_mkdirs(const char *path, unsigned mode);
/* After `hover rm VM`: remove the files `hover launch` made for it; true if there were. */
bool image_vm_files_remove(const char *vm);

#endif
