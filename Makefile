# mntbench: entry points. `make bench` and `make test` set up everything on
# a fresh Debian 12 machine (as root).

# The targets that take variables are run by ./mntbench, which holds
# their defaults and whose exit status is the documented one
# (harness/exitstatus.py): make itself exits 2 whatever status a recipe
# fails with, so scripts that test for 1, 124 or 125 call ./mntbench.
# Variables are data: a command-line VAR=value is handed over as
# MNTBENCH_VAR_VAR, copied with $(value) so that make expands no `$` in
# it (CMD='echo $HOME' reaches the guest as written), and unexported
# (make would export VAR expanded, running any $(shell) in it); it never
# enters a recipe's shell text. Environment variables reach ./mntbench
# as they are. ./mntbench --help lists the variables and their defaults.

PY       := /usr/bin/python3

$(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $v)),\
	$(eval export MNTBENCH_VAR_$v := $$(value $v))$(eval unexport $v)))

export PYTHONPATH := $(CURDIR)

# make -n prints what ./mntbench would run: it gets -n, and the `+`
# runs it even under make -n (and -q, -t: they get -n too).
override MAKEFLAGS1 = $(firstword -$(MAKEFLAGS))
override DRY = $(if $(findstring n,$(MAKEFLAGS1))$(findstring q,\
	$(MAKEFLAGS1))$(findstring t,$(MAKEFLAGS1)),-n)
# ./mntbench's status, then a line saying what it means; make then adds
# its own "Error N" and exits 2.
define MNTBENCH_RUN
+@./mntbench $(DRY) $@ || { rc=$$?; ./mntbench --explain $@ $$rc >&2; \
	exit $$rc; }
endef

.PHONY: all deps kernel vm bench gate ab calibrate report checkpatch \
	plan export history census coherence test unit smoke clean bisect \
	test-flows \
	clean-cache

# How make is called changes nothing (harness/tests/test_make_modes.py):
# the targets here run one after another in the order given, also under
# -j (test: unit, then all, then the guest tests); the makes of bench/
# and the kernel build run their own jobs in parallel.
.NOTPARALLEL:

# The generator, and the eBPF tool (vmlinux.h comes from the built
# kernel's BTF, so the kernel is built first). KSRC, PATCHES.
all:
	$(MNTBENCH_RUN)

deps:
	@tools/deps.sh

# Kernel style, 0 errors and 0 warnings: the C of lib/, bench/ and bpf/
# (their Makefiles say what they ignore, and why) and the kernel patches.
# CHECKPATCH (default: the checkpatch.pl make deps extracts).
checkpatch:
	$(MNTBENCH_RUN)

# The cached kernel build. KSRC, PATCHES.
kernel:
	$(MNTBENCH_RUN)

# CMD in the guest; exit status the command's (124 time limit, 125
# panic) from ./mntbench vm, 2 from make. CPUS MEM TIMEOUT RESULTS ACCEL.
vm:
	$(MNTBENCH_RUN)

# Build, boot, run the plan; leaves results/<timestamp>-<host>/.
# PROFILE CPUS MEM ACCEL SEED RESUME OUT.
bench:
	$(MNTBENCH_RUN)

# Compare two result sets (BASE=dir[:mode] CAND=dir[:mode]); ./mntbench
# gate exits 0/1/2/3/125.
gate:
	$(MNTBENCH_RUN)

# One-shot A/B: two kernels (BASE_KSRC, CAND_KSRC, BASE_PATCHES,
# CAND_PATCHES, BASE_KNOBS, CAND_KNOBS), interleaved boots, then the gate;
# boots are added until every gated measure is decided (MIN_BOOTS,
# MAX_BOOTS, or what fits BUDGET guest minutes); ROUNDS=N is the fixed
# design. AB_PROFILE CPUS MEM ACCEL SEED OUT.
ab:
	$(MNTBENCH_RUN)

# The first commit between GOOD and BAD of a git tree KSRC that the gate
# calls a regression from GOOD (git bisect run, in a clone of its own:
# the tree is left as it was). MEASURE (gate regex) PROFILE PATCHES CPUS
# MEM ACCEL SEED OUT; ./mntbench bisect exits 0 named, 3 none found.
bisect:
	$(MNTBENCH_RUN)

# Remove every cache entry no build is using, and say what that freed.
clean-cache:
	$(MNTBENCH_RUN)

