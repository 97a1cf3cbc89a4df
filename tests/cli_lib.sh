# Helpers of the `warden` CLI end-to-end tests (sourced by tests/*_cli_test.sh):
# the binary, a scratch directory, failure counting, and the check every bad
# input gets: exit status 2 and a one-line error naming the problem.
WARDEN="$TEST_SRCDIR/warden/tools/warden"
dir="$TEST_TMPDIR"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_usage_error() {  # expect_usage_error NAME PATTERN WARDEN_ARGS...
  local name="$1" pattern="$2"; shift 2
  local err rc
  err=$("$WARDEN" "$@" 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 ]] || fail "$name: rc=$rc (want 2): $err"
  grep -q -- "$pattern" <<<"$err" || fail "$name: error '$err' lacks '$pattern'"
  [[ $(grep -c . <<<"$err") -eq 1 ]] || fail "$name: error is not one line: $err"
}

finish() {  # the last line of every test: the count, and the exit status
  echo "$failures failure(s)"
  exit $((failures > 0))
}
