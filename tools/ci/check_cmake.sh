#!/usr/bin/env bash
# The Bazel-free build, kept in step with the BUILD files: generates a
# CMakeLists.txt from the Bazel graph (tools/cmake/bazel_to_cmake.py) into a
# temporary directory, builds the CI subset (tensor, smoothing, the CLI's
# smooth verbs as `warden_smooth`, and their tests) with CMake + Ninja against
# Debian's LibTorch and Abseil/GoogleTest/Benchmark/nlohmann-json CMake
# packages, runs those tests with ctest and smoke-tests `warden_smooth`.
# Prints what failed; exit 1 on any failure.
#   tools/ci/check_cmake.sh [--keep DIR]   (--keep: build there and leave it)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
if [[ "${1:-}" == "--keep" && -n "${2:-}" ]]; then
  work="$2"; mkdir -p "$work"
else
  work=$(mktemp -d /tmp/warden-cmake.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
start=$(date +%s)
fail() { echo "check_cmake: FAILED: $*"; exit 1; }
for tool in cmake ninja; do
  command -v "$tool" >/dev/null || fail "$tool not found (tools/setup installs cmake and ninja-build)"
done

python3 tools/cmake/bazel_to_cmake.py --out "$work/src" || fail "generating CMakeLists.txt"
cmake -S "$work/src" -B "$work/build" -G Ninja -DWARDEN_SRC="$root" >"$work/configure.log" 2>&1 \
  || { tail -30 "$work/configure.log"; fail "cmake configure"; }

# The CI subset as Bazel labels; each CMake target is named like the label
# (bazel_to_cmake.py's target_name: //pkg/sub:name -> pkg_sub__name).
tests=(//components/tensor:seed_test //components/tensor:safetensors_test //components/tensor:idx_test
       //components/tensor:tensor_torch_test //components/smoothing:stats_core_test
       //components/smoothing:certify_core_test //components/smoothing:smoothing_torch_test)
targets=$(printf '%s\n' "${tests[@]}" | sed -e 's|^//||' -e 's|/|_|g' -e 's|:|__|')
jobs=$(nproc)
cmake --build "$work/build" -j "$jobs" --target $targets tools__warden_smooth >"$work/build.log" 2>&1 \
  || { grep -E "error|FAILED" -A3 "$work/build.log" | head -40; fail "cmake build"; }
built=$(date +%s)

regex=$(printf '%s|' "${tests[@]}")
(cd "$work/build" && ctest --output-on-failure -R "^(${regex%|})\$" -LE gpu) >"$work/ctest.log" 2>&1 \
  || { tail -40 "$work/ctest.log"; fail "ctest"; }
grep -E "tests passed|tests failed" "$work/ctest.log"

smooth="$work/build/bin/tools/warden_smooth"
"$smooth" smooth certify --help >/dev/null 2>&1 || fail "warden_smooth smooth certify --help"
out=$("$smooth" smooth certify --limit=2 --skip=1000 --n=200 --notime --out="$work/c" 2>&1) \
  || fail "warden_smooth smooth certify: $out"
[[ -s "$work/c.tsv" && -s "$work/c.svg" ]] || fail "warden_smooth wrote no certify.tsv/.svg"
"$smooth" smooth certify --model="$work/c.tsv" >/dev/null 2>&1; [[ $? == 2 ]] || fail "a bad --model is not exit 2"

echo "check_cmake: ok: generated, built ${#tests[@]} tests + warden_smooth in $((built - start)) s," \
  "tested in $(( $(date +%s) - built )) s"
