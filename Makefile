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
PROFILE  ?= default
SEED     ?=
ACCEL    ?=
RESUME   ?=
OUT      ?=
BASE     ?=
CAND     ?=
SET      ?= $(lastword $(sort $(wildcard results/2*-*)))
KARGS    := --ksrc '$(KSRC)' --patches '$(PATCHES)'
ACCARGS  := $(if $(ACCEL),--accel '$(ACCEL)')
RUNARGS  := $(KARGS) --profile '$(PROFILE)' --cpus $(CPUS) --mem $(MEM) $(ACCARGS) \
	    $(if $(SEED),--seed $(SEED)) $(if $(RESUME),--resume '$(RESUME)') \
	    $(if $(OUT),--out '$(OUT)')

export PYTHONPATH := $(CURDIR)

.PHONY: all deps kernel vm bench gate ab calibrate report test unit clean

# The generator, and the eBPF tool (vmlinux.h comes from the built
# kernel's BTF, so the kernel is built first).
all: deps kernel
	$(MAKE) -C bench
	$(MAKE) -C bpf VMLINUX="$$($(PY) -m harness.kbuild $(KARGS) --print-dir)/vmlinux"

deps:
	@tools/deps.sh

# Kernel style, 0 errors and 0 warnings: the C of lib/, bench/ and bpf/
# (their Makefiles say what they ignore, and why) and the kernel patches.
# checkpatch runs outside any git tree (its cache directory), on absolute
# paths: in a git tree it reads a patch as a plain file.  The patches
# cite upstream commits, which no kernel git tree here can look up.
CHECKPATCH ?= $(or $(MNTBENCH_CACHE),$(HOME)/.cache/mntbench)/checkpatch/scripts/checkpatch.pl
CP_RUN := cd $(dir $(CHECKPATCH)) && perl $(CHECKPATCH) --no-tree --terse
.PHONY: checkpatch
checkpatch: deps
	$(CP_RUN) --ignore PREFER_DEFINED_ATTRIBUTE_MACRO \
		-f $(wildcard $(CURDIR)/lib/*.[ch])
	$(MAKE) -C bench checkpatch CHECKPATCH='$(CHECKPATCH)'
	$(MAKE) -C bpf checkpatch CHECKPATCH='$(CHECKPATCH)'
	$(CP_RUN) --ignore UNKNOWN_COMMIT_ID \
		$(wildcard $(CURDIR)/kernel-patches/series-6.12/*.patch)
	@echo "checkpatch: lib/, bench/, bpf/ and kernel-patches/: 0 errors, 0 warnings"

kernel: deps
	$(PY) -m harness.kbuild $(KARGS)

vm: kernel
	$(PY) -m harness.vm $(KARGS) --cpus $(CPUS) --mem $(MEM) $(ACCARGS) \
		--timeout $(TIMEOUT) --results '$(RESULTS)' -- '$(CMD)'

# Build, boot, run the plan; leaves results/<timestamp>-<host>/.
bench: all
	$(PY) -m harness.run $(RUNARGS)

# Compare two result sets (BASE=dir[:mode] CAND=dir[:mode]); exit 0/1/2/125.
gate: deps
	$(PY) -m harness.gate '$(BASE)' '$(CAND)'

# One-shot A/B: two kernels, interleaved boots, then the gate; boots are
# added until every gated measure is decided (MAX_BOOTS, or what fits
# BUDGET guest minutes); ROUNDS=N is the fixed design.
BASE_KSRC    ?= $(KSRC)
CAND_KSRC    ?= $(KSRC)
BASE_PATCHES ?= $(PATCHES)
CAND_PATCHES ?= $(PATCHES)
BASE_KNOBS   ?=
CAND_KNOBS   ?=
AB_PROFILE   ?= quick
MIN_BOOTS    ?=
MAX_BOOTS    ?=
BUDGET       ?=
ROUNDS       ?=
ab: all
	$(PY) -m harness.ab --base-ksrc '$(BASE_KSRC)' --cand-ksrc '$(CAND_KSRC)' \
		--base-patches '$(BASE_PATCHES)' --cand-patches '$(CAND_PATCHES)' \
		--base-knobs '$(BASE_KNOBS)' --cand-knobs '$(CAND_KNOBS)' \
		--profile '$(AB_PROFILE)' --cpus $(CPUS) --mem $(MEM) $(ACCARGS) \
		$(if $(MIN_BOOTS),--min-boots '$(MIN_BOOTS)') \
		$(if $(MAX_BOOTS),--max-boots '$(MAX_BOOTS)') \
		$(if $(BUDGET),--budget '$(BUDGET)') \
		$(if $(ROUNDS),--rounds '$(ROUNDS)') \
		$(if $(SEED),--seed $(SEED)) \
		$(if $(OUT),--out '$(OUT)')

# The gate's error rates on this kernel: A/A and injected costs of known
# size, per clock, through `make ab`'s code. Leaves results/calibrate-*/.
CAL_PROFILE ?= calibrate
CLOCKS      ?= icount,tcg
SIZES       ?= 1,2,5,10
KNOB_PATHS  ?= open,teardown
AA          ?= 4
N           ?= 2
calibrate: all
	$(PY) -m harness.calibrate --profile '$(CAL_PROFILE)' \
		--clocks '$(CLOCKS)' --sizes '$(SIZES)' --paths '$(KNOB_PATHS)' \
		--aa '$(AA)' --n '$(N)' \
		--cpus $(CPUS) $(if $(BUDGET),--budget '$(BUDGET)') \
		$(if $(SEED),--seed $(SEED)) $(if $(OUT),--out '$(OUT)')

# Regenerate report.txt, report.md and plots/ of a set (default: newest).
report: deps
	$(PY) -m harness.report '$(SET)'

# The fast loop: host-only tests (no kernel build, no QEMU), under a
# minute: the generator on real overlays, plans, statistics, the gate on
# altered copies of results/reference, collect and probes on its raw
# outputs, report and plots, the accelerator choice, the A/B arguments.
UNIT := harness.tests.test_plan harness.tests.test_stats \
	harness.tests.test_gate harness.tests.test_report_plots \
	harness.tests.test_collect harness.tests.test_accel_ab \
	harness.tests.test_costsplit
# Every other test module boots the kernel in QEMU.
GUEST := $(filter-out $(UNIT),$(subst /,.,$(basename \
	$(wildcard harness/tests/test_*.py))))
unit: deps
	$(MAKE) -C bench test
	$(PY) -m unittest -v $(UNIT)

# unit first, then the guest tests (kernel, runner, probes, harness end
# to end with the gate's controls).
test: unit all
	$(PY) -m unittest -v $(GUEST)

clean:
	$(MAKE) -C bench clean
	$(MAKE) -C bpf clean
	rm -rf results/vm
