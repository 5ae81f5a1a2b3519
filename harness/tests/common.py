"""Shared set-up for the guest tests: the default kernel and a VM config."""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from harness.kernel import kbuild, ksource, vm
from harness.paths import REPO


REFERENCE = REPO / "results" / "reference"


def reference_copy(cls) -> Path:
    """A copy of results/reference, without its report and plots, for a
    test class; removed after it."""
    tmp = Path(tempfile.mkdtemp(prefix=f"mntbench-{cls.__name__}-"))
    cls.addClassCleanup(shutil.rmtree, tmp, True)
    shutil.copytree(REFERENCE, tmp / "set",
                    ignore=shutil.ignore_patterns("plots", "report*"))
    return tmp / "set"


# The kernel the guest tests boot: `make test KSRC=...` (or this
# variable) picks another source, with the series of its version.
KSRC_ENV = "MNTBENCH_TEST_KSRC"


@functools.lru_cache(maxsize=None)
def kernel() -> kbuild.Kernel:
    ksrc = os.environ.get(KSRC_ENV)
    if ksrc and ksource.is_version(ksrc):   # make test KSRC=7.2
        return kbuild.ensure_kernel(ksource.resolve(ksrc))
    return kbuild.ensure_kernel(Path(ksrc) if ksrc else kbuild.DEFAULT_KSRC)


def results_dir(name: str) -> Path:
    """A fresh writable share under results/ (git-ignored)."""
    base = REPO / "results" / "tests"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def qemu_running_for(results) -> bool:
    """Whether a QEMU whose command line names results still runs."""
    out = subprocess.run(["pgrep", "-af", "qemu-system"],
                         capture_output=True, text=True).stdout
    return str(results) in out


def vm_config(name: str, **kw) -> vm.VMConfig:
    kw.setdefault("cpus", os.cpu_count() or 1)
    kw.setdefault("timeout", 600.0)
    return vm.VMConfig(kernel=kernel(), results=results_dir(name), **kw)


def guest_json(name: str, script: Path, args: str = "",
               **vm_kw) -> tuple[dict, Path]:
    """Boot once and run `script OUT ARGS` in the guest; the JSON document
    it wrote to OUT, and OUT.  A non-zero exit fails with the console."""
    cfg = vm_config(name, **vm_kw)
    out = cfg.results / f"{name}.json"
    # progress on stderr: a slow suite shows where its time goes
    print(f"\n[{name}] boot: {script.name} on {cfg.cpus} vCPUs, limit "
          f"{cfg.timeout:.0f} s", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    res = vm.run(cfg, f"/usr/bin/python3 {script} {out} {args}")
    print(f"[{name}] guest done in {time.monotonic() - t0:.0f} s "
          f"(rc {res.rc})", file=sys.stderr, flush=True)
    if res.rc != 0:
        raise AssertionError(f"{script.name} failed in the guest, "
                             f"rc={res.rc}; console: {res.console}")
    doc = json.loads(out.read_text())
    steps = doc.get("seconds") if isinstance(doc, dict) else None
    if isinstance(steps, dict):
        top = sorted(steps.items(), key=lambda kv: -kv[1])[:8]
        print(f"[{name}] slowest steps (s): " +
              ", ".join(f"{k} {v}" for k, v in top), file=sys.stderr,
              flush=True)
    return doc, out


def kind_records(kind, p, doc: dict, icount: bool = False,
                 probe_doc: dict | None = None) -> list:
    """The records a kind's collect makes of one point's raw document
    (and its mntlock document, as probes/<id>.json)."""
    from harness.analysis import collect
    c = collect.Collector()
    with tempfile.TemporaryDirectory() as d:
        if probe_doc is not None:
            (Path(d) / "probes").mkdir()
            (Path(d) / "probes" / f"{p.id}.json").write_text(
                json.dumps(probe_doc))
        kind.collect(c, p, 0, doc, icount, Path(d))
    return c.records


def freeze_heap(cls) -> None:
    """For a test class's set-up: what exists now (the modules, a loaded
    set) out of the cyclic collector's reach until the class is done.
    statsmodels' Holm (stats.holm, in every gate evaluation and so in
    every report) calls gc.collect(), which otherwise walks the whole
    heap of the test process each time: seconds per test."""
    gc.collect()
    gc.freeze()
    cls.addClassCleanup(gc.unfreeze)


def leave_out(suite: unittest.TestSuite, *classes: type
              ) -> unittest.TestSuite:
    """A module's tests (as unittest loads a module: make unit) without
    those of these classes: the slow host tier's, which make test runs
    by name after make unit (Makefile: HOST_SLOW). For a module's
    load_tests()."""
    out = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            out.addTest(leave_out(t, *classes))
        elif type(t) not in classes:
            out.addTest(t)
    return out


def run_main(main, *argv: str) -> subprocess.CompletedProcess:
    """A command's main(argv) in this process, as python3 -m runs it
    (sys.exit(main())), without the second or two a fresh interpreter
    spends on imports: its status, stdout and stderr. The SIGTERM
    handler a command sets is put back. Keep one case of a command as a
    process (exit status and one line, end to end)."""
    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)
    try:
        with contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            try:
                rc = main(list(argv))
            except SystemExit as e:     # argparse's errors
                if e.code is None or isinstance(e.code, int):
                    rc = e.code or 0
                else:
                    print(e.code, file=sys.stderr)
                    rc = 1
    finally:
        signal.signal(signal.SIGTERM, handler)
    return subprocess.CompletedProcess(list(argv), rc, out.getvalue(),
                                       err.getvalue())
