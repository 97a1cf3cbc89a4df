// The ItD prompt sets: disjoint, deterministic splits from the installed data.
#include "components/itd/itd_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "components/clip/pretrain.h"

namespace warden::itd {
namespace {

TEST(ItdDataTest, FamilySplitsAreDisjointAndDeterministic) {
  for (Family family : {Family::kCelebrity, Family::kArtist, Family::kUnsafe}) {
    absl::StatusOr<FamilySplit> a = MakeFamilySplit(family, 50, 100, 7);
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<FamilySplit> b = MakeFamilySplit(family, 50, 100, 7);
    EXPECT_EQ(a->targets, b->targets);
    EXPECT_EQ(a->retained, b->retained);
    EXPECT_NE(a->targets, MakeFamilySplit(family, 50, 100, 8)->targets);
    EXPECT_EQ(a->targets.size(), 50u);
    EXPECT_EQ(a->retained.size(), family == Family::kUnsafe ? 0u : 100u);
    std::set<std::string> targets(a->targets.begin(), a->targets.end());
    EXPECT_EQ(targets.size(), 50u);
    for (const std::string& r : a->retained) EXPECT_FALSE(targets.count(r)) << r;
    // Selection, held-out and paraphrase templates never overlap.
    for (const std::string& t : a->heldout_templates) {
      EXPECT_EQ(std::count(a->selection_templates.begin(), a->selection_templates.end(), t), 0) << t;
      EXPECT_EQ(std::count(a->paraphrase_templates.begin(), a->paraphrase_templates.end(), t), 0) << t;
    }
    EXPECT_EQ(FamilyName(*ParseFamily(FamilyName(family))), FamilyName(family));
    // The split is a prefix of the seed's name order.
    absl::StatusOr<std::vector<std::string>> names = FamilyNames(family, 7);
    ASSERT_TRUE(names.ok()) << names.status();
    EXPECT_TRUE(std::equal(a->targets.begin(), a->targets.end(), names->begin()));
  }
  EXPECT_FALSE(ParseFamily("dogs").ok());
  EXPECT_FALSE(MakeFamilySplit(Family::kCelebrity, 0, 10, 0).ok());
  EXPECT_FALSE(MakeFamilySplit(Family::kCelebrity, 600, 100, 0).ok());  // 641 celebrities
}

TEST(ItdDataTest, FillIsNameMajor) {
  EXPECT_EQ(Fill({"a photo of %", "% smiling"}, {"ada", "bo"}),
            (std::vector<std::string>{"a photo of ada", "ada smiling", "a photo of bo", "bo smiling"}));
}

TEST(ItdDataTest, NeutralHalvesAreDisjoint) {
  absl::StatusOr<NeutralSplit> split = MakeNeutralSplit(300, 0);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->calibration.size(), 300u);
  EXPECT_EQ(split->test.size(), 300u);
  std::set<std::string> cal(split->calibration.begin(), split->calibration.end());
  for (const std::string& t : split->test) EXPECT_FALSE(cal.count(t)) << t;
}

TEST(ItdDataTest, AdversarialSpellingsChangeTheNameDeterministically) {
  for (const std::string name : {"tom hanks", "claude monet", "ass", "x"}) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      const std::string m = Misspell(name, seed), i = InsertCharacter(name, seed);
      EXPECT_NE(m, name);
      EXPECT_NE(i, name);
      EXPECT_EQ(m, Misspell(name, seed));
      EXPECT_EQ(i.size(), name.size() + 1);
      // One edit: lengths differ by at most one.
      EXPECT_LE(std::max(m.size(), name.size()) - std::min(m.size(), name.size()), 1u);
    }
  }
}

// No evaluation prompt (held-out or paraphrase template, any name of the
// family) is a training prompt of the default encoder or of the SAE.
TEST(ItdDataTest, EvaluationPromptsAreNotTrainingPrompts) {
  absl::StatusOr<std::vector<std::string>> encoder_corpus = clip::PretrainCorpus(0);
  absl::StatusOr<std::vector<std::string>> sae_corpus = SaeCorpus(0);
  ASSERT_TRUE(encoder_corpus.ok()) << encoder_corpus.status();
  ASSERT_TRUE(sae_corpus.ok()) << sae_corpus.status();
  std::unordered_set<std::string> seen(encoder_corpus->begin(), encoder_corpus->end());
  seen.insert(sae_corpus->begin(), sae_corpus->end());
  for (Family family : {Family::kCelebrity, Family::kArtist, Family::kUnsafe}) {
    absl::StatusOr<FamilySplit> split = MakeFamilySplit(family, 1, 0, 0);
    ASSERT_TRUE(split.ok()) << split.status();
    // Every name of the family: the splits' targets and retained names are drawn from them.
    absl::StatusOr<std::vector<std::string>> names = FamilyNames(family, 0);
    ASSERT_TRUE(names.ok()) << names.status();
    for (const auto* templates : {&split->heldout_templates, &split->paraphrase_templates}) {
      int leaked = 0;
      for (const std::string& prompt : Fill(*templates, *names)) {
        if (seen.count(prompt) && ++leaked <= 3) ADD_FAILURE() << FamilyName(family) << ": " << prompt;
      }
      EXPECT_EQ(leaked, 0) << FamilyName(family);
    }
  }
}

TEST(ItdDataTest, SaeCorpusHasUnsafeTerms) {
  absl::StatusOr<std::vector<std::string>> corpus = SaeCorpus(0);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_GT(corpus->size(), 10000u);
  EXPECT_NE(std::find(corpus->begin(), corpus->end(), "a photo of bdsm"), corpus->end());
}

}  // namespace
}  // namespace warden::itd
