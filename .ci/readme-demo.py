#!/usr/bin/env python3
"""Checks that the demo output pasted in README.md is what the demo prints.

Usage: readme-demo.py README.md <demo stdout file>

Compares the block under "## What the demo prints" with the demo's report,
from its `$ ashlog verify` line to its `✓ VERIFIED` line, after replacing what
differs on every run: hashes, cosignature times, ports, paths, and which two of
the three witnesses happened to cosign first.
"""
import re
import sys


def normalise(lines):
    out = []
    for line in lines:
        line = re.sub(r"\b[0-9a-f]{64}\b", "<hash>", line)
        line = re.sub(r"20[2-9]\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", line)
        line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", line)
        line = re.sub(r"\S*ashlog-demo-\d+|\S*ci-demo", "<dir>", line)
        line = re.sub(r"[✓·] (notary|auditor|university) (cosigned at <time>|did not cosign this checkpoint)",
                      "<witness>", line)
        out.append(line.rstrip())
    return out


def block(lines, start, end):
    i = next(n for n, l in enumerate(lines) if l.startswith(start))
    j = next(n for n, l in enumerate(lines[i:], i) if l.startswith(end))
    return lines[i:j + 1]


readme = open(sys.argv[1], encoding="utf-8").read().splitlines()
section = readme[next(n for n, l in enumerate(readme) if l.startswith("## What the demo prints")):]
pasted = block(section, "$ ashlog verify", "✓ VERIFIED")
printed = block(open(sys.argv[2], encoding="utf-8").read().splitlines(), "$ ashlog verify", "✓ VERIFIED")
a, b = normalise(pasted), normalise(printed)
if a != b:
    for n, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print(f"line {n}: README: {x!r}\n         demo:   {y!r}")
    if len(a) != len(b):
        print(f"README block has {len(a)} lines, the demo printed {len(b)}")
    sys.exit("README.md's demo output differs from what the demo prints; paste the new output")
print(f"README demo output matches the demo ({len(a)} lines)")
