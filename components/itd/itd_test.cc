// ItD on the committed default CLIP encoder with a small SAE trained in the
// test: selection, the gate's scores and thresholds, bit-exact pass-through.
#include "components/itd/itd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "components/clip/default_encoder.h"
#include "components/clip/pretrain.h"
#include "components/clip/vocab.h"
#include "components/itd/eval.h"
#include "components/itd/filter.h"
#include "components/sae/sae_train.h"

namespace warden::itd {
namespace {

constexpr int64_t kLayer = 2;

std::vector<std::string> Templated(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    for (const char* t : {"a photo of %", "a portrait of %", "% smiling"}) {
      std::string s = t;
      s.replace(s.find('%'), 1, n);
      out.push_back(s);
    }
  }
  return out;
}

class ItdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = clip::LoadClipTokenizer()->release();
    model_ = new clip::ClipTextModel(*clip::LoadTextEncoder(""));
    torch::manual_seed(0);
    sae::SaeConfig c;
    c.d_model = 256;
    c.n_latents = 512;
    c.k = 16;
    sae_ = new sae::TopKSae(c);
    sae::SaeTrainConfig config;
    config.layer = kLayer;
    config.steps = 60;
    config.batch_prompts = 32;
    config.init_prompts = 100;
    config.learning_rate = 2e-3;
    config.warmup_steps = 10;
    const std::vector<std::string> corpus = *clip::PretrainCorpus(0, 300, 0);
    ASSERT_TRUE(sae::TrainSaeOnClip(*sae_, *model_, *tokenizer_, corpus, config).ok());
  }
  static clip::ClipTokenizer* tokenizer_;
  static clip::ClipTextModel* model_;
  static sae::TopKSae* sae_;
};

clip::ClipTokenizer* ItdTest::tokenizer_ = nullptr;
clip::ClipTextModel* ItdTest::model_ = nullptr;
sae::TopKSae* ItdTest::sae_ = nullptr;

TEST_F(ItdTest, SelectionExcludesRetainedFeatures) {
  const auto targets = Templated({"tom cruise", "emma watson"});
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  absl::StatusOr<std::vector<int64_t>> features =
      SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, targets, retains, 8);
  ASSERT_TRUE(features.ok()) << features.status();
  ASSERT_FALSE(features->empty());
  for (const std::string& r : retains) {
    const at::Tensor h = *sae::LayerActivations(*model_, *tokenizer_, {r}, kLayer);
    for (int64_t j : TopLatents(*sae_, h, 8)) {
      EXPECT_FALSE(std::binary_search(features->begin(), features->end(), j)) << r << " " << j;
    }
  }
  EXPECT_FALSE(SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, {}, retains, 8).ok());
}

// Name spans: every selected feature fires on a target's name tokens (not only
// on its template's), none is among the retained names' span latents, and the
// same selection without spans reads whole prompts.
TEST_F(ItdTest, NameSpanSelectionReadsOnlyTheNamesTokens) {
  const std::vector<std::string> templates = {"a photo of %", "a portrait of %", "% smiling"};
  const std::vector<NamedPrompt> targets = FillNamed(templates, {"tom cruise", "emma watson"});
  const std::vector<NamedPrompt> retained =
      FillNamed(templates, {"brad pitt", "taylor swift", "keanu reeves"});
  SelectionConfig config;
  config.k = 8;
  config.name_span = true;
  absl::StatusOr<ConceptSelector> selector =
      ConceptSelector::Create(*model_, *tokenizer_, *sae_, kLayer, {"a bowl of fruit"}, config, retained);
  ASSERT_TRUE(selector.ok()) << selector.status();
  std::vector<std::vector<int64_t>> latents;
  for (const NamedPrompt& p : targets) latents.push_back(*selector->NamedLatents(p));
  const std::vector<int64_t> features = selector->Select(latents);
  ASSERT_FALSE(features.empty());
  torch::NoGradGuard no_grad;
  // The largest code of each latent over any target's name span.
  at::Tensor span_max = at::zeros({sae_->get()->config().n_latents});
  for (const NamedPrompt& p : targets) {
    const NameSpan span = *FindNameSpan(*tokenizer_, p.templ, p.name);
    const at::Tensor h = *sae::LayerActivations(*model_, *tokenizer_, {p.Text()}, kLayer);
    const at::Tensor z = (*sae_)->DenseCode((*sae_)->Encode(h.slice(0, span.begin, span.end)));
    span_max = at::maximum(span_max, std::get<0>(z.max(0)));
  }
  for (int64_t j : features) EXPECT_GT(span_max[j].item<float>(), 0) << j;
  for (const NamedPrompt& r : retained) {
    for (int64_t j : *selector->NamedLatents(r)) {
      EXPECT_FALSE(std::binary_search(features.begin(), features.end(), j)) << r.Text() << " " << j;
    }
  }
  // Without spans a named prompt is its whole text.
  config.name_span = false;
  absl::StatusOr<ConceptSelector> whole =
      ConceptSelector::Create(*model_, *tokenizer_, *sae_, kLayer, {"a bowl of fruit"}, config, retained);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole->NamedLatents(targets[0]), *whole->PromptLatents(targets[0].Text()));
  config.by_firing = true;
  config.name_span = true;
  EXPECT_FALSE(ConceptSelector::Create(*model_, *tokenizer_, *sae_, kLayer, {"x"}, config).ok());
}

