// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI table builder. ACPI 6.3 specification:
 *   5.2.5  RSDP (revision 2: RSDT and XSDT addresses, extended checksum)
 *   5.2.6  the common table header and its checksum
 *   5.2.7/8 RSDT, XSDT
 *   5.2.9  FADT (revision 6, minor 3): fixed-feature hardware of hw/acpi_pm.c,
 *          32-bit and X_ 64-bit generic addresses kept equal, RESET_REG
 *   5.2.10 FACS
 *   5.2.12 MADT (revision 5): Processor Local APIC, I/O APIC, Interrupt
 *          Source Overrides, Local APIC NMI
 *   5.2.11.1 DSDT; chapter 20 (AML grammar) and 6.4 (resource descriptors)
 *          for the hand-assembled AML below.
 *
 * Everything is laid out in a host buffer first and copied into guest RAM
 * with one ram_write(), so a failure leaves nothing half-written.
 */
#include "machine/acpi_tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_pm.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"

#define HDR_LEN 36
#define OEM_ID "HOVER "
#define OEM_TABLE_ID "HOVERVM "
#define CREATOR_ID "HOVR"

#define RSDP_LEN 36
#define FACS_LEN 64
#define FADT_LEN 276 /* ACPI 6.x, through HYPERVISOR_VENDOR_IDENTITY */
#define FADT_REVISION 6
#define FADT_MINOR 3
#define MADT_REVISION 5
#define DSDT_REVISION 2 /* 64-bit AML integers */

/* FADT Flags (ACPI 6.3 table 5-34) */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define FADT_FIX_RTC (1u << 6)    /* set: no RTC_STS/RTC_EN in PM1 */
#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (table 5-35) */
#define BOOT_LEGACY_DEVICES (1u << 0)
#define BOOT_8042 (1u << 1)
#define BOOT_VGA_NOT_PRESENT (1u << 2)

/* Generic address structure (5.2.3.2) */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* MADT structure types and MPS INTI flags (5.2.12) */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_PCAT_COMPAT 1u
#define INTI_HIGH 0x1
#define INTI_EDGE 0x4
#define INTI_LEVEL 0xC

#define CENTURY_CMOS_INDEX 0x32

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(u8 *p, u64 v) { put32(p, v); put32(p + 4, v >> 32); }
static u16 get16(const u8 *p) { return p[0] | (u16)p[1] << 8; }
static u32 get32(const u8 *p) { return get16(p) | (u32)get16(p + 2) << 16; }
static u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }

static u8 sum8(const u8 *p, size_t n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

void acpi_config_init(struct acpi_config *cfg, unsigned ncpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ncpus = ncpus;
	cfg->lapic_addr = LAPIC_DEFAULT_BASE;
	cfg->ioapic_addr = IOAPIC_DEFAULT_BASE;
	/* APIC IDs 0..ncpus-1 belong to the CPUs; the IOAPIC takes the next (4 bits). */
	cfg->ioapic_id = ncpus < 15 ? ncpus : 15;
	cfg->pm1a_evt = ACPI_PM1A_EVT_PORT;
	cfg->pm1a_cnt = ACPI_PM1A_CNT_PORT;
	cfg->pm_tmr = ACPI_PM_TMR_PORT;
	cfg->gpe0 = ACPI_GPE0_PORT;
	cfg->gpe0_len = ACPI_GPE0_LEN;
	cfg->reset_port = ACPI_RESET_PORT;
	cfg->reset_value = ACPI_RESET_VALUE;
	cfg->sci_irq = ACPI_SCI_IRQ;
	cfg->slp_typ_s5 = ACPI_SLP_TYP_S5;
	cfg->com1 = true;
}

/* --- a tiny AML assembler (ACPI 6.3 chapter 20) --- */

#define AML_MAX 4096

struct aml {
	u8 b[AML_MAX];
	size_t len;
	bool overflow;
};

static void aml_byte(struct aml *a, u8 v)
{
	if (a->len >= AML_MAX) {
		a->overflow = true;
		return;
	}
	a->b[a->len++] = v;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aml_byte(a, ((const u8 *)p)[i]);
}

/* A NameString: an optional root prefix '\' then one 4-character NameSeg. */
static void aml_name(struct aml *a, const char *name)
{
	if (name[0] == '\\') {
		aml_byte(a, '\\');
		name++;
	}
	aml_bytes(a, name, 4);
}

static void aml_int(struct aml *a, u64 v)
{
	if (v == 0) {
		aml_byte(a, 0x00); /* ZeroOp */
	} else if (v == 1) {
		aml_byte(a, 0x01); /* OneOp */
	} else if (v <= 0xFF) {
		aml_byte(a, 0x0A); /* BytePrefix */
		aml_byte(a, v);
	} else if (v <= 0xFFFF) {
		aml_byte(a, 0x0B); /* WordPrefix */
		aml_byte(a, v), aml_byte(a, v >> 8);
	} else if (v <= 0xFFFFFFFFu) {
		aml_byte(a, 0x0C); /* DWordPrefix */
		for (int i = 0; i < 4; i++)
			aml_byte(a, v >> (8 * i));
	} else {
		aml_byte(a, 0x0E); /* QWordPrefix */
		for (int i = 0; i < 8; i++)
			aml_byte(a, v >> (8 * i));
	}
}

static size_t aml_pkg_begin(struct aml *a)
{
	return a->len;
}

/* Insert the PkgLength (20.2.4) in front of what was emitted since aml_pkg_begin(). */
static void aml_pkg_end(struct aml *a, size_t start)
{
	size_t body = a->len - start, n, total;

	for (n = 1; n <= 4; n++) {
		total = body + n;
		if ((n == 1 && total <= 0x3F) || (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))))
			break;
	}
	if (n > 4 || a->len + n > AML_MAX) {
		a->overflow = true;
		return;
	}
	memmove(a->b + start + n, a->b + start, body);
	if (n == 1) {
		a->b[start] = total;
	} else {
		a->b[start] = ((n - 1) << 6) | (total & 0xF);
		for (size_t i = 1; i < n; i++)
			a->b[start + i] = total >> (4 + 8 * (i - 1));
	}
	a->len += n;
}

