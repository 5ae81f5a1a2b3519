"""The kernel cache (host only: a fake kernel tree, no compiler, no QEMU):
it checks what it hands out (a truncated or altered artefact is said in
one line and rebuilt, never returned), a line's tree is synced by
content (unchanged files keep their mtime, so make rebuilds only what
changed), its size bound evicts the least recently used entries but not
busy ones, and clean-cache says what it freed.

KilledAndConcurrent (fake builds that sleep, killed and raced as
processes: 10 s and more) is the slow host tier's (Makefile: HOST_SLOW);
loading the module, as make unit does, leaves it out."""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path
from unittest import mock

from harness import errors
from harness.kernel import kbuild, kcache, progress
from harness.tests import common, tmpfs

FAKE = """\
tinyconfig:
\t@mkdir -p $(O)/scripts/kconfig
\t@touch $${FAKE_MARK:-/dev/null}.configuring; sleep $${FAKE_SLEEP:-0}
\t@echo CONFIG_MNTFAKE=y > $(O)/.config
olddefconfig:
\t@true
bzImage:
\t@mkdir -p $(O)/arch/x86/boot
\t@touch $${FAKE_MARK:-/dev/null}.compiling; sleep $${FAKE_SLEEP:-0}
\t@echo "  CC      obj.o"
\t@head -c 65536 /dev/zero > $(O)/arch/x86/boot/bzImage
\t@cat $(CURDIR)/fs.c >> $(O)/arch/x86/boot/bzImage
\t@echo vmlinux > $(O)/vmlinux
\t@echo fake > $(O)/System.map
vmlinux: bzImage
kernelrelease:
\t@echo 6.12.0-fake
.PHONY: tinyconfig olddefconfig bzImage vmlinux kernelrelease
"""


class Rep(progress.Reporter):
    def __init__(self):
        super().__init__(out=io.StringIO(), err=io.StringIO(), tty=False)
        self.said: list[str] = []

    def say(self, msg: str) -> None:
        self.said.append(msg)


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-kcache-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.cache = self.tmp / "cache"
        env = mock.patch.dict(os.environ, {"MNTBENCH_CACHE": str(self.cache)})
        env.start()
        self.addCleanup(env.stop)


