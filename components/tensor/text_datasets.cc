#include "components/tensor/text_datasets.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "components/tensor/data_dir.h"

namespace warden::tensor {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& relative) {
  absl::StatusOr<std::string> path = DataFile(relative);
  if (!path.ok()) return path.status();
  std::ifstream in(*path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(*path, ": cannot open"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Trim(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(absl::string_view(s)));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> LoadPromptList(const std::string& name) {
  if (name.find("..") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad prompt list name \"", name, "\""));
  }
  absl::StatusOr<std::string> text = ReadText(absl::StrCat("prompt-lists/", name, ".yml"));
  if (!text.ok()) return text.status();
  std::vector<std::string> items;
  std::istringstream lines(*text);
  std::string line;
  int fences = 0;
  while (std::getline(lines, line)) {
    if (fences < 2) {
      if (Trim(line) == "---") ++fences;
      continue;
    }
    std::string item = Trim(line);
    if (!item.empty()) items.push_back(std::move(item));
  }
  if (fences < 2) {
    return absl::DataLossError(absl::StrCat("prompt list ", name, ": no YAML front matter"));
  }
  return items;
}

absl::StatusOr<std::vector<std::string>> LoadSotuSentences() {
  absl::StatusOr<Dataset> dataset = FindDataset("sotu");
  if (!dataset.ok()) return dataset.status();
  if (absl::Status s = CheckDataset(*dataset); !s.ok()) return s;
  const std::string dir = DataDir() + "/sotu";
  std::vector<std::string> files;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string file = e->d_name;
      if (file.size() > 4 && file.substr(file.size() - 4) == ".txt") files.push_back(file);
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> sentences;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadText("sotu/" + file);
    if (!text.ok()) return text.status();
    std::string current;
    for (size_t i = 0; i < text->size(); ++i) {
      const char c = (*text)[i];
      const bool line_break = c == '\n' || c == '\r';
      if (!line_break) current.push_back(c);
      const bool end = line_break || ((c == '.' || c == '?' || c == '!') &&
                                       (i + 1 == text->size() || (*text)[i + 1] == ' '));
      if (end || i + 1 == text->size()) {
        std::string sentence = Trim(current);
        if (sentence.size() >= 20 && sentence.size() <= 300) sentences.push_back(std::move(sentence));
        current.clear();
      }
    }
  }
  return sentences;
}

absl::StatusOr<std::vector<std::string>> LoadUnsafeTerms() {
  absl::StatusOr<std::string> text = ReadText("naughty-words/en.json");
  if (!text.ok()) return text.status();
  const nlohmann::json json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return absl::DataLossError("naughty-words/en.json is not a JSON array");
  std::vector<std::string> terms;
  for (const auto& item : json) {
    if (item.is_string()) terms.push_back(item.get<std::string>());
  }
  return terms;
}

}  // namespace warden::tensor