TEST_F(ItdTest, GateSeparatesTargetsAndPassesOthersThroughBitExactly) {
  const auto targets = Templated({"tom cruise", "emma watson"});
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  const std::vector<int64_t> features =
      *SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, targets, retains, 8);
  const std::vector<std::string> neutral = {"a red car parked on a street", "a bowl of fruit on a table",
                                            "a mountain lake at sunrise",   "two dogs playing in the snow",
                                            "a portrait of brad pitt",      "a photo of taylor swift"};
  // The paper's score: deactivation raises the targets' score above their
  // plain reconstruction error (scale 1, the s = 1 "edit") on average. This tiny SAE's
  // reconstruction error varies between prompts as much as that jump, so the
  // paper score need not separate targets from neutral prompts here.
  const at::Tensor paper_targets = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, -8, targets);
  const at::Tensor recon_error = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, 1, targets);
  EXPECT_GT(paper_targets.mean().item<double>(), 1.2 * recon_error.mean().item<double>())
      << paper_targets << recon_error;
  // The concept score (only the features' share) separates them.
  const at::Tensor target_scores = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, -8, targets,
                                           clip::Padding::kToContext, ScoreMode::kConcept);
  const at::Tensor neutral_scores = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, -8, neutral,
                                            clip::Padding::kToContext, ScoreMode::kConcept);
  EXPECT_GT(target_scores.mean().item<double>(), neutral_scores.mean().item<double>());

  // The paper's τ flags every known target by construction.
  const double tau = PaperThreshold(target_scores);
  EXPECT_TRUE(target_scores.ge(tau).all().item<bool>());
  // Our τ: FPR on the neutral set at most 1/6.
  const FprThreshold ours = ThresholdForFpr(neutral_scores, target_scores, 1.0 / 6);
  EXPECT_LE(ours.fpr, 1.0 / 6 + 1e-12);
  EXPECT_GE(ours.tpr, 0.0);

  // Unflagged prompts come out bit-identical; flagged ones become the reconstruction.
  const at::Tensor h =
      sae::LayerActivations(*model_, *tokenizer_, {targets[0], neutral[0]}, kLayer)->view({2, -1, 256});
  const Deactivation none = Deactivate(*sae_, h, features, -8, 1e30);
  EXPECT_TRUE(at::equal(none.output, h));
  const Deactivation all = Deactivate(*sae_, h, features, -8, 0);
  EXPECT_TRUE(all.flagged.all().item<bool>());
  EXPECT_FALSE(at::equal(all.output[0], h[0]));
  // Scale 1 with no features is the plain reconstruction: its score is the SAE error.
  const Deactivation plain = Deactivate(*sae_, h, {}, 1, 0);
  EXPECT_LE(plain.scores[0].item<double>(), all.scores[0].item<double>());

  // Concept score: only the scaled features' share, 0 when none fires; it equals
  // mean (h' − ĥ)² with ĥ the plain reconstruction.
  EXPECT_EQ(Deactivate(*sae_, h, {}, -8, 0, ScoreMode::kConcept).scores.abs().max().item<double>(), 0.0);
  const Deactivation concept = Deactivate(*sae_, h, features, -8, 0, ScoreMode::kConcept);
  const Deactivation recon = Deactivate(*sae_, h, {}, 1, 0);
  EXPECT_TRUE(at::allclose(concept.scores, (all.output - recon.output).pow(2).mean({1, 2}), 1e-4, 1e-7));
  EXPECT_GT(concept.scores[0].item<double>(), 0);

  // As a layer hook: a prompt below τ gives the same encoder output bit for bit.
  const clip::TokenBatch batch = clip::TokenizeBatch(*tokenizer_, {neutral[0]}, clip::Padding::kToLongest);
  const std::vector<int64_t> ids(batch.ids[0].begin(), batch.ids[0].end());
  const at::Tensor input = at::tensor(ids, at::kLong).view({1, -1});
  const at::Tensor eos = at::tensor({static_cast<int64_t>(batch.eos_position[0])}, at::kLong);
  torch::NoGradGuard no_grad;
  const at::Tensor plain_out = (*model_)->forward(input, eos).last_hidden_state;
  const at::Tensor hooked_out =
      (*model_)
          ->forward(input, eos, {},
                    [&](int64_t layer, const at::Tensor& x) {
                      return layer == kLayer ? Deactivate(*sae_, x, features, -8, 1e30).output : x;
                    })
          .last_hidden_state;
  EXPECT_TRUE(at::equal(plain_out, hooked_out));
}

