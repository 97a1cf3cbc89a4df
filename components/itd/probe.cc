#include "components/itd/probe.h"

#include <torch/torch.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/plot/svg_plot.h"

namespace warden::itd {

namespace {

// Every layer's activation at the last name token: [prompts, layers + 1, width].
absl::StatusOr<at::Tensor> LastNameTokenStates(clip::ClipTextModel& model,
                                               const clip::ClipTokenizer& tokenizer,
                                               const std::vector<std::string>& names,
                                               const std::vector<std::string>& templates,
                                               const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> prompts;
  std::vector<int64_t> positions;
  for (const NamedPrompt& p : FillNamed(templates, names)) {
    absl::StatusOr<NameSpan> span = FindNameSpan(tokenizer, p.templ, p.name);
    if (!span.ok()) return span.status();
    prompts.push_back(p.Text());
    positions.push_back(span->end - 1);
  }
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> rows;
  constexpr size_t kBatch = 256;
  for (size_t start = 0; start < prompts.size(); start += kBatch) {
    const size_t stop = std::min(prompts.size(), start + kBatch);
    const std::vector<std::string> batch(prompts.begin() + start, prompts.begin() + stop);
    const clip::ClipTextOutput out = clip::ForwardPrompts(model, tokenizer, batch, clip::Padding::kToLongest);
    const int64_t b = static_cast<int64_t>(batch.size());
    const at::Tensor where =
        at::tensor(std::vector<int64_t>(positions.begin() + start, positions.begin() + stop));
    const at::Tensor batch_index = at::arange(b);
    std::vector<at::Tensor> per_layer;
    for (const at::Tensor& h : out.hidden_states) per_layer.push_back(h.index({batch_index, where}));
    rows.push_back(at::stack(per_layer, 1));
    if (progress) progress(absl::StrFormat("probe: %d/%d prompts", stop, prompts.size()));
  }
  return at::cat(rows, 0);
}

}  // namespace

NameCentroids NameCentroids::Fit(const at::Tensor& rows, int64_t names) {
  torch::NoGradGuard no_grad;
  NameCentroids c;
  const at::Tensor x = rows.to(at::kDouble);
  c.mean_ = x.mean(0, true);
  const at::Tensor centroids = c.Unit(x).view({names, x.size(0) / names, -1}).mean(1);
  c.centroids_ = centroids / centroids.norm(2, 1, true).clamp_min(1e-12);
  return c;
}

at::Tensor NameCentroids::Unit(const at::Tensor& rows) const {
  const at::Tensor v = rows.to(at::kDouble) - mean_;
  return v / v.norm(2, 1, true).clamp_min(1e-12);
}

at::Tensor NameCentroids::Nearest(const at::Tensor& rows, int64_t top) const {
  torch::NoGradGuard no_grad;
  const at::Tensor similarity = at::mm(Unit(rows), centroids_.t());  // [rows, names]
  return std::get<1>(similarity.topk(std::min<int64_t>(top, names()), 1));
}

absl::StatusOr<ProbeReport> IdentityProbe(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                          const std::vector<std::string>& names,
                                          const std::vector<std::string>& train_templates,
                                          const std::vector<std::string>& test_templates,
                                          const std::function<void(const std::string&)>& progress) {
  if (names.size() < 2) return absl::InvalidArgumentError("the probe needs at least 2 names");
  if (train_templates.empty() || test_templates.empty()) {
    return absl::InvalidArgumentError("the probe needs training and test templates");
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<at::Tensor> train = LastNameTokenStates(model, tokenizer, names, train_templates, progress);
  if (!train.ok()) return train.status();
  absl::StatusOr<at::Tensor> test = LastNameTokenStates(model, tokenizer, names, test_templates, progress);
  if (!test.ok()) return test.status();
  torch::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(names.size());
  const int64_t per_test = static_cast<int64_t>(test_templates.size());
  // Prompts are name-major: name i owns rows [i·T, (i+1)·T).
  const at::Tensor labels = at::arange(n).repeat_interleave(per_test);
  ProbeReport report;
  report.names = n;
  report.train_prompts = train->size(0);
  report.test_prompts = test->size(0);
  report.chance = 1.0 / static_cast<double>(n);
  for (int64_t l = 0; l < train->size(1); ++l) {
    const at::Tensor top =
        NameCentroids::Fit(train->select(1, l), n).Nearest(test->select(1, l), std::min<int64_t>(5, n));
    const at::Tensor hits = top.eq(labels.unsqueeze(1));
    ProbeLayer layer;
    layer.layer = l - 1;
    layer.label = l == 0 ? "embeddings" : absl::StrCat("layer ", l - 1);
    layer.top1 = hits.select(1, 0).to(at::kDouble).mean().item<double>();
    layer.top5 = hits.any(1).to(at::kDouble).mean().item<double>();
    report.layers.push_back(layer);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string ProbeTsv(const ProbeReport& report) {
  std::string out =
      absl::StrFormat("# identity probe: %d names, %d training / %d held-out prompts, chance %.4f\n",
                      report.names, report.train_prompts, report.test_prompts, report.chance);
  out += "layer\ttop1\ttop5\n";
  for (const ProbeLayer& l : report.layers)
    out += absl::StrFormat("%s\t%.4f\t%.4f\n", l.label, l.top1, l.top5);
  return out;
}

std::string ProbePlotSvg(const ProbeReport& report, const std::string& title) {
  plot::Series top1{"top-1", {}, {}}, top5{"top-5", {}, {}}, chance{"chance (top-1)", {}, {}};
  for (const ProbeLayer& l : report.layers) {
    top1.x.push_back(static_cast<double>(l.layer));
    top1.y.push_back(l.top1);
    top5.x.push_back(static_cast<double>(l.layer));
    top5.y.push_back(l.top5);
    chance.x.push_back(static_cast<double>(l.layer));
    chance.y.push_back(report.chance);
  }
  plot::LinePlotOptions options;
  options.title = title;
  options.x_label = "layer output read (-1: token + position embeddings)";
  options.y_label = "held-out accuracy of the nearest name centroid";
  options.y_min = 0;
  options.y_max = 1;
  return plot::RenderLinePlot({top1, top5, chance}, options);
}

}  // namespace warden::itd
