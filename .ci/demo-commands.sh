#!/usr/bin/env bash
# Runs the commands the demo tells a reader to paste ("Try it yourself"), against the demo's
# running log, for two demos in a row on one machine: each demo is a new log under the same
# name with new keys, and what the CLI remembers of the first must not break the second.
#
#   .ci/demo-commands.sh        (builds the binaries it runs first, in the dev profile the
#                                README's two commands and the rest of CI share)
#
# Every command must exit 0. Uses a scratch directory and a scratch XDG_STATE_HOME, so it
# touches nothing of the user's.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/debug"
(cd "$root" && cargo build -p ashlog-demo -p ashlog-cli --quiet)
scratch="$(mktemp -d)"
demo_pid=""
cleanup() {
    if [ -n "$demo_pid" ]; then kill -INT "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_STATE_HOME="$scratch/state"
cd "$scratch"

for run in 1 2; do
    out="$scratch/demo-$run.out"
    "$bin/ashlog-demo" --dir "demo-$run" >"$out" 2>&1 &
    demo_pid=$!
    for _ in $(seq 1 600); do
        grep -q "press Ctrl-C to stop" "$out" && break
        if ! kill -0 "$demo_pid" 2>/dev/null; then cat "$out"; echo "demo $run exited early" >&2; exit 1; fi
        sleep 0.2
    done
    grep -q "press Ctrl-C to stop" "$out" || { cat "$out"; echo "demo $run did not come up" >&2; exit 1; }
    commands="$(sed -n '/^Try it yourself/,/^The online commands/p' "$out" | sed -n 's/^  ashlog /ashlog /p')"
    count="$(printf '%s\n' "$commands" | grep -c '^ashlog ' || true)"
    [ "$count" -ge 5 ] || { cat "$out"; echo "demo $run printed $count commands, expected 5" >&2; exit 1; }
    while IFS= read -r line; do
        echo "demo $run: \$ $line"
        # The printed commands hold no quotes or globs: plain word splitting is what a shell does.
        # shellcheck disable=SC2086
        if ! "$bin/ashlog" ${line#ashlog } >"$scratch/cmd.out" 2>&1; then
            cat "$scratch/cmd.out"
            echo "demo $run: the printed command failed: $line" >&2
            exit 1
        fi
        tail -n 1 "$scratch/cmd.out"
    done <<<"$commands"
    kill -INT "$demo_pid"
    wait "$demo_pid" || true
    demo_pid=""
done
echo "the demo's printed commands work, twice in a row"
