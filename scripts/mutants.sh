#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the engine modules where a wrong branch hides best:
# ID parsing (id.rs, num.rs), node layout and listpack accounting (log/node.rs, log/lpsize.rs),
# trimming (Stream::trim), and consumer groups: the PEL and its ID map, claiming and
# lag (group/pel.rs, group/pel_map.rs, claim.rs, group/lag.rs). Not part of CI: it rebuilds and retests the engine once
# per mutant (hours on 2 cores). Results land in mutants.out/<group>/mutants.out/
# (caught.txt, missed.txt …).
#
#   bash scripts/mutants.sh            # everything above
#   bash scripts/mutants.sh id         # one group: id | node | trim | groups
#
# The test run per mutant: the engine's unit tests and its integration binary with a
# shorter differential run (BROOK_DIFF_STEPS, default 1500) and fewer proptest cases.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
export BROOK_DIFF_STEPS="${BROOK_DIFF_STEPS:-1500}"
export PROPTEST_CASES="${PROPTEST_CASES:-16}"
group="${1:-all}"
common=(-p brook-engine --exclude-re 'check|fmt|Debug|heap_bytes' --no-shuffle
        --cargo-test-arg=--lib --cargo-test-arg=--test=engine)
run() { mkdir -p "mutants.out/$group"; cargo mutants "${common[@]}" --output "mutants.out/$group" "$@"; }
case "$group" in
  id)   run --file engine/src/id.rs --file engine/src/num.rs ;;
  node) run --file engine/src/log/node.rs --file engine/src/log/lpsize.rs ;;
  trim) run --file engine/src/stream.rs --re 'Stream::trim' ;;
  # The group tests only (unit tests of these modules, the group scenarios, error table,
  # model properties, blocking tests and the differential run).
  groups) run --file engine/src/group/pel.rs --file engine/src/group/pel_map.rs --file engine/src/claim.rs --file engine/src/group/lag.rs \
            --cargo-test-arg=-- --cargo-test-arg=pel:: --cargo-test-arg=pel_map:: --cargo-test-arg=lag:: --cargo-test-arg=claim:: \
            --cargo-test-arg=group_scenarios --cargo-test-arg=model_groups \
            --cargo-test-arg=errors --cargo-test-arg=blocking --cargo-test-arg=differential ;;
  all)  for g in id trim node groups; do bash "$0" "$g" || true; done ;;
  *)    echo "unknown group '$group' (id | node | trim | groups | all)" >&2; exit 2 ;;
esac
