# mntbench: entry points. `make bench` and `make test` set up everything on
# a fresh Debian 12 machine (as root).

PY       := /usr/bin/python3
KSRC     ?= /usr/src/linux-source-6.12.tar.xz
PATCHES  ?= $(CURDIR)/kernel-patches/series-6.12
CPUS     ?= $(shell nproc)
MEM      ?= 2048
TIMEOUT  ?= 600
RESULTS  ?= $(CURDIR)/results/vm
CMD      ?= uname -a
KARGS    := --ksrc '$(KSRC)' --patches '$(PATCHES)'

export PYTHONPATH := $(CURDIR)

.PHONY: all deps kernel vm bench test test-host test-guest clean

all: deps
	$(MAKE) -C bench

deps:
	@tools/deps.sh

kernel: deps
	$(PY) -m harness.kbuild $(KARGS)

vm: kernel
	$(PY) -m harness.vm $(KARGS) --cpus $(CPUS) --mem $(MEM) \
		--timeout $(TIMEOUT) --results '$(RESULTS)' -- '$(CMD)'

# Until the run plan lands, bench runs the mode checks in the guest.
bench: all kernel
	$(PY) -m harness.bench --results '$(RESULTS)'

test: all kernel
	$(PY) -m unittest discover -s harness/tests -t . -v
	$(MAKE) -C bench test

clean:
	$(MAKE) -C bench clean
	rm -rf results/vm
