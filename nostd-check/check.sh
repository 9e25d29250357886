#!/usr/bin/env bash
# Proves that brook-engine's pure layer builds and links without the standard library.
#
#   nostd-check/check.sh              # the check (exit 0 = no std anywhere)
#   nostd-check/check.sh --demo-std   # shows the check failing when the engine's
#                                     # `std` feature is switched on (exit 0 = it failed
#                                     # as it must)
#
# What runs:
#  1. `cargo build` (dev and release) of the #![no_std] staticlib for
#     x86_64-unknown-none, a target that has no `std` at all: any crate in the graph
#     that uses std fails with "can't find crate for `std`". Skipped with a warning if
#     that target is not installed (`rustup target add x86_64-unknown-none`).
#  2. The same build for the host target: std exists there, but the crate's own
#     #[panic_handler] collides with std's ("duplicate lang item"), so any std in the
#     graph fails this build too.
#  3. The host archive must contain the engine's code and no symbol from std.
set -uo pipefail
cd "$(dirname "$0")"

features=()
demo=0
if [[ "${1:-}" == "--demo-std" ]]; then
    demo=1
    features=(--features engine-std)
fi

fail() { echo "nostd-check: FAILED: $*" >&2; exit 1; }

host="$(rustc -vV | sed -n 's/^host: //p')"
targets=()
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-none; then
    targets+=(x86_64-unknown-none)
else
    echo "nostd-check: WARNING: x86_64-unknown-none is not installed; checking the host only" >&2
fi
targets+=("$host")

succeeded=()
for target in "${targets[@]}"; do
    for profile in dev release; do
        echo "== cargo build --profile $profile --target $target ${features[*]}"
        if cargo build --quiet --profile "$profile" --target "$target" "${features[@]}"; then
            succeeded+=("$target/$profile")
        else
            echo "nostd-check: build for $target ($profile) failed" >&2
            [[ $demo -eq 1 ]] || fail "the no_std build for $target ($profile) does not compile"
        fi
    done
done

if [[ $demo -eq 1 ]]; then
    if [[ ${#succeeded[@]} -eq 0 ]]; then
        echo "nostd-check: demo OK: with brook-engine/std enabled every build fails, as it must"
        exit 0
    fi
    fail "with brook-engine's std feature on, these builds still succeeded: ${succeeded[*]}"
fi

lib="target/$host/release/libbrook_nostd_check.a"
[[ -f "$lib" ]] || fail "$lib was not produced"
if command -v nm >/dev/null 2>&1; then
    syms="$(nm -C "$lib" 2>/dev/null)"
    grep -q 'T brook_nostd_check$' <<<"$syms" || fail "the exported entry point is missing"
    grep -q 'brook_engine::' <<<"$syms" || fail "no brook_engine code in the archive"
    if grep -E '[TtWw] std::' <<<"$syms" | head -5 | grep .; then
        fail "std symbols are defined in the archive"
    fi
    echo "nostd-check: archive has the engine's code ($(grep -c 'brook_engine::' <<<"$syms") symbols) and no std symbols"
fi
echo "nostd-check: OK — brook-engine (default-features = false) builds and links without std for: ${targets[*]}"
