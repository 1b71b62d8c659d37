// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Firmware boot: what differs from the direct kernel boot is only what is
 * loaded and where vCPU 0 starts.
 *
 * The image. Debian's seabios package ships bios-256k.bin and
 * bios-microvm.bin. We take bios-256k.bin: it is the build for QEMU's PC
 * machines, whose board hover's matches (PCI through 0xCF8 with an i440FX
 * host bridge ID, fw_cfg on ports, ACPI tables from fw_cfg's table loader,
 * an IOAPIC and LAPICs); it carries the PCI, virtio, AHCI, USB and VGA
 * option-ROM support a disk or CD boot needs. bios-microvm.bin is built for
 * QEMU's microvm (no PCI probing of a host bridge, virtio-mmio, no legacy
 * option ROM path), a board hover does not have.
 *
 * Like QEMU, the whole image sits right below 4 GiB (the CPU's first fetch,
 * 0xFFFFFFF0, is in it) and its last 128 KiB are also at 0xE0000-0xFFFFF,
 * where real-mode code runs. Both are plain guest memory: the upper copy is
 * a RAM region of its own (ram_add_region), the lower one is low RAM. So the
 * BIOS area is always "shadow RAM": the i440FX PAM registers (0x59-0x5F of
 * the host bridge) hold what SeaBIOS writes but do not change the mapping —
 * SeaBIOS unlocks the area before writing it and only re-locks it to
 * protect itself, so it runs the same; a guest can overwrite its own BIOS
 * copy, nobody else's.
 *
 * fw_cfg items (hw/fw_cfg.c): RAM size, CPU count, "etc/e820" (RAM below the
 * 3 GiB PCI hole and above 4 GiB, the ECAM window reserved), "bootorder"
 * from --boot, "etc/sercon-port" (COM1: SeaBIOS then prints, and reads the
 * keyboard, on the serial line as QEMU's -nographic does), no boot menu
 * prompt, and hover's own ACPI tables through the table loader
 * (machine/acpi_loader.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/ahci.h"
#include "hw/fw_cfg.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/pci.h"
#include "machine/acpi_loader.h"
#include "machine/pc_firmware.h"
#include "machine/pc_int.h"

#define ISA_BIOS_END 0x100000ULL
#define ISA_BIOS_MAX (128ULL << 10)
#define COM1_PORT 0x3f8

static const char *const kind_name[PC_BOOT_KINDS] = { "disk", "cdrom", "net" };

int pc_firmware_read(const char *path, u8 **image, u64 *size, char *err, size_t errlen)
{
	struct stat st;
	u8 *buf = NULL, *rv;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = -EINVAL;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--firmware %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--firmware %s: not a regular file", path);
		goto out;
	}
	if (st.st_size < (off_t)(64 << 10) || (u64)st.st_size > PC_FIRMWARE_MAX ||
	    (st.st_size & 0xfff)) {
		snprintf(err, errlen,
			 "--firmware %s: %lld bytes is not a firmware image (want a multiple of "
			 "4 KiB between 64 KiB and 16 MiB, like SeaBIOS's bios-256k.bin)",
			 path, (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "--firmware %s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "--firmware %s: cannot read it: %s", path,
				 n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)n;
	}
	/*
	 * The first instruction, at 0xFFFFFFF0, must be a jump (SeaBIOS: a far
	 * JMP 0xEA; OVMF: NOPs then a near JMP 0xE9; others a short JMP 0xEB,
	 * possibly after CLI/NOP/WBINVD): anything else is not a PC firmware.
	 */
	rv = buf + st.st_size - 16;
	for (unsigned i = 0; i < 4 && (rv[0] == 0x90 || rv[0] == 0xFA); i++)
		rv++;
	if (rv[0] == 0x0F && rv[1] == 0x09) /* WBINVD */
		rv += 2;
	if (rv[0] != 0xEA && rv[0] != 0xE9 && rv[0] != 0xEB) {
		snprintf(err, errlen,
			 "--firmware %s: no jump at the reset vector (16 bytes before the end): "
			 "not a PC firmware image, or a corrupt one",
			 path);
		goto out;
	}
	*image = buf;
	*size = (u64)st.st_size;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int pc_boot_order_check(const char *order, char *err, size_t errlen)
{
	bool seen[PC_BOOT_KINDS] = { false };
	const char *p = order;

	if (!*p) {
		snprintf(err, errlen, "--boot: empty (try --boot disk,cdrom,net)");
		return -EINVAL;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned k;

		for (k = 0; k < PC_BOOT_KINDS; k++)
			if (strlen(kind_name[k]) == n && !strncmp(p, kind_name[k], n))
				break;
		if (k == PC_BOOT_KINDS) {
			snprintf(err, errlen, "--boot %s: unknown device '%.*s' (use disk, cdrom, net)",
				 order, (int)n, p);
			return -EINVAL;
		}
		if (seen[k]) {
			snprintf(err, errlen, "--boot %s: '%s' given twice", order, kind_name[k]);
			return -EINVAL;
		}
		seen[k] = true;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int pc_boot_device(struct pc *pc, enum pc_boot_kind kind, const char *path)
{
	char *copy;

	if (kind >= PC_BOOT_KINDS || pc->nboot == PC_MAX_BOOT_DEVS)
		return -ENOSPC;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	pc->boot[pc->nboot].kind = kind;
	pc->boot[pc->nboot].path = copy;
	pc->nboot++;
	return 0;
}

/*
 * Bootable devices on bus 0, in slot order: virtio disks and NICs by their
 * modern PCI IDs (virtio 1.2 4.1.2.1), and each drive of the AHCI controller
 * (8086:2922) under the path SeaBIOS matches for an ATA/ATAPI drive on a
 * channel (drive@PORT/disk@0).
 */
static int find_boot_devices(struct pc *pc)
{
	for (unsigned slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		u32 id = pci_host_cfg_read(pc->pci, 0, (u8)(slot << 3), 0, 4);
		char path[64];
		int ret = 0;

		if (id == 0x10421af4) { /* virtio-blk */
			snprintf(path, sizeof(path), "/pci@i0cf8/virtio-blk@%x", slot);
			ret = pc_boot_device(pc, PC_BOOT_DISK, path);
		} else if (id == 0x10411af4) { /* virtio-net */
			snprintf(path, sizeof(path), "/pci@i0cf8/ethernet@%x", slot);
			ret = pc_boot_device(pc, PC_BOOT_NET, path);
		} else if (id == 0x29228086 && pc->ahci) { /* the SATA controller */
			for (unsigned port = 0; ret == 0 && port < AHCI_PORTS; port++) {
				enum ahci_drive_kind k = ahci_drive_kind(pc->ahci, port);

				if (k == AHCI_NONE)
					continue;
				snprintf(path, sizeof(path), "/pci@i0cf8/sata@%x/drive@%x/disk@0", slot,
					 port);
				ret = pc_boot_device(pc, k == AHCI_CDROM ? PC_BOOT_CDROM : PC_BOOT_DISK,
						     path);
			}
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* "bootorder": one path a line, devices of the first --boot kind first. */
static int add_bootorder(struct pc *pc, struct fw_cfg *f)
{
	const char *p = pc->cfg.boot_order;
	char *buf;
	size_t len = 0, cap = 1;
	int ret;

	if (!p)
		return 0;
	for (unsigned i = 0; i < pc->nboot; i++)
		cap += strlen(pc->boot[i].path) + 1;
	buf = calloc(1, cap);
	if (!buf)
		return -ENOMEM;
	while (*p) {
		size_t n = strcspn(p, ",");

		for (unsigned k = 0; k < PC_BOOT_KINDS; k++) {
			if (strlen(kind_name[k]) != n || strncmp(p, kind_name[k], n))
				continue;
			for (unsigned i = 0; i < pc->nboot; i++)
				if (pc->boot[i].kind == k)
					len += (size_t)sprintf(buf + len, "%s\n", pc->boot[i].path);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	ret = fw_cfg_add_file(f, "bootorder", buf, (u32)len + 1);
	free(buf);
	return ret;
}

static void put_le(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* "etc/e820": { u64 address, u64 length, u32 type } little-endian, packed. */
static int add_e820(struct pc *pc, struct fw_cfg *f)
{
	u8 e[3 * 20];
	unsigned n = 0;
	u64 low = pc->vm->ram.region[0].size;
	u64 high = pc->cfg.ram_size - low;

	put_le(e + 20 * n, 0, 8);
	put_le(e + 20 * n + 8, low, 8);
	put_le(e + 20 * n + 16, 1, 4);
	n++;
	if (high) {
		put_le(e + 20 * n, RAM_HIGH_BASE, 8);
		put_le(e + 20 * n + 8, high, 8);
		put_le(e + 20 * n + 16, 1, 4);
		n++;
	}
	/* Linux uses the MCFG's ECAM only where the firmware's map reserved it. */
	put_le(e + 20 * n, PC_PCI_ECAM_BASE, 8);
	put_le(e + 20 * n + 8, PC_PCI_ECAM_SIZE, 8);
	put_le(e + 20 * n + 16, 2, 4);
	n++;
	return fw_cfg_add_file(f, "etc/e820", e, 20 * n);
}

static int add_acpi(struct pc *pc, struct fw_cfg *f, char *err, size_t errlen)
{
	struct acpi_loader_files a;
	int ret = acpi_loader_build(&pc->acpi, &a);

	if (ret) {
		snprintf(err, errlen, "cannot build the ACPI tables for the firmware: %s",
			 strerror(-ret));
		return ret;
	}
	ret = fw_cfg_add_file(f, "etc/acpi/rsdp", a.rsdp, a.rsdp_len);
	if (ret == 0)
		ret = fw_cfg_add_file(f, "etc/acpi/tables", a.tables, a.tables_len);
	if (ret == 0)
		ret = fw_cfg_add_file(f, "etc/table-loader", a.loader, a.loader_len);
	acpi_loader_free(&a);
	return ret;
}

/*
 * Port 0x402, the debug console of QEMU's PC (isa-debugcon): SeaBIOS writes
 * its log there, byte by byte. With --debug each line goes to hover's log
 * (rate-limited, in bursts of 500 lines: the guest writes it); otherwise the bytes are dropped. A
 * read returns 0xE9, which is how SeaBIOS tells the port is there.
 */
static u64 debugcon_read(void *opaque, u64 off, unsigned size)
{
	return 0xE9;
}

static void debugcon_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct pc *pc = opaque;
	char c = (char)val;

	if (!pc->vm->debug)
		return;
	if (c != '\n' && pc->debugcon_len < sizeof(pc->debugcon) - 1) {
		pc->debugcon[pc->debugcon_len++] = c;
		return;
	}
	pc->debugcon[pc->debugcon_len] = '\0';
	/* A boot's log is a few hundred lines; a guest looping on the port is cut short. */
	if (log_ratelimit_allow(&pc->debugcon_rl, 500))
		log_msg(LOG_DEBUG, "firmware: %s", pc->debugcon);
	pc->debugcon_len = 0;
	if (c != '\n')
		pc->debugcon[pc->debugcon_len++] = c;
}

static const struct io_ops debugcon_ops = { .read = debugcon_read, .write = debugcon_write,
					    .min_access = 1, .max_access = 1 };

static void fw_dma_written(void *opaque, u64 gpa, u64 len)
{
	struct pc *pc = opaque;

	vm_ram_written(pc->vm, gpa, len);
}

static void destroy_fw_cfg(void *dev) { fw_cfg_destroy(dev); }

/*
 * fw_cfg is on the board in both boot paths (one machine); only the
 * firmware's items differ. A direct-boot guest never reads it (no ACPI
 * device names it).
 */
int pc_build_fw_cfg(struct pc *pc, char *err, size_t errlen)
{
	struct fw_cfg *f;
	u8 b8[8];
	int ret = fw_cfg_create(&f, &(struct fw_cfg_config){
		.ram = &pc->vm->ram, .dma_written = fw_dma_written, .opaque = pc,
	});

	if (ret)
		return ret;
	ret = pc_add(pc, &fw_cfg_state_ops, f, destroy_fw_cfg);
	if (ret)
		return ret;
	ret = fw_cfg_attach(f, pc->vm->pio);
	if (ret)
		return ret;
	pc->fw_cfg = f;
	put_le(b8, pc->cfg.ram_size, 8);
	ret = fw_cfg_add(f, FW_CFG_RAM_SIZE, b8, 8);
	put_le(b8, pc->vm->ncpus, 2);
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_NB_CPUS, b8, 2);
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_MAX_CPUS, b8, 2);
	put_le(b8, 0, 2); /* no "Press ESC for boot menu" wait */
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_BOOT_MENU, b8, 2);
	put_le(b8, 1, 2); /* no display: firmware talks on the serial port */
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_NOGRAPHIC, b8, 2);
	if (ret || pc->cfg.kernel)
		return ret;
	ret = as_register(pc->vm->pio, 0x402, 1, &debugcon_ops, pc);
	if (ret)
		return ret;
	put_le(b8, COM1_PORT, 2);
	ret = fw_cfg_add_file(f, "etc/sercon-port", b8, 2);
	if (ret == 0)
		ret = add_e820(pc, f);
	if (ret == 0)
		ret = find_boot_devices(pc);
	if (ret == 0)
		ret = add_bootorder(pc, f);
	if (ret == 0)
		ret = add_acpi(pc, f, err, errlen);
	return ret;
}

/* The image at the top of 4 GiB and its last 128 KiB in the BIOS area; vCPU 0 at the reset vector. */
int pc_firmware_start(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	u64 isa = pc->fw_size < ISA_BIOS_MAX ? pc->fw_size : ISA_BIOS_MAX;
	struct vcpu_regs regs;
	int ret;

	if (pc->cfg.restore) /* memory and registers come from the snapshot */
		return 0;
	ret = ram_write(&vm->ram, RAM_HIGH_BASE - pc->fw_size, pc->fw_image, pc->fw_size);
	if (ret == 0)
		ret = ram_write(&vm->ram, ISA_BIOS_END - isa, pc->fw_image + pc->fw_size - isa, isa);
	if (ret) {
		snprintf(err, errlen, "cannot place the firmware in guest memory: %s",
			 strerror(-ret));
		return ret;
	}
	/* SDM Vol. 3A 9.1.1 (table 9-1): the power-up state, CS base 0xFFFF0000, IP 0xFFF0. */
	memset(&regs, 0, sizeof(regs));
	regs.gpr[GPR_RDX] = 0x600;
	regs.rip = 0xfff0;
	regs.rflags = 0x2;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		regs.seg[i] = (struct seg_reg){ .sel = 0, .base = 0, .limit = 0xffff,
						.attr = 0x93 };
	regs.seg[SEG_CS] = (struct seg_reg){ .sel = 0xf000, .base = 0xffff0000, .limit = 0xffff,
					     .attr = 0x9b };
	regs.ldtr = (struct seg_reg){ .limit = 0xffff, .attr = 0x82 };
	regs.tr = (struct seg_reg){ .limit = 0xffff, .attr = 0x8b };
	regs.gdtr.limit = 0xffff;
	regs.idtr.limit = 0xffff;
	regs.cr0 = 0x60000010; /* CD, NW, ET */
	return vm->accel->vcpu_set_regs(vm->vcpu[0], &regs);
}
