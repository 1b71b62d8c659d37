// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fw_cfg as SeaBIOS reads it (src/fw/paravirt.c): the signature and ID
 * through the ports, the file directory, DMA reads (select, skip, zeros past
 * the end, the control word cleared), a descriptor or buffer outside RAM,
 * refused writes, save/load. And the ACPI table loader: the commands are
 * run here as a firmware runs them (src/fw/romfile_loader.c), with the files
 * placed at addresses of the test's choosing, and the result must pass
 * acpi_tables_check (every pointer and checksum right).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hw/fw_cfg.h"
#include "machine/acpi_loader.h"
#include "state_test_util.h"

struct fixture {
	struct guest_ram ram;
	struct addrspace *pio;
	struct fw_cfg *f;
	unsigned written; /* dma_written calls */
};

static void dma_written(void *opaque, u64 gpa, u64 len)
{
	((struct fixture *)opaque)->written++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(ram_create(&f->ram, 16 * MiB), 0);
	assert_int_equal(as_create(&f->pio, "pio"), 0);
	assert_int_equal(fw_cfg_create(&f->f, &(struct fw_cfg_config){
		.ram = &f->ram, .dma_written = dma_written, .opaque = f,
	}), 0);
	assert_int_equal(fw_cfg_attach(f->f, f->pio), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fw_cfg_destroy(f->f);
	as_destroy(f->pio);
	ram_destroy(&f->ram);
	free(f);
	return 0;
}

static void sel(struct fixture *f, u16 key) { as_write(f->pio, 0x510, 2, key); }

static u8 data(struct fixture *f)
{
	u64 v = 0;

	as_read(f->pio, 0x511, 1, &v);
	return (u8)v;
}

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static void put_be32(u8 *p, u32 v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* Write a descriptor at desc and kick it the way SeaBIOS does (high, then low half). */
static u32 dma(struct fixture *f, u64 desc, u32 control, u32 len, u64 addr)
{
	u8 *d = ram_ptr(&f->ram, desc, 16);

	put_be32(d, control);
	put_be32(d + 4, len);
	put_be32(d + 8, (u32)(addr >> 32));
	put_be32(d + 12, (u32)addr);
	as_write(f->pio, 0x514, 4, __builtin_bswap32((u32)(desc >> 32)));
	as_write(f->pio, 0x518, 4, __builtin_bswap32((u32)desc));
	return be32(d);
}

static void test_signature_and_id(void **state)
{
	struct fixture *f = *state;
	u8 id[4];

	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(data(f), 'Q');
	assert_int_equal(data(f), 'E');
	assert_int_equal(data(f), 'M');
	assert_int_equal(data(f), 'U');
	assert_int_equal(data(f), 0); /* past the end */
	sel(f, FW_CFG_ID);
	for (int i = 0; i < 4; i++)
		id[i] = data(f);
	assert_int_equal(id[0] & 3, 3); /* traditional and DMA */
	sel(f, 0x1234);                 /* no such item: zeros */
	assert_int_equal(data(f), 0);
}

static void test_file_dir(void **state)
{
	struct fixture *f = *state;
	u8 dir[4 + 2 * 64];

	assert_int_equal(fw_cfg_add_file(f->f, "etc/one", "abc", 3), 0);
	assert_int_equal(fw_cfg_add_file(f->f, "etc/two", "hello", 5), 0);
	assert_int_equal(fw_cfg_add_file(f->f, "etc/two", "x", 1), -EEXIST);
	sel(f, FW_CFG_FILE_DIR);
	for (size_t i = 0; i < sizeof(dir); i++)
		dir[i] = data(f);
	assert_int_equal(be32(dir), 2);
	assert_int_equal(be32(dir + 4 + 64), 5);
	assert_string_equal((char *)dir + 4 + 64 + 8, "etc/two");
	sel(f, (u16)(dir[4 + 64 + 4] << 8 | dir[4 + 64 + 5]));
	assert_int_equal(data(f), 'h');
	assert_int_equal(data(f), 'e');
}

static void test_dma(void **state)
{
	struct fixture *f = *state;
	u8 *buf = ram_ptr(&f->ram, 0x2000, 16);

	assert_int_equal(fw_cfg_add_file(f->f, "etc/x", "0123456789", 10), 0);
	memset(buf, 0xAA, 16);
	/* select file 0x20 and read 4 bytes, skip 2, read 8 (4 real, 4 zeros) */
	assert_int_equal(dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x02, 4, 0x2000), 0);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(dma(f, 0x1000, 0x04, 2, 0), 0);
	assert_int_equal(dma(f, 0x1000, 0x02, 8, 0x2004), 0);
	assert_memory_equal(buf + 4, "6789\0\0\0\0", 8);
	assert_int_equal(buf[12], 0xAA);
	assert_true(f->written > 0);
	/* a buffer outside RAM: the error bit, RAM untouched */
	assert_int_equal(dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x02, 4, 0xFFFFF000ULL), 1);
	/* a write: refused */
	assert_int_equal(dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x10, 4, 0x2000), 1);
	assert_memory_equal(buf, "0123", 4);
	/* a descriptor outside RAM: nothing happens, nothing crashes */
	as_write(f->pio, 0x514, 4, __builtin_bswap32(0x10));
	as_write(f->pio, 0x518, 4, __builtin_bswap32(0xFFFFFFF8u));
}