/* EISA ID (6.1.5): three 5-bit letters and four hex digits, stored big-endian. */
static u32 eisa_id(const char *id)
{
	u32 v = ((u32)(id[0] - 0x40) << 26) | ((u32)(id[1] - 0x40) << 21) |
		((u32)(id[2] - 0x40) << 16) | (u32)strtoul(id + 3, NULL, 16);

	return __builtin_bswap32(v);
}

/* Word/DWord Address Space Descriptors (6.4.3.5.2/3): a producer window, min and max fixed. */
static void crs_word(u8 *p, size_t *n, u8 type, u8 tflags, u16 min, u16 max)
{
	u8 *d = p + *n;

	d[0] = 0x88;
	put16(d + 1, 13);
	d[3] = type;  /* 1 = I/O, 2 = bus numbers */
	d[4] = 0x0C;  /* _MAF | _MIF, positive decode, producer */
	d[5] = tflags;
	put16(d + 6, 0); /* granularity */
	put16(d + 8, min);
	put16(d + 10, max);
	put16(d + 12, 0); /* translation */
	put16(d + 14, max - min + 1);
	*n += 16;
}

static void crs_dword_mem(u8 *p, size_t *n, u32 min, u32 max)
{
	u8 *d = p + *n;

	d[0] = 0x87;
	put16(d + 1, 23);
	d[3] = 0;    /* memory */
	d[4] = 0x0C;
	d[5] = 0x01; /* read-write, non-cacheable */
	put32(d + 6, 0);
	put32(d + 10, min);
	put32(d + 14, max);
	put32(d + 18, 0);
	put32(d + 22, max - min + 1);
	*n += 26;
}

/*
 * Device (PCI0): the host bridge (PCI Firmware 3.2 section 4.1.1; ACPI 6.3
 * 6.2.13 _PRT). _CRS hands Linux bus 0, all I/O ports but the config ports
 * 0xCF8-0xCFF (claimed with an IO descriptor), and the 32-bit MMIO window
 * BARs are assigned from; _PRT routes every slot's INTA-D to IOAPIC GSIs.
 */
