#!/usr/bin/env bash
# Builds every cargo-fuzz target of brook-fuzz and runs each for a bounded time.
# Exits non-zero if a build fails or any target finds a crash (panic, failed
# assertion, timeout, OOM); the crashing input is left in fuzz/artifacts/<target>/.
#
#   fuzz/smoke.sh                         # 15 s per target (75 s in total)
#   BROOK_FUZZ_SECONDS=600 fuzz/smoke.sh  # a longer campaign (10 minutes per target)
#   BROOK_FUZZ_TARGETS="model" fuzz/smoke.sh
#
# Toolchain: with a nightly toolchain installed, targets are built by
# `cargo +nightly fuzz` with AddressSanitizer (cargo-fuzz's default). Without one,
# `cargo +stable fuzz … -s none` (coverage instrumentation only; -Zsanitizer needs
# nightly). Force either with BROOK_FUZZ_TOOLCHAIN=nightly|stable.
# Corpora grow in fuzz/corpus/<target>/ (git-ignored); fuzz/seeds/<target>/ and
# fuzz/<target>.dict are read if present.
set -uo pipefail

cd "$(dirname "$0")"

seconds="${BROOK_FUZZ_SECONDS:-15}"
targets="${BROOK_FUZZ_TARGETS:-id_parse argv model resp_request server_commands}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "smoke.sh: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
    exit 2
fi

toolchain="${BROOK_FUZZ_TOOLCHAIN:-}"
if [[ -z "$toolchain" ]]; then
    if rustup run nightly rustc --version >/dev/null 2>&1; then
        toolchain=nightly
    else
        toolchain=stable
    fi
fi
case "$toolchain" in
    nightly) fuzz=(cargo +nightly fuzz) sanitizer=() ;;
    stable) fuzz=(cargo +stable fuzz) sanitizer=(-s none) ;;
    *) echo "smoke.sh: BROOK_FUZZ_TOOLCHAIN must be nightly or stable" >&2; exit 2 ;;
esac

echo "== building fuzz targets ($toolchain${sanitizer:+, ${sanitizer[*]}})"
if ! "${fuzz[@]}" build "${sanitizer[@]}"; then
    echo "smoke.sh: build FAILED" >&2
    exit 1
fi

failed=()
for t in $targets; do
    mkdir -p "corpus/$t"
    dirs=("corpus/$t")
    [[ -d "seeds/$t" ]] && dirs+=("seeds/$t")
    extra=()
    [[ -f "$t.dict" ]] && extra+=("-dict=$t.dict")
    echo "== $t: ${seconds}s"
    log="$(mktemp)"
    "${fuzz[@]}" run "${sanitizer[@]}" "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${extra[@]}" >"$log" 2>&1
    rc=$?
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
    if [[ $rc -ne 0 ]]; then
        echo "!! $t FAILED (exit $rc); last lines of its log:" >&2
        tail -n 40 "$log" >&2
        failed+=("$t")
    fi
    rm -f "$log"
done

if [[ ${#failed[@]} -ne 0 ]]; then
    echo "smoke.sh: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: all targets ran ${seconds}s without a crash"
