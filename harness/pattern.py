"""The patterns that name measures (a plan's [gate] metrics, the gate's
--metrics and --allow-missing, bisect's MEASURE): regular expressions in
re's syntax, matched as re.search would, but never by re. A plan comes
from a set's manifest, which may be hostile, and a pattern such as
"(a+)+$" would backtrack for hours in re. They are held to a subset
(SUBSET) and matched by an automaton in time linear in the name
(Matcher); anything else is refused in one line (InputError, exit 2).
The plan validator and the gate read patterns through compile() alone.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from harness import errors, setcheck

# Bounds of a pattern: a plan's metrics are some 100 characters each
MAX_PATTERN = 1000      # characters
MAX_PATTERNS = 200      # in a plan's [gate] metrics
MAX_REPEAT = 100        # n and m of {n,m}
MAX_STATES = 5000       # instructions of its automaton, {n,m} expanded
# The automaton's instructions: (CHAR, predicate, next), (SPLIT, a, b),
# (JMP, to), (ASSERT, predicate of (name, position), next), (MATCH,)
CHAR, SPLIT, JMP, ASSERT, MATCH = range(5)
SUBSET = (r"literals, ., [classes], \d \D \w \W \s \S, (groups), (?:...), "
          r"|, ? * + {n,m} (lazy too), ^ $ \A \Z")
_REPEAT = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")


def _bol(s: str, i: int) -> bool:
    return i == 0


def _eol(s: str, i: int) -> bool:
    # re's $ without MULTILINE: the end, or before a newline ending it
    return i == len(s) or (i == len(s) - 1 and s[i] == "\n")


def _end(s: str, i: int) -> bool:
    return i == len(s)


def _dot(c: str) -> bool:
    return c != "\n"


class _Parser:
    """A pattern re has compiled, parsed within SUBSET: a tree of
    ('char', predicate), ('assert', predicate), ('seq', [..]),
    ('alt', [..]), ('rep', node, lo, hi or None)."""

    def __init__(self, pattern: str, what: str):
        self.p, self.i, self.what = pattern, 0, what

    def refuse(self, why: str):
        raise errors.InputError(
            f"{self.what} {setcheck.show(self.p)}: {why} at position "
            f"{self.i}; allowed: a regular expression of {SUBSET}")

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def parse(self):
        node = self.alt()
        if self.i != len(self.p):
            self.refuse(f"unexpected {self.peek()!r}")
        return node

    def alt(self):
        items = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            items.append(self.seq())
        return items[0] if len(items) == 1 else ("alt", items)

    def seq(self):
        items = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.repeat())
        return ("seq", items)

    def repeat(self):
        node = self.atom()
        while True:
            c = self.peek()
            if c in ("*", "+", "?"):
                lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
                self.i += 1
            elif c == "{":
                m = _REPEAT.match(self.p, self.i)
                if not m or not (m[1] or m[2]):     # re: x{} is literal
                    self.refuse("a '{' that is not {n,m} (write \\{)")
                lo = int(m[1] or 0)
                hi = None if m[2] and not m[3] else int(m[3] or m[1] or 0)
                if max(lo, hi or 0) > MAX_REPEAT:
                    self.refuse(f"a repetition beyond {MAX_REPEAT}")
                self.i = m.end()
            else:
                return node
            if self.peek() == "?":
                self.i += 1         # lazy: matches what greedy does
            elif self.peek() == "+":
                self.refuse("a possessive repetition")
            node = ("rep", node, lo, hi)

    def atom(self):
        c = self.peek()
        if c == "(":
            self.i += 1
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.peek() == "?":
                self.refuse("an extension (?...)")
            node = self.alt()
            if self.peek() != ")":
                self.refuse("an unclosed group")
            self.i += 1
            return node
        if c == "[":
            return ("char", self.klass())
        if c == "\\":
            e = self.p[self.i + 1:self.i + 2]
            self.i += 2
            if e in ("A", "Z"):
                return ("assert", _bol if e == "A" else _end)
            if e in "dDwWsS" and e:
                return ("char", re.compile("\\" + e).fullmatch)
            if e.isalnum() or not e:
                self.i -= 2
                self.refuse(f"the escape \\{e}")
            return ("char", e.__eq__)
        self.i += 1
        if c == ".":
            return ("char", _dot)
        if c == "^":
            return ("assert", _bol)
        if c == "$":
            return ("assert", _eol)
        if c in ("{", "}", "*", "+", "?", ")"):
            self.i -= 1
            self.refuse(f"a bare {c!r} (write \\{c})")
        return ("char", c.__eq__)

    def klass(self):
        """[...]: one character, which re itself tests (a class cannot
        backtrack); a '[' inside one is refused (re's future set
        operations)."""
        j = self.i + 1
        if self.p[j:j + 1] == "^":
            j += 1
        if self.p[j:j + 1] == "]":
            j += 1
        while j < len(self.p) and self.p[j] != "]":
            if self.p[j] == "[":
                self.i = j
                self.refuse("a '[' inside a class (write \\[)")
            j += 2 if self.p[j] == "\\" else 1
        if j >= len(self.p):
            self.refuse("an unclosed class")
        src, self.i = self.p[self.i:j + 1], j + 1
        return re.compile(src).fullmatch


def _emit(node, prog: list, what: str, pattern: str) -> None:
    """Append node's instructions (Thompson's construction)."""
    def check():
        if len(prog) > MAX_STATES:
            raise errors.InputError(
                f"{what} {setcheck.show(pattern)}: too large (more than "
                f"{MAX_STATES} states, its repetitions expanded); allowed: "
                f"at most {MAX_STATES}")
    kind = node[0]
    if kind == "char":
        prog.append([CHAR, node[1], len(prog) + 1])
    elif kind == "assert":
        prog.append([ASSERT, node[1], len(prog) + 1])
    elif kind == "seq":
        for n in node[1]:
            _emit(n, prog, what, pattern)
    elif kind == "alt":
        jumps = []
        for n in node[1][:-1]:
            split = len(prog)
            prog.append([SPLIT, split + 1, None])
            _emit(n, prog, what, pattern)
            jumps.append(len(prog))
            prog.append([JMP, None])
            prog[split][2] = len(prog)
        _emit(node[1][-1], prog, what, pattern)
        for j in jumps:
            prog[j][1] = len(prog)
    else:
        _, sub, lo, hi = node
        for _ in range(lo):
            _emit(sub, prog, what, pattern)
            check()
        if hi is None:              # L: split body, out; body; jmp L
            loop = len(prog)
            prog.append([SPLIT, loop + 1, None])
            _emit(sub, prog, what, pattern)
            prog.append([JMP, loop])
            prog[loop][2] = len(prog)
        else:                       # optional copies, nested
            splits = []
            for _ in range(hi - lo):
                splits.append(len(prog))
                prog.append([SPLIT, len(prog) + 1, None])
                _emit(sub, prog, what, pattern)
                check()
            for sp in splits:
                prog[sp][2] = len(prog)
    check()


@dataclass(eq=False)
class Matcher:
    """A gate pattern: search() answers as re.search(pattern, name)
    would, by running the pattern's automaton over the name once (all
    threads in step: no backtracking)."""
    pattern: str
    prog: list
    anchored: bool              # starts with ^: no later start
    _seen: dict = field(default_factory=dict, repr=False)

    def search(self, name: str) -> bool:
        hit = self._seen.get(name)
        if hit is None:
            if len(self._seen) > 100_000:
                self._seen.clear()
            hit = self._seen[name] = self._run(name)
        return hit

    def _add(self, out: list, seen: set, pc: int, s: str, i: int) -> bool:
        """Follow pc's empty moves at position i into out (CHAR
        instructions); True if they reach MATCH."""
        prog, todo = self.prog, [pc]
        while todo:
            pc = todo.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = prog[pc]
            if op[0] == CHAR:
                out.append(pc)
            elif op[0] == SPLIT:
                todo += (op[2], op[1])
            elif op[0] == JMP:
                todo.append(op[1])
            elif op[0] == ASSERT:
                if op[1](s, i):
                    todo.append(op[2])
            else:
                return True
        return False

    def _run(self, s: str) -> bool:
        now: list[int] = []
        if self._add(now, set(), 0, s, 0):
            return True
        for i, c in enumerate(s):
            if not now and self.anchored:
                return False
            nxt: list[int] = []
            seen: set[int] = set()
            for pc in now:
                op = self.prog[pc]
                if op[1](c) and self._add(nxt, seen, op[2], s, i + 1):
                    return True
            if not self.anchored and self._add(nxt, seen, 0, s, i + 1):
                return True
            now = nxt
        return False


def compile(pattern, what: str) -> Matcher:
    """pattern as a Matcher; InputError (one line) if it is not a
    string, not a regular expression, or outside SUBSET."""
    if not isinstance(pattern, str):
        raise errors.InputError(
            f"{what} {setcheck.show(pattern)}: allowed: a string")
    if len(pattern) > MAX_PATTERN:
        raise errors.InputError(
            f"{what} {setcheck.show(pattern)}: {len(pattern)} characters; "
            f"allowed: at most {MAX_PATTERN}")
    try:
        # only to check the syntax: re compiles without matching, and
        # its warnings (a possible nested set) refuse it too
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(pattern)
    except (re.error, Warning, RecursionError, OverflowError) as e:
        raise errors.InputError(
            f"{what} {setcheck.show(pattern)}: not a regular expression "
            f"({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
            f"allowed: a regular expression of {SUBSET}") from None
    prog: list = []
    try:
        tree = _Parser(pattern, what).parse()
        _emit(tree, prog, what, pattern)
    except RecursionError:
        raise errors.InputError(
            f"{what} {setcheck.show(pattern)}: nested too deeply; "
            "allowed: fewer nested groups") from None
    prog.append([MATCH])
    first = tree[1][0] if tree[0] == "seq" and tree[1] else None
    return Matcher(pattern, prog, first == ("assert", _bol))
