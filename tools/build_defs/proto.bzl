"""proto_cc_library: C++ (and optionally gRPC) code from .proto files.

Bazel's native cc_proto_library needs @com_google_protobuf built from source,
which would be downloaded; this macro runs Debian's protoc (and grpc_cpp_plugin)
in a genrule and wraps the generated code in a cc_library linked against the
system libprotobuf / libgrpc++.
"""

def proto_cc_library(name, srcs, deps = [], grpc = False, **kwargs):
    """A cc_library of the messages (and services, if grpc) in `srcs`.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package; imports resolve from the workspace root.
      deps: other proto_cc_library targets whose .protos these import.
      grpc: also generate gRPC service stubs (<file>.grpc.pb.{h,cc}).
      **kwargs: passed to the cc_library.
    """
    stems = [src[:-len(".proto")] for src in srcs]
    hdrs = [s + ".pb.h" for s in stems]
    cc_srcs = [s + ".pb.cc" for s in stems]
    if grpc:
        hdrs += [s + ".grpc.pb.h" for s in stems]
        cc_srcs += [s + ".grpc.pb.cc" for s in stems]
    tools = ["@protobuf//:bin/protoc"]
    cmd = "$(location @protobuf//:bin/protoc) -I. --cpp_out=$(GENDIR)"
    if grpc:
        tools.append("@protobuf//:bin/grpc_cpp_plugin")
        cmd += (" --grpc_out=$(GENDIR)" +
                " --plugin=protoc-gen-grpc=$(location @protobuf//:bin/grpc_cpp_plugin)")
    cmd += " " + " ".join(["$(location %s)" % s for s in srcs])
    native.genrule(
        name = name + "_protoc",
        srcs = srcs + [d + "_protos" for d in deps],
        outs = hdrs + cc_srcs,
        tools = tools,
        cmd = cmd,
        visibility = ["//visibility:private"],
    )
    native.filegroup(
        name = name + "_protos",
        srcs = srcs,
    )
    native.cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        deps = deps + ["@protobuf"] + (["@grpc//:grpc++"] if grpc else []),
        **kwargs
    )