# The gate's error rates on this kernel: A/A and injected costs of known
# size, per clock, through `make ab`'s code. Leaves results/calibrate-*/.
# CAL_PROFILE CLOCKS SIZES KNOB_PATHS AA N CPUS BUDGET SEED OUT.
calibrate:
	$(MNTBENCH_RUN)

# Regenerate report.txt, report.md and plots/ of a set (SET, default: the
# newest).
report:
	$(MNTBENCH_RUN)

# Which mounts take mntput()'s slow path (mount_lock), by filesystem type
# and mount state: the census workloads and the overlay's open-close for
# a fixed number of ops under mntlock, one boot; prints the table.
# CPUS MEM ACCEL SEED OUT KSRC PATCHES.
census:
	$(MNTBENCH_RUN)

# The cache lines an op fights over, per mode at 1, 2, 4, 8 and 16 vCPUs,
# from the QEMU plugin in coherence/ under icount: make bench
# PROFILE=coherence. CPUS MEM SEED TIMEOUT RESUME OUT KSRC PATCHES.
coherence:
	$(MNTBENCH_RUN)

# What `make bench` would run at CPUS vCPUs: points, boots, estimated
# guest time, time limits, guest memory; no kernel built, nothing booted
# (bench/ovlbench is built: the plan's checks read its limits).
# PROFILE CPUS ACCEL.
plan:
	$(MNTBENCH_RUN)

# A set for other tools (SET FORMAT=bmf|github-action-benchmark|kcidb|csv
# DIRECTION OUT), and the gated measures' trends and change points over a
# directory of sets (DIR ORDER OUT).
export:
	$(MNTBENCH_RUN)
history:
	$(MNTBENCH_RUN)

# The fast loop: host-only tests (no kernel build, no QEMU), under a
# minute on 2 quiet cores: the generator on real overlays (bench/'s quick
# tier), plans, statistics, the gate on altered copies of
# results/reference, collect and probes on its raw outputs, report and
# plots, the accelerator choice, the A/B arguments. What takes longer is
# HOST_SLOW's, below.
UNIT := harness.tests.test_plan harness.tests.test_stats \
	harness.tests.test_gate harness.tests.test_report_plots \
	harness.tests.test_collect harness.tests.test_accel_ab \
	harness.tests.test_costsplit harness.tests.test_bystander \
	harness.tests.test_set_integrity harness.tests.test_inputs \
	harness.tests.test_export harness.tests.test_history \
	harness.tests.test_build_progress harness.tests.test_fleet_ci \
	harness.tests.test_linemodel harness.tests.test_ksource
# README.md's and docs/'s commands: targets, variables, modules and paths
# that exist (harness/tests/test_docs.py).
UNIT += harness.tests.test_docs
UNIT += harness.tests.test_kcache harness.tests.test_layout \
	harness.tests.test_faults
# Result sets as untrusted input: hostile copies of results/reference
# through every reading command (each case once here, every command in
# HOST_SLOW); hypothesis properties, seeded, all their examples (issue
# 29).
UNIT += harness.tests.test_hostile_sets harness.tests.test_properties
# make -s, -j2 and -k run what plain make does (unit, test, smoke).
UNIT += harness.tests.test_make_modes
# unit runs two unittest processes side by side, one a core: the modules
# of UNIT_LANE2 that UNIT names (in UNIT_LANE2's order), and the others
# (harness/tests/lanes.py --hold: the second's output is held and shown
# whole after the first's, so that each reads as a plain unittest run);
# unit fails if either fails. The lanes hold about the same CPU time; no
# test depends on its lane or the other's. bench/'s tests run before,
# alone: they count ops in short intervals.
UNIT_LANE2 := harness.tests.test_hostile_sets harness.tests.test_properties \
	harness.tests.test_history harness.tests.test_layout \
	harness.tests.test_docs harness.tests.test_collect
UNIT1 = $(filter-out $(UNIT_LANE2),$(UNIT))
UNIT2 = $(filter $(UNIT),$(UNIT_LANE2))
# Host-only tests too slow for the fast loop (minutes of CPU or of
# waiting; about 2 min on 2 quiet cores): make test runs them after unit,
# before the guest tests, and CI (.ci/run) with it. bench/'s slow tier
# (every workload in both modes, a stopped task's deadline), every
# hostile set through every reading command as a process on the whole
# reference (HostileSets), ./mntbench and make end to end
# (MakeInterface), kcache's killed and racing fake builds, the
# simulations of the gate's error rates. Named by class: loading their
# modules, as unit does, leaves them out (each module's load_tests), and
# GUEST leaves the modules out through UNIT.
HOST_SLOW := harness.tests.test_hostile_sets.HostileSets \
	harness.tests.test_make_interface.MakeInterface \
	harness.tests.test_kcache.KilledAndConcurrent \
	harness.tests.test_gate.SimulationTest \
	harness.tests.test_gate.SequentialSimulationTest
