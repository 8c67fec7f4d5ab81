#!/usr/bin/env python3
"""Counts the SQL statements written twice in posture-store: the same statement, placeholders
and whitespace aside, present both in src/sqlite/ and in src/postgres/.

Usage: scripts/sql-twins.py [--list]   (from anywhere in the repository)

A statement is a Rust string literal (plain or raw) that starts with SELECT, INSERT, UPDATE,
DELETE or WITH. Normalized: `?N`, `?` and `$N` become `?`, runs of whitespace become one space,
case folded. Also prints the lines of the two back-end folders.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "crates" / "posture-store" / "src"
LITERAL = re.compile(r'r#*"(.*?)"#*|"((?:[^"\\]|\\.)*)"', re.S)
START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)


def statements(folder):
    out = set()
    for path in sorted((ROOT / folder).glob("**/*.rs")):
        src = path.read_text()
        for m in LITERAL.finditer(src):
            text = m.group(1) if m.group(1) is not None else m.group(2)
            text = text.replace("\\n", " ").replace("\\\"", '"').replace("\\\n", " ")
            if not START.match(text):
                continue
            norm = re.sub(r"\?\d*|\$\d+", "?", text)
            norm = re.sub(r"\s+", " ", norm).strip().lower()
            out.add(norm)
    return out


def lines(folder):
    return sum(len(p.read_text().splitlines()) for p in (ROOT / folder).glob("**/*.rs"))


lite, pg = statements("sqlite"), statements("postgres")
twins = sorted(lite & pg)
if "--list" in sys.argv:
    for t in twins:
        print(t)
print(f"statements written twice: {len(twins)}")
print(f"lines in src/sqlite/ + src/postgres/: {lines('sqlite') + lines('postgres')} "
      f"({lines('sqlite')} + {lines('postgres')})")
