// The reproduction report (`warden reproduce`): one document per run, with a
// section per paper, rendered as Markdown (report.md) and as a self-contained
// HTML page (index.html) whose figures are the SVGs beside it.
//
// Portable core: C++17 std only. It knows nothing of the experiments; the
// CLI's reproduce verb runs them and fills a Report (tools/cli/commands/
// reproduce.cc). Also here: the TSV reader the verb uses on the experiments'
// outputs, and number formatting that every cell of the report shares.
#ifndef WARDEN_COMPONENTS_REPORT_REPORT_CORE_H_
#define WARDEN_COMPONENTS_REPORT_REPORT_CORE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace warden::report {

// How one of our numbers stands against the paper's (or against the claim the
// paper makes, where it gives an ordering rather than a number).
enum class Verdict {
  kReproduces,     // the same number within the stated tolerance, or the claim holds
  kDiffers,        // measured the same thing, and it does not hold
  kNotComparable,  // our number only: the paper's figure is not on a comparable setup
};

// "reproduces", "does not reproduce", "ours only".
const char* VerdictName(Verdict verdict);

struct Comparison {
  std::string quantity;  // what is measured, e.g. "certified accuracy at r = 0.5"
  std::string paper;     // the paper's figure or claim, with where it is from
  std::string ours;      // our number(s), formatted
  Verdict verdict = Verdict::kNotComparable;
  std::string note;  // why, in a few words (scale, data set, what differs)
};

struct Table {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct Figure {
  std::string path;  // relative to the report's directory
  std::string caption;
};

// One command the section ran, as a user would type it.
struct Step {
  std::string command;
  std::string output;  // its captured stdout, relative to the report's directory
  double seconds = 0;
  bool ok = false;
  std::string error;  // why it failed (exit status, a file it did not write)
};

struct Section {
  std::string id;     // anchor and output folder, e.g. "smoothing"
  std::string title;  // e.g. "Randomized smoothing"
  std::string paper;  // citation
  std::string setup;  // what this preset runs, in one paragraph
  std::vector<Step> steps;
  std::vector<Comparison> comparisons;
  std::vector<Table> tables;
  std::vector<Figure> figures;
  std::vector<std::string> reading;  // plain sentences: what reproduces and what does not
  std::string failure;               // empty unless the section could not finish

  bool ok() const;
  double seconds() const;
};

struct Report {
  std::string title;
  std::string preset;
  std::string command;                                       // the reproduce command line
  std::vector<std::pair<std::string, std::string>> machine;  // key, value: host, cores, versions, commit
  std::vector<Section> sections;
  double seconds = 0;

  int failed_sections() const;
};

std::string RenderMarkdown(const Report& report);
std::string RenderHtml(const Report& report);

// `value` with `digits` decimals; NaN and infinities as "nan", "inf", "-inf".
std::string FormatNumber(double value, int digits);

// A tab-separated table with a header line. Cells are not unquoted.
struct Tsv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // The column named `name`, or -1.
  int Column(const std::string& name) const;
};

// Parses `text` (lines end in \n; a final line without one is kept; a trailing
// \r is dropped). Every row must have the header's width; on error returns
// nullopt and says which line in *error.
std::optional<Tsv> ParseTsv(const std::string& text, std::string* error);

// The number a cell holds (strtod over the whole cell), or nullopt.
std::optional<double> ParseNumber(const std::string& cell);

}  // namespace warden::report

#endif  // WARDEN_COMPONENTS_REPORT_REPORT_CORE_H_
