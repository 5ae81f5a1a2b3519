"""Run test lists side by side, one unittest process per lane.

    python3 -m harness.tests.lanes [--hold] --lane "MOD ..." --lane "MOD ..."

The guest tests are CPU-bound in QEMU and most keep one vCPU busy, so two
lanes on two cores take about half the time of one. Only tests whose
assertions hold under a loaded host share lanes: exact counts, icount
path lengths (idle time is free there), the runner's contract; the
wall-clock ones say so when the host was busy (test_clocks). Each line a
lane prints comes out whole, prefixed with its lane; a summary line per
lane ends the run. With --hold (make unit) every lane reads as a plain
unittest run instead: the first lane's output as it comes and each
other's whole after it, unprefixed, on stderr. Exit 0 when every lane
passed, 1 when a test failed, 130 when interrupted (the lanes, and the
QEMUs they started, are killed).
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


def _pump(prefix: str, out, proc: subprocess.Popen, lock: threading.Lock,
          tail: list[str], held: list[str] | None) -> None:
    """The lane's lines to out as they come, after prefix; or kept in
    held when given (--hold's later lanes)."""
    for line in proc.stdout:
        if held is not None:
            held.append(line)
        else:
            with lock:
                out.write(prefix + line)
                out.flush()
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
    ap.add_argument("--hold", action="store_true",
                    help="the first lane's output as it comes, the others' "
                    "whole after it, unprefixed, on stderr")
    args = ap.parse_args(argv)
    lanes = [lane.split() for lane in args.lane if lane.split()]
    lock = threading.Lock()
    procs, pumps, tails = [], [], []
    helds: list[list[str] | None] = []
    out = sys.stderr if args.hold else sys.stdout
    t0 = time.monotonic()
    try:
        for i, names in enumerate(lanes):
            tag = chr(ord("A") + i)
            held = [] if args.hold and i else None
            helds.append(held)
            if not args.hold:
                print(f"[{tag}] {' '.join(names)}", flush=True)
            # a session of its own: an interrupt kills the lane's QEMUs
            p = subprocess.Popen(
                [sys.executable, "-u", "-m", "unittest", "-v", *names],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, text=True, start_new_session=True)
            tail: list[str] = []
            th = threading.Thread(target=_pump, args=(
                "" if args.hold else f"[{tag}] ", out, p, lock, tail, held))
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
    for names, held in zip(lanes, helds):
        if held is not None:
            print(f"lanes: the next lane, held: {' '.join(names)}",
                  file=sys.stderr)
            sys.stderr.write("".join(held))
    failed = 0
    for i, (p, tail) in enumerate(zip(procs, tails)):
        end = " ".join(x for x in tail if x.startswith(("Ran", "OK",
                                                        "FAILED")))
        print(f"lane {chr(ord('A') + i)}: exit {p.returncode}: {end}",
              file=out)
        failed += p.returncode != 0
    print(f"lanes: {len(procs)} in {took:.0f} s, {failed} failed",
          file=out)
    return exitstatus.FAILED if failed else exitstatus.SUCCESS


if __name__ == "__main__":
    sys.exit(main())