TEST_F(ItdTest, FilterAddsConceptsAtRunTimeAndEditsExactly) {
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  const auto cruise = Templated({"tom cruise"});
  ConceptRegistry registry;
  registry.layer = kLayer;
  registry.concepts["tom cruise"] =
      *SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, cruise, retains, 8);
  registry.tau =
      PaperThreshold(*Scores(*model_, *tokenizer_, *sae_, kLayer, registry.UnionFeatures(), -8, cruise));
  absl::StatusOr<ConceptFilter> filter = ConceptFilter::Create(*model_, tokenizer_, *sae_, registry);
  ASSERT_TRUE(filter.ok()) << filter.status();

  absl::StatusOr<FilterOutput> before =
      filter->Run({cruise[0], "a photo of emma watson", "a mountain lake at sunrise"});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->verdicts[0].flagged);
  EXPECT_EQ(before->verdicts[0].concepts, std::vector<std::string>{"tom cruise"});
  ASSERT_FALSE(before->verdicts[0].features.empty());
  EXPECT_EQ(before->last_hidden_state.sizes(), (std::vector<int64_t>{3, 77, 256}));

  // Unflagged prompts: the encoder's own output, bit for bit.
  const at::Tensor ids = before->input_ids;
  const at::Tensor eos = (ids == clip::kEndOfText).to(at::kInt).argmax(1);
  torch::NoGradGuard no_grad;
  const at::Tensor plain = (*model_)->forward(ids, eos).last_hidden_state;
  for (int64_t i = 0; i < 3; ++i) {
    if (!before->verdicts[i].flagged) EXPECT_TRUE(at::equal(before->last_hidden_state[i], plain[i])) << i;
  }
  EXPECT_FALSE(at::equal(before->last_hidden_state[0], plain[0]));

  // A flagged prompt's concept features come out scaled by s exactly:
  // h' − ĥ = (s − 1) Σ_{j∈F, t≥1} z_{t,j} d_j.
  const at::Tensor h =
      *sae::LayerActivations(*model_, *tokenizer_, {cruise[0]}, kLayer, clip::Padding::kToContext);
  const auto e = (*sae_)->Encode(h);
  const Deactivation edited = Deactivate(*sae_, h.unsqueeze(0), registry.UnionFeatures(), -8, 0);
  const at::Tensor recon = (*sae_)->Decode(e.values, e.indices);
  at::Tensor hit = at::isin(e.indices, at::tensor(registry.UnionFeatures(), at::kLong));
  hit[0].fill_(false);
  const at::Tensor expected =
      recon + (-8 - 1) * (*sae_)->Decode(e.values * hit, e.indices, /*add_bias=*/false);
  EXPECT_TRUE(at::allclose(edited.output[0], expected, 1e-4, 1e-4));
  EXPECT_GT(hit.sum().item<int64_t>(), 0);

  // Adding a concept to the running filter: no retraining, τ kept at the smaller value.
  // The second concept: the first of a few names with features of its own
  // under this small test SAE.
  std::vector<std::string> watson;
  std::vector<int64_t> watson_features;
  for (const char* name :
       {"emma watson", "lady gaga", "morgan freeman", "scarlett johansson", "will smith"}) {
    watson = Templated({name});
    watson_features = *SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, watson, retains, 8);
    if (!watson_features.empty()) break;
  }
  ASSERT_FALSE(watson_features.empty());
  filter->registry().concepts["emma watson"] = watson_features;
  const double watson_tau = PaperThreshold(
      *Scores(*model_, *tokenizer_, *sae_, kLayer, filter->registry().UnionFeatures(), -8, watson));
  filter->registry().tau = std::min(filter->registry().tau, watson_tau);
  absl::StatusOr<FilterOutput> after = filter->Run(watson);
  ASSERT_TRUE(after.ok());
  bool named = false;
  for (const Verdict& v : after->verdicts) {
    EXPECT_TRUE(v.flagged);  // τ is the paper's: every known target prompt
    named |= std::find(v.concepts.begin(), v.concepts.end(), "emma watson") != v.concepts.end();
  }
  EXPECT_TRUE(named);
  // And removing it again.
  filter->registry().concepts.erase("emma watson");
  EXPECT_EQ(filter->registry().UnionFeatures(), registry.UnionFeatures());

  EXPECT_FALSE(filter->RunIds(at::zeros({1, 100}, at::kLong)).ok());  // longer than the context
  ConceptRegistry bad = registry;
  bad.layer = 9;
  EXPECT_FALSE(ConceptFilter::Create(*model_, tokenizer_, *sae_, bad).ok());
  bad.layer = kLayer;
  bad.concepts["x"] = {100000};
  EXPECT_FALSE(ConceptFilter::Create(*model_, tokenizer_, *sae_, bad).ok());
}

