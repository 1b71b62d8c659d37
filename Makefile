# SPDX-License-Identifier: GPL-2.0-or-later
# Entry points: `make` builds, `make test` runs the tests, `make run` boots the demo guest.
# Meson+Ninja do the real work in build/; scripts/setup-deps.sh installs what a
# fresh Debian 12 machine lacks.

BUILD ?= build
ASAN_BUILD ?= build-asan
GUEST ?= $(BUILD)/guest
MEMORY ?= 512M
PREFIX ?= /usr/local

.PHONY: install all deps test test-asan unit integration run guest clean check-cpu fuzz bench bench-boot bench-cpu \
	check-kvm bench-kvm bench-net bench-disk bench-snapshot bench-real bench-webui \
	boot-guests bench-firmware bench-density bench-display test-display bench-ahci bench-migrate \
	test-image bench-launch

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	scripts/build-webui.sh $(BUILD)

deps:
	@scripts/setup-deps.sh

$(BUILD)/build.ninja:
	@scripts/setup-deps.sh
	meson setup $(BUILD)

guest: all
	scripts/make-guest.sh $(GUEST)

run: all guest
	$(BUILD)/hover run --kernel $(GUEST)/vmlinuz --initrd $(GUEST)/initrd.gz \
		--cmdline "console=ttyS0 quiet panic=-1" --memory $(MEMORY)

unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs

integration: all guest
	HOVER_BUILD=$(BUILD) HOVER_GUEST=$(GUEST) /usr/bin/python3 -m pytest -q tests/integration

test: all guest test-image
	scripts/run-tests.sh $(BUILD) $(GUEST) $(ASAN_BUILD)

# The Debian 12 image tests/integration/test_launch.py boots (`hover image build
# debian-12-minimal`, cached in $(BUILD)/images): about 4 minutes and 650 MB the
# first time (mmdebstrap from the Debian mirror), nothing once built.
test-image: all
	HOVER_IMAGE_DIR=$(abspath $(BUILD))/images $(BUILD)/hover image build debian-12-minimal

# `hover launch` to a working `hover shell` (emu) beside QEMU TCG booting the same
# overlay and seed to SSH; RUNS runs each (default 3), medians. Minutes per run.
bench-launch: all test-image
	/usr/bin/python3 bench/launch.py --build $(BUILD) --runs $${RUNS:-3}

# The ASan/UBSan tier alone (also part of `make test`): unit tests and a replay
# of every fuzz corpus, built with -fsanitize=address,undefined in $(ASAN_BUILD).
test-asan:
	@scripts/setup-deps.sh
	scripts/test-asan.sh $(ASAN_BUILD)

# `make bench`: boot time, the CPU-bound guest programs, disk and network throughput.
bench: bench-boot bench-cpu bench-disk bench-net

bench-boot: all guest
	/usr/bin/python3 bench/boot_time.py --build $(BUILD) --guest $(GUEST)

bench-cpu: all guest
	/usr/bin/python3 bench/cpu_programs.py --build $(BUILD) --guest $(GUEST)

# Real programs from Debian 12's packages (7-Zip, xz, gzip, bzip2, sha256sum,
# openssl, sqlite3, tcc, python3, sort/awk/find, fork/pipes/files) in an
# initramfs (scripts/make-bench-guest.sh, cached), hover emu beside QEMU TCG,
# RUNS runs each (default 3), medians and ratios. Not part of `make bench`:
# it takes the better part of an hour on a loaded 2-core machine.
bench-real: all guest
	/usr/bin/python3 bench/real_programs.py --build $(BUILD) --guest $(GUEST) --runs $${RUNS:-3}

# Guests for the firmware boot (grub-mkrescue ISOs of the test guest and of
# memtest86+), cached in $(BUILD)/boot-guests; test_firmware.py makes them too.
boot-guests: all guest
	scripts/make-boot-guests.sh $(BUILD)/boot-guests $(GUEST)

# SeaBIOS -> GRUB -> Linux from the ISO: time to GRUB's menu and to the shell,
# hover emu beside QEMU TCG (-M pc, the same SeaBIOS), medians of RUNS (default 3).
bench-firmware: all guest boot-guests
	/usr/bin/python3 bench/firmware_boot.py --build $(BUILD) --guest $(GUEST) --runs $${RUNS:-3}

