# SPDX-License-Identifier: GPL-2.0-or-later
# Entry points: `make` builds, `make test` runs the tests, `make run` boots the demo guest.
# Meson+Ninja do the real work in build/; scripts/setup-deps.sh installs what a
# fresh Debian 12 machine lacks.

BUILD ?= build
GUEST ?= $(BUILD)/guest
MEMORY ?= 512M

.PHONY: all deps test unit integration run guest clean check-cpu fuzz bench bench-boot bench-cpu \
	check-kvm bench-kvm bench-net bench-disk

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

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

test: all guest
	scripts/run-tests.sh $(BUILD) $(GUEST)

# `make bench`: boot time, the CPU-bound guest programs, disk and network throughput.
bench: bench-boot bench-cpu bench-disk bench-net

bench-boot: all guest
	/usr/bin/python3 bench/boot_time.py --build $(BUILD) --guest $(GUEST)

bench-cpu: all guest
	/usr/bin/python3 bench/cpu_programs.py --build $(BUILD) --guest $(GUEST)

# TCP through user-mode networking, both directions, hover emu beside QEMU TCG.
bench-net: all guest
	/usr/bin/python3 bench/net_throughput.py --build $(BUILD) --guest $(GUEST)

# virtio-blk sequential O_DIRECT dd (raw and qcow2), hover emu beside QEMU TCG.
bench-disk: all guest
	/usr/bin/python3 bench/disk_throughput.py --build $(BUILD) --guest $(GUEST)

# The kvm engine on real KVM in the nested rig (scripts/kvm-rig.sh; about two
# minutes, also part of `make test`), and its benchmarks beside QEMU there.
check-kvm: all guest
	HOVER_BUILD=$(BUILD) HOVER_GUEST=$(GUEST) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/integration/test_kvm.py

bench-kvm: all guest
	/usr/bin/python3 bench/kvm_boot.py --build $(BUILD) --guest $(GUEST)
	/usr/bin/python3 bench/kvm_memory.py --build $(BUILD) --guest $(GUEST)

clean:
	rm -rf $(BUILD)

# The long differential CPU run: 10,000,000 cases of hover's CPU against
# Unicorn (tests/diff; about 11 minutes with 2 jobs on a 2-core machine).
# SEED=N picks another seed, JOBS=N the number of processes.
check-cpu: all
	$(BUILD)/tests/diff/diffcpu --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 32 --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 16 --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}
	$(BUILD)/tests/diff/diffcpu --mode 16p --seed $${SEED:-1} --count 10000000 --jobs $${JOBS:-2}

# The decoder under libFuzzer with ASan/UBSan for FUZZ_SECONDS (default 120).
fuzz:
	scripts/fuzz.sh $(BUILD)/fuzz
