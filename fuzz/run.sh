#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on any crash.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60, all targets)
#
# Installs cargo-fuzz (crates.io) if it is missing. Runs on stable Rust
# without a sanitizer (`-s none`); set FUZZ_SANITIZER=address together with
# RUSTC_BOOTSTRAP=1 for an AddressSanitizer run. Each target starts from a
# scratch copy of its committed corpus (fuzz/work/, ignored by git), so a
# run never rewrites fuzz/corpus/. Crash inputs land in
# fuzz/artifacts/<target>/; reproduce one with
#   cargo fuzz run -s none <target> fuzz/artifacts/<target>/crash-...
# Targets run in parallel, FUZZ_JOBS at a time (default: the number of
# cores). Prints a table of executions per target (for RELIABILITY.md).
# FUZZ_PROFILE=dev builds the targets unoptimised (with debug assertions and
# overflow checks), about a third of the release build's time: what CI's
# short smoke run uses; the long runs keep the default release build.
set -euo pipefail

secs="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
sanitizer="${FUZZ_SANITIZER:-none}"
profile_flag=()
if [ "${FUZZ_PROFILE:-release}" = dev ]; then
    profile_flag=(--dev)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build "${profile_flag[@]}" -s "$sanitizer" >&2

mkdir -p work artifacts

# Targets run FUZZ_JOBS at a time (default: one per core); each is a
# single-threaded libFuzzer process with its own corpus copy and log.
jobs="${FUZZ_JOBS:-$(nproc)}"

fuzz_one() {
    local t="$1"
    rm -rf "work/$t" "work/$t.row"
    mkdir -p "work/$t" "artifacts/$t"
    if [ -d "corpus/$t" ]; then
        cp -r "corpus/$t/." "work/$t/"
    fi
    local log="work/$t.log" status=ok
    echo "fuzzing $t for ${secs}s" >&2
    # -rss_limit_mb bounds every input's memory; -timeout flags any input
    # that takes longer than 10 s (a hang is a bug too).
    if ! cargo fuzz run "${profile_flag[@]}" -s "$sanitizer" "$t" "work/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        status=CRASH
        tail -n 40 "$log" >&2
    fi
    local execs cov
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1 || true)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | grep -o '[0-9]*' || true)"
    printf '| %-28s | %12s | %6s | %-5s |\n' "$t" "${execs:-?}" "${cov:-?}" "$status" >"work/$t.row"
}

for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    fuzz_one "$t" &
done
wait

failed=()
rows=()
for t in "${targets[@]}"; do
    row="$(cat "work/$t.row" 2>/dev/null || printf '| %-28s | %12s | %6s | %-5s |' "$t" "?" "?" "CRASH")"
    rows+=("$row")
    case "$row" in *CRASH*) failed+=("$t") ;; esac
done

printf '\n| %-28s | %12s | %6s | %-5s |\n' target executions cov result
printf '|%s|%s|%s|%s|\n' "------------------------------" "--------------" "--------" "-------"
printf '%s\n' "${rows[@]}"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
