"""KSRC=X.Y (harness/kernel/ksource.py): which versions it takes, where it
looks, and the private sources list it would fetch through; host only, no
network (the fetch itself: README, "For a kernel developer")."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from harness import errors
from harness.kernel import ksource


class Versions(unittest.TestCase):
    def test_versions(self):
        for v, ok in (("7.2", True), ("6.12", True), ("10.0", True),
                      ("7", False), ("7.2.13", False), ("07.2", False),
                      ("../7.2", False), ("7.2 ", False), ("", False),
                      ("linux", False)):
            with self.subTest(v=v):
                self.assertEqual(ksource.is_version(v), ok)

    def test_refused_in_one_line(self):
        for bad in ("7", "7.2.13", "x;y"):
            with self.assertRaises(errors.InputError) as cm:
                ksource.resolve(bad)
            self.assertIn(repr(bad), str(cm.exception))
            self.assertNotIn("\n", str(cm.exception))

    def test_installed_first(self):
        p = ksource.installed("6.12")
        if not p.is_file():
            self.skipTest(f"{p} not installed")
        self.assertEqual(ksource.resolve("6.12", fetch_missing=False), p)


class SourcesList(unittest.TestCase):
    """The private list is the machine's own archive, suite unstable."""

    def uri(self, text: str) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".sources") as f:
            f.write(text)
            f.flush()
            return ksource.debian_uri([Path(f.name)])

    def test_deb822_and_one_line(self):
        self.assertEqual(self.uri(
            "Types: deb\n# a comment\nURIs: http://mirror.example/debian\n"
            "Suites: bookworm\n"), "http://mirror.example/debian")
        self.assertEqual(self.uri(
            "deb [arch=amd64] http://mirror.example/debian bookworm main\n"),
            "http://mirror.example/debian")

    def test_none_is_a_build_error(self):
        with self.assertRaises(errors.BuildError):
            self.uri("# nothing\n")

    def test_line(self):
        line = ksource.sources_line("http://mirror.example/debian")
        self.assertTrue(line.startswith("deb [signed-by="))
        self.assertIn(" http://mirror.example/debian unstable main",
                      line)


if __name__ == "__main__":
    unittest.main()
