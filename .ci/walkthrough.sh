#!/usr/bin/env bash
# Runs the README's "A real deployment, step by step" exactly as written: every
# ```sh block of that section, in order, in an empty directory, with the
# release binaries (built by the first block). Stops the servers it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'pkill -f "ashlog-witness serve --dir witness-" || true; pkill -f "ashlog-server serve --config log/ashlog.toml" || true; rm -rf "$work"' EXIT
awk '/^## A real deployment/{on=1; next} /^## /{on=0} on && /^```sh/{inblock=1; next} on && /^```/{inblock=0; next} on && inblock' \
    "$root/README.md" > "$work/walkthrough.sh"
echo "--- running $(grep -c . "$work/walkthrough.sh") lines from README.md"
cd "$work"
# The first block builds in the repository and puts target/release on PATH.
sed -i "s|^cargo build --release --workspace|(cd '$root' \\&\\& cargo build --release --workspace)|; s|^export PATH=\$PWD/target/release:\$PATH|export PATH='$root/target/release':\$PATH|" walkthrough.sh
export ASHLOG_STATE_DIR="$work/state"
bash -euo pipefail walkthrough.sh
echo "--- walkthrough ok"