# TCP through user-mode networking, both directions, hover emu beside QEMU TCG.
bench-net: all guest
	/usr/bin/python3 bench/net_throughput.py --build $(BUILD) --guest $(GUEST)

# virtio-blk sequential O_DIRECT dd (raw and qcow2), hover emu beside QEMU TCG.
bench-disk: all guest
	/usr/bin/python3 bench/disk_throughput.py --build $(BUILD) --guest $(GUEST)

# AHCI (--disk bus=sata) sequential O_DIRECT throughput beside QEMU TCG's AHCI.
bench-ahci: all guest
	/usr/bin/python3 bench/ahci_throughput.py --build $(BUILD) --guest $(GUEST)

# The kvm engine on real KVM in the nested rig (scripts/kvm-rig.sh; about two
# minutes, also part of `make test`), and its benchmarks beside QEMU there.
check-kvm: all guest
	HOVER_BUILD=$(BUILD) HOVER_GUEST=$(GUEST) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/integration/test_kvm.py

# Snapshot save and restore-to-running, hover emu beside QEMU TCG's migrate-to-file.
bench-snapshot: all guest
	/usr/bin/python3 bench/snapshot.py --build $(BUILD) --guest $(GUEST)

# The web UI: first page + VM list with 50 VMs defined, in Debian's chromium, and
# hoverd's CPU while a browser watches the graphs (bench/webui.py).
bench-webui: all guest
	/usr/bin/python3 bench/webui.py --build $(BUILD) --guest $(GUEST)

# The display tests in full (make test runs their core): bochs DRM, mouse, a
# stalled viewer, the unix socket, framebuffer updates over VNC. 6 to 9 minutes.
test-display: all guest
	HOVER_TEST_DISPLAY=all HOVER_BUILD=$(BUILD) HOVER_GUEST=$(GUEST) /usr/bin/python3 -m pytest -q \
		tests/integration/test_display.py tests/integration/test_vnc.py

# Frame updates over VNC: a guest redrawing 1024x768 under emu, viewer bytes and
# updates per second and the guest's own slowdown, beside QEMU TCG -vga std -vnc.
bench-display: all guest
	/usr/bin/python3 bench/display.py --build $(BUILD) --guest $(GUEST)

bench-migrate: all guest
	/usr/bin/python3 bench/migrate.py --build $(BUILD) --guest $(GUEST)

bench-kvm: all guest
	/usr/bin/python3 bench/kvm_boot.py --build $(BUILD) --guest $(GUEST)
	/usr/bin/python3 bench/kvm_memory.py --build $(BUILD) --guest $(GUEST)

# hover and hoverd into $(PREFIX)/bin, bash completion, hoverd's systemd unit;
# DESTDIR stages the tree for a package.
install: all
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild --quiet
	mkdir -p $(DESTDIR)$(PREFIX)/share/hover/www
	cp $(BUILD)/www/* $(DESTDIR)$(PREFIX)/share/hover/www/

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# The long differential CPU run: 10,000,000 cases of hover's CPU against
# Unicorn (tests/diff; about 11 minutes with 2 jobs on a 2-core machine).
# SEED=N picks another seed, JOBS=N the number of processes.
check-cpu: all
	$(BUILD)/tests/diff/diffcpu --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 32 --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 16 --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 16p --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}

# Every tests/fuzz target under libFuzzer with ASan/UBSan, FUZZ_SECONDS (default 30)
# each; FUZZ_TARGETS="qcow2 boot" for some (scripts/fuzz.sh).
fuzz:
	scripts/fuzz.sh $(BUILD)/fuzz

# Density (bench/density.py): idle 512 MiB guests with balloon + page reporting + KSM,
# hover beside QEMU TCG: RSS per VM, KSM merged, idle CPU over 60 s; memory returned
# after a guest frees 1 GiB. Switches KSM on for the run (root). A few minutes.
bench-density: all guest
	/usr/bin/python3 bench/density.py --build $(BUILD) --guest $(GUEST)