TEST_F(ItdTest, InterpretationFindsTheConceptsPrompts) {
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  const auto cruise = Templated({"tom cruise"});
  const std::vector<int64_t> features =
      *SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, cruise, retains, 8);
  std::vector<std::string> corpus = retains;
  corpus.insert(corpus.end(), cruise.begin(), cruise.end());
  corpus.push_back("a bowl of fruit on a table");
  absl::StatusOr<std::vector<FeatureExamples>> examples =
      InterpretFeatures(*model_, *tokenizer_, *sae_, kLayer, features, corpus, 3);
  ASSERT_TRUE(examples.ok()) << examples.status();
  ASSERT_EQ(examples->size(), features.size());
  // Every concept feature fires on some tom cruise prompt; the top prompt of
  // at least one feature is one.
  bool any_top = false;
  for (const FeatureExamples& e : *examples) {
    ASSERT_FALSE(e.prompts.empty()) << e.feature;
    EXPECT_LE(e.prompts.size(), 3u);
    any_top |= e.prompts[0].first.find("tom cruise") != std::string::npos;
  }
  EXPECT_TRUE(any_top);
  EXPECT_FALSE(InterpretFeatures(*model_, *tokenizer_, *sae_, kLayer, {1 << 20}, corpus, 3).ok());
}

