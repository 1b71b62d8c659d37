/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC board: RAM, legacy devices, interrupt controllers, ACPI, the serial
 * console, and the Linux boot — built in a visible order in pc.c.
 */
#ifndef HOVER_MACHINE_PC_H
#define HOVER_MACHINE_PC_H

#include <stddef.h>

#include "include/hover/types.h"
#include "include/hover/vm.h"

struct accel_ops;
struct pc;

struct pc_config {
	u64 ram_size;
	unsigned ncpus;
	const struct accel_ops *accel;
	const char *kernel;
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: empty */
	bool debug;
	int console_in_fd;   /* -1: no console input */
	int console_out_fd;
	/* Sees every byte the guest writes to its console (panic detection). May be NULL. */
	void (*console_tap)(void *opaque, const u8 *buf, size_t len);
	void *tap_opaque;
};

/* Build the machine and load the kernel. On failure: -errno and one sentence in err. */
int pc_create(struct pc **out, const struct pc_config *cfg, char *err, size_t errlen) HOVER_WUR;
/* Run the vCPUs and the event loop in this thread until the VM stops; returns why. */
enum vm_stop pc_run(struct pc *pc);
struct vm *pc_vm(struct pc *pc);
void pc_destroy(struct pc *pc);

#endif
