#!/usr/bin/env bash
# Benchmarks in smoke mode, so they cannot rot: ashlog-bench --quick (its own
# log with three witnesses, every mode for a few seconds, one statement
# verified as a citizen would), then every criterion benchmark in quick mode.
# Built in the dev profile so CI reuses the tests' build: figures from here
# are not measurements (BENCHMARKS.md says how those are taken, in release).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --workspace --locked

echo "== ashlog-bench --quick"
timeout 300 target/debug/ashlog-bench --quick

echo "== criterion, quick mode"
# --quick: criterion stops each benchmark as soon as its estimate is
# stable (at most a few seconds); --noplot: no report rendering.
timeout 600 cargo bench --profile dev --workspace --locked -- --quick --noplot
# The pure-Rust p256 path of the verifier is measured by hand (BENCHMARKS.md:
#   cargo bench -p ashlog --bench verify --no-default-features --features pki)
# and not here: a second build of the verifier costs CI minutes.
