// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The accelerator registry and --accel resolution. Engines are listed in
 * preference order for "auto": hardware virtualization first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "include/hover/accel.h"

extern const struct accel_ops accel_emu_ops;
#ifdef HOVER_HAVE_KVM
extern const struct accel_ops accel_kvm_ops;
#endif

static const struct accel_ops *const engines[] = {
#ifdef HOVER_HAVE_KVM
	&accel_kvm_ops,
#endif
	&accel_emu_ops,
};

const struct accel_ops *accel_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

int accel_select(const char *name, const struct accel_ops **out, char *why, size_t len)
{
	const struct accel_ops *a;
	char reason[384] = "";
	int ret;

	if (strcmp(name, "auto") == 0) {
		a = accel_find("kvm");
		if (a && a->probe(reason, sizeof(reason)) == 0) {
			*out = a;
			snprintf(why, len, "using kvm (hardware virtualization)");
			return 0;
		}
		a = accel_find("emu");
		ret = a->probe(reason, sizeof(reason));
		if (ret) {
			snprintf(why, len, "--accel auto: no engine can run here (emu: %s)", reason);
			return ret;
		}
		*out = a;
		if (accel_find("kvm"))
			snprintf(why, len, "using emu (hover's software CPU; kvm: %s)", reason);
		else
			snprintf(why, len, "using emu (hover's software CPU; this build has no KVM engine)");
		return 0;
	}
	a = accel_find(name);
	if (!a && strcmp(name, "kvm") == 0) {
		snprintf(why, len, "--accel kvm: this build of hover has no KVM engine (it was built without <linux/kvm.h>; use --accel emu)");
		return -ENODEV;
	}
	if (!a) {
		snprintf(why, len, "--accel %s: unknown engine (use auto, kvm or emu)", name);
		return -EINVAL;
	}
	ret = a->probe(reason, sizeof(reason));
	if (ret) {
		snprintf(why, len, "--accel %s: %s", name, reason);
		return ret;
	}
	*out = a;
	snprintf(why, len, "using %s", a->name);
	return 0;
}
