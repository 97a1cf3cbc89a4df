#include "distributed/lazarus/runtime/nccl_group.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kUniqueIdKey[] = "nccl_unique_id";

ncclDataType_t NcclType(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kBFloat16: return ncclBfloat16;
    case at::kLong: return ncclInt64;
    case at::kInt: return ncclInt32;
    case at::kChar: return ncclInt8;
    case at::kByte:
    case at::kBool: return ncclUint8;
    default: throw std::invalid_argument(absl::StrCat("NCCL group: unsupported dtype ", c10::toString(t)));
  }
}

ncclRedOp_t NcclOp(const c10d::ReduceOp& op) {
  switch (op.op_) {
    case c10d::ReduceOp::SUM: return ncclSum;
    case c10d::ReduceOp::PRODUCT: return ncclProd;
    case c10d::ReduceOp::MIN: return ncclMin;
    case c10d::ReduceOp::MAX: return ncclMax;
    case c10d::ReduceOp::AVG: return ncclAvg;
    default: throw std::invalid_argument("NCCL group: unsupported reduce op");
  }
}

// Every call completes before it returns, so its Work is born finished.
class DoneWork : public c10d::Work {
 public:
  explicit DoneWork(c10d::OpType op) : Work(-1, op) { finish(); }
};

class NcclGroup : public c10d::ProcessGroup {
 public:
  NcclGroup(int rank, int world, int device, ncclComm_t comm, cudaStream_t stream, std::chrono::milliseconds timeout)
      : ProcessGroup(rank, world), device_(device), comm_(comm), stream_(stream), timeout_(timeout) {}

  ~NcclGroup() override {
    cudaSetDevice(device_);
    if (comm_ != nullptr) ncclCommDestroy(comm_);
    if (buffer_ != nullptr) cudaFree(buffer_);
    cudaStreamDestroy(stream_);
  }