static void build_pci0_aml(struct aml *a, const struct acpi_config *cfg)
{
	u8 crs[128];
	size_t n = 0, dev, buf, prt;
	static const u8 cf8_io[] = { 0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08 };

	crs_word(crs, &n, 2, 0, 0, 0);              /* bus 0 */
	crs_word(crs, &n, 1, 3, 0x0000, 0x0CF7);    /* I/O below the config ports */
	memcpy(crs + n, cf8_io, sizeof(cf8_io));    /* IO (Decode16, 0xCF8, 0xCF8, 1, 8) */
	n += sizeof(cf8_io);
	crs_word(crs, &n, 1, 3, 0x0D00, 0xFFFF);    /* I/O above them */
	crs_dword_mem(crs, &n, cfg->pci_mmio_base, cfg->pci_mmio_base + cfg->pci_mmio_size - 1);
	crs[n++] = 0x79; /* EndTag, checksum 0 */
	crs[n++] = 0x00;

	aml_byte(a, 0x5B);
	aml_byte(a, 0x82); /* DeviceOp */
	dev = aml_pkg_begin(a);
	aml_name(a, "PCI0");
	aml_byte(a, 0x08);
	aml_name(a, "_HID");
	aml_int(a, eisa_id("PNP0A08")); /* PCI Express root bridge */
	aml_byte(a, 0x08);
	aml_name(a, "_CID");
	aml_int(a, eisa_id("PNP0A03")); /* compatible: PCI root bridge */
	aml_byte(a, 0x08);
	aml_name(a, "_UID");
	aml_int(a, 0);
	aml_byte(a, 0x08);
	aml_name(a, "_SEG");
	aml_int(a, 0);
	aml_byte(a, 0x08);
	aml_name(a, "_BBN");
	aml_int(a, 0);
	aml_byte(a, 0x08);
	aml_name(a, "_CRS");
	aml_byte(a, 0x11); /* BufferOp */
	buf = aml_pkg_begin(a);
	aml_int(a, n);
	aml_bytes(a, crs, n);
	aml_pkg_end(a, buf);

	/* Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, Zero, GSI }, ... }) */
	aml_byte(a, 0x08);
	aml_name(a, "_PRT");
	aml_byte(a, 0x12); /* PackageOp */
	prt = aml_pkg_begin(a);
	aml_byte(a, 32 * 4); /* NumElements */
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			size_t e;

			aml_byte(a, 0x12);
			e = aml_pkg_begin(a);
			aml_byte(a, 4);
			aml_byte(a, 0x0C); /* DWordPrefix: the address must be a DWORD */
			aml_byte(a, 0xFF);
			aml_byte(a, 0xFF);
			aml_byte(a, slot);
			aml_byte(a, 0);
			aml_int(a, pin);
			aml_int(a, 0); /* Source: none, so SourceIndex is a GSI */
			aml_int(a, cfg->pci_gsi_base + ((slot + pin) & 3));
			aml_pkg_end(a, e);
		}
	}
	aml_pkg_end(a, prt);
	aml_pkg_end(a, dev);
}

static void build_dsdt_aml(struct aml *a, const struct acpi_config *cfg)
{
	size_t pkg, scope, dev, buf;
	static const u8 com1_crs[] = {
		0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, /* IO (Decode16, 0x3F8, 0x3F8, 1, 8) */
		0x22, 0x10, 0x00,                               /* IRQNoFlags () {4} */
		0x79, 0x00,                                     /* EndTag */
	};

	/* Name (\_S5, Package (4) { SLP_TYPa, SLP_TYPb, 0, 0 }) — 7.4.2 */
	aml_byte(a, 0x08); /* NameOp */
	aml_name(a, "\\_S5_");
	aml_byte(a, 0x12); /* PackageOp */
	pkg = aml_pkg_begin(a);
	aml_byte(a, 4); /* NumElements */
	aml_int(a, cfg->slp_typ_s5);
	aml_int(a, cfg->slp_typ_s5);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_pkg_end(a, pkg);

	if (!cfg->com1 && !cfg->pci)
		return;
	/* Scope (\_SB) { Device (COM1) { _HID, _UID, _CRS }  Device (PCI0) { ... } } */
	aml_byte(a, 0x10); /* ScopeOp */
	scope = aml_pkg_begin(a);
	aml_name(a, "\\_SB_");
	if (cfg->com1) {
		aml_byte(a, 0x5B); /* ExtOpPrefix */
		aml_byte(a, 0x82); /* DeviceOp */
		dev = aml_pkg_begin(a);
		aml_name(a, "COM1");
		aml_byte(a, 0x08);
		aml_name(a, "_HID");
		aml_int(a, eisa_id("PNP0501"));
		aml_byte(a, 0x08);
		aml_name(a, "_UID");
		aml_int(a, 1);
		aml_byte(a, 0x08);
		aml_name(a, "_CRS");
		aml_byte(a, 0x11); /* BufferOp */
		buf = aml_pkg_begin(a);
		aml_int(a, sizeof(com1_crs)); /* BufferSize */
		aml_bytes(a, com1_crs, sizeof(com1_crs));
		aml_pkg_end(a, buf);
		aml_pkg_end(a, dev);
	}
	if (cfg->pci)
		build_pci0_aml(a, cfg);
	aml_pkg_end(a, scope);
}

