#!/usr/bin/env bash
# The layering rule of docs/architecture.md: components/ and distributed/ never
# depend on tools/ (the CLI sits above them).
#   1. no C++ source under components/ or distributed/ includes a tools/ header;
#   2. no Bazel target there depends on //tools:warden or //tools/cli/...
# (build macros under //tools/build_defs are build infrastructure, allowed).
# Prints each offender; exit 1 if there is one.
#   tools/ci/check_layering.sh [--no-query]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
status=0
includes=$(grep -rnE '^\s*#\s*include\s*"tools/' components distributed --include='*.cc' --include='*.h' --include='*.cu' || true)
if [[ -n "$includes" ]]; then
  echo "check_layering: components/ and distributed/ include tools/ headers:"
  echo "$includes"
  status=1
fi
if [[ "${1:-}" != "--no-query" ]]; then
  if ! deps=$(bazel query --noshow_progress \
      'rdeps(//components/... + //distributed/..., //tools:warden + //tools/cli/...)' 2>/tmp/check_layering.err); then
    echo "check_layering: bazel query failed:"; cat /tmp/check_layering.err
    status=1
  elif [[ -n "$deps" ]]; then
    echo "check_layering: targets under components/ or distributed/ depend on the CLI:"
    echo "$deps"
    status=1
  fi
fi
[[ $status == 0 ]] && echo "check_layering: ok"
exit $status
