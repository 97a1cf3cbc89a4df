#include "components/report/report_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "components/plot/svg_plot.h"

namespace warden::report {
namespace {

// A Markdown table cell: one line, pipes escaped.
std::string MdCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? " " : out;
}

std::string Html(const std::string& text) { return plot::EscapeXml(text); }

// Escaped text whose `code spans` become <code>; an unpaired backtick stays.
std::string Prose(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('`', at);
    const size_t close = open == std::string::npos ? std::string::npos : text.find('`', open + 1);
    if (close == std::string::npos) {
      out += Html(text.substr(at));
      break;
    }
    out += Html(text.substr(at, open - at)) + "<code>" + Html(text.substr(open + 1, close - open - 1)) +
           "</code>";
    at = close + 1;
  }
  return out;
}

std::string Seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, s < 10 ? "%.1f s" : "%.0f s", s);
  return buffer;
}

void MdTable(std::ostringstream& md, const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows) {
  md << '|';
  for (const std::string& h : header) md << ' ' << MdCell(h) << " |";
  md << "\n|";
  for (size_t i = 0; i < header.size(); ++i) md << " --- |";
  md << '\n';
  for (const auto& row : rows) {
    md << '|';
    for (const std::string& cell : row) md << ' ' << MdCell(cell) << " |";
    md << '\n';
  }
  md << '\n';
}

void HtmlTable(std::ostringstream& html, const std::string& caption, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows, const std::string& css_class = "") {
  html << "<table" << (css_class.empty() ? "" : " class=\"" + css_class + "\"") << ">";
  if (!caption.empty()) html << "<caption>" << Html(caption) << "</caption>";
  if (std::any_of(header.begin(), header.end(), [](const std::string& h) { return !h.empty(); })) {
    html << "<thead><tr>";
    for (const std::string& h : header) html << "<th>" << Html(h) << "</th>";
    html << "</tr></thead>";
  }
  html << "<tbody>\n";
  for (const auto& row : rows) {
    html << "<tr>";
    for (const std::string& cell : row) {
      const bool numeric = ParseNumber(cell).has_value();
      html << (numeric ? "<td class=\"num\">" : "<td>") << Html(cell) << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</tbody></table>\n";
}

std::vector<std::vector<std::string>> ComparisonRows(const Section& section) {
  std::vector<std::vector<std::string>> rows;
  for (const Comparison& c : section.comparisons) {
    rows.push_back({c.quantity, c.paper, c.ours, VerdictName(c.verdict), c.note});
  }
  return rows;
}

const std::vector<std::string> kComparisonHeader = {"quantity", "paper", "ours", "verdict", "note"};

// "3 reproduce, 1 does not, 2 ours only".
std::string VerdictSummary(const Section& section) {
  int counts[3] = {0, 0, 0};
  for (const Comparison& c : section.comparisons) ++counts[static_cast<int>(c.verdict)];
  std::ostringstream out;
  out << counts[0] << " reproduce, " << counts[1] << " do not, " << counts[2] << " ours only";
  return out.str();
}

std::string Status(const Section& section) {
  if (section.ok()) return "ok";
  int failed = 0;
  for (const Step& step : section.steps) failed += step.ok ? 0 : 1;
  return failed > 0 ? "FAILED (" + std::to_string(failed) + " step" + (failed > 1 ? "s" : "") + ")"
                    : "FAILED";
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kReproduces:
      return "reproduces";
    case Verdict::kDiffers:
      return "does not reproduce";
    case Verdict::kNotComparable:
      return "ours only";
  }
  return "?";
}

bool Section::ok() const {
  if (!failure.empty()) return false;
  for (const Step& step : steps) {
    if (!step.ok) return false;
  }
  return true;
}

double Section::seconds() const {
  double total = 0;
  for (const Step& step : steps) total += step.seconds;
  return total;
}

int Report::failed_sections() const {
  int failed = 0;
  for (const Section& s : sections) failed += s.ok() ? 0 : 1;
  return failed;
}

std::string FormatNumber(double value, int digits) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  std::string out = buffer;
  if (out.find_first_not_of("-0.") == std::string::npos && out[0] == '-') out.erase(0, 1);  // no "-0.00"
  return out;
}