  const std::string getBackendName() const override { return "warden-nccl"; }

  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors,
                                           const c10d::BroadcastOptions& opts) override {
    at::Tensor& t = Single(tensors, "broadcast");
    Begin();
    char* buf = Stage(t, 0);
    Check(ncclBroadcast(buf, buf, t.numel(), NcclType(t.scalar_type()), static_cast<int>(opts.rootRank), comm_,
                        stream_),
          "broadcast");
    Finish("broadcast");
    Unstage(t, buf);
    return c10::make_intrusive<DoneWork>(c10d::OpType::BROADCAST);
  }

  c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& tensors,
                                           const c10d::AllreduceOptions& opts) override {
    at::Tensor& t = Single(tensors, "allreduce");
    Begin();
    char* buf = Stage(t, 0);
    Check(ncclAllReduce(buf, buf, t.numel(), NcclType(t.scalar_type()), NcclOp(opts.reduceOp), comm_, stream_),
          "allreduce");
    Finish("allreduce");
    Unstage(t, buf);
    return c10::make_intrusive<DoneWork>(c10d::OpType::ALLREDUCE);
  }

  c10::intrusive_ptr<c10d::Work> allgather(std::vector<std::vector<at::Tensor>>& outputs,
                                           std::vector<at::Tensor>& inputs, const c10d::AllgatherOptions&) override {
    at::Tensor& in = Single(inputs, "allgather");
    if (outputs.size() != 1 || static_cast<int>(outputs[0].size()) != getSize()) {
      throw std::invalid_argument("NCCL allgather: want one list of world-size output tensors");
    }
    const size_t bytes = in.numel() * in.element_size();
    for (const at::Tensor& o : outputs[0]) {
      if (o.numel() != in.numel() || o.scalar_type() != in.scalar_type()) {
        throw std::invalid_argument("NCCL allgather: outputs must match the input's size and dtype");
      }
    }
    Begin();
    char* all = Reserve(bytes * getSize());
    char* mine = all + bytes * getRank();
    CopyIn(mine, in);
    Check(ncclAllGather(mine, all, in.numel(), NcclType(in.scalar_type()), comm_, stream_), "allgather");
    Finish("allgather");
    for (int j = 0; j < getSize(); ++j) CopyOut(outputs[0][j], all + bytes * j);
    return c10::make_intrusive<DoneWork>(c10d::OpType::ALLGATHER);
  }

  // Rows (dim 0) move by splits; empty split lists mean equal splits.
  c10::intrusive_ptr<c10d::Work> alltoall_base(at::Tensor& output, at::Tensor& input,
                                               std::vector<int64_t>& output_splits,
                                               std::vector<int64_t>& input_splits,
                                               const c10d::AllToAllOptions&) override {
    if (input.scalar_type() != output.scalar_type() || input.dim() < 1 || output.dim() < 1) {
      throw std::invalid_argument("NCCL alltoall_base: input and output need the same dtype and >= 1 dim");
    }
    const int world = getSize();
    const int64_t row = RowElements(input);
    if (RowElements(output) != row) throw std::invalid_argument("NCCL alltoall_base: rows of different sizes");
    const std::vector<int64_t> send = Splits(input_splits, input.size(0), "input");
    const std::vector<int64_t> recv = Splits(output_splits, output.size(0), "output");
    const size_t elem = input.element_size();
    const size_t in_bytes = input.numel() * elem;
    Begin();
    char* base = Reserve(in_bytes + output.numel() * elem);
    char* in_buf = base;
    char* out_buf = base + in_bytes;
    CopyIn(in_buf, input);
    const ncclDataType_t type = NcclType(input.scalar_type());
    Check(ncclGroupStart(), "alltoall");
    int64_t send_offset = 0, recv_offset = 0;
    for (int peer = 0; peer < world; ++peer) {
      if (send[peer] > 0) {
        Check(ncclSend(in_buf + send_offset * row * elem, send[peer] * row, type, peer, comm_, stream_), "alltoall");
      }
      if (recv[peer] > 0) {
        Check(ncclRecv(out_buf + recv_offset * row * elem, recv[peer] * row, type, peer, comm_, stream_), "alltoall");
      }
      send_offset += send[peer];
      recv_offset += recv[peer];
    }
    Check(ncclGroupEnd(), "alltoall");
    Finish("alltoall");
    CopyOut(output, out_buf);
    return c10::make_intrusive<DoneWork>(c10d::OpType::ALLTOALL_BASE);
  }

  // Blocking point-to-point: both sides must issue matching calls in the same
  // order (the runtime's transfer list is one global order, so they do).
  c10::intrusive_ptr<c10d::Work> send(std::vector<at::Tensor>& tensors, int dst, int) override {
    at::Tensor& t = Single(tensors, "send");
    Begin();
    char* buf = Stage(t, 0);
    Check(ncclSend(buf, t.numel(), NcclType(t.scalar_type()), dst, comm_, stream_), "send");
    Finish("send");
    return c10::make_intrusive<DoneWork>(c10d::OpType::SEND);
  }

  c10::intrusive_ptr<c10d::Work> recv(std::vector<at::Tensor>& tensors, int src, int) override {
    at::Tensor& t = Single(tensors, "recv");
    Begin();
    char* buf = Device(t, 0);
    Check(ncclRecv(buf, t.numel(), NcclType(t.scalar_type()), src, comm_, stream_), "recv");
    Finish("recv");
    Unstage(t, buf);
    return c10::make_intrusive<DoneWork>(c10d::OpType::RECV);
  }

  c10::intrusive_ptr<c10d::Work> barrier(const c10d::BarrierOptions&) override {
    std::vector<at::Tensor> one = {at::zeros({1})};
    allreduce(one, c10d::AllreduceOptions());
    return c10::make_intrusive<DoneWork>(c10d::OpType::BARRIER);
  }

 private:
  static at::Tensor& Single(std::vector<at::Tensor>& tensors, const char* op) {
    if (tensors.size() != 1) throw std::invalid_argument(absl::StrCat("NCCL ", op, ": want exactly one tensor"));
    return tensors[0];
  }

  static int64_t RowElements(const at::Tensor& t) {
    int64_t n = 1;
    for (int64_t d = 1; d < t.dim(); ++d) n *= t.size(d);
    return n;
  }

  std::vector<int64_t> Splits(const std::vector<int64_t>& given, int64_t rows, const char* which) const {
    const int world = getSize();
    if (given.empty()) {
      if (rows % world != 0) throw std::invalid_argument(absl::StrCat("NCCL alltoall: ", which, " rows not divisible"));
      return std::vector<int64_t>(world, rows / world);
    }
    int64_t sum = 0;
    for (int64_t s : given) sum += s;
    if (static_cast<int>(given.size()) != world || sum != rows) {
      throw std::invalid_argument(absl::StrCat("NCCL alltoall: ", which, " splits do not match the tensor"));
    }
    return given;
  }

  void Begin() {
    if (comm_ == nullptr) throw std::runtime_error("NCCL group: the communicator was aborted after a failure");
    cudaSetDevice(device_);
  }

  char* Reserve(size_t bytes) {
    if (bytes > capacity_) {
      if (buffer_ != nullptr) cudaFree(buffer_);
      buffer_ = nullptr;
      capacity_ = 0;
      if (cudaMalloc(&buffer_, bytes) != cudaSuccess) throw std::runtime_error("NCCL group: cudaMalloc failed");
      capacity_ = bytes;
    }
    return static_cast<char*>(buffer_);
  }

  // Device memory for t: t itself when it is a contiguous CUDA tensor, else the staging buffer.
  char* Device(const at::Tensor& t, size_t offset) {
    if (t.is_cuda() && t.is_contiguous()) return static_cast<char*>(t.data_ptr());
    return Reserve(offset + t.numel() * t.element_size()) + offset;
  }

  char* Stage(const at::Tensor& t, size_t offset) {
    char* d = Device(t, offset);
    CopyIn(d, t);
    return d;
  }

  void Unstage(at::Tensor& t, const char* d) {
    if (static_cast<const void*>(d) != t.data_ptr()) CopyOut(t, d);
  }

  void CopyIn(char* d, const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    if (static_cast<void*>(d) == c.data_ptr()) return;
    const cudaMemcpyKind kind = c.is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice;
    if (cudaMemcpyAsync(d, c.data_ptr(), c.numel() * c.element_size(), kind, stream_) != cudaSuccess) {
      throw std::runtime_error("NCCL group: copy to the device failed");
    }
    Finish("stage");  // the host tensor may be a temporary
  }

  void CopyOut(at::Tensor& t, const char* d) {
    at::Tensor c = t.is_contiguous() ? t : at::empty_like(t, at::MemoryFormat::Contiguous);
    const cudaMemcpyKind kind = c.is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost;
    if (cudaMemcpyAsync(c.data_ptr(), d, c.numel() * c.element_size(), kind, stream_) != cudaSuccess) {
      throw std::runtime_error("NCCL group: copy from the device failed");
    }
    Finish("unstage");
    if (!c.is_same(t)) t.copy_(c);
  }

  void Check(ncclResult_t r, const char* op) {
    if (r != ncclSuccess && r != ncclInProgress) Fail(op, ncclGetErrorString(r));
  }

  // Waits for the stream, watching for a dead peer (asynchronous error) and the timeout.
  void Finish(const char* op) {
    const auto deadline = Clock::now() + timeout_;
    while (true) {
      const cudaError_t e = cudaStreamQuery(stream_);
      if (e == cudaSuccess) return;
      if (e != cudaErrorNotReady) Fail(op, cudaGetErrorString(e));
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess && async != ncclInProgress) Fail(op, ncclGetErrorString(async));
      if (Clock::now() > deadline) Fail(op, "timed out");
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  [[noreturn]] void Fail(const char* op, const std::string& why) {
    if (comm_ != nullptr) {
      ncclCommAbort(comm_);
      comm_ = nullptr;
    }
    throw std::runtime_error(absl::StrCat("NCCL ", op, " failed: ", why));
  }

  int device_;
  ncclComm_t comm_;
  cudaStream_t stream_;
  std::chrono::milliseconds timeout_;
  void* buffer_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace

int CudaDeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
}

absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> CreateNcclGroup(const c10::intrusive_ptr<c10d::Store>& store,
                                                                      int rank, int world,
                                                                      std::chrono::milliseconds timeout) {
  if (world < 1 || rank < 0 || rank >= world) return absl::InvalidArgumentError("NCCL group: bad rank or world");
  const int devices = CudaDeviceCount();
  if (devices == 0) return absl::FailedPreconditionError("NCCL group: no CUDA device is visible");
  const int device = rank % devices;
  if (cudaSetDevice(device) != cudaSuccess) return absl::InternalError("NCCL group: cudaSetDevice failed");
  ncclUniqueId id;
  try {
    if (rank == 0) {
      if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess) {
        return absl::InternalError(absl::StrCat("ncclGetUniqueId: ", ncclGetErrorString(r)));
      }
      const auto* bytes = reinterpret_cast<const uint8_t*>(&id);
      store->set(kUniqueIdKey, std::vector<uint8_t>(bytes, bytes + sizeof(id)));
    } else {
      const std::vector<uint8_t> bytes = store->get(kUniqueIdKey);
      if (bytes.size() != sizeof(id)) return absl::DataLossError("NCCL group: malformed unique id in the store");
      std::memcpy(&id, bytes.data(), sizeof(id));
    }
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("NCCL group: store: ", e.what()));
  }
  cudaStream_t stream = nullptr;
  if (cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) != cudaSuccess) {
    return absl::InternalError("NCCL group: cudaStreamCreate failed");
  }
  ncclComm_t comm = nullptr;
  if (ncclResult_t r = ncclCommInitRank(&comm, world, id, rank); r != ncclSuccess) {
    cudaStreamDestroy(stream);
    return absl::UnavailableError(absl::StrCat("ncclCommInitRank: ", ncclGetErrorString(r)));
  }
  return c10::intrusive_ptr<c10d::ProcessGroup>(
      c10::make_intrusive<NcclGroup>(rank, world, device, comm, stream, timeout));
}

}  // namespace warden::lazarus