static void test_save_load(void **state)
{
	struct fixture *f = *state;
	struct fixture *g;
	struct saved_state s;

	assert_int_equal(fw_cfg_add_file(f->f, "etc/x", "0123456789", 10), 0);
	sel(f, 0x20);
	data(f);
	data(f);
	s = state_save_one(&fw_cfg_state_ops, f->f);
	setup((void **)&g);
	assert_int_equal(fw_cfg_add_file(g->f, "etc/x", "0123456789", 10), 0);
	state_load_and_compare(&fw_cfg_state_ops, g->f, &s);
	assert_int_equal(data(g), '2'); /* the same item, the same offset */
	teardown((void **)&g);
	free(s.data);
}

/* ---- the ACPI table loader, run as firmware runs it ---- */

static u32 le32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }

static void test_acpi_loader(void **state)
{
	struct fixture *f = *state;
	struct acpi_loader_files a;
	struct acpi_config cfg;
	const u64 rsdp_at = 0xF0000, tables_at = 0x200000;
	char err[256];
	bool rsdp_alloc = false, tables_alloc = false;

	acpi_config_init(&cfg, 2);
	cfg.pci = true;
	cfg.pci_ecam_base = 0xE0000000;
	cfg.pci_mmio_base = 0xE0100000;
	cfg.pci_mmio_size = 0x1EB00000;
	assert_int_equal(acpi_loader_build(&cfg, &a), 0);
	assert_int_equal(a.rsdp_len, 36);
	assert_int_equal(a.loader_len % ACPI_LOADER_ENTRY_SIZE, 0);
	assert_int_equal(ram_write(&f->ram, rsdp_at, a.rsdp, a.rsdp_len), 0);
	assert_int_equal(ram_write(&f->ram, tables_at, a.tables, a.tables_len), 0);
	for (u32 off = 0; off < a.loader_len; off += ACPI_LOADER_ENTRY_SIZE) {
		const u8 *e = a.loader + off;
		const char *file = (const char *)e + 4;
		bool in_rsdp = !strcmp(file, "etc/acpi/rsdp");
		u64 base = in_rsdp ? rsdp_at : tables_at;

		assert_true(in_rsdp || !strcmp(file, "etc/acpi/tables"));
		switch (le32(e)) {
		case 1: /* ALLOCATE: the F segment for the RSDP, anywhere for the rest */
			assert_int_equal(e[4 + 60], in_rsdp ? 2 : 1);
			*(in_rsdp ? &rsdp_alloc : &tables_alloc) = true;
			break;
		case 2: { /* ADD_POINTER: dest += address of src */
			u32 at = le32(e + 4 + 112);
			u8 size = e[4 + 116], *p = ram_ptr(&f->ram, base + at, size);
			u64 v = 0;

			assert_true(rsdp_alloc && tables_alloc);
			assert_string_equal((const char *)e + 4 + 56, "etc/acpi/tables");
			assert_non_null(p);
			for (unsigned i = 0; i < size; i++)
				v |= (u64)p[i] << (8 * i);
			v += tables_at;
			for (unsigned i = 0; i < size; i++)
				p[i] = (u8)(v >> (8 * i));
			break;
		}
		case 3: { /* ADD_CHECKSUM: byte at offset -= sum of the range */
			u32 at = le32(e + 4 + 56), start = le32(e + 4 + 60), len = le32(e + 4 + 64);
			u8 *r = ram_ptr(&f->ram, base + start, len), s = 0;

			assert_non_null(r);
			for (u32 i = 0; i < len; i++)
				s += r[i];
			*(u8 *)ram_ptr(&f->ram, base + at, 1) -= s;
			break;
		}
		default:
			fail_msg("unknown loader command %u", le32(e));
		}
	}
	if (acpi_tables_check(&f->ram, rsdp_at, err, sizeof(err)))
		fail_msg("tables after loading: %s", err);
	assert_true(acpi_tables_find(&f->ram, rsdp_at, "APIC") >= tables_at);
	assert_true(acpi_tables_find(&f->ram, rsdp_at, "DSDT") >= tables_at);
	assert_true(acpi_tables_find(&f->ram, rsdp_at, "MCFG") >= tables_at);
	acpi_loader_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_loader, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