TEST_F(ItdTest, EvaluationOnATinyConfig) {
  EvalConfig config;
  config.layer = kLayer;
  config.selection.k = 8;
  config.concept_counts = {1, 2};
  config.main_count = 2;
  config.retained = 4;
  config.neutral_per_half = 20;
  config.retain_neutral = 10;
  config.attack_prompts = 1;
  config.attack_rounds = 2;
  config.attack_candidates = 4;
  config.token_attack_prompts = 1;
  config.token_search.steps = 3;
  config.token_search.batch = 8;
  config.token_search.length = 4;
  absl::StatusOr<EvalReport> report = EvaluateItd(*model_, *tokenizer_, *sae_, {Family::kCelebrity}, config);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows.size(), 4u);  // 2 counts × 2 τ modes
  for (const EvalRow& r : report->rows) {
    for (double v : {r.tpr_selection, r.tpr_heldout, r.fpr_retained, r.fpr_neutral, r.evade_misspell,
                     r.evade_insert, r.evade_paraphrase}) {
      EXPECT_GE(v, 0);
      EXPECT_LE(v, 1);
    }
    if (r.tau_mode == "paper") EXPECT_EQ(r.tpr_selection, 1.0);  // by construction
  }
  ASSERT_EQ(report->attacks.size(), 3u);  // greedy, mma, ring-a-bell
  EXPECT_EQ(report->attacks[1].method, "mma");
  EXPECT_EQ(report->attacks[2].method, "ring-a-bell");
  for (const AttackReport& a : report->attacks) {
    EXPECT_LE(a.succeeded, a.evaded) << a.method;
    EXPECT_LE(a.evaded, a.attacked) << a.method;
    EXPECT_GE(a.probe_baseline, 0) << a.method;
    EXPECT_LE(a.probe_baseline, 1) << a.method;
    EXPECT_EQ(a.probe_baseline, report->attacks[0].probe_baseline);  // one baseline per family
  }
  EXPECT_EQ(report->attacks[1].attacked, 1);
  EXPECT_NE(AttackTsv(*report).find("celebrity\tring-a-bell\t1\t"), std::string::npos);
  EXPECT_NE(EvalRowsTsv(*report).find("celebrity\t2\t"), std::string::npos);
  EXPECT_NE(ScalingPlotSvg(*report).find("<svg"), std::string::npos);
  // Erasure depth: a row per count and τ mode; the un-gated probe tells the
  // 2 + 4 names apart far above chance (1/6) on held-out templates.
  ASSERT_EQ(report->erasure.size(), 4u);
  for (const ErasureRow& e : report->erasure) {
    for (double v : {e.target_recovered_before, e.target_recovered_after, e.retained_recovered_before,
                     e.retained_recovered_after, e.h_o}) {
      EXPECT_GE(v, 0);
      EXPECT_LE(v, 1);
    }
    EXPECT_GT(e.retained_recovered_before, 0.5) << e.concepts;
    EXPECT_DOUBLE_EQ(e.h_o, HarmonicOverall(e.target_recovered_after, e.retained_recovered_after));
  }
  EXPECT_NE(ErasureTsv(*report).find("celebrity\t1\tpaper\t"), std::string::npos);
}

TEST(ErasureTest, HarmonicOverallIsTheHarmonicMeanOfErasedAndKept) {
  EXPECT_DOUBLE_EQ(HarmonicOverall(0, 1), 1);  // every target gone, every retained name kept
  EXPECT_DOUBLE_EQ(HarmonicOverall(1, 1), 0);  // nothing erased
  EXPECT_DOUBLE_EQ(HarmonicOverall(0, 0), 0);  // everything erased, retained names too
  EXPECT_DOUBLE_EQ(HarmonicOverall(0.5, 0.5), 0.5);
  EXPECT_NEAR(HarmonicOverall(0.2, 0.6), 2 * 0.8 * 0.6 / 1.4, 1e-12);
}

sae::SaeConfig TinySae() {
  sae::SaeConfig c;
  c.d_model = 16;
  c.n_latents = 64;
  c.k = 8;
  return c;
}

// A prompt on which only 3 latents fire (all others have a large negative
// latent bias): Top_K with K = 10 must not pad with zero-activation latents.
TEST(TopLatentsTest, OnlyPositiveLatentsAreCandidates) {
  torch::manual_seed(0);
  sae::TopKSae sae(TinySae());
  const std::vector<int64_t> live = {5, 17, 40};
  {
    torch::NoGradGuard no_grad;
    sae->b_lat.fill_(-100);
    for (int64_t j : live) sae->b_lat[j] = 100;
  }
  const at::Tensor h = torch::randn({6, 16});
  std::vector<int64_t> top = TopLatents(sae, h, 10);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, live);
  EXPECT_TRUE(TopLatents(sae, h.slice(0, 0, 1), 10).empty());  // BOS only: nothing to select
}

