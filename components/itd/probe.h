// Where does a name's identity live in the text encoder? (issue 19, item 1)
//
// A nearest-centroid identity probe per layer, read at the last token of the
// name: each name's centroid is the mean (centred, unit-normalised) activation
// over its prompts in the training templates; a test prompt (the same names in
// held-out templates) is classified by the nearest centroid in cosine. A layer
// that carries identity separates the names (top-1 far above 1/names); one
// that carries only "a name is here" does not. The ItD SAE should read a layer
// the probe picks, and its concept features come from the name's tokens
// (FindNameSpan, itd.h).
#ifndef WARDEN_COMPONENTS_ITD_PROBE_H_
#define WARDEN_COMPONENTS_ITD_PROBE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"
#include "components/itd/itd.h"

namespace warden::itd {

// The probe's classifier on one representation: centre on the training rows'
// mean, unit-normalise, average each name's rows into a unit centroid; a row
// is assigned the names of its most cosine-similar centroids.
class NameCentroids {
 public:
  // rows: [names · per_name, width], name-major (name i owns rows [i·per_name, (i+1)·per_name)).
  static NameCentroids Fit(const at::Tensor& rows, int64_t names);
  // Indices of the `top` nearest centroids per row: [rows, top].
  at::Tensor Nearest(const at::Tensor& rows, int64_t top = 1) const;
  int64_t names() const { return centroids_.size(0); }

 private:
  at::Tensor Unit(const at::Tensor& rows) const;
  at::Tensor mean_, centroids_;  // double
};

struct ProbeLayer {
  std::string label;  // "embeddings", "layer 0", …
  int64_t layer = 0;  // -1 for the embeddings, else the hook's layer index
  double top1 = 0;    // held-out prompts whose nearest centroid is their own name
  double top5 = 0;    // … among the 5 nearest
};

struct ProbeReport {
  std::vector<ProbeLayer> layers;
  int64_t names = 0, train_prompts = 0, test_prompts = 0;
  double chance = 0;  // 1 / names
  double seconds = 0;
};

// The probe on every layer's output (and the embeddings) for `names` filled
// into `train_templates` (centroids) and `test_templates` (scored). `progress`
// gets a line per batch of prompts.
absl::StatusOr<ProbeReport> IdentityProbe(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                          const std::vector<std::string>& names,
                                          const std::vector<std::string>& train_templates,
                                          const std::vector<std::string>& test_templates,
                                          const std::function<void(const std::string&)>& progress = {});

// The report as a TSV (one row per layer) and as a line plot (accuracy by layer).
std::string ProbeTsv(const ProbeReport& report);
std::string ProbePlotSvg(const ProbeReport& report, const std::string& title);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_PROBE_H_
