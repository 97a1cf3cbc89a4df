#include "tools/cli/commands/web.h"

#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "components/onnx/web_bundle.h"
#include "components/tensor/data_dir.h"
#include "components/tensor/runfiles.h"

namespace warden::web {
namespace {

// Where `serve` and the demo step export the bundle when none is given.
std::string DefaultBundleDir() {
  const char* tmp = std::getenv("TMPDIR");
  return absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/warden-web-bundle");
}

// The model flags both verbs share.
void DefineModelFlags(cli::FlagSet& flags, onnx_export::WebBundleOptions& options, int64_t& digits) {
  flags.String("clip_weights", &options.clip_weights,
               "HF CLIPTextModel folder (default: the committed encoder)");
  flags.String("sae", &options.sae, "SAE safetensors (default: the committed ItD SAE)");
  flags.String("registry", &options.registry, "concept registry JSON (default: the committed one)");
  flags.String("classifier", &options.classifier,
               "MNIST CNN safetensors (default: the embedded sigma=0.25 model)");
  flags.Int("digits", &digits, "MNIST test digits offered on the page");
}

absl::Status Export(const std::string& dir, onnx_export::WebBundleOptions options, int64_t digits,
                    std::ostream& out) {
  if (digits < 1 || digits > 10000) return absl::InvalidArgumentError("--digits must be in [1, 10000]");
  options.test_digits = static_cast<int>(digits);
  return onnx_export::WriteWebBundle(dir, options,
                                     [&](const std::string& line) { out << "  " << line << "\n"; });
}

class ExportCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "writes the browser demo's bundle: ONNX encoder and classifier, SAE, gate, test digits";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("out", &out_, "directory to write the bundle into");
    flags.Bool("full_encoder", &options_.with_full_encoder,
               "also export the whole text encoder (clip_text.onnx)");
    DefineModelFlags(flags, options_, digits_);
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("export takes no arguments (use --out)");
    if (out_.empty()) return absl::InvalidArgumentError("--out is required");
    out << "writing the web bundle to " << out_ << "\n";
    return Export(out_, options_, digits_, out);
  }

 private:
  std::string out_;
  onnx_export::WebBundleOptions options_;
  int64_t digits_ = 64;
};

// The page's files: the demo's sources and the two WebAssembly modules, found
// among the binary's runfiles.
absl::StatusOr<std::map<std::string, std::string>> PageFiles() {
  std::map<std::string, std::string> files;
  for (const auto& [url, runfile] : std::vector<std::pair<std::string, std::string>>{
           {"/index.html", "web/demo/index.html"},
           {"/app.js", "web/demo/app.js"},
           {"/style.css", "web/demo/style.css"},
           {"/wasm/itd_wasm.js", "web/itd/itd_wasm.js"},
           {"/wasm/smoothing_wasm.js", "web/smoothing/smoothing_wasm.js"}}) {
    const std::string path = tensor::FindRunfile(runfile);
    if (path.empty()) {
      return absl::NotFoundError(absl::StrCat(runfile,
                                              " is not among this binary's runfiles: run warden built by "
                                              "Bazel (bazel run //tools:warden -- web serve)"));
    }
    files[url] = path;
  }
  files["/"] = files["/index.html"];
  return files;
}

std::string MimeType(const std::string& path) {
  static const auto* types = new std::map<std::string, std::string>{{".html", "text/html; charset=utf-8"},
                                                                    {".js", "text/javascript"},
                                                                    {".mjs", "text/javascript"},
                                                                    {".css", "text/css"},
                                                                    {".json", "application/json"},
                                                                    {".wasm", "application/wasm"},
                                                                    {".onnx", "application/octet-stream"},
                                                                    {".bin", "application/octet-stream"},
                                                                    {".gz", "application/gzip"}};
  const auto it = types->find(std::filesystem::path(path).extension().string());
  return it == types->end() ? "application/octet-stream" : it->second;
}

