"""wasm_module: compiles portable C++ (no torch, no Abseil) to a WebAssembly module.

Uses Debian's emscripten (emcc on PATH); the emsdk Bazel toolchain downloads,
so it is not an option here. The output is one self-contained .js file
(-sSINGLE_FILE, -sMODULARIZE) with Embind bindings: a page loads it with a
<script> tag and calls the global factory `create_<name>()`; Node loads it with
require(). (-sEXPORT_ES6 of emscripten 3.1.6 uses __dirname, which Node's ES
modules lack, so the module is not an ES module.)

Pitfalls handled here (docs/toolchain.md): emcc's optimizer needs
NODE_PATH=/usr/share/nodejs to find Debian's acorn; EM_CACHE must stay unset
(Debian's cache is prebuilt and frozen).
"""

def _core_sources(cores):
    """Shell words for the .cc files of `cores` (filegroups of .h and .cc files)."""
    return " ".join([
        "$$(for f in $(locations %s); do case $$f in *.cc) echo $$f;; esac; done)" % c
        for c in cores
    ])

def wasm_module(name, srcs, cores = [], hdrs = [], emcc_flags = [], **kwargs):
    """Builds <name>.js from the portable `cores` and local C++ `srcs`.

    Args:
      name: target name; the output is <name>.js.
      srcs: this package's .cc files (the Embind bindings, at least).
      cores: portable cores to compile in, each the `<core>_files` filegroup
        (its .h and .cc) that the core's package exports for this purpose.
      hdrs: this package's headers.
      emcc_flags: extra emcc flags.
      **kwargs: passed to the genrule (tags, visibility, ...).
    """
    native.genrule(
        name = name,
        srcs = srcs + hdrs + cores,
        outs = [name + ".js"],
        cmd = " ".join([
            "NODE_PATH=/usr/share/nodejs",
            "emcc",
            "-std=c++17 -O2 -msimd128 -I.",
            "-lembind",
            "-sMODULARIZE=1 -sSINGLE_FILE=1",
            "-sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=web,worker,node",
            "-sEXPORT_NAME=create_" + name,
        ] + emcc_flags + [
            " ".join(["$(location %s)" % s for s in srcs]),
            _core_sources(cores),
            "-o $@",
        ]),
        **kwargs
    )
