// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The board's device list through the state stream (machine/pc.c,
 * pc_save_devices/pc_load_devices): which sections a machine writes, in
 * build order, with hover's interrupt controllers and without them (an
 * engine with an in-kernel irqchip); guest-programmed registers arriving in
 * a freshly built machine; a stream from another configuration refused.
 * The guest never runs: a tiny kernel only gets pc_create() past the load.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "machine/pc.h"
#include "migration/stream.h"
#include "tests/unit/tiny_kernel.h"

static char *kernel;
static char disk[] = "/tmp/hover-pc-state-disk-XXXXXX";
static int devnull;

static struct pc *make(const struct accel_ops *accel, unsigned ndisks)
{
	const struct pc_disk disks[1] = { { .path = disk, .format = "raw" } };
	struct pc_config cfg = {
		.ram_size = 64 * MiB, .ncpus = 2, .accel = accel, .kernel = kernel,
		.console_in_fd = -1, .console_out_fd = devnull, .disks = disks,
		.ndisks = ndisks,
	};
	struct pc *pc;
	char err[512];

	if (pc_create(&pc, &cfg, err, sizeof(err)))
		fail_msg("pc_create: %s", err);
	return pc;
}

static struct saved_state {
	u8 *data;
	size_t len;
} save(struct pc *pc)
{
	struct stream_writer *sw;
	struct saved_state s;
	const u8 *data;
	char err[512];

	assert_int_equal(stream_writer_create(&sw), 0);
	pthread_mutex_lock(&pc_vm(pc)->lock);
	if (pc_save_devices(pc, sw, err, sizeof(err)))
		fail_msg("pc_save_devices: %s", err);
	pthread_mutex_unlock(&pc_vm(pc)->lock);
	assert_int_equal(stream_writer_finish(sw, &data, &s.len), 0);
	s.data = malloc(s.len);
	memcpy(s.data, data, s.len);
	stream_writer_destroy(sw);
	return s;
}

/* "name/instance name/instance ..." of the sections in stream order. */
static void section_list(const struct saved_state *s, char *out, size_t outlen)
{
	struct stream_reader sr;
	struct stream_section sec;
	char err[256];
	size_t n = 0;

	out[0] = '\0';
	assert_int_equal(stream_reader_init(&sr, s->data, s->len, err, sizeof(err)), 0);
	while (stream_reader_next(&sr, &sec, err, sizeof(err)) == 1)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s/%u", n ? " " : "", sec.name,
				      sec.instance);
}

static void test_sections_in_build_order(void **state)
{
	struct pc *pc = make(accel_find("emu"), 1);
	struct saved_state s = save(pc);
	char list[1024];

	section_list(&s, list, sizeof(list));
	assert_string_equal(list, "pic8259/0 ioapic/0 lapic/0 lapic/1 pit8254/0 rtc_cmos/0 "
				  "i8042/0 uart16550/0 pci-host/0 virtio-blk/0 virtio-pci/0 "
				  "virtio-rng/0 virtio-pci/1 acpi_pm/0 fw_cfg/0");
	free(s.data);
	pc_destroy(pc);
}

static int no_irq(struct vm *vm, unsigned gsi, int level) { return 0; }
static int no_msi(struct vm *vm, u64 addr, u32 data) { return 0; }

/*
 * An engine whose irqchip and PIT are its own: the board has none of
 * hover's, so the list (and the stream) has no such section — the
 * capability, not the engine's name, decides.
 */
static void test_engine_irqchip_leaves_them_out(void **state)
{
	struct accel_ops engine = *accel_find("emu");
	struct pc *pc;
	struct saved_state s;
	char list[1024];

	engine.irqchip_in_kernel = true;
	engine.set_irq = no_irq;
	engine.signal_msi = no_msi;
	pc = make(&engine, 0);
	s = save(pc);
	section_list(&s, list, sizeof(list));
	assert_string_equal(list, "rtc_cmos/0 i8042/0 uart16550/0 pci-host/0 virtio-rng/0 "
				  "virtio-pci/0 acpi_pm/0 fw_cfg/0");
	free(s.data);
	pc_destroy(pc);
}

static u64 in(struct pc *pc, u16 port, unsigned size)
{
	u64 v = 0;

	assert_int_equal(as_read(pc_vm(pc)->pio, port, size, &v), 0);
	return v;
}

static void out(struct pc *pc, u16 port, unsigned size, u64 v)
{
	assert_int_equal(as_write(pc_vm(pc)->pio, port, size, v), 0);
}

/*
 * Registers the guest programmed (COM1's scratch register and IER, a CMOS
 * RAM byte, the PIC's mask, the disk's PCI command register, the ACPI
 * enables) arrive in a machine built afresh with the same configuration;
 * a machine without the disk refuses the stream by the section's name.
 */
static void test_round_trip_and_other_config(void **state)
{
	struct pc *a = make(accel_find("emu"), 1), *b, *c;
	struct saved_state s;
	char err[512];

	out(a, 0x3FF, 1, 0xA5);
	out(a, 0x3F9, 1, 0x01);
	out(a, 0x70, 1, 0x40);
	out(a, 0x71, 1, 0x5A);
	out(a, 0x21, 1, 0xF8);
	out(a, 0xCF8, 4, 0x80000800u | 0x04); /* 00:01.0 command */
	out(a, 0xCFC, 2, 0x0406);
	out(a, 0x602, 2, 0x0100); /* PWRBTN_EN */
	s = save(a);
	pc_destroy(a);

	b = make(accel_find("emu"), 1);
	pthread_mutex_lock(&pc_vm(b)->lock);
	if (pc_load_devices(b, s.data, s.len, err, sizeof(err)))
		fail_msg("pc_load_devices: %s", err);
	pthread_mutex_unlock(&pc_vm(b)->lock);
	assert_int_equal(in(b, 0x3FF, 1), 0xA5);
	assert_int_equal(in(b, 0x3F9, 1), 0x01);
	out(b, 0x70, 1, 0x40);
	assert_int_equal(in(b, 0x71, 1), 0x5A);
	assert_int_equal(in(b, 0x21, 1), 0xF8);
	out(b, 0xCF8, 4, 0x80000800u | 0x04);
	assert_int_equal(in(b, 0xCFC, 2), 0x0406);
	assert_int_equal(in(b, 0x602, 2), 0x0100);
	pc_destroy(b);

	c = make(accel_find("emu"), 0);
	pthread_mutex_lock(&pc_vm(c)->lock);
	assert_int_equal(pc_load_devices(c, s.data, s.len, err, sizeof(err)), -EINVAL);
	pthread_mutex_unlock(&pc_vm(c)->lock);
	assert_non_null(strstr(err, "section 'virtio-blk' instance 0 that this machine has no "
				    "device for"));
	pc_destroy(c);
	free(s.data);
}

static int setup(void **state)
{
	int fd = mkstemp(disk);

	log_set_level(LOG_ERROR);
	if (fd < 0 || ftruncate(fd, 1 * MiB))
		return -1;
	close(fd);
	devnull = open("/dev/null", O_WRONLY);
	kernel = tiny_kernel_write();
	return devnull < 0;
}

static int teardown(void **state)
{
	unlink(disk);
	unlink(kernel);
	free(kernel);
	close(devnull);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_in_build_order),
		cmocka_unit_test(test_engine_irqchip_leaves_them_out),
		cmocka_unit_test(test_round_trip_and_other_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
