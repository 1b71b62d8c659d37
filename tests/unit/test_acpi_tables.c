// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI table builder tests: signatures, lengths, checksums, RSDP -> XSDT ->
 * FADT/MADT, FADT -> DSDT/FACS, MADT entries, the \_S5 AML, error cases; and,
 * when Debian's acpica-tools is installed, iasl must disassemble every table
 * and recompile the DSDT without errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/acpi_pm.h"
#include "machine/acpi_tables.h"

struct fixture {
	struct guest_ram ram;
	struct acpi_config cfg;
	u64 rsdp;
};

static u16 g16(const u8 *p) { return p[0] | (u16)p[1] << 8; }
static u32 g32(const u8 *p) { return g16(p) | (u32)g16(p + 2) << 16; }
static u64 g64(const u8 *p) { return g32(p) | (u64)g32(p + 4) << 32; }

static u8 sum(const u8 *p, size_t n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const u8 *at(struct fixture *f, u64 gpa, u64 len)
{
	const u8 *p = ram_ptr(&f->ram, gpa, len);

	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	assert_int_equal(ram_create(&f->ram, 16 * MiB), 0);
	acpi_config_init(&f->cfg, 4);
	assert_int_equal(acpi_tables_build(&f->ram, ACPI_TABLES_DEFAULT_BASE, ACPI_TABLES_DEFAULT_SIZE,
					   &f->cfg, &f->rsdp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ram_destroy(&f->ram);
	test_free(f);
	return 0;
}

static void test_rsdp_xsdt(void **state)
{
	struct fixture *f = *state;
	const u8 *r = at(f, f->rsdp, 36), *x;
	char err[256] = "";
	u32 len;

	assert_int_equal(f->rsdp, 0xE0000);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	assert_int_equal(g32(r + 20), 36);
	x = at(f, g64(r + 24), 36);
	assert_memory_equal(x, "XSDT", 4);
	len = g32(x + 4);
	assert_int_equal(len, 36 + 16);
	x = at(f, g64(r + 24), len);
	assert_int_equal(sum(x, len), 0);
	assert_memory_equal(at(f, g64(x + 36), 4), "FACP", 4);
	assert_memory_equal(at(f, g64(x + 44), 4), "APIC", 4);
	assert_int_equal(acpi_tables_check(&f->ram, f->rsdp, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(acpi_tables_find(&f->ram, f->rsdp, "APIC"), g64(x + 44));
	assert_int_equal(acpi_tables_find(&f->ram, f->rsdp, "HPET"), 0);
}

static void test_fadt(void **state)
{
	struct fixture *f = *state;
	u64 a = acpi_tables_find(&f->ram, f->rsdp, "FACP");
	const u8 *p = at(f, a, 276), *facs;

	assert_int_equal(g32(p + 4), 276);
	assert_int_equal(p[8], 6);
	assert_int_equal(sum(p, 276), 0);
	assert_int_equal(g16(p + 46), ACPI_SCI_IRQ);
	assert_int_equal(g32(p + 48), 0); /* SMI_CMD */
	assert_int_equal(g32(p + 56), ACPI_PM1A_EVT_PORT);
	assert_int_equal(g32(p + 64), ACPI_PM1A_CNT_PORT);
	assert_int_equal(g32(p + 76), ACPI_PM_TMR_PORT);
	assert_int_equal(g32(p + 80), ACPI_GPE0_PORT);
	assert_int_equal(p[88], 4);
	assert_int_equal(p[89], 2);
	assert_int_equal(p[91], 4);
	assert_int_equal(p[92], ACPI_GPE0_LEN);
	assert_int_equal(p[108], 0x32);
	assert_int_equal(g16(p + 109), 0x7); /* legacy devices, 8042, no VGA */
	/* WBINVD, PROC_C1, SLP_BUTTON, FIX_RTC, TMR_VAL_EXT, RESET_REG_SUP; PWR_BUTTON clear */
	assert_int_equal(g32(p + 112), 0x1 | 0x4 | 0x20 | 0x40 | 0x100 | 0x400);
	/* RESET_REG: system I/O, 8 bits, byte access */
	assert_int_equal(p[116], 1);
	assert_int_equal(p[117], 8);
	assert_int_equal(g64(p + 120), ACPI_RESET_PORT);
	assert_int_equal(p[128], ACPI_RESET_VALUE);
	/* X_ blocks agree with the 32-bit ones */
	assert_int_equal(g64(p + 140), g32(p + 40));
	assert_int_equal(g64(p + 132), g32(p + 36));
	assert_int_equal(g64(p + 152), ACPI_PM1A_EVT_PORT);
	assert_int_equal(p[149], 32);
	assert_int_equal(g64(p + 176), ACPI_PM1A_CNT_PORT);
	assert_int_equal(p[173], 16);
	assert_int_equal(g64(p + 212), ACPI_PM_TMR_PORT);
	assert_int_equal(p[209], 32);
	facs = at(f, g64(p + 132), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(g32(facs + 4), 64);
	assert_int_equal(g64(p + 132) % 64, 0);
	assert_memory_equal(at(f, g64(p + 140), 4), "DSDT", 4);
}

static void test_madt(void **state)
{
	struct fixture *f = *state;
	u64 a = acpi_tables_find(&f->ram, f->rsdp, "APIC");
	const u8 *p = at(f, a, 44);
	u32 len = g32(p + 4);
	unsigned nlapic = 0, nioapic = 0, niso = 0, nnmi = 0;

	p = at(f, a, len);
	assert_int_equal(sum(p, len), 0);
	assert_int_equal(g32(p + 36), 0xFEE00000);
	assert_int_equal(g32(p + 40), 1); /* PCAT_COMPAT */
	for (u32 off = 44; off < len; off += p[off + 1]) {
		const u8 *e = p + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[3], nlapic); /* APIC ID */
			assert_int_equal(g32(e + 4), 1);
			nlapic++;
			break;
		case 1:
			assert_int_equal(e[2], 4);
			assert_int_equal(g32(e + 4), 0xFEC00000);
			assert_int_equal(g32(e + 8), 0);
			nioapic++;
			break;
		case 2:
			if (e[3] == 0) {
				assert_int_equal(g32(e + 4), 2);
				assert_int_equal(g16(e + 8), 0x5);
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(g32(e + 4), 9);
				assert_int_equal(g16(e + 8), 0xD); /* level, active high */
			}
			niso++;
			break;
		case 4:
			assert_int_equal(e[2], 0xFF);
			assert_int_equal(e[5], 1); /* LINT1 */
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(nlapic, 4);
	assert_int_equal(nioapic, 1);
	assert_int_equal(niso, 2);
	assert_int_equal(nnmi, 1);
}

static void test_dsdt_s5(void **state)
{
	struct fixture *f = *state;
	u64 a = acpi_tables_find(&f->ram, f->rsdp, "DSDT");
	const u8 *p = at(f, a, 36);
	u32 len = g32(p + 4);
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }) */
	static const u8 s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				 0x0A, ACPI_SLP_TYP_S5, 0x0A, ACPI_SLP_TYP_S5, 0x00, 0x00 };
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x05, 0x01 };

	p = at(f, a, len);
	assert_int_equal(sum(p, len), 0);
	assert_int_equal(p[8], 2);
	assert_non_null(memmem(p + 36, len - 36, s5, sizeof(s5)));
	assert_non_null(memmem(p + 36, len - 36, hid, sizeof(hid)));
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg;
	u64 rsdp = 0;
	char err[256];
	u8 *x;

	acpi_config_init(&cfg, 0);
	assert_int_equal(acpi_tables_build(&f->ram, 0xE0000, 0x20000, &cfg, &rsdp), -EINVAL);
	acpi_config_init(&cfg, 2);
	assert_int_equal(acpi_tables_build(&f->ram, 0xE0000, 256, &cfg, &rsdp), -ENOSPC);
	assert_int_equal(acpi_tables_build(&f->ram, 0xE0008, 0x10000, &cfg, &rsdp), -EINVAL);
	assert_int_equal(acpi_tables_build(&f->ram, 0xFFFF0000ULL, 0x10000, &cfg, &rsdp), -EFAULT);
	/* Large CPU counts still fit and check out. */
	acpi_config_init(&cfg, 200);
	assert_int_equal(acpi_tables_build(&f->ram, 0x100000, 0x10000, &cfg, &rsdp), 0);
	assert_int_equal(acpi_tables_check(&f->ram, rsdp, err, sizeof(err)), 0);
	/* A corrupted byte is caught. */
	x = ram_ptr(&f->ram, acpi_tables_find(&f->ram, rsdp, "APIC") + 50, 1);
	(*x)++;
	assert_int_equal(acpi_tables_check(&f->ram, rsdp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "checksum"));
}

/* Dump one table to dir/name.dat; returns the path. */
static void dump(struct fixture *f, const char *dir, const char *sig, u64 gpa, u32 len,
		 char *path, size_t n)
{
	FILE *fp;

	snprintf(path, n, "%s/%.4s.dat", dir, sig);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(at(f, gpa, len), 1, len, fp), len);
	fclose(fp);
}

static int run(const char *cmd, const char *log)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s >%s 2>&1", cmd, log);
	return system(buf);
}

