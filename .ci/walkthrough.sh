#!/usr/bin/env bash
# Runs the README's "A real deployment, step by step" exactly as written: every
# ```sh block of that section, in order, in an empty directory. Stops the
# servers it started. One substitution: the first block builds the release
# binaries, as a deployment should; CI builds every profile once, so here it
# builds and uses the dev-profile binaries the rest of CI shares.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'pkill -f "ashlog-witness serve --dir witness-" || true; pkill -f "ashlog-server serve --config log/ashlog.toml" || true; rm -rf "$work"' EXIT
awk '/^## A real deployment/{on=1; next} /^## /{on=0} on && /^```sh/{inblock=1; next} on && /^```/{inblock=0; next} on && inblock' \
    "$root/README.md" > "$work/walkthrough.sh"
echo "--- running $(grep -c . "$work/walkthrough.sh") lines from README.md"
cd "$work"
# The first block builds in the repository and puts the binaries on PATH.
sed -i "s|^cargo build --release --workspace|(cd '$root' \\&\\& cargo build --workspace --bins)|; s|^export PATH=\$PWD/target/release:\$PATH|export PATH='$root/target/debug':\$PATH|" walkthrough.sh
grep -q "cargo build --workspace --bins" walkthrough.sh || { echo "the README's build line changed: update .ci/walkthrough.sh" >&2; exit 1; }
export ASHLOG_STATE_DIR="$work/state"
bash -euo pipefail walkthrough.sh
echo "--- walkthrough ok"