int Tsv::Column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::optional<Tsv> ParseTsv(const std::string& text, std::string* error) {
  Tsv tsv;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    size_t from = 0;
    while (true) {
      const size_t tab = line.find('\t', from);
      cells.push_back(line.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
      if (tab == std::string::npos) break;
      from = tab + 1;
    }
    if (tsv.header.empty()) {
      tsv.header = std::move(cells);
      continue;
    }
    if (cells.size() != tsv.header.size()) {
      if (error != nullptr) {
        *error = "line " + std::to_string(line_number) + " has " + std::to_string(cells.size()) +
                 " cells, the header " + std::to_string(tsv.header.size());
      }
      return std::nullopt;
    }
    tsv.rows.push_back(std::move(cells));
  }
  if (tsv.header.empty()) {
    if (error != nullptr) *error = "no header line";
    return std::nullopt;
  }
  return tsv;
}

std::optional<double> ParseNumber(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  const char* begin = cell.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end != begin + cell.size()) return std::nullopt;
  return value;
}

std::string RenderMarkdown(const Report& report) {
  std::ostringstream md;
  md << "# " << report.title << "\n\n";
  md << "Preset **" << report.preset << "**, " << Seconds(report.seconds) << " in all; "
     << (report.failed_sections() == 0 ? "every section ran"
                                       : std::to_string(report.failed_sections()) + " section(s) FAILED")
     << ".\n\n```\n"
     << report.command << "\n```\n\n";
  MdTable(md, {"machine", ""}, [&] {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, value] : report.machine) rows.push_back({key, value});
    return rows;
  }());
  std::vector<std::vector<std::string>> summary;
  for (const Section& s : report.sections) {
    summary.push_back(
        {"[" + s.title + "](#" + s.id + ")", Status(s), Seconds(s.seconds()), VerdictSummary(s)});
  }
  MdTable(md, {"paper", "status", "time", "against the paper"}, summary);

  for (const Section& s : report.sections) {
    md << "<a id=\"" << s.id << "\"></a>\n\n## " << s.title << "\n\n";
    md << "*" << s.paper << "*\n\n";
    if (!s.setup.empty()) md << s.setup << "\n\n";
    if (!s.ok()) {
      md << "**This section did not finish.** " << s.failure << "\n\n";
    }
    if (!s.comparisons.empty()) {
      md << "### Against the paper\n\n";
      MdTable(md, kComparisonHeader, ComparisonRows(s));
    }
    if (!s.reading.empty()) {
      md << "### Reading\n\n";
      for (const std::string& line : s.reading) md << "- " << line << "\n";
      md << '\n';
    }
    for (const Table& t : s.tables) {
      md << "**" << t.caption << "**\n\n";
      MdTable(md, t.header, t.rows);
    }
    for (const Figure& f : s.figures)
      md << "![" << f.caption << "](" << f.path << ")\n\n*" << f.caption << "*\n\n";
    md << "### Commands\n\n";
    for (const Step& step : s.steps) {
      md << "- `" << step.command << "` — " << Seconds(step.seconds) << ", "
         << (step.ok ? "ok" : "FAILED: " + step.error);
      if (!step.output.empty()) md << " ([output](" << step.output << "))";
      md << '\n';
    }
    md << '\n';
  }
  return md.str();
}

