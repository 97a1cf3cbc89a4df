#!/usr/bin/env bash
# clang-format (.clang-format: Google style, 110 columns) on the C++ files
# changed since tools/ci/format_base (the commit the rule started at), plus
# any uncommitted ones. Older files are reformatted when next touched.
# Prints each file that is not formatted; exit 1 if there is one.
#   tools/ci/check_format.sh          check
#   tools/ci/check_format.sh --fix    reformat those files in place
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (tools/setup)"; exit 1; }
base=$(cat tools/ci/format_base)
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "check_format: $base is not in this clone's history; checking the last commit's files"
  base=HEAD~1
fi
mapfile -t files < <({ git diff --name-only --diff-filter=d "$base" HEAD; git diff --name-only --diff-filter=d HEAD;
                       git ls-files --others --exclude-standard; } | grep -E '\.(cc|h)$' | sort -u)
status=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  if [[ "${1:-}" == "--fix" ]]; then
    clang-format -i "$f"
  elif ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check_format: $f is not clang-formatted (tools/ci/check_format.sh --fix)"
    status=1
  fi
done
[[ $status == 0 ]] && echo "check_format: ok (${#files[@]} files)"
exit $status