// Answers GET `url` from the page's files or one of `dirs` (first path
// segment → directory); 404 for anything else, ".." included.
void ServeFile(const std::string& url, const std::map<std::string, std::string>& page,
               const std::map<std::string, std::string>& dirs, httplib::Response& response) {
  std::string path;
  if (const auto it = page.find(url); it != page.end()) {
    path = it->second;
  } else if (const size_t slash = url.find('/', 1);
             slash != std::string::npos && url.find("..") == std::string::npos) {
    if (const auto dir = dirs.find(url.substr(1, slash - 1)); dir != dirs.end())
      path = dir->second + url.substr(slash);
  }
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !std::filesystem::is_regular_file(path) || !in) {
    response.status = 404;
    response.set_content("not found: " + url + "\n", "text/plain");
    return;
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  response.set_header("Cache-Control", "no-cache");
  response.set_content(body, MimeType(path).c_str());
}

class ServeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "serves the browser demo (concept gate, certified digits) on localhost";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("host", &host_, "address to listen on");
    flags.Int("port", &port_, "port to listen on (0: any free port)");
    flags.String("bundle", &bundle_, "an existing bundle (warden web export); default: export one now");
    DefineModelFlags(flags, options_, digits_);
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("serve takes no arguments");
    if (port_ < 0 || port_ > 65535) return absl::InvalidArgumentError("--port must be in [0, 65535]");
    absl::StatusOr<std::map<std::string, std::string>> page = PageFiles();
    if (!page.ok()) return page.status();
    const std::string ort = tensor::DataDir() + "/web/ort";
    const std::string clip = tensor::DataDir() + "/clip";
    if (!std::filesystem::exists(ort + "/ort.wasm.min.js") ||
        !std::filesystem::exists(clip + "/bpe_simple_vocab_16e6.txt.gz")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ONNX Runtime Web or the CLIP vocab is missing under ", tensor::DataDir(), ": run tools/setup"));
    }
    std::string bundle = bundle_;
    if (bundle.empty()) {
      bundle = DefaultBundleDir();
      out << "exporting the models to " << bundle << "\n";
      if (absl::Status s = Export(bundle, options_, digits_, out); !s.ok()) return s;
    } else if (!std::filesystem::exists(bundle + "/gate.json")) {
      return absl::NotFoundError(
          absl::StrCat(bundle, "/gate.json is missing: write the bundle with warden web export"));
    }

    // Every response goes through ServeFile (the MIME types browsers insist on
    // for module scripts and wasm; no path outside the served directories).
    const std::map<std::string, std::string> dirs = {{"bundle", bundle}, {"ort", ort}, {"data", clip}};
    httplib::Server server;
    server.Get(R"(/(.*))",
               [page = *page, dirs](const httplib::Request& request, httplib::Response& response) {
                 ServeFile(request.path, page, dirs, response);
               });
    const int port =
        port_ == 0 ? server.bind_to_any_port(host_)
                   : (server.bind_to_port(host_, static_cast<int>(port_)) ? static_cast<int>(port_) : -1);
    if (port < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", host_, ":", port_));
    out << "serving the Warden demo at http://" << host_ << ":" << port << "/ (Ctrl-C stops)" << std::endl;
    if (!server.listen_after_bind()) return absl::InternalError("the server stopped with an error");
    return absl::OkStatus();
  }

 private:
  std::string host_ = "127.0.0.1";
  int64_t port_ = 8765;
  std::string bundle_;
  onnx_export::WebBundleOptions options_;
  int64_t digits_ = 64;
};

}  // namespace

absl::Status RunWebDemo(std::ostream& out) {
  const std::string dir = DefaultBundleDir();
  out << "exporting the browser demo's models (ONNX from C++, the SAE, the gate) to " << dir << "\n";
  if (absl::Status s = Export(dir, onnx_export::WebBundleOptions(), 64, out); !s.ok()) return s;
  out << "serve the page with: bazel run //tools:warden -- web serve --bundle=" << dir << "\n";
  return absl::OkStatus();
}

void RegisterWebCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("web", "the browser demo: ItD's concept gate and certified digits in WebAssembly");
  registry.Add("web", "export", [] { return std::make_unique<ExportCommand>(); });
  registry.Add("web", "serve", [] { return std::make_unique<ServeCommand>(); });
}

}  // namespace warden::web