class CheckedArtefacts(Tmp):
    def setUp(self):
        super().setUp()
        self.src = self.tmp / "linux"
        (self.src / "scripts" / "kconfig").mkdir(parents=True)
        (self.src / "Makefile").write_text(FAKE)
        (self.src / "fs.c").write_text("int x;\n")
        merge = self.src / "scripts" / "kconfig" / "merge_config.sh"
        merge.write_text("#!/bin/sh\nexit 0\n")
        merge.chmod(0o755)
        self.fragment = self.tmp / "fake.config"
        self.fragment.write_text("CONFIG_MNTFAKE=y\n")

    def build(self) -> tuple[kbuild.Kernel, Rep]:
        rep = Rep()
        return kbuild.ensure_kernel(self.src, "none", self.fragment,
                                    rep), rep

    def test_hashes_recorded_at_publish(self):
        k, _ = self.build()
        arts = k.info["artefacts"]
        self.assertEqual(sorted(arts), sorted(kbuild.ARTEFACTS))
        self.assertEqual(arts["bzImage"]["size"], 65536 + 7)
        self.assertEqual(arts["bzImage"]["sha256"],
                         kbuild._file_sha(k.bzimage))

    def test_a_truncated_image_is_rebuilt_not_handed_out(self):
        k, _ = self.build()
        with open(k.bzimage, "r+b") as f:
            f.truncate(1024)
        k2, rep = self.build()
        damaged = [s for s in rep.said if "damaged" in s]
        self.assertEqual(len(damaged), 1, rep.said)
        self.assertIn(f"{k.bzimage}: 1024 bytes, 65543 recorded", damaged[0])
        self.assertTrue(any("building in" in s for s in rep.said))
        self.assertEqual(k2.bzimage.stat().st_size, 65543)

    def test_same_size_other_content_is_caught_by_its_hash(self):
        k, _ = self.build()
        data = bytearray(k.bzimage.read_bytes())
        data[100] ^= 0xff
        k.bzimage.write_bytes(bytes(data))     # new mtime: hashed again
        _, rep = self.build()
        self.assertTrue(any("sha256 differs" in s for s in rep.said),
                        rep.said)

    def test_a_whole_entry_is_handed_out_without_a_build(self):
        self.build()
        _, rep = self.build()
        self.assertEqual(rep.said, [])

    def test_legacy_entry_checked_by_structure(self):
        out = self.tmp / "out"
        out.mkdir()
        img = bytearray(0x400)
        img[0x1f1] = 1                              # 2 sectors of setup
        img[0x202:0x206] = b"HdrS"
        img[0x1f4:0x1f8] = (64).to_bytes(4, "little")   # 1 KiB more
        (out / "bzImage").write_bytes(bytes(img))
        elf = bytearray(64)
        elf[:4] = b"\x7fELF"
        elf[0x28:0x30] = (64).to_bytes(8, "little")
        elf[0x3a:0x3c] = (64).to_bytes(2, "little")
        elf[0x3c:0x3e] = (2).to_bytes(2, "little")
        (out / "vmlinux").write_bytes(bytes(elf) + bytes(128))
        for n in ("config", "System.map"):
            (out / n).write_text("x\n")
        (out / "info.json").write_text("{}")
        self.assertIn("its header says 2048", kbuild._damage(out))
        (out / "bzImage").write_bytes(bytes(img) + bytes(1024))
        self.assertIsNone(kbuild._damage(out))
        # checked once, then hashed like a new one
        self.assertIn("artefacts", json.loads(
            (out / "info.json").read_text()))
        with open(out / "vmlinux", "r+b") as f:
            f.truncate(100)
        self.assertIn("vmlinux: 100 bytes", kbuild._damage(out))