std::string RenderHtml(const Report& report) {
  std::ostringstream html;
  html << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>" << Html(report.title) << "</title>\n<style>\n"
       << "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
          "color:#1b1b1b;line-height:1.45}\n"
       << "h1{font-size:1.6rem}h2{border-top:2px solid #ddd;padding-top:1rem;margin-top:2.5rem}\n"
       << "table{border-collapse:collapse;margin:0.6rem 0 1.2rem;font-size:0.9rem}\n"
       << "th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:left;vertical-align:top}\n"
       << "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
       << "caption{text-align:left;font-weight:600;padding:0.2rem 0}\n"
       << ".ok{color:#176b22}.bad{color:#b00020;font-weight:600}\n"
       << ".verdict-reproduces{background:#e7f6e9}.verdict-does-not-reproduce{background:#fde7ea}\n"
       << "figure{display:inline-block;margin:0.5rem 1rem 1rem 0;max-width:46%;vertical-align:top}\n"
       << "figure img{width:100%;border:1px solid #ddd}figcaption{font-size:0.85rem;color:#444}\n"
       << "code,pre{font-family:ui-monospace,monospace;font-size:0.82rem}\n"
       << "pre{background:#f6f6f6;padding:0.5rem;overflow-x:auto;white-space:pre-wrap}\n"
       << "</style></head><body>\n";
  html << "<h1>" << Html(report.title) << "</h1>\n";
  html << "<p>Preset <b>" << Html(report.preset) << "</b>, " << Seconds(report.seconds) << " in all; "
       << (report.failed_sections() == 0 ? "<span class=\"ok\">every section ran</span>"
                                         : "<span class=\"bad\">" + std::to_string(report.failed_sections()) +
                                               " section(s) failed</span>")
       << ".</p>\n<pre>" << Html(report.command) << "</pre>\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, value] : report.machine) rows.push_back({key, value});
    HtmlTable(html, "Machine", {"", ""}, rows, "machine");
  }
  html << "<table class=\"summary\"><caption>Sections</caption><thead><tr><th>paper</th><th>status</th>"
          "<th>time</th><th>against the paper</th></tr></thead><tbody>\n";
  for (const Section& s : report.sections) {
    html << "<tr><td><a href=\"#" << Html(s.id) << "\">" << Html(s.title) << "</a></td><td class=\""
         << (s.ok() ? "ok" : "bad") << "\">" << Html(Status(s)) << "</td><td class=\"num\">"
         << Seconds(s.seconds()) << "</td><td>" << Html(VerdictSummary(s)) << "</td></tr>\n";
  }
  html << "</tbody></table>\n";

  for (const Section& s : report.sections) {
    html << "<section id=\"" << Html(s.id) << "\">\n<h2>" << Html(s.title) << "</h2>\n";
    html << "<p><i>" << Html(s.paper) << "</i></p>\n";
    if (!s.setup.empty()) html << "<p>" << Prose(s.setup) << "</p>\n";
    if (!s.ok()) html << "<p class=\"bad\">This section did not finish. " << Html(s.failure) << "</p>\n";
    if (!s.comparisons.empty()) {
      html << "<table class=\"comparisons\"><caption>Against the paper</caption><thead><tr>";
      for (const std::string& h : kComparisonHeader) html << "<th>" << Html(h) << "</th>";
      html << "</tr></thead><tbody>\n";
      for (const Comparison& c : s.comparisons) {
        std::string verdict_class = std::string("verdict-") + VerdictName(c.verdict);
        for (char& ch : verdict_class) ch = ch == ' ' ? '-' : ch;
        html << "<tr class=\"" << verdict_class << "\"><td>" << Html(c.quantity) << "</td><td>"
             << Html(c.paper) << "</td><td>" << Html(c.ours) << "</td><td>" << VerdictName(c.verdict)
             << "</td><td>" << Html(c.note) << "</td></tr>\n";
      }
      html << "</tbody></table>\n";
    }
    if (!s.reading.empty()) {
      html << "<h3>Reading</h3>\n<ul>\n";
      for (const std::string& line : s.reading) html << "<li>" << Prose(line) << "</li>\n";
      html << "</ul>\n";
    }
    for (const Table& t : s.tables) HtmlTable(html, t.caption, t.header, t.rows);
    for (const Figure& f : s.figures) {
      html << "<figure><a href=\"" << Html(f.path) << "\"><img src=\"" << Html(f.path) << "\" alt=\""
           << Html(f.caption) << "\"></a><figcaption>" << Html(f.caption) << "</figcaption></figure>\n";
    }
    html << "<h3>Commands</h3>\n<ul class=\"commands\">\n";
    for (const Step& step : s.steps) {
      html << "<li><code>" << Html(step.command) << "</code> — " << Seconds(step.seconds) << ", "
           << (step.ok ? "<span class=\"ok\">ok</span>"
                       : "<span class=\"bad\">FAILED: " + Html(step.error) + "</span>");
      if (!step.output.empty()) html << " (<a href=\"" << Html(step.output) << "\">output</a>)";
      html << "</li>\n";
    }
    html << "</ul>\n</section>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace warden::report
