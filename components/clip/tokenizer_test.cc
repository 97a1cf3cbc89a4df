#include "components/clip/tokenizer.h"

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "components/clip/unicode.h"
#include "components/clip/vocab.h"

namespace warden::clip {
namespace {

using ::testing::ElementsAre;

const ClipTokenizer& Tokenizer() {
  static const ClipTokenizer* tokenizer = [] {
    absl::StatusOr<std::unique_ptr<ClipTokenizer>> t = LoadClipTokenizer();
    if (!t.ok()) {
      ADD_FAILURE() << t.status();
      std::abort();
    }
    return t->release();
  }();
  return *tokenizer;
}

TEST(ClipTokenizerTest, KnownIds) {
  EXPECT_THAT(Tokenizer().EncodeWithMarkers("a photo of"), ElementsAre(49406, 320, 1125, 539, 49407));
  EXPECT_THAT(Tokenizer().Encode("hello"), ElementsAre(3306));
  EXPECT_EQ(Tokenizer().vocab_size(), 49408);
  EXPECT_EQ(Tokenizer().TokenText(320), "a</w>");
  EXPECT_EQ(Tokenizer().TokenText(kEndOfText), "<|endoftext|>");
}

// 1,432 prompts against the Python reference (testdata/make_tokenizer_reference.py).
TEST(ClipTokenizerTest, MatchesReferenceOnMixedCorpus) {
  std::ifstream in("components/clip/testdata/tokenizer_reference.jsonl");
  ASSERT_TRUE(in) << "reference file missing";
  std::string line;
  int checked = 0, mismatched = 0;
  while (std::getline(in, line)) {
    const nlohmann::json row = nlohmann::json::parse(line);
    const std::string text = row["text"];
    const std::vector<int> want = row["ids"];
    const std::vector<int> got = Tokenizer().Encode(text);
    // Stable: decoding and re-encoding gives the same ids (special tokens, which
    // decode drops, aside).
    if (text.find("<|") == std::string::npos) {
      EXPECT_EQ(Tokenizer().Encode(Tokenizer().Decode(got)), got) << "unstable: " << text;
    }
    if (got != want && ++mismatched <= 10) {
      ADD_FAILURE() << "text: " << text << "\n got: " << ::testing::PrintToString(got)
                    << "\nwant: " << ::testing::PrintToString(want);
    }
    ++checked;
  }
  EXPECT_GE(checked, 1000);
  EXPECT_EQ(mismatched, 0);
}

TEST(ClipTokenizerTest, DecodeRoundTripsWhereClipDoes) {
  for (const char* text : {"a photo of an astronaut riding a horse", "don't stop believing",
                           "crème brûlée 3.14", "漢字 😀", "c++ && python"}) {
    const std::string decoded = Tokenizer().Decode(Tokenizer().Encode(text));
    // CLIP decodes every word end as a space: compare without the spaces.
    std::string a, b;
    for (char c : decoded) if (c != ' ') a += c;
    for (char c : EncodeUtf8(ToLower(DecodeUtf8(text)))) if (c != ' ') b += c;
    EXPECT_EQ(a, b) << text;
  }
  EXPECT_EQ(Tokenizer().Decode({49406, 320, 1125, 539, 49407}), "a photo of ");
  EXPECT_EQ(Tokenizer().Decode({-5, 999999}), "");  // unknown ids are skipped
}

TEST(ClipTokenizerTest, InvalidUtf8IsDefinedNotFatal) {
  static constexpr char kBad[] = "ok \xff\xfe \xe2\x82 end \xc0\xaf";
  const std::string bad(kBad, sizeof(kBad) - 1);
  const std::vector<int> ids = Tokenizer().Encode(bad);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(Tokenizer().Encode(bad), ids);  // deterministic
  // Each invalid byte reads as U+FFFD, exactly like a literal U+FFFD.
  EXPECT_EQ(Tokenizer().Encode("\xff"), Tokenizer().Encode("\xef\xbf\xbd"));
}

TEST(ClipTokenizerTest, TruncationAndPadding) {
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";
  const std::vector<int> ids = Tokenizer().EncodeWithMarkers(long_text);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), kStartOfText);
  EXPECT_EQ(ids.back(), kEndOfText);

  TokenBatch sd = TokenizeBatch(Tokenizer(), {"a photo of", "hello"}, Padding::kToContext);
  ASSERT_EQ(sd.ids[0].size(), 77u);
  EXPECT_EQ(sd.ids[0][5], kEndOfText);  // padded with EOS
  EXPECT_THAT(sd.eos_position, ElementsAre(4, 2));
  EXPECT_EQ(sd.attention_mask[1][2], 1);
  EXPECT_EQ(sd.attention_mask[1][3], 0);

  TokenBatch itd = TokenizeBatch(Tokenizer(), {"a photo of", "hello"}, Padding::kToLongest);
  EXPECT_EQ(itd.ids[0].size(), 5u);
  EXPECT_THAT(itd.ids[1], ElementsAre(49406, 3306, 49407, 49407, 49407));
}

TEST(HtmlUnescapeTest, FollowsPythonsRules) {
  EXPECT_EQ(HtmlUnescape("Tom &amp; Jerry"), "Tom & Jerry");
  EXPECT_EQ(HtmlUnescape("&ampx; &AMP; &notit; &#39;&#x41;&#65"), "&x; & \xC2\xACit; 'AA");
  EXPECT_EQ(HtmlUnescape("&#0;|&#128;|&#xD800;|&#1;"), "\xEF\xBF\xBD|\xE2\x82\xAC|\xEF\xBF\xBD|");
  EXPECT_EQ(HtmlUnescape("& &# &#x; &;"), "& &# &#x; &;");
}

TEST(ClipTokenizerTest, MalformedMergesAreRejected) {
  std::string error;
  EXPECT_EQ(ClipTokenizer::FromMerges("", &error), nullptr);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(ClipTokenizer::FromMerges("header\na b\nbad-line\n", &error), nullptr);
  EXPECT_THAT(error, ::testing::HasSubstr("line 3"));
  EXPECT_FALSE(LoadClipTokenizer("/nonexistent.txt.gz").ok());
}

}  // namespace
}  // namespace warden::clip