static void test_iasl(void **state)
{
	struct fixture *f = *state;
	/* (iasl 20200925 cannot take a bare RSDP; test_rsdp_xsdt checks it.) */
	static const char *const sigs[] = { "FACP", "APIC", "DSDT", "FACS", "XSDT", "RSDT" };
	char dir[] = "/tmp/hover-acpi-XXXXXX", path[512], cmd[2048], log[600];
	const u8 *x = at(f, f->rsdp, 36);
	FILE *fp;

	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/iasl.log", dir);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		u64 a = acpi_tables_find(&f->ram, f->rsdp, sigs[i]);
		u32 len;

		if (!strcmp(sigs[i], "XSDT"))
			a = g64(x + 24);
		else if (!strcmp(sigs[i], "RSDT"))
			a = g32(x + 16);
		assert_true(a != 0);
		len = g32(at(f, a + 4, 4));
		dump(f, dir, sigs[i], a, len, path, sizeof(path));
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s", dir, path);
		if (run(cmd, log) != 0) {
			snprintf(cmd, sizeof(cmd), "cat %s", log);
			(void)!system(cmd);
			fail_msg("iasl -d failed on %.4s", sigs[i]);
		}
	}
	/* The disassembled DSDT must compile back without errors. */
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p %s/dsdt-re %s/DSDT.dsl", dir, dir, dir);
	if (run(cmd, log) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s", log);
		(void)!system(cmd);
		fail_msg("iasl could not recompile the disassembled DSDT");
	}
	/*
	 * The data tables, recompiled from iasl's disassembly, must be our bytes
	 * again but for the checksum (9) and iasl's own creator ID (28-35).
	 */
	for (unsigned i = 0; i < 5; i++) {
		static const char *const data[] = { "FACP", "APIC", "FACS", "XSDT", "RSDT" };
		u64 a = !strcmp(data[i], "XSDT")   ? g64(x + 24)
			: !strcmp(data[i], "RSDT") ? g32(x + 16)
						   : acpi_tables_find(&f->ram, f->rsdp, data[i]);
		u32 len = g32(at(f, a + 4, 4));
		const u8 *orig = at(f, a, len);
		u8 re[512];
		size_t n;

		snprintf(cmd, sizeof(cmd), "cd %s && iasl -p %s/re_%s %s/%s.dsl", dir, dir, data[i],
			 dir, data[i]);
		if (run(cmd, log) != 0) {
			snprintf(cmd, sizeof(cmd), "cat %s", log);
			(void)!system(cmd);
			fail_msg("iasl could not recompile the disassembled %s", data[i]);
		}
		snprintf(path, sizeof(path), "%s/re_%s.aml", dir, data[i]);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		n = fread(re, 1, sizeof(re), fp);
		fclose(fp);
		assert_int_equal(n, len);
		for (u32 b = 0; b < len; b++)
			if (b != 9 && (strcmp(data[i], "FACS") == 0 || b < 28 || b > 35) && re[b] != orig[b])
				fail_msg("%s byte %u: iasl %#x, hover %#x", data[i], b, re[b], orig[b]);
	}
	snprintf(path, sizeof(path), "%s/DSDT.dsl", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	{
		char line[256];
		bool s5 = false, com1 = false;

		while (fgets(line, sizeof(line), fp)) {
			s5 |= strstr(line, "Name (\\_S5, Package") != NULL;
			com1 |= strstr(line, "Device (COM1)") != NULL;
		}
		fclose(fp);
		assert_true(s5);
		assert_true(com1);
	}
	if (!getenv("HOVER_KEEP_ACPI")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	} else {
		print_message("tables and iasl output kept in %s\n", dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsdp_xsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iasl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
