# SPDX-License-Identifier: GPL-2.0
#
# axas: see README.md. The kernel build itself is driven by Kbuild; this
# file holds the project's entry points.
#
#   make [ARCH=x86_64|arm64|riscv64] [KDIR=/path/to/kernel/build]
#	build axas.ko (and axas_kunit.ko where the kernel has KUnit) and the
#	user-space programs; without KDIR, against the project's debug test
#	kernel for ARCH (built and cached on first use)
#   make run	boot an x86_64 VM, load axas.ko, run the example VMM
#   make check	every test on every arch (see scripts/check.sh)
#   make bench	benchmark table, axas vs references, in one VM on Debian's
#		stock kernel (x86_64; ARCH=arm64 on request; scripts/bench.sh)
#   make clean

ARCH ?= $(shell uname -m | sed -e s/aarch64/arm64/)
BUILD ?= build/$(ARCH)
ifeq ($(KDIR),)
KDIR_CMD = scripts/build-kernel.sh $(ARCH)
else
KDIR_CMD = echo $(KDIR)
endif

all: modules user

deps:
	@scripts/deps.sh

modules: deps
	scripts/build-module.sh $(ARCH) "$$($(KDIR_CMD))" $(BUILD) W=1

user: deps
	scripts/build-user.sh $(ARCH) $(BUILD)/user

run: deps
	@scripts/run-demo.sh

check: deps
	@scripts/check.sh

bench: deps
	@scripts/bench.sh

clean:
	rm -rf build logs

.PHONY: all deps modules user run check bench clean
