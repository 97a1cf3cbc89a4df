#!/usr/bin/env python3
"""Compiles every C++ source of the --config=cuda build against LibTorch 2.x headers.

The project builds against Debian's LibTorch 1.13; GPU hosts run PyTorch 2.x,
whose C++ API differs in places (c10d backends, for one). This check keeps the
code compiling against both without a 2.x LibTorch to link: it takes each
CppCompile action of `bazel aquery --config=cuda //...` that sees LibTorch,
swaps LibTorch 1.13's include directories for the 2.x tree, and runs
`clang++ -fsyntax-only` on it (the CUDA paths enabled: WARDEN_WITH_CUDA,
USE_C10D_NCCL). Nothing is linked.

Speed: a torch TU spends most of its time in the torch headers, so they are
parsed once into a clang precompiled header (with its templates instantiated)
that every TU loads; all TUs then share one set of -D flags (the union of the
actions', which clang's PCH check requires).

Before checking the project the checker compiles a planted 1.13-only call (a
ProcessGroupGloo used as a c10d::ProcessGroup) and fails unless that errors,
so a check that cannot fail (wrong include paths, 1.13 headers picked up) is
caught.

Usage:
  tools/ci/check_torch2.py                  # the vendored 2.11 headers (see below)
  tools/ci/check_torch2.py --include DIR    # your LibTorch's include/ (e.g.
        $(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/include)
  tools/ci/check_torch2.py --tarball FILE   # a .tar.xz of such an include tree
  tools/ci/check_torch2.py FILE.cc ...      # only these sources

Without --include/--tarball it looks for libtorch-2.11-include.tar.xz in
$WARDEN_TORCH2_TARBALL, ../shared/vendor/ beside the checkout and
/work/shared/vendor/, and skips with a message when there is
none (exit 3). Exit 1 when a source fails to compile.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

SKIPPED = 3  # exit status when there are no 2.x headers to check against
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARBALL_NAME = "libtorch-2.11-include.tar.xz"
# Headers parsed once into the precompiled header: what the torch TUs include
# most, and what is costly to parse.
PCH_HEADERS = [
    "torch/torch.h",
    "torch/script.h",
    "torch/csrc/distributed/c10d/ProcessGroup.hpp",
    "torch/csrc/distributed/c10d/ProcessGroupGloo.hpp",
    "gtest/gtest.h",
]
# Defines added for the 2.x CUDA configuration (the tarball's LibTorch has NCCL).
EXTRA_DEFINES = ["-DUSE_C10D_NCCL", "-DWARDEN_WITH_CUDA=1"]
PLANTED = r"""
// A 1.13-only use of c10d: in 2.x ProcessGroupGloo is a Backend, not a ProcessGroup.
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
c10::intrusive_ptr<c10d::ProcessGroup> Planted(const c10::intrusive_ptr<c10d::Store>& store) {
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, 0, 1, c10d::ProcessGroupGloo::Options::create());
}
"""


def find_tarball(explicit):
    candidates = [explicit] if explicit else [
        os.environ.get("WARDEN_TORCH2_TARBALL", ""),
        os.path.join(ROOT, "..", "shared", "vendor", TARBALL_NAME),
        os.path.join("/work/shared/vendor", TARBALL_NAME),
    ]
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.abspath(c)
    return None


def unpack(tarball, into):
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.name.startswith("/") or ".." in member.name.split("/"):
                raise SystemExit(f"check_torch2: unsafe path in {tarball}: {member.name}")
        tar.extractall(into)
    tops = [d for d in os.listdir(into) if os.path.isdir(os.path.join(into, d))]
    for top in tops:  # the tree is either at the top or one folder down
        if os.path.isdir(os.path.join(into, top, "torch", "csrc")):
            return os.path.join(into, top)
    if os.path.isdir(os.path.join(into, "torch", "csrc")):
        return into
    raise SystemExit(f"check_torch2: {tarball} holds no torch/csrc include tree")


def torch_version(include):
    fields = {}
    for path in (os.path.join(include, "torch", "csrc", "api", "include", "torch", "version.h"),
                 os.path.join(include, "torch", "headeronly", "version.h")):  # 2.9+ keeps it here
        try:
            for line in open(path):
                parts = line.split()
                if len(parts) == 3 and parts[0] == "#define" and parts[1].startswith("TORCH_VERSION_"):
                    fields[parts[1][len("TORCH_VERSION_"):]] = parts[2]
        except OSError:
            pass
    return "{}.{}.{}".format(fields.get("MAJOR", "?"), fields.get("MINOR", "?"), fields.get("PATCH", "?"))


def compile_actions():
    """The --config=cuda CppCompile actions that see LibTorch: source -> (include flags, defines)."""
    out = subprocess.run(
        ["bazel", "aquery", "--config=cuda", "--noshow_progress", "--output=jsonproto",
         'mnemonic("CppCompile", //...)'],
        cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("check_torch2: bazel aquery failed:\n" + out.stderr[-3000:])
    actions = json.loads(out.stdout).get("actions", [])
    result = {}
    for action in actions:
        args = action["arguments"]
        if not any("external/libtorch" in a for a in args):
            continue
        source = args[args.index("-c") + 1]
        includes, defines, i = [], [], 1
        while i < len(args):
            a = args[i]
            if a in ("-iquote", "-isystem", "-I"):
                path = args[i + 1]
                if "external/libtorch" not in path:
                    includes += [a, path]
                i += 2
                continue
            if a.startswith("-D") and not a.startswith(("-D_FORTIFY_SOURCE", "-D__DATE__", "-D__TIME")):
                defines.append(a)
            i += 1
        result[source] = (includes, defines)
    return result


def run(cmd, cwd):
    start = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--include", help="a LibTorch include/ directory to check against")
    parser.add_argument("--tarball", help="a .tar.xz of a LibTorch include tree")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--compiler", default="clang++")
    parser.add_argument("sources", nargs="*", help="only these sources (default: all)")
    args = parser.parse_args()
    if shutil.which(args.compiler) is None:
        print(f"check_torch2: {args.compiler} not found (tools/setup installs clang)")
        return 1

    tmp = tempfile.mkdtemp(prefix="warden-torch2.")
    try:
        if args.include:
            include = os.path.abspath(args.include)
            if not os.path.isdir(os.path.join(include, "torch", "csrc")):
                print(f"check_torch2: {include} has no torch/csrc: not a LibTorch include directory")
                return 1
        else:
            tarball = find_tarball(args.tarball)
            if tarball is None:
                print("check_torch2: skipped: no LibTorch 2.x headers "
                      f"({TARBALL_NAME} not found; pass --include DIR or --tarball FILE)")
                return SKIPPED if not args.tarball else 1
            include = unpack(tarball, os.path.join(tmp, "include"))
        version = torch_version(include)
        t0 = time.monotonic()
        execroot = subprocess.run(["bazel", "info", "execution_root"], cwd=ROOT, capture_output=True,
                                  text=True).stdout.strip()
        actions = compile_actions()
        if args.sources:
            missing = [s for s in args.sources if s not in actions]
            if missing:
                print("check_torch2: not a torch source of the build: " + " ".join(missing))
                return 1
            actions = {s: actions[s] for s in args.sources}
        if not actions:
            print("check_torch2: no torch sources found by bazel aquery")
            return 1

        # One set of defines for every TU (a PCH must see the same macros as its TUs).
        defines = sorted({d for _, ds in actions.values() for d in ds} | set(EXTRA_DEFINES))
        cuda_include = "/usr/local/cuda/include"
        # The include tree ships an old copy of protobuf's headers (google/protobuf);
        # sources that use Debian's protobuf (ONNX export: components/onnx) must see
        # Debian's, as the Bazel build does. An overlay holding only google/ -> the
        # system's comes first; LibTorch's own headers do not include protobuf.
        overlay = os.path.join(tmp, "protobuf_overlay")
        os.makedirs(overlay, exist_ok=True)
        if os.path.isdir("/usr/include/google/protobuf"):
            os.symlink("/usr/include/google", os.path.join(overlay, "google"))
        common = ["-std=c++17", "-fsyntax-only", "-w", "-Wno-everything", "-ferror-limit=5",
                  "-isystem", overlay,
                  "-isystem", include, "-isystem", os.path.join(include, "torch", "csrc", "api", "include")]
        if os.path.isdir(cuda_include):
            common += ["-isystem", cuda_include]
        common += defines

        # The precompiled header, built from the execroot so that gtest resolves as in the TUs.
        pch_src = os.path.join(tmp, "torch2_prefix.h")
        with open(pch_src, "w") as f:
            f.writelines(f"#include <{h}>\n" for h in PCH_HEADERS)
        pch = pch_src + ".pch"
        code, log, secs = run([args.compiler] + [c for c in common if c != "-fsyntax-only"] +
                              ["-fpch-instantiate-templates", "-x", "c++-header",
                               pch_src, "-o", pch], execroot)
        if code != 0:
            print(f"check_torch2: the precompiled header of LibTorch {version} failed:\n{log[-4000:]}")
            return 1
        print(f"check_torch2: LibTorch {version} headers at {include}; precompiled header {secs:.0f} s")
        with_pch = common + ["-include-pch", pch]

        # The planted 1.13-only call must fail, or the check is not checking.
        planted = os.path.join(tmp, "planted_113_only.cc")
        with open(planted, "w") as f:
            f.write(PLANTED)
        code, log, _ = run([args.compiler] + with_pch + [planted], execroot)
        if code == 0 and version.startswith("2."):
            print("check_torch2: FAILED: a planted 1.13-only call (ProcessGroupGloo as a ProcessGroup) "
                  "compiled: the check is not seeing LibTorch 2.x")
            return 1

        failures = []
        slowest = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(run, [args.compiler] + with_pch + includes + [source], execroot): source
                       for source, (includes, _) in sorted(actions.items())}
            for future in concurrent.futures.as_completed(futures):
                source = futures[future]
                code, log, secs = future.result()
                slowest.append((secs, source))
                if code != 0:
                    failures.append((source, log))
                    print(f"check_torch2: FAIL {source}")
        for source, log in sorted(failures):
            print(f"---- {source}\n{log.strip()[-3000:]}")
        slowest.sort(reverse=True)
        print(f"check_torch2: {len(actions)} sources against LibTorch {version}: "
              f"{len(actions) - len(failures)} compile, {len(failures)} fail "
              f"({time.monotonic() - t0:.0f} s; slowest {slowest[0][1]} {slowest[0][0]:.1f} s)")
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
