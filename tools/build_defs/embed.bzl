"""embed_file: compiles a data file into a C++ library as a byte array.

Used for the small committed artifacts (default model weights) that binaries
must carry so they run from anywhere, with no path to find at run time.
"""

def embed_file(name, src, symbol, **kwargs):
    """Defines cc_library `name` with header <name>.h declaring
    `std::string_view <symbol>()` returning the bytes of `src`.

    Args:
      name: the library name (also the generated files' stem).
      src: the file to embed.
      symbol: C++ function name, in namespace warden::embedded.
      **kwargs: passed to the cc_library.
    """
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [name + ".h", name + ".cc"],
        tools = ["//tools/build_defs:embed.py"],
        cmd = "python3 $(location //tools/build_defs:embed.py) $(location %s) %s $(OUTS)" % (src, symbol),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [name + ".h"],
        **kwargs
    )
