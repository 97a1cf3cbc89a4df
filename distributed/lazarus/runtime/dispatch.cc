#include "distributed/lazarus/runtime/dispatch.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include <numeric>
#include <stdexcept>

#include "distributed/lazarus/dispatcher.h"

namespace warden::lazarus {
namespace {

at::Tensor Exchange(c10d::ProcessGroup& group, const at::Tensor& input, std::vector<int64_t> send,
                    std::vector<int64_t> recv) {
  const int64_t rows = std::accumulate(recv.begin(), recv.end(), int64_t{0});
  at::Tensor output = at::empty({rows, input.size(1)}, input.options());
  at::Tensor in = input.contiguous();
  group.alltoall_base(output, in, recv, send)->wait();
  return output;
}

struct AllToAllFunction : public torch::autograd::Function<AllToAllFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& rows,
                            c10d::ProcessGroup* group, const std::vector<int64_t>& send,
                            const std::vector<int64_t>& recv) {
    ctx->saved_data["group"] = reinterpret_cast<int64_t>(group);
    ctx->saved_data["send"] = send;
    ctx->saved_data["recv"] = recv;
    return Exchange(*group, rows, send, recv);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* group = reinterpret_cast<c10d::ProcessGroup*>(ctx->saved_data["group"].toInt());
    const std::vector<int64_t> send = ctx->saved_data["send"].toIntVector();
    const std::vector<int64_t> recv = ctx->saved_data["recv"].toIntVector();
    return {Exchange(*group, grads[0], recv, send), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor AllToAll(const c10::intrusive_ptr<c10d::ProcessGroup>& group, const at::Tensor& rows,
                    const std::vector<int64_t>& send_splits, const std::vector<int64_t>& recv_splits) {
  return AllToAllFunction::apply(rows, group.get(), send_splits, recv_splits);
}

DispatchedExperts::DispatchedExperts(c10::intrusive_ptr<c10d::ProcessGroup> group, int rank, int world,
                                     std::vector<std::vector<std::vector<int>>> replicas,
                                     std::map<ExpertKey, Expert>* local)
    : group_(std::move(group)), rank_(rank), world_(world), replicas_(std::move(replicas)), local_(local) {}

at::Tensor DispatchedExperts::Run(int64_t layer, const at::Tensor& rows, const at::Tensor& expert_ids) {
  const auto& replicas = replicas_.at(layer);
  const int experts = static_cast<int>(replicas.size());
  // 1. Counts T[e][j], all-gathered.
  const at::Tensor local_counts = at::bincount(expert_ids, {}, experts).to(at::kLong);
  std::vector<std::vector<at::Tensor>> gathered(1);
  for (int j = 0; j < world_; ++j) gathered[0].push_back(at::empty({experts}, local_counts.options()));
  std::vector<at::Tensor> mine = {local_counts};
  group_->allgather(gathered, mine)->wait();
  std::vector<std::vector<int64_t>> tokens(experts, std::vector<int64_t>(world_));
  for (int j = 0; j < world_; ++j) {
    const at::Tensor c = gathered[0][j].cpu();
    for (int e = 0; e < experts; ++e) tokens[e][j] = c[e].item<int64_t>();
  }
  // 2. The plan every rank derives alike.
  absl::StatusOr<DispatchCapacities> caps = ComputeCapacities(replicas, tokens);
  if (!caps.ok()) throw std::runtime_error(std::string(caps.status().message()));
  const RankDispatch plan = PlanRankDispatch(*caps, tokens, rank_);

  // 3. Destination of each local row: per expert, in row order, the first
  // kept[e] rows stay, the rest fill sends[e] in order. Send buffer order:
  // (destination rank, expert, row order).
  const at::Tensor ids = expert_ids.cpu().contiguous();
  const int64_t* id = ids.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> rows_of(experts);
  for (int64_t r = 0; r < ids.numel(); ++r) rows_of[id[r]].push_back(r);
  std::vector<std::vector<std::vector<int64_t>>> to(world_, std::vector<std::vector<int64_t>>(experts));
  for (int e = 0; e < experts; ++e) {
    size_t next = 0;
    for (int64_t i = 0; i < plan.kept[e]; ++i) to[rank_][e].push_back(rows_of[e][next++]);
    for (const auto& [dest, n] : plan.sends[e]) {
      for (int64_t i = 0; i < n; ++i) to[dest][e].push_back(rows_of[e][next++]);
    }
  }
  std::vector<int64_t> send_index, send_splits(world_, 0);
  for (int j = 0; j < world_; ++j) {
    for (int e = 0; e < experts; ++e) {
      send_index.insert(send_index.end(), to[j][e].begin(), to[j][e].end());
      send_splits[j] += static_cast<int64_t>(to[j][e].size());
      if (j != rank_) rows_sent_ += static_cast<int64_t>(to[j][e].size());
    }
  }
  // Receive buffer order: (source rank, expert); counts from the plan.
  std::vector<std::vector<int64_t>> from(world_, std::vector<int64_t>(experts, 0));
  for (int e = 0; e < experts; ++e) {
    from[rank_][e] = plan.kept[e];
    for (const auto& [src, n] : plan.receives[e]) from[src][e] += n;
  }
  std::vector<int64_t> recv_splits(world_, 0);
  std::vector<std::vector<int64_t>> positions(experts);  // receive-buffer rows per expert
  int64_t cursor = 0;
  for (int j = 0; j < world_; ++j) {
    for (int e = 0; e < experts; ++e) {
      for (int64_t i = 0; i < from[j][e]; ++i) positions[e].push_back(cursor++);
      recv_splits[j] += from[j][e];
    }
  }

  // 4. Exchange, run the local experts, exchange back, un-permute.
  const at::Tensor index = at::tensor(send_index, at::kLong).to(rows.device());
  const at::Tensor received = AllToAll(group_, rows.index_select(0, index), send_splits, recv_splits);
  std::vector<at::Tensor> outputs, where;
  for (int e = 0; e < experts; ++e) {
    if (positions[e].empty()) continue;
    auto it = local_->find({layer, e});
    if (it == local_->end()) throw std::runtime_error("dispatcher sent rows to a rank without the expert");
    const at::Tensor pos = at::tensor(positions[e], at::kLong).to(rows.device());
    outputs.push_back(it->second.Forward(received.index_select(0, pos)));
    where.push_back(pos);
    rows_processed_ += static_cast<int64_t>(positions[e].size());
  }
  // `received * 0`, not zeros: the result must stay on the autograd graph even
  // when this rank processes nothing, or its backward would skip a collective
  // the other ranks run.
  at::Tensor processed = received * 0;
  if (!outputs.empty()) processed = processed.index_put({at::cat(where)}, at::cat(outputs));
  const at::Tensor back = AllToAll(group_, processed, recv_splits, send_splits);
  return at::zeros_like(rows).index_put({index}, back);
}

}  // namespace warden::lazarus
