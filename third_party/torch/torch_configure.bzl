"""Repository rule that wires a LibTorch installation into the workspace.

The installation is chosen by the environment variable WARDEN_TORCH_PREFIX
(pass it with --repo_env=WARDEN_TORCH_PREFIX=...):

  unset or "/usr"  Debian's libtorch-dev (1.13, CPU): headers in /usr/include,
                   libraries in /usr/lib/<multiarch>.
  "auto"           the LibTorch inside an installed PyTorch wheel if python3 can
                   import a CUDA build of torch, else Debian's. --config=cuda
                   uses this, so the same flag works on the GPU machine (PyTorch
                   2.x + CUDA) and on CPU-only machines.
  any other path   a LibTorch tree with include/ and lib/ (the libtorch zip, or
                   site-packages/torch of a wheel).

The generated repository has:
  :torch   headers + -ltorch -ltorch_cpu -lc10 (and the CUDA libraries when present)
  :c10d    :torch plus the defines and Gloo headers for torch's c10d
  torch_info.bzl  TORCH_VERSION, TORCH_HAS_CUDA, TORCH_PREFIX for use in BUILD files
"""

_DEBIAN_TORCH_DIRS = ["ATen", "c10", "caffe2", "torch"]

def _python_cuda_torch(ctx):
    """Returns site-packages/torch of a CUDA-enabled PyTorch, or None."""
    python = ctx.which("python3")
    if python == None:
        return None
    script = "import os, torch; print(os.path.dirname(torch.__file__) if torch.version.cuda else '')"
    result = ctx.execute([python, "-c", script], timeout = 120)
    if result.return_code != 0:
        return None
    path = result.stdout.strip()
    return path if path else None

def _multiarch_libdir(ctx):
    for candidate in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]:
        if ctx.path(candidate + "/libtorch.so").exists:
            return candidate
    fail("WARDEN_TORCH_PREFIX=/usr but no libtorch.so under /usr/lib: run tools/setup " +
         "(installs Debian's libtorch-dev)")

def _read_version(ctx, include_dir):
    header = ctx.path(include_dir + "/torch/csrc/api/include/torch/version.h")
    if not header.exists:
        return "unknown"
    parts = {}
    for line in ctx.read(header).splitlines():
        fields = [f for f in line.replace("\t", " ").split(" ") if f]
        if len(fields) == 3 and fields[0] == "#define" and fields[1].startswith("TORCH_VERSION_"):
            parts[fields[1][len("TORCH_VERSION_"):]] = fields[2]
    return "%s.%s.%s" % (parts.get("MAJOR", "?"), parts.get("MINOR", "?"), parts.get("PATCH", "?"))

def _torch_configure_impl(ctx):
    requested = ctx.os.environ.get("WARDEN_TORCH_PREFIX", "").strip()
    prefix = requested if requested else "/usr"
    if prefix == "auto":
        prefix = _python_cuda_torch(ctx) or "/usr"

    if prefix == "/usr":
        include_dir = "/usr/include"
        lib_dir = _multiarch_libdir(ctx)
        for name in _DEBIAN_TORCH_DIRS:
            if ctx.path(include_dir + "/" + name).exists:
                ctx.symlink(include_dir + "/" + name, "include/" + name)
    else:
        include_dir = prefix + "/include"
        lib_dir = prefix + "/lib"
        if not ctx.path(include_dir + "/torch").exists:
            fail("WARDEN_TORCH_PREFIX=%s has no include/torch: expected a LibTorch tree" % prefix)
        for entry in ctx.path(include_dir).readdir():
            ctx.symlink(entry, "include/" + entry.basename)

    has_cuda = ctx.path(lib_dir + "/libtorch_cuda.so").exists
    libs = ["torch", "torch_cpu", "c10"] + (["torch_cuda", "c10_cuda"] if has_cuda else [])
    version = _read_version(ctx, include_dir)

    ctx.file("torch_info.bzl", "\n".join([
        "TORCH_PREFIX = %r" % prefix,
        "TORCH_VERSION = %r" % version,
        "TORCH_HAS_CUDA = %s" % has_cuda,
        "",
    ]))
    ctx.template("BUILD.bazel", ctx.attr._build_template, {
        "%{linkopts}": repr(
            ["-L" + lib_dir, "-Wl,-rpath," + lib_dir, "-Wl,--push-state,--no-as-needed"] +
            ["-l" + lib for lib in libs] +
            ["-Wl,--pop-state", "-pthread"],
        ),
        "%{c10d_defines}": repr(
            ["USE_DISTRIBUTED", "USE_C10D_GLOO"] + (["USE_C10D_NCCL"] if has_cuda else []),
        ),
        "%{version}": version,
        "%{prefix}": prefix,
    })

torch_configure = repository_rule(
    implementation = _torch_configure_impl,
    environ = ["WARDEN_TORCH_PREFIX"],
    local = True,
    attrs = {
        "_build_template": attr.label(default = "//third_party/torch:BUILD.tpl"),
    },
)
