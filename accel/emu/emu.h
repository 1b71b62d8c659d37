/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emu engine's extras beyond accel_ops (statistics). */
#ifndef HOVER_ACCEL_EMU_EMU_H
#define HOVER_ACCEL_EMU_EMU_H

#include "include/hover/types.h"

struct vcpu;

/* Instructions the vCPU has retired. */
u64 accel_emu_icount(struct vcpu *vcpu);

#endif
