"""Run test lists side by side, one unittest process per lane.

    python3 -m harness.tests.lanes --lane "MOD MOD ..." --lane "MOD ..."

The guest tests are CPU-bound in QEMU and most keep one vCPU busy, so two
lanes on two cores take about half the time of one. Only tests whose
assertions hold under a loaded host share lanes: exact counts, icount
path lengths (idle time is free there), the runner's contract; the
wall-clock ones say so when the host was busy (test_clocks). Each line a
lane prints comes out whole, prefixed with its lane; a summary line per
lane ends the run. Exit 0 when every lane passed, 1 when a test failed,
130 when interrupted (the lanes, and the QEMUs they started, are killed).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

from harness import exitstatus


def _pump(tag: str, proc: subprocess.Popen, lock: threading.Lock,
          tail: list[str]) -> None:
    for line in proc.stdout:
        with lock:
            sys.stdout.write(f"[{tag}] {line}")
            sys.stdout.flush()
        tail.append(line.rstrip("\n"))
        del tail[:-3]


def _stop(signum, frame):
    raise KeyboardInterrupt   # make's or CI's SIGTERM: stop as on ^C


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    ap = argparse.ArgumentParser(prog="lanes", description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("--lane", action="append", required=True,
                    help="blank-separated unittest names of one lane")
    args = ap.parse_args(argv)
    lanes = [lane.split() for lane in args.lane if lane.split()]
    lock = threading.Lock()
    procs, pumps, tails = [], [], []
    t0 = time.monotonic()
    try:
        for i, names in enumerate(lanes):
            tag = chr(ord("A") + i)
            print(f"[{tag}] {' '.join(names)}", flush=True)
            # a session of its own: an interrupt kills the lane's QEMUs
            p = subprocess.Popen(
                [sys.executable, "-u", "-m", "unittest", "-v", *names],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, text=True, start_new_session=True)
            tail: list[str] = []
            th = threading.Thread(target=_pump, args=(tag, p, lock, tail))
            th.start()
            procs.append(p)
            pumps.append(th)
            tails.append(tail)
        for p, th in zip(procs, pumps):
            p.wait()
            th.join()
    except KeyboardInterrupt:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait()
        print("lanes: interrupted; the lanes were stopped", file=sys.stderr)
        return exitstatus.INTERRUPTED
    took = time.monotonic() - t0
    failed = 0
    for i, (p, tail) in enumerate(zip(procs, tails)):
        end = " ".join(x for x in tail if x.startswith(("Ran", "OK",
                                                        "FAILED")))
        print(f"lane {chr(ord('A') + i)}: exit {p.returncode}: {end}")
        failed += p.returncode != 0
    print(f"lanes: {len(procs)} in {took:.0f} s, {failed} failed")
    return exitstatus.FAILED if failed else exitstatus.SUCCESS


if __name__ == "__main__":
    sys.exit(main())