class KilledAndConcurrent(CheckedArtefacts):
    """A build killed with SIGKILL leaves nothing that passes the check;
    two builds of one key at once: one builds, the other waits, says so,
    and gets the first one's kernel."""

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "FAKE_SLEEP": "3",
               "FAKE_MARK": str(self.tmp / "phase"),
               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        return subprocess.Popen(
            ["/usr/bin/python3", "-m", "harness.kernel.kbuild", "--ksrc",
             str(self.src), "--patches", "none", "--fragment",
             str(self.fragment)], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_for(self, proc: subprocess.Popen, phase: str) -> None:
        mark = self.tmp / f"phase.{phase}"
        while not mark.exists():
            self.assertIsNone(proc.poll(), f"finished before {phase}")
            time.sleep(0.05)
        mark.unlink()

    def test_killed_while_configuring_or_compiling(self):
        for phase in ("configuring", "compiling"):
            with self.subTest(phase=phase):
                proc = self.start()
                self.wait_for(proc, phase)
                os.killpg(proc.pid, 9)
                proc.communicate()
                outs = list((self.cache / "kernel" / "out").glob("*"))
                self.assertEqual([o for o in outs if (
                    o / "info.json").is_file()], [])
        k, rep = self.build()
        self.assertIsNone(kbuild._damage(k.dir))

    def test_two_builds_of_one_key(self):
        first = self.start()
        self.wait_for(first, "compiling")
        second = self.start()
        out2, _ = second.communicate(timeout=60)
        out1, _ = first.communicate(timeout=60)
        self.assertEqual((first.returncode, second.returncode), (0, 0))
        self.assertIn("another build of", out2)
        self.assertIn("is running; waiting for it", out2)
        self.assertNotIn("building in", out2)
        self.assertEqual(out1.splitlines()[-1], out2.splitlines()[-1])


@unittest.skipUnless(tmpfs.ROOT, tmpfs.NEEDS_ROOT)
class CacheDiskFull(CheckedArtefacts):
    """The cache's disk fills up while a build compiles, or while it
    publishes its kernel (issue 29): one line, exit 3, no entry (nor a
    temp one) in the cache; with room again the next run builds. The
    cache is a 1 MiB tmpfs; a ballast fills it when make starts bzImage,
    or leaves the build what it needs less 10 pages (the publish takes
    21: bzImage's 17 and 4 small files)."""

    def tiny_cache(self) -> Path:
        mnt = tmpfs.mount(self, "1m")
        env = mock.patch.dict(os.environ, {"MNTBENCH_CACHE": str(mnt)})
        env.start()
        self.addCleanup(env.stop)
        return mnt

    def kbuild(self, **env) -> subprocess.Popen:
        return subprocess.Popen(
            ["/usr/bin/python3", "-m", "harness.kernel.kbuild", "--ksrc",
             str(self.src), "--patches", "none", "--fragment",
             str(self.fragment)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env,
                 "PYTHONPATH": str(Path(__file__).resolve().parents[2])})

    def one_line_nothing_stored(self, p: subprocess.Popen,
                                mnt: Path) -> None:
        _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 3, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("kernel cache full", lines[0])
        self.assertIn("No space left on device", lines[0])
        self.assertIn("nothing stored", lines[0])
        out = mnt / "kernel" / "out"
        self.assertEqual(list(out.iterdir()) if out.exists() else [], [])

    def test_full_while_compiling(self):
        mnt = self.tiny_cache()
        p = self.kbuild(FAKE_SLEEP="1", FAKE_MARK=str(self.tmp / "phase"))
        while not (self.tmp / "phase.compiling").exists():
            self.assertIsNone(p.poll(), "finished before compiling")
            time.sleep(0.05)
        ballast = mnt / "ballast"
        tmpfs.fill(ballast)
        self.one_line_nothing_stored(p, mnt)
        ballast.unlink()
        k, rep = self.build()
        self.assertTrue(any("building in" in s for s in rep.said), rep.said)
        self.assertIsNone(kbuild._damage(k.dir))

    def test_full_while_publishing(self):
        mnt = self.tiny_cache()
        free0 = os.statvfs(mnt).f_bfree
        k, _ = self.build()
        need = free0 - os.statvfs(mnt).f_bfree
        shutil.rmtree(mnt / "kernel")
        self.assertEqual(os.statvfs(mnt).f_bfree, free0)
        ballast = mnt / "ballast"
        with open(ballast, "wb") as f:
            f.write(b"\0" * (free0 - need + 10) * os.statvfs(mnt).f_bsize)

        self.one_line_nothing_stored(self.kbuild(), mnt)
        self.assertFalse(k.dir.exists())

        ballast.unlink()
        k2, rep = self.build()
        self.assertTrue(any("building in" in s for s in rep.said), rep.said)
        self.assertEqual(k2.dir, k.dir)
        self.assertIsNone(kbuild._damage(k2.dir))


class ContentSync(Tmp):
    def test_unchanged_files_keep_their_mtime(self):
        src, work = self.tmp / "src", self.tmp / "work"
        (src / "fs").mkdir(parents=True)
        (src / "Makefile").write_text("VERSION = 9\nPATCHLEVEL = 9\n")
        (src / "fs" / "a.c").write_text("a\n")
        (src / "fs" / "b.c").write_text("b\n")
        (src / "fs" / "gone.c").write_text("gone\n")
        work.mkdir()
        rep = Rep()
        tree = kbuild._prepare_tree(src, work, "one", [], rep)
        old = {n: (tree / "fs" / n).stat().st_mtime_ns for n in ("a.c",
                                                                  "b.c")}
        time.sleep(0.05)
        (src / "fs" / "b.c").write_text("b changed\n")
        (src / "fs" / "gone.c").unlink()
        os.utime(src / "fs" / "a.c")    # touched, same content
        kbuild._prepare_tree(src, work, "two", [], rep)
        self.assertEqual((tree / "fs" / "a.c").stat().st_mtime_ns,
                         old["a.c"])
        self.assertGreater((tree / "fs" / "b.c").stat().st_mtime_ns,
                           old["b.c"])
        self.assertEqual((tree / "fs" / "b.c").read_text(), "b changed\n")
        self.assertFalse((tree / "fs" / "gone.c").exists())
        self.assertEqual((work / "tree-state").read_text(), "two\n")
        # a git repository of one empty commit: releases stay X.Y.Z+
        log = subprocess.run(["git", "-C", str(tree), "log", "--format=%s"],
                             capture_output=True, text=True).stdout
        self.assertEqual(log, "mntbench work tree\n")

    def test_a_tarball_unpacks_into_the_tree_then_syncs(self):
        """The first unpack becomes the tree (no copy, no stage left);
        the next tarball of the line is synced into it by content."""
        work = self.tmp / "work"
        work.mkdir()

        def tarball(name: str, files: dict[str, str]) -> Path:
            top = self.tmp / name / "linux-9.9"
            for rel, text in files.items():
                (top / rel).parent.mkdir(parents=True, exist_ok=True)
                (top / rel).write_text(text)
            out = self.tmp / f"{name}.tar.xz"
            subprocess.run(["tar", "cJf", str(out), "-C", str(top.parent),
                            "linux-9.9"], check=True)
            return out
        ran, real = [], kbuild._run

        def run(cmd, *a, **kw):
            ran.append(cmd[0])
            return real(cmd, *a, **kw)
        make = "VERSION = 9\nPATCHLEVEL = 9\n"
        one = tarball("one", {"Makefile": make, "fs/a.c": "a\n",
                              "fs/gone.c": "gone\n"})
        with mock.patch.object(kbuild, "_run", run):
            tree = kbuild._prepare_tree(one, work, "one", [], Rep())
        self.assertNotIn("rsync", ran)
        self.assertEqual((tree / "fs" / "a.c").read_text(), "a\n")
        self.assertEqual(sorted(p.name for p in work.iterdir()),
                         ["tree", "tree-state"])
        old = (tree / "fs" / "a.c").stat().st_mtime_ns
        two = tarball("two", {"Makefile": make, "fs/a.c": "a\n",
                              "fs/b.c": "b\n"})
        with mock.patch.object(kbuild, "_run", run):
            kbuild._prepare_tree(two, work, "two", [], Rep())
        self.assertIn("rsync", ran)
        self.assertEqual((tree / "fs" / "a.c").stat().st_mtime_ns, old)
        self.assertEqual((tree / "fs" / "b.c").read_text(), "b\n")
        self.assertFalse((tree / "fs" / "gone.c").exists())
        self.assertEqual(sorted(p.name for p in work.iterdir()),
                         ["tree", "tree-state"])
        log = subprocess.run(["git", "-C", str(tree), "log", "--format=%s"],
                             capture_output=True, text=True).stdout
        self.assertEqual(log, "mntbench work tree\n")

    def test_a_series_continues_where_the_tree_stopped(self):
        """A patch that does not apply leaves the tree as it was before
        it, and says so; the next series that starts with what the tree
        holds gets only the rest applied, without a sync. Any other
        series syncs again."""
        src, work, pdir = (self.tmp / n for n in ("src", "work", "p"))
        (src / "fs").mkdir(parents=True)
        pdir.mkdir()
        (src / "Makefile").write_text("VERSION = 9\nPATCHLEVEL = 9\n")
        (src / "fs" / "a.c").write_text("one\n")
        work.mkdir()

        def patch(name: str, old: str, new: str) -> Path:
            p = pdir / name
            p.write_text(f"--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n"
                         f"-{old}\n+{new}\n")
            return p
        p1, bad, p2 = (patch("1.patch", "one", "two"),
                       patch("bad.patch", "nothing", "x"),
                       patch("2.patch", "two", "three"))
        syncs = []
        real = kbuild._sync_tree

        def counted(*a, **kw):
            syncs.append(1)
            return real(*a, **kw)
        state = work / "tree-state"
        with mock.patch.object(kbuild, "_sync_tree", counted):
            with self.assertRaises(errors.BuildError) as cm:
                kbuild._prepare_tree(src, work, "id", [p1, bad], Rep())
            self.assertIn("patch bad.patch does not apply", str(cm.exception))
            self.assertEqual(state.read_text().splitlines(),
                             ["id", kbuild._patch_id(p1)])
            tree = kbuild._prepare_tree(src, work, "id", [p1, p2], Rep())
            self.assertEqual((tree / "fs" / "a.c").read_text(), "three\n")
            self.assertEqual(len(syncs), 1)
            kbuild._prepare_tree(src, work, "id", [p1, p2], Rep())
            self.assertEqual(len(syncs), 1)
            # not a continuation: the source again, then the series
            kbuild._prepare_tree(src, work, "id", [p1], Rep())
            self.assertEqual(len(syncs), 2)
            self.assertEqual((tree / "fs" / "a.c").read_text(), "two\n")
            kbuild._prepare_tree(src, work, "other", [p1], Rep())
            self.assertEqual(len(syncs), 3)

    def test_one_work_tree_per_line(self):
        a, b = self.tmp / "a", self.tmp / "b"
        for d in (a, b):
            d.mkdir()
            (d / "Makefile").write_text("VERSION = 7\nPATCHLEVEL = 2\n")
        self.assertEqual(kbuild._work_key(a), "linux-7.2")
        self.assertEqual(kbuild._work_key(b), "linux-7.2")


class Bound(Tmp):
    def entry(self, rel: str, mib: int, age: float) -> Path:
        p = self.cache / rel
        p.mkdir(parents=True)
        (p / "blob").write_bytes(os.urandom(mib << 20))
        (p / kcache.STAMP).touch()
        t = time.time() - age
        os.utime(p / kcache.STAMP, (t, t))
        return p

    def test_least_recently_used_go_first_busy_and_kept_stay(self):
        old = self.entry("kernel/out/old", 2, 300)
        busy = self.entry("kernel/work/linux-6.1", 2, 200)
        mid = self.entry("git/abc", 2, 100)
        new = self.entry("kernel/out/new", 2, 0)
        (busy / "lock").write_text("")
        with mock.patch.dict(os.environ,
                             {"MNTBENCH_CACHE_MAX_GB": str(5 / 1024)}), \
                open(busy / "lock") as f, \
                mock.patch("sys.stderr", new=io.StringIO()) as err:
            fcntl.flock(f, fcntl.LOCK_EX)
            gone = kcache.bound(self.cache, keep={new})
        self.assertEqual([e.path for e in gone], [old, mid])
        self.assertTrue(busy.exists() and new.exists())
        self.assertEqual(len(err.getvalue().splitlines()), 2)
        self.assertIn("removed the kernel old (0.0 GiB", err.getvalue())

    def test_a_bad_bound_is_refused(self):
        with mock.patch.dict(os.environ, {"MNTBENCH_CACHE_MAX_GB": "lots"}):
            with self.assertRaises(kbuild.errors.InputError) as cm:
                kcache.max_bytes()
        self.assertIn("MNTBENCH_CACHE_MAX_GB='lots'", str(cm.exception))

    def test_clean_cache_says_what_it_freed(self):
        self.entry("kernel/out/k", 1, 10)
        self.entry("kernel/work/linux-6.12", 1, 10)
        r = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.kernel.kcache", "--clean"],
            capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(
                Path(__file__).resolve().parents[2])})
        self.assertEqual(r.returncode, 0, r.stderr)
        last = r.stdout.splitlines()[-1]
        self.assertRegex(last, r"^clean-cache: freed \d+\.\d GiB "
                         r"\(1 kernel, 1 work tree\) in ")
        self.assertEqual(kcache.entries(self.cache), [])


def load_tests(loader, tests, pattern):
    """The module without the slow tier's class, which make test runs
    by name."""
    return common.leave_out(tests, KilledAndConcurrent)


if __name__ == "__main__":
    unittest.main()
