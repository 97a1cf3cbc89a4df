#include "components/report/report_core.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace warden::report {
namespace {

TEST(ParseTsvTest, ReadsHeaderAndRows) {
  std::string error;
  std::optional<Tsv> tsv = ParseTsv("a\tb\r\n1\t2\n\n3\t4", &error);
  ASSERT_TRUE(tsv.has_value()) << error;
  EXPECT_EQ(tsv->header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(tsv->rows.size(), 2u);
  EXPECT_EQ(tsv->rows[1], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(tsv->Column("b"), 1);
  EXPECT_EQ(tsv->Column("c"), -1);
}

TEST(ParseTsvTest, RejectsRaggedRowsAndEmptyText) {
  std::string error;
  EXPECT_FALSE(ParseTsv("a\tb\n1\t2\n3\n", &error).has_value());
  EXPECT_EQ(error, "line 3 has 1 cells, the header 2");
  EXPECT_FALSE(ParseTsv("\n\n", &error).has_value());
  EXPECT_EQ(error, "no header line");
}

TEST(ParseNumberTest, WholeCellOnly) {
  EXPECT_EQ(ParseNumber("0.25"), 0.25);
  EXPECT_EQ(ParseNumber("-3e2"), -300.0);
  EXPECT_FALSE(ParseNumber("").has_value());
  EXPECT_FALSE(ParseNumber("0.25x").has_value());
  EXPECT_FALSE(ParseNumber("ok").has_value());
}

TEST(FormatNumberTest, DigitsAndSpecialValues) {
  EXPECT_EQ(FormatNumber(0.98765, 3), "0.988");
  EXPECT_EQ(FormatNumber(-0.0001, 2), "0.00");
  EXPECT_EQ(FormatNumber(std::nan(""), 2), "nan");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity(), 2), "-inf");
}

Report SampleReport() {
  Report report;
  report.title = "Reproduction";
  report.preset = "fast";
  report.command = "warden reproduce --preset=fast";
  report.machine = {{"cores", "2"}};
  Section good;
  good.id = "smoothing";
  good.title = "Randomized smoothing";
  good.paper = "Cohen et al., ICML 2019";
  good.steps.push_back({"warden smooth certify --n=100", "smoothing/certify.txt", 1.5, true, ""});
  good.comparisons.push_back({"radius cap a|b", "0.80", "0.80", Verdict::kReproduces, ""});
  good.comparisons.push_back({"clean accuracy", "-", "0.99", Verdict::kNotComparable, "MNIST"});
  good.tables.push_back({"accuracy", {"r", "acc"}, {{"0.5", "0.94"}}});
  good.figures.push_back({"smoothing/certify.svg", "certified accuracy"});
  good.reading.push_back("The cap <holds>.");
  good.setup = "`smooth certify` at n = 100, one ` alone";
  Section bad;
  bad.id = "reaas";
  bad.title = "REaaS";
  bad.steps.push_back({"warden reaas train", "reaas/train.txt", 0.2, false, "exit status 2"});
  bad.failure = "a step failed";
  report.sections = {good, bad};
  report.seconds = 1.7;
  return report;
}

TEST(RenderTest, MarkdownHasEverySectionTableAndCommand) {
  const std::string md = RenderMarkdown(SampleReport());
  EXPECT_NE(md.find("# Reproduction"), std::string::npos);
  EXPECT_NE(md.find("1 section(s) FAILED"), std::string::npos);
  EXPECT_NE(
      md.find("| [Randomized smoothing](#smoothing) | ok | 1.5 s | 1 reproduce, 0 do not, 1 ours only |"),
      std::string::npos);
  EXPECT_NE(md.find("| radius cap a\\|b | 0.80 | 0.80 | reproduces |"), std::string::npos);
  EXPECT_NE(md.find("![certified accuracy](smoothing/certify.svg)"), std::string::npos);
  EXPECT_NE(md.find("- `warden reaas train` — 0.2 s, FAILED: exit status 2 ([output](reaas/train.txt))"),
            std::string::npos);
  EXPECT_NE(md.find("| [REaaS](#reaas) | FAILED (1 step) |"), std::string::npos);
}

TEST(RenderTest, HtmlEscapesTextAndMarksFailures) {
  const std::string html = RenderHtml(SampleReport());
  EXPECT_NE(html.find("<section id=\"smoothing\">"), std::string::npos);
  EXPECT_NE(html.find("The cap &lt;holds&gt;."), std::string::npos);
  EXPECT_EQ(html.find("<holds>"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"smoothing/certify.svg\""), std::string::npos);
  EXPECT_NE(html.find("class=\"bad\">FAILED (1 step)"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"verdict-reproduces\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.94</td>"), std::string::npos);
  EXPECT_NE(html.find("<p><code>smooth certify</code> at n = 100, one ` alone</p>"), std::string::npos);
  // The machine table has no header row.
  EXPECT_NE(html.find("<caption>Machine</caption><tbody>"), std::string::npos);
}

}  // namespace
}  // namespace warden::report
