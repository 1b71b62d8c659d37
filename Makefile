# SPDX-License-Identifier: GPL-2.0-or-later
# Entry points: `make` builds, `make test` runs the tests, `make run` boots the demo guest.
# Meson+Ninja do the real work in build/; scripts/setup-deps.sh installs what a
# fresh Debian 12 machine lacks.

BUILD ?= build
GUEST ?= $(BUILD)/guest
MEMORY ?= 512M

.PHONY: all deps test unit integration run guest clean check-cpu fuzz bench

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

bench: all guest
	/usr/bin/python3 bench/boot_time.py --build $(BUILD) --guest $(GUEST)

clean:
	rm -rf $(BUILD)
