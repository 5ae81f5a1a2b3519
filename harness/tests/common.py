"""Shared set-up for the guest tests: the default kernel and a VM config."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import time
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
    return json.loads(out.read_text()), out


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
