#!/usr/bin/env python3
"""Every test RELIABILITY.md names exists and ran.

RELIABILITY.md names the test behind each promise as `path/to/file.rs::test_name`.
For each such name this checks that the file exists, that it defines
`fn test_name`, and that the test log (the output of the README's test
command, given as the first argument) has the line `test ...test_name ... ok`.
A promise whose test was renamed, deleted, filtered out or ignored fails CI.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
doc = (root / "RELIABILITY.md").read_text()
log = pathlib.Path(sys.argv[1]).read_text(errors="replace")
names = sorted(set(re.findall(r"`([\w./-]+\.rs)::(\w+)`", doc)))
if len(names) < 20:
    sys.exit(f"RELIABILITY.md names only {len(names)} tests; expected each promise to name its tests")
passed = set(re.findall(r"^test (?:\S+::)?(\w+) \.\.\. ok$", log, re.M))
problems = []
for path, test in names:
    source = root / path
    if not source.is_file():
        problems.append(f"{path}::{test}: no file {path}")
    elif not re.search(rf"\bfn {test}\b", source.read_text()):
        problems.append(f"{path}::{test}: {path} defines no fn {test}")
    elif test not in passed:
        problems.append(f"{path}::{test}: did not run and pass in this test run")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(f"{len(problems)} of the {len(names)} tests RELIABILITY.md names are missing or did not pass")
print(f"all {len(names)} tests RELIABILITY.md names exist and passed")