/* --- tables --- */

struct tbuf {
	u8 *p;
	u64 base; /* guest address of p[0] */
	u64 size;
	u64 len;
};

/* Reserve n zeroed bytes at an `align`-aligned guest address; returns the offset or -ENOSPC. */
static s64 tb_alloc(struct tbuf *t, u64 n, u64 align)
{
	u64 gpa = (t->base + t->len + align - 1) & ~(align - 1), off = gpa - t->base;

	if (off > t->size || n > t->size - off)
		return -ENOSPC;
	t->len = off + n;
	return off;
}

static void header(u8 *p, const char *sig, u32 len, u8 rev)
{
	memcpy(p, sig, 4);
	put32(p + 4, len);
	p[8] = rev;
	memcpy(p + 10, OEM_ID, 6);
	memcpy(p + 16, OEM_TABLE_ID, 8);
	put32(p + 24, 1); /* OEM revision */
	memcpy(p + 28, CREATOR_ID, 4);
	put32(p + 32, 1); /* creator revision */
}

static void finish(u8 *p)
{
	p[9] = 0;
	p[9] = -sum8(p, get32(p + 4));
}

static void gas_io(u8 *p, u16 port, u8 bits, u8 access)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, port);
}

static void build_fadt(u8 *p, const struct acpi_config *cfg, u64 facs, u64 dsdt)
{
	header(p, "FACP", FADT_LEN, FADT_REVISION);
	put32(p + 36, facs);	/* FIRMWARE_CTRL */
	put32(p + 40, dsdt);	/* DSDT */
	p[45] = 0;		/* Preferred_PM_Profile: unspecified */
	put16(p + 46, cfg->sci_irq);
	put32(p + 48, 0);	/* SMI_CMD: no SMI, always in ACPI mode */
	put32(p + 56, cfg->pm1a_evt);
	put32(p + 64, cfg->pm1a_cnt);
	put32(p + 76, cfg->pm_tmr);
	put32(p + 80, cfg->gpe0_len ? cfg->gpe0 : 0);
	p[88] = ACPI_PM1_EVT_LEN;
	p[89] = ACPI_PM1_CNT_LEN;
	p[91] = ACPI_PM_TMR_LEN;
	p[92] = cfg->gpe0_len;
	put16(p + 96, 101);	/* P_LVL2_LAT > 100: no C2 */
	put16(p + 98, 1001);	/* P_LVL3_LAT > 1000: no C3 */
	p[108] = CENTURY_CMOS_INDEX;
	put16(p + 109, BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT);
	put32(p + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC |
			       FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
	gas_io(p + 116, cfg->reset_port, 8, GAS_ACCESS_BYTE); /* RESET_REG */
	p[128] = cfg->reset_value;
	p[131] = FADT_MINOR;
	put64(p + 132, facs);	/* X_FIRMWARE_CTRL */
	put64(p + 140, dsdt);	/* X_DSDT */
	gas_io(p + 148, cfg->pm1a_evt, 8 * ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD);
	gas_io(p + 172, cfg->pm1a_cnt, 8 * ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD);
	gas_io(p + 208, cfg->pm_tmr, 8 * ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD);
	if (cfg->gpe0_len)
		gas_io(p + 220, cfg->gpe0, 8 * cfg->gpe0_len, GAS_ACCESS_BYTE);
	memcpy(p + 268, "HOVER\0\0\0", 8); /* hypervisor vendor identity */
	finish(p);
}

static u32 madt_len(const struct acpi_config *cfg)
{
	return 44 + 8 * cfg->ncpus + 12 + 2 * 10 + 6;
}

static void build_madt(u8 *p, const struct acpi_config *cfg)
{
	u8 *e = p + 44;

	header(p, "APIC", madt_len(cfg), MADT_REVISION);
	put32(p + 36, cfg->lapic_addr);
	put32(p + 40, MADT_PCAT_COMPAT);
	for (unsigned i = 0; i < cfg->ncpus; i++, e += 8) {
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = i; /* ACPI processor UID */
		e[3] = cfg->apic_ids ? cfg->apic_ids[i] : i;
		put32(e + 4, 1); /* Enabled */
	}
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = cfg->ioapic_id;
	put32(e + 4, cfg->ioapic_addr);
	put32(e + 8, cfg->ioapic_gsi_base);
	e += 12;
	/* ISA IRQ0 (PIT) is wired to IOAPIC pin 2, as on every PC since the IOAPIC. */
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0; /* bus: ISA */
	e[3] = 0;
	put32(e + 4, 2);
	put16(e + 8, INTI_EDGE | INTI_HIGH);
	e += 10;
	/* The SCI: level-triggered, active high (it is an ISA IRQ, so say so explicitly). */
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0;
	e[3] = cfg->sci_irq;
	put32(e + 4, cfg->sci_irq);
	put16(e + 8, INTI_LEVEL | INTI_HIGH);
	e += 10;
	/* LINT1 of every processor is NMI. */
	e[0] = MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xFF; /* all processors */
	put16(e + 3, INTI_EDGE | INTI_HIGH);
	e[5] = 1;
	finish(p);
}

/*
 * MCFG (PCI Firmware 3.2 section 4.1.2): one ECAM allocation, segment 0,
 * bus 0 only (hw/pci_host.c decodes 1 MiB).
 */
#define MCFG_LEN (HDR_LEN + 8 + 16)

static void build_mcfg(u8 *p, const struct acpi_config *cfg)
{
	header(p, "MCFG", MCFG_LEN, 1);
	put64(p + HDR_LEN + 8, cfg->pci_ecam_base);
	put16(p + HDR_LEN + 16, 0); /* PCI segment group */
	p[HDR_LEN + 18] = 0;        /* start bus */
	p[HDR_LEN + 19] = 0;        /* end bus */
	finish(p);
}

int acpi_tables_build(struct guest_ram *ram, u64 base, u64 size, const struct acpi_config *cfg,
		      u64 *rsdp_gpa)
{
	struct tbuf t = { .base = base, .size = size };
	struct aml aml = { .len = 0 };
	s64 o_rsdp, o_facs, o_dsdt, o_fadt, o_madt, o_rsdt, o_xsdt, o_mcfg = 0;
	u64 a_facs, a_dsdt, a_fadt, a_madt, a_rsdt, a_xsdt;
	bool mcfg = cfg->pci && cfg->pci_ecam_base;
	unsigned nent = mcfg ? 3 : 2;
	int ret;

	if (!cfg->ncpus || cfg->ncpus > ACPI_MAX_CPUS || cfg->ioapic_id > 15 ||
	    (base & 15) || base + size > 0x100000000ULL || cfg->lapic_addr > 0xFFFFFFFFu ||
	    cfg->ioapic_addr > 0xFFFFFFFFu || (cfg->gpe0_len & 1))
		return -EINVAL;
	build_dsdt_aml(&aml, cfg);
	if (aml.overflow)
		return -ENOSPC;
	t.p = calloc(1, size);
	if (!t.p)
		return -ENOMEM;

	ret = -ENOSPC;
	if ((o_rsdp = tb_alloc(&t, RSDP_LEN, 16)) < 0 || (o_facs = tb_alloc(&t, FACS_LEN, 64)) < 0 ||
	    (o_dsdt = tb_alloc(&t, HDR_LEN + aml.len, 16)) < 0 ||
	    (o_fadt = tb_alloc(&t, FADT_LEN, 16)) < 0 ||
	    (o_madt = tb_alloc(&t, madt_len(cfg), 16)) < 0 ||
	    (o_rsdt = tb_alloc(&t, HDR_LEN + nent * 4, 16)) < 0 ||
	    (o_xsdt = tb_alloc(&t, HDR_LEN + nent * 8, 16)) < 0 ||
	    (mcfg && (o_mcfg = tb_alloc(&t, MCFG_LEN, 16)) < 0))
		goto out;
	a_facs = base + o_facs, a_dsdt = base + o_dsdt, a_fadt = base + o_fadt;
	a_madt = base + o_madt, a_rsdt = base + o_rsdt, a_xsdt = base + o_xsdt;

	/* FACS (5.2.10): no checksum; version 2; the global lock and waking vector stay 0. */
	memcpy(t.p + o_facs, "FACS", 4);
	put32(t.p + o_facs + 4, FACS_LEN);
	t.p[o_facs + 32] = 2;

	header(t.p + o_dsdt, "DSDT", HDR_LEN + aml.len, DSDT_REVISION);
	memcpy(t.p + o_dsdt + HDR_LEN, aml.b, aml.len);
	finish(t.p + o_dsdt);

	build_fadt(t.p + o_fadt, cfg, a_facs, a_dsdt);
	build_madt(t.p + o_madt, cfg);

	if (mcfg)
		build_mcfg(t.p + o_mcfg, cfg);

	header(t.p + o_rsdt, "RSDT", HDR_LEN + nent * 4, 1);
	put32(t.p + o_rsdt + HDR_LEN, a_fadt);
	put32(t.p + o_rsdt + HDR_LEN + 4, a_madt);
	if (mcfg)
		put32(t.p + o_rsdt + HDR_LEN + 8, base + o_mcfg);
	finish(t.p + o_rsdt);

	header(t.p + o_xsdt, "XSDT", HDR_LEN + nent * 8, 1);
	put64(t.p + o_xsdt + HDR_LEN, a_fadt);
	put64(t.p + o_xsdt + HDR_LEN + 8, a_madt);
	if (mcfg)
		put64(t.p + o_xsdt + HDR_LEN + 16, base + o_mcfg);
	finish(t.p + o_xsdt);

	/* RSDP (5.2.5.3): checksum over the ACPI 1.0 part, extended checksum over all 36 bytes. */
	memcpy(t.p + o_rsdp, "RSD PTR ", 8);
	memcpy(t.p + o_rsdp + 9, OEM_ID, 6);
	t.p[o_rsdp + 15] = 2;
	put32(t.p + o_rsdp + 16, a_rsdt);
	put32(t.p + o_rsdp + 20, RSDP_LEN);
	put64(t.p + o_rsdp + 24, a_xsdt);
	t.p[o_rsdp + 8] = -sum8(t.p + o_rsdp, 20);
	t.p[o_rsdp + 32] = -sum8(t.p + o_rsdp, RSDP_LEN);

	ret = ram_write(ram, base, t.p, t.len);
	if (!ret)
		*rsdp_gpa = base + o_rsdp;
out:
	free(t.p);
	return ret;
}

/* --- reading back --- */

#define TABLE_MAX_LEN (1u << 20)

/* Read a whole table (header first for its length); NULL if unreadable or implausible. */
static u8 *read_table(const struct guest_ram *ram, u64 gpa, u32 *len)
{
	u8 hdr[HDR_LEN], *p;

	if (ram_read(ram, gpa, hdr, HDR_LEN))
		return NULL;
	*len = get32(hdr + 4);
	if (!memcmp(hdr, "FACS", 4)) {
		if (*len < FACS_LEN || *len > TABLE_MAX_LEN)
			return NULL;
	} else if (*len < HDR_LEN || *len > TABLE_MAX_LEN) {
		return NULL;
	}
	p = malloc(*len);
	if (p && ram_read(ram, gpa, p, *len)) {
		free(p);
		return NULL;
	}
	return p;
}

static u64 rsdp_xsdt(const struct guest_ram *ram, u64 rsdp_gpa)
{
	u8 r[RSDP_LEN];

	if (ram_read(ram, rsdp_gpa, r, RSDP_LEN) || memcmp(r, "RSD PTR ", 8))
		return 0;
	return get64(r + 24);
}

u64 acpi_tables_find(const struct guest_ram *ram, u64 rsdp_gpa, const char *sig)
{
	u64 xsdt = rsdp_xsdt(ram, rsdp_gpa), found = 0, fadt;
	u8 *x, *f;
	u32 len, flen;

	if (!xsdt || !(x = read_table(ram, xsdt, &len)))
		return 0;
	for (u32 off = HDR_LEN; off + 8 <= len && !found; off += 8) {
		u64 a = get64(x + off);
		char s[4];

		if (ram_read(ram, a, s, 4))
			continue;
		if (!memcmp(s, sig, 4))
			found = a;
		else if (!memcmp(s, "FACP", 4) &&
			 (!memcmp(sig, "DSDT", 4) || !memcmp(sig, "FACS", 4))) {
			fadt = a;
			f = read_table(ram, fadt, &flen);
			if (f && flen >= 148)
				found = get64(f + (!memcmp(sig, "DSDT", 4) ? 140 : 132));
			free(f);
		}
	}
	free(x);
	return found;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		ret = -EINVAL;                                                                     \
		goto out;                                                                          \
	} while (0)

/* Check one table's signature, length and checksum; fills *len. */
static int check_table(const struct guest_ram *ram, u64 gpa, const char *sig, char *err,
		       size_t errlen)
{
	u32 len;
	u8 *p = read_table(ram, gpa, &len);
	int ret = 0;

	if (!p)
		FAIL("%.4s at %#llx: unreadable or bad length", sig, (unsigned long long)gpa);
	if (memcmp(p, sig, 4))
		FAIL("table at %#llx: signature %.4s, expected %.4s", (unsigned long long)gpa,
		     (const char *)p, sig);
	if (memcmp(sig, "FACS", 4) && sum8(p, len))
		FAIL("%.4s at %#llx: bad checksum", sig, (unsigned long long)gpa);
out:
	free(p);
	return ret;
}

int acpi_tables_check(const struct guest_ram *ram, u64 rsdp_gpa, char *err, size_t errlen)
{
	u8 r[RSDP_LEN], *x = NULL, *rs = NULL, *f = NULL, *m = NULL;
	u32 xlen, rlen, flen, mlen;
	unsigned nfadt = 0, nmadt = 0;
	int ret = 0;

	if (ram_read(ram, rsdp_gpa, r, RSDP_LEN))
		FAIL("RSDP at %#llx is not in RAM", (unsigned long long)rsdp_gpa);
	if (memcmp(r, "RSD PTR ", 8) || sum8(r, 20) || r[15] < 2 || get32(r + 20) != RSDP_LEN ||
	    sum8(r, RSDP_LEN))
		FAIL("RSDP: bad signature, revision, length or checksum");
	if ((ret = check_table(ram, get64(r + 24), "XSDT", err, errlen)) ||
	    (ret = check_table(ram, get32(r + 16), "RSDT", err, errlen)))
		goto out;
	x = read_table(ram, get64(r + 24), &xlen);
	rs = read_table(ram, get32(r + 16), &rlen);
	if (!x || !rs || (xlen - HDR_LEN) % 8 || (rlen - HDR_LEN) % 4 ||
	    (xlen - HDR_LEN) / 8 != (rlen - HDR_LEN) / 4)
		FAIL("XSDT/RSDT: lengths disagree");
	for (u32 i = 0; i < (xlen - HDR_LEN) / 8; i++) {
		u64 a = get64(x + HDR_LEN + 8 * i);
		char sig[5] = { 0 };

		if (a != get32(rs + HDR_LEN + 4 * i))
			FAIL("XSDT/RSDT entry %u differ", i);
		if (ram_read(ram, a, sig, 4))
			FAIL("XSDT entry %u (%#llx) is not in RAM", i, (unsigned long long)a);
		if ((ret = check_table(ram, a, sig, err, errlen)))
			goto out;
		if (!strcmp(sig, "FACP")) {
			nfadt++;
			free(f);
			f = read_table(ram, a, &flen);
		} else if (!strcmp(sig, "APIC")) {
			nmadt++;
			free(m);
			m = read_table(ram, a, &mlen);
		}
	}
	if (nfadt != 1 || nmadt != 1 || !f || !m)
		FAIL("XSDT: need exactly one FADT and one MADT (found %u and %u)", nfadt, nmadt);
	if (flen < FADT_LEN || f[8] < FADT_REVISION)
		FAIL("FADT: length %u / revision %u too old", flen, f[8]);
	if (get64(f + 140) != get32(f + 40) || get64(f + 132) != get32(f + 36))
		FAIL("FADT: 32-bit and 64-bit DSDT/FACS addresses differ");
	if ((ret = check_table(ram, get64(f + 140), "DSDT", err, errlen)) ||
	    (ret = check_table(ram, get64(f + 132), "FACS", err, errlen)))
		goto out;
	if (get64(f + 132) & 63)
		FAIL("FACS is not 64-byte aligned");
	for (u32 off = 44; off < mlen; off += m[off + 1]) {
		if (off + 2 > mlen || m[off + 1] < 2 || off + m[off + 1] > mlen)
			FAIL("MADT: entry at offset %u overruns the table", off);
	}
out:
	free(x);
	free(rs);
	free(f);
	free(m);
	return ret;
}
