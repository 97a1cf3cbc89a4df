"""cc_fuzz_test: a libFuzzer binary built with Debian's clang, plus a bounded smoke run.

Bazel's C++ toolchain here is gcc, which has no libFuzzer, so the fuzzer is
compiled by a genrule calling clang++ with -fsanitize=fuzzer,address,undefined
over the listed sources (the parser and what it needs; system libraries link as
usual). The smoke test runs it for `smoke_seconds` on a copy of `corpus`; it
fails on any crash, sanitizer report or timeout. For a long run:

  bazel build //components/tensor/fuzz:safetensors_fuzzer
  mkdir -p /tmp/corpus && cp components/tensor/fuzz/safetensors_corpus/* /tmp/corpus
  bazel-bin/components/tensor/fuzz/safetensors_fuzzer /tmp/corpus -max_total_time=3600
"""

# Debian's Abseil libraries behind absl::Status/StatusOr and StrCat, for fuzzers
# of code that returns Status.
ABSL_STATUS_LINKOPTS = [
    "-labsl_statusor",
    "-labsl_status",
    "-labsl_cord",
    "-labsl_cord_internal",
    "-labsl_cordz_info",
    "-labsl_cordz_handle",
    "-labsl_cordz_functions",
    "-labsl_str_format_internal",
    "-labsl_strings",
    "-labsl_strings_internal",
    "-labsl_int128",
    "-labsl_raw_logging_internal",
    "-labsl_throw_delegate",
]

def cc_fuzz_test(name, fuzzer_src, libs, corpus, linkopts = [], smoke_seconds = 20):
    """Defines <name> (the fuzzer binary) and <name>_smoke_test.

    Args:
      name: the fuzzer binary's name.
      fuzzer_src: the file defining LLVMFuzzerTestOneInput.
      libs: the code under test, as filegroups of .h and .cc files (each
        library's `<name>_files`), compiled instrumented.
      corpus: seed inputs.
      linkopts: system libraries to link (e.g. -labsl_status).
      smoke_seconds: length of the smoke run in the default test suite.
    """
    native.genrule(
        name = name,
        srcs = [fuzzer_src] + libs,
        outs = [name + ".bin"],
        cmd = " ".join([
            "clang++ -std=c++17 -O1 -g -fno-omit-frame-pointer",
            "-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined",
            "-I.",
            "$(location %s)" % fuzzer_src,
            # Each .cc once, though filegroups may share files.
            "$$(for f in %s; do case $$f in *.cc) echo $$f;; esac; done | sort -u)" %
            " ".join(["$(locations %s)" % l for l in libs]),
            " ".join(linkopts),
            "-o $@",
        ]),
        executable = True,
        tags = ["fuzzer"],
    )
    native.sh_test(
        name = name + "_smoke_test",
        size = "medium",
        srcs = ["//tools/build_defs:run_fuzz_smoke.sh"],
        args = [
            "$(location :%s)" % name,
            str(smoke_seconds),
        ] + ["$(location %s)" % c for c in corpus],
        data = [":" + name] + corpus,
    )
