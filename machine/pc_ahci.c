// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The board's SATA controller (hw/ahci.h): built when a --disk says bus=sata
 * or a --cdrom is given, at the next PCI slot after the virtio disks. Ports
 * are filled in order: the SATA disks in command-line order, then the
 * CD-ROMs. Also the CD-ROM media change the per-VM API asks for.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/block.h"
#include "hw/ahci.h"
#include "include/hover/log.h"
#include "machine/pc_int.h"

static void destroy_ahci(void *dev) { ahci_destroy(dev); }

static const char *const *confine(const struct pc *pc)
{
	return pc->cfg.confine_dirs && pc->cfg.confine_dirs[0] ? pc->cfg.confine_dirs : NULL;
}

/* A CD-ROM image: read-only, probed (the guest cannot write it), 2048-byte sectors. */
static int open_cdrom(const struct pc *pc, const char *path, struct block **img, char *err,
		      size_t errlen)
{
	struct block_open_opts o = { .fmt = BLOCK_FMT_PROBE, .readonly = true,
				     .confine = confine(pc) };
	char why[384];
	int ret = block_open(img, path, &o, why, sizeof(why));

	if (ret) {
		snprintf(err, errlen, "--cdrom %s", why);
		return ret;
	}
	if ((*img)->size < 2048) {
		snprintf(err, errlen, "--cdrom %s: smaller than one 2048-byte sector (give an ISO "
			 "image)", path);
		block_close(*img);
		return -EINVAL;
	}
	return 0;
}

static void close_drives(struct ahci_config *ac)
{
	for (unsigned p = 0; p < AHCI_PORTS; p++)
		block_close(ac->drive[p].img);
}

int pc_build_ahci(struct pc *pc, char *err, size_t errlen)
{
	struct ahci_config ac = { .ram = &pc->vm->ram, .vm = pc->vm, .name = "ahci" };
	unsigned port = 0;
	int ret;

	for (unsigned i = 0; i < pc->cfg.ndisks && i < PC_MAX_DISKS; i++) {
		const struct pc_disk *d = &pc->cfg.disks[i];
		struct block_open_opts o = { .readonly = d->readonly, .backing = d->backing,
					     .confine = confine(pc) };

		if (!d->sata)
			continue;
		if (port == AHCI_PORTS) {
			snprintf(err, errlen, "--disk %s,bus=sata: the SATA controller has %u ports, "
				 "all taken", d->path, AHCI_PORTS);
			close_drives(&ac);
			return -ENOSPC;
		}
		o.fmt = BLOCK_FMT_PROBE;
		if (d->format && block_format_parse(d->format, &o.fmt)) {
			snprintf(err, errlen, "--disk %s: unknown format '%s' (raw or qcow2)", d->path,
				 d->format);
			close_drives(&ac);
			return -EINVAL;
		}
		ret = block_open(&ac.drive[port].img, d->path, &o, err, errlen);
		if (ret) {
			close_drives(&ac);
			return ret;
		}
		ac.drive[port].img->guard_sector0 |= d->guard_sector0;
		ac.drive[port++].kind = AHCI_DISK;
	}
	for (unsigned i = 0; i < pc->cfg.ncdroms; i++) {
		const char *path = pc->cfg.cdroms[i];

		if (port == AHCI_PORTS) {
			snprintf(err, errlen, "--cdrom %s: the SATA controller has %u ports, all taken",
				 path, AHCI_PORTS);
			close_drives(&ac);
			return -ENOSPC;
		}
		ac.drive[port].kind = AHCI_CDROM;
		if (path && path[0]) {
			ret = open_cdrom(pc, path, &ac.drive[port].img, err, errlen);
			if (ret) {
				close_drives(&ac);
				return ret;
			}
		}
		port++;
	}
	if (!port)
		return 0;
	ret = ahci_create(&pc->ahci, &ac);
	if (ret) {
		close_drives(&ac);
		return ret;
	}
	ret = pc_add(pc, &ahci_state_ops, pc->ahci, destroy_ahci);
	if (ret == 0)
		ret = pci_host_add(pc->pci, ahci_pci_dev(pc->ahci));
	if (ret) {
		pc->ahci = NULL;
		snprintf(err, errlen, "cannot attach the SATA controller: %s", strerror(-ret));
	}
	return ret;
}

int pc_cdrom_change(struct pc *pc, unsigned drive, const char *path, char *err, size_t errlen)
{
	struct block *img = NULL;
	int port = pc->ahci ? ahci_cdrom_port(pc->ahci, drive) : -ENODEV;
	int ret;

	if (port < 0) {
		snprintf(err, errlen, "no CD-ROM drive %u (this VM has %u; hover run --cdrom adds "
			 "one)", drive, pc->cfg.ncdroms);
		return -ENODEV;
	}
	if (path && path[0]) {
		ret = open_cdrom(pc, path, &img, err, errlen); /* confined as --cdrom is */
		if (ret)
			return ret;
	}
	ret = ahci_cdrom_change(pc->ahci, (unsigned)port, img);
	if (ret)
		block_close(img);
	else
		log_info("CD-ROM %u: %s%s", drive, img ? "inserted " : "ejected", img ? path : "");
	return ret;
}
