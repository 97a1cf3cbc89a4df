"""cuda_library: compiles .cu files with nvcc into a cc_library.

Bazel 4 has no CUDA rules that work offline, so each .cu file becomes a genrule
running nvcc from @cuda into a position-independent object, and the objects are
the srcs of an ordinary cc_library. Targets using this should be tagged "cuda"
and "manual": tools/test builds every target tagged "cuda" with --config=cuda.
"""

# Ampere, Hopper (the device machine's H100/H200) and PTX for newer GPUs.
CUDA_ARCH_FLAGS = [
    "--generate-code=arch=compute_80,code=sm_80",
    "--generate-code=arch=compute_90,code=[sm_90,compute_90]",
]

def cuda_library(name, srcs, hdrs = [], deps = [], nvcc_flags = [], **kwargs):
    """A cc_library whose sources are CUDA files compiled by nvcc.

    Args:
      name: the cc_library's name.
      srcs: .cu files.
      hdrs: headers the .cu files and the library's users include.
      deps: cc deps (only their headers reach nvcc, through -I.).
      nvcc_flags: extra flags for nvcc.
      **kwargs: passed to the cc_library (tags, visibility, ...).
    """
    objects = []
    for src in srcs:
        stem = src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        obj = "_cuda_objs/%s/%s.pic.o" % (name, stem)
        native.genrule(
            name = "%s_%s_nvcc" % (name, stem),
            srcs = [src] + hdrs,
            outs = [obj],
            tools = ["@cuda//:nvcc"],
            cmd = " ".join([
                "$$(readlink -f $(location @cuda//:nvcc))",  # nvcc finds its profile beside itself
                "-c $(location %s)" % src,
                "-o $@",
                "-std=c++17 -O2 -Xcompiler -fPIC",
                "-I. -I$(GENDIR)",
            ] + CUDA_ARCH_FLAGS + nvcc_flags),
            tags = kwargs.get("tags", []),
            visibility = ["//visibility:private"],
        )
        objects.append(obj)
    native.cc_library(
        name = name,
        srcs = objects,
        hdrs = hdrs,
        deps = deps + ["@cuda//:cudart"],
        linkstatic = True,
        **kwargs
    )