// The gate's one-pass CPU path (itd.cc) against the spec's formulas written
// with tensor ops: same verdicts, scores and flagged outputs within 1e-5,
// unflagged prompts bit for bit.
TEST(DeactivateTest, FusedGateEqualsTheFormulas) {
  torch::manual_seed(2);
  sae::TopKSae sae(TinySae());
  {
    torch::NoGradGuard no_grad;
    sae->b_pre.normal_();
    sae->b_lat.normal_(0, 0.3);
  }
  const int64_t b = 6, t = 7, d = 16;
  const at::Tensor h = torch::randn({b, t, d});
  const std::vector<int64_t> features = {1, 3, 8, 13, 21, 34, 55};
  torch::NoGradGuard no_grad;
  const auto e = sae->Encode(h.reshape({b * t, d}));
  const at::Tensor values = e.values.view({b, t, -1}), indices = e.indices.view({b, t, -1});
  at::Tensor hit = at::isin(indices, at::tensor(features, at::kLong));
  hit.select(1, 0).fill_(false);
  const at::Tensor scaled = at::where(hit, values * -8, values);
  const at::Tensor modified =
      sae->Decode(scaled.reshape({b * t, -1}), indices.reshape({b * t, -1})).view({b, t, d});
  const at::Tensor delta = sae->Decode((scaled - values).reshape({b * t, -1}), indices.reshape({b * t, -1}),
                                       /*add_bias=*/false)
                               .view({b, t, d});
  for (ScoreMode mode : {ScoreMode::kPaper, ScoreMode::kConcept}) {
    const at::Tensor want_scores = (mode == ScoreMode::kPaper ? modified - h : delta).pow(2).mean({1, 2});
    // τ at the median score: some prompts flagged, some not.
    const double tau = std::get<0>(want_scores.sort()).select(0, b / 2).item<double>();
    const Deactivation got = Deactivate(sae, h, features, -8, tau, mode);
    ASSERT_TRUE(at::allclose(got.scores, want_scores, 1e-5, 1e-7)) << ScoreModeName(mode);
    ASSERT_TRUE(at::equal(got.flagged, want_scores >= tau)) << ScoreModeName(mode);
    ASSERT_GT(got.flagged.sum().item<int64_t>(), 0);
    ASSERT_LT(got.flagged.sum().item<int64_t>(), b);
    for (int64_t i = 0; i < b; ++i) {
      if (got.flagged[i].item<bool>()) {
        EXPECT_TRUE(at::allclose(got.output[i], modified[i], 1e-5, 1e-5)) << i;
      } else {
        EXPECT_TRUE(at::equal(got.output[i], h[i])) << i;
      }
    }
  }
  // No concept feature among the codes: concept score 0, nothing flagged at τ > 0.
  const Deactivation none = Deactivate(sae, h, {}, -8, 1e-9, ScoreMode::kConcept);
  EXPECT_EQ(none.scores.abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(none.output, h));
}

TEST(ConceptRegistryTest, JsonRoundTripAndUnion) {
  ConceptRegistry r;
  r.tau = 0.25;
  r.concepts["tom cruise"] = {5, 9, 2};
  r.concepts["van gogh"] = {9, 11};
  r.score = ScoreMode::kConcept;
  absl::StatusOr<ConceptRegistry> back = ConceptRegistry::FromJson(r.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->concepts, r.concepts);
  EXPECT_EQ(back->score, ScoreMode::kConcept);
  EXPECT_FALSE(
      ConceptRegistry::FromJson(R"({"layer": 1, "scale": -8, "tau": 0, "score": "max", "concepts": {}})")
          .ok());
  EXPECT_EQ(back->UnionFeatures(), (std::vector<int64_t>{2, 5, 9, 11}));
  back->concepts.erase("van gogh");  // removing a concept needs no retraining
  EXPECT_EQ(back->UnionFeatures(), (std::vector<int64_t>{2, 5, 9}));
  EXPECT_FALSE(ConceptRegistry::FromJson("{").ok());
  EXPECT_FALSE(
      ConceptRegistry::FromJson(R"({"layer": 1, "scale": -8, "tau": 0, "concepts": {"a": [-1]}})").ok());
}

}  // namespace
}  // namespace warden::itd