# The end-to-end flows: each runs a whole pipeline (bench sets of a
# plan, ab rounds, calibration, a git tree's ab and bisect, interrupt
# and resume, a full disk) on the cached kernel: make test-flows.
FLOWS := harness.tests.test_calibrate harness.tests.test_quick_controls \
	harness.tests.test_gittree harness.tests.test_e2e_run \
	harness.tests.test_disk_full
# The clocks' tests measure icount path lengths and host disturbance:
# icount repeats to the instruction only on a quiet host (beside another
# guest its counts moved 1-6%), so they run alone, in test-flows.
SOLO := harness.tests.test_clocks
# Every other test module boots the kernel in QEMU to check it: the
# switch, the probes, the census, the coherence model, the runner; exact
# counts that hold on a loaded host (make test, in two lanes).
GUEST := $(filter-out $(UNIT) $(FLOWS) $(SOLO) \
	harness.tests.test_make_interface, \
	$(subst /,.,$(basename $(wildcard harness/tests/test_*.py)))) \
	harness.tests.test_make_interface.GuestMakeInterface
# Two lanes side by side (harness/tests/lanes.py), balanced by their
# times; a new module goes to the second lane.
LANE1 := harness.tests.test_mntlock harness.tests.test_coherence \
	harness.tests.test_vm_limits harness.tests.test_paired \
	harness.tests.test_vm_runner \
	harness.tests.test_make_interface.GuestMakeInterface
LANES = $(TESTENV) $(PY) -m harness.tests.lanes \
	--lane "$(filter $(1),$(2))" --lane "$(filter-out $(1),$(2))"
# The tests run as from a shell: how make was called (MAKEFLAGS: -n, -s,
# -j, -k) does not reach the makes they run. UNIT_BENCH=all builds
# bench/ without its tests (test_make_modes).
TESTENV := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES
UNIT_BENCH := test-quick
unit: deps
	$(MAKE) -C bench $(UNIT_BENCH)
	$(TESTENV) $(PY) -m harness.tests.lanes --hold \
		--lane "$(UNIT1)" --lane "$(UNIT2)"

# The slow host-only tier (HOST_SLOW): make test runs it after unit.
.PHONY: host-slow
host-slow: deps
	$(MAKE) -C bench test-slow
	$(TESTENV) $(PY) -m unittest -v $(HOST_SLOW)

# unit first, then the slow host-only tier, then the guest tests
# (kernel, runner, probes, census, coherence) in two lanes, on KSRC's
# kernel when given.
test: unit host-slow all
	MNTBENCH_TEST_KSRC="$${MNTBENCH_VAR_KSRC-}" \
		$(call LANES,$(LANE1),$(GUEST))

# What needs a quiet host or a whole pipeline, one after another: the
# clocks' tests (SOLO: icount path lengths, disturbance), then the
# end-to-end flows (FLOWS; the calibration and the quick plan's controls
# decide on icount sets). .ci/run runs them after make test.
test-flows: all
	MNTBENCH_TEST_KSRC="$${MNTBENCH_VAR_KSRC-}" $(TESTENV) \
		$(PY) -m unittest -v $(SOLO) $(FLOWS)

# The guest tests an older kernel must pass too (.ci/run: Debian's 6.1):
# the switch's exact grace periods and slow mntputs per mode, mntlock,
# the coherence model under MTTCG (6.1 has no second vCPU under icount).
SMOKE := harness.tests.test_kernel_modes harness.tests.test_mntlock \
	harness.tests.test_coherence.Mttcg
smoke: all
	MNTBENCH_TEST_KSRC="$${MNTBENCH_VAR_KSRC-}" \
		$(call LANES,harness.tests.test_mntlock,$(SMOKE))

clean:
	$(MAKE) -C bench clean
	$(MAKE) -C bpf clean
	$(MAKE) -C coherence clean
	rm -rf results/vm
