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

def wasm_module(name, srcs, hdrs = [], emcc_flags = [], **kwargs):
    """Builds <name>.js from C++ `srcs` (which include the Embind bindings).

    Args:
      name: target name; the output is <name>.mjs.
      srcs: .cc files (portable cores plus a bindings file).
      hdrs: headers they include, paths relative to the workspace root.
      emcc_flags: extra emcc flags.
      **kwargs: passed to the genrule (tags, visibility, ...).
    """
    native.genrule(
        name = name,
        srcs = srcs + hdrs,
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
            "-o $@",
        ]),
        **kwargs
    )
