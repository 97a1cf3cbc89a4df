// The identity probe: name spans in templates, and the probe on the committed
// default encoder with a handful of names.
#include "components/itd/probe.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "components/clip/default_encoder.h"
#include "components/clip/vocab.h"
#include "components/itd/itd_data.h"

namespace warden::itd {
namespace {

TEST(ProbeTest, NameSpansSkipBosAndTheTemplatePrefix) {
  std::unique_ptr<clip::ClipTokenizer> tokenizer = *clip::LoadClipTokenizer();
  const std::vector<int> name = tokenizer->Encode("tom hanks");
  ASSERT_FALSE(name.empty());
  const int64_t n = static_cast<int64_t>(name.size());
  // BOS, "a", "photo", "of", then the name.
  absl::StatusOr<NameSpan> span = FindNameSpan(*tokenizer, "a photo of %", "tom hanks");
  ASSERT_TRUE(span.ok()) << span.status();
  EXPECT_EQ(span->begin, 4);
  EXPECT_EQ(span->end, 4 + n);
  span = FindNameSpan(*tokenizer, "%'s brushwork on a cat", "tom hanks");
  ASSERT_TRUE(span.ok()) << span.status();
  EXPECT_EQ(span->begin, 1);
  EXPECT_EQ(span->end, 1 + n);
  // The ids at the span are the name's own.
  const std::vector<int> full = tokenizer->EncodeWithMarkers("a photo of tom hanks");
  EXPECT_TRUE(std::equal(name.begin(), name.end(), full.begin() + 4));

  EXPECT_FALSE(FindNameSpan(*tokenizer, "no marker", "tom hanks").ok());
  // Letters glued to the name merge with it: no span of its own.
  EXPECT_FALSE(FindNameSpan(*tokenizer, "super%man", "tom").ok());
  std::string long_template;
  for (int i = 0; i < 80; ++i) long_template += "cat ";
  EXPECT_FALSE(FindNameSpan(*tokenizer, long_template + "%", "tom").ok());  // overflows 77 tokens
}

TEST(ProbeTest, ProbeSeparatesNamesAndReportsEveryLayer) {
  std::unique_ptr<clip::ClipTokenizer> tokenizer = *clip::LoadClipTokenizer();
  clip::ClipTextModel model = *clip::LoadTextEncoder("");
  model->eval();
  absl::StatusOr<FamilySplit> split = MakeFamilySplit(Family::kCelebrity, 12, 0, 0);
  ASSERT_TRUE(split.ok()) << split.status();
  absl::StatusOr<ProbeReport> report =
      IdentityProbe(model, *tokenizer, split->targets, split->selection_templates, split->heldout_templates);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->layers.size(), static_cast<size_t>(model->config().num_hidden_layers + 1));
  EXPECT_EQ(report->layers[0].label, "embeddings");
  EXPECT_EQ(report->train_prompts, 12 * static_cast<int64_t>(split->selection_templates.size()));
  EXPECT_EQ(report->test_prompts, 12 * static_cast<int64_t>(split->heldout_templates.size()));
  EXPECT_DOUBLE_EQ(report->chance, 1.0 / 12);
  double best = 0;
  for (const ProbeLayer& l : report->layers) {
    EXPECT_GE(l.top1, 0);
    EXPECT_LE(l.top1, l.top5);
    EXPECT_LE(l.top5, 1);
    best = std::max(best, l.top1);
  }
  // Names end in different tokens: some layer must tell 12 of them apart far
  // above chance (a label or centroid mix-up would sit near 1/12).
  EXPECT_GE(best, 0.5);
  const std::string tsv = ProbeTsv(*report);
  EXPECT_NE(tsv.find("embeddings\t"), std::string::npos);
  EXPECT_NE(ProbePlotSvg(*report, "probe").find("<svg"), std::string::npos);
  EXPECT_FALSE(IdentityProbe(model, *tokenizer, {"one"}, {"a photo of %"}, {"% smiling"}).ok());
}

}  // namespace
}  // namespace warden::itd
