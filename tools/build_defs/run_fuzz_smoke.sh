#!/usr/bin/env bash
# Bounded libFuzzer run: run_fuzz_smoke.sh FUZZER SECONDS SEED_FILE...
# Copies the seeds to a scratch corpus (libFuzzer writes new inputs there) and
# fails on any crash, sanitizer report or hang.
set -euo pipefail
fuzzer="$1"; seconds="$2"; shift 2
corpus="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
mkdir -p "$corpus"
cp "$@" "$corpus/"
exec "$fuzzer" "$corpus" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1
