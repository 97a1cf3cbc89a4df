#!/usr/bin/env bash
# `warden reproduce --preset=fast`: runs every paper's section (about 2.5 min
# on an idle 2-core machine), exits 0, and writes a well-formed report
# (tools/ci/check_report.py: sections, figures, links, every number parses;
# not the values) that headless Chromium renders. Also the verb's bad-input
# errors, and a run whose sections fail.
set -u
WARDEN="$TEST_SRCDIR/warden/tools/warden"
CHECK="$TEST_SRCDIR/warden/tools/ci/check_report.py"
failures=0
expect() {  # expect NAME RC PATTERN -- ARGS...
  local name="$1" want="$2" pattern="$3"; shift 4
  local out rc
  out=$("$WARDEN" "$@" 2>&1); rc=$?
  if [[ $rc -ne $want ]] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: rc=$rc (want $want)"; echo "$out" | tail -20; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
expect bad-preset 2 "--preset must be fast or full" -- reproduce --preset=huge --out="$TEST_TMPDIR/x"
expect no-out     2 "--out=DIR is required"         -- reproduce
expect bad-only   2 "no section 'zzz'"              -- reproduce --only=zzz --out="$TEST_TMPDIR/x"

out="$TEST_TMPDIR/report"
start=$(date +%s)
if "$WARDEN" reproduce --preset=fast --out="$out" >"$TEST_TMPDIR/stdout.txt" 2>"$TEST_TMPDIR/stderr.txt"; then
  echo "ok   fast preset ($(( $(date +%s) - start )) s)"
else
  echo "FAIL fast preset exited $?"; tail -30 "$TEST_TMPDIR/stderr.txt"; cat "$TEST_TMPDIR/stdout.txt"
  failures=$((failures + 1))
fi
if python3 "$CHECK" "$out"; then echo "ok   report structure"; else failures=$((failures + 1)); fi
grep -q "every section ran" "$out/report.md" || { echo "FAIL report.md does not say every section ran"; failures=$((failures + 1)); }

# The page opens in a real browser (tools/setup installs Debian's chromium).
shot="$TEST_TMPDIR/report.png"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$TEST_TMPDIR/chromium" \
  --window-size=1280,2400 --screenshot="$shot" "file://$out/index.html" >"$TEST_TMPDIR/chromium.txt" 2>&1
if [[ $(head -c 8 "$shot" 2>/dev/null | od -An -c | tr -d ' ') == '211PNG\r\n032\n' && $(stat -c %s "$shot") -gt 50000 ]]; then
  echo "ok   chromium screenshot ($(stat -c %s "$shot") bytes)"
else
  echo "FAIL chromium did not render the report:"; tail -5 "$TEST_TMPDIR/chromium.txt"; failures=$((failures + 1))
fi

# A step that fails is reported in the page and the run goes on: without
# the data sets, smoothing fails at its first step; Lazarus's planner and
# simulator still run (their comparisons are in the page), its runtime fails
# at once with the worker's error; the exit status says so.
if "$WARDEN" reproduce --preset=fast --only=smoothing,lazarus --out="$TEST_TMPDIR/broken" \
    --data_dir="$TEST_TMPDIR/no-data" >/dev/null 2>"$TEST_TMPDIR/broken.txt"; then
  echo "FAIL a run with failed sections exited 0"; failures=$((failures + 1))
else
  md="$TEST_TMPDIR/broken/report.md"
  if grep -q "2 section(s) FAILED" "$md" && grep -q '<td class="bad">FAILED' "$TEST_TMPDIR/broken/index.html" &&
     grep -q "FAILED: exit status 2: .*not found in data directory" "$md" &&
     grep -q "MRO's P(recovery) at every k.* | reproduces |" "$md" &&
     grep -q "exited before it registered" "$md"; then
    echo "ok   failed sections reported, the run went on"
  else
    echo "FAIL failed-section report:"; grep -E "FAILED|P\(recovery\)" "$md"; failures=$((failures + 1))
  fi
fi
echo "$failures failure(s)"
exit $(( failures > 0 ))
