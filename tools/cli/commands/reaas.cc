#include "tools/cli/commands/reaas.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/reaas/bounds.h"
#include "components/reaas/client.h"
#include "components/reaas/downstream.h"
#include "components/reaas/encoder.h"
#include "components/reaas/service.h"
#include "components/smoothing/certify_run.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/datasets.h"
#include "components/tensor/random.h"
#include "tools/cli/flags.h"
#include "tools/cli/progress.h"

namespace warden::reaas {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

absl::Status CheckDataset(const std::string& d) {
  if (d != "mnist" && d != "fashion-mnist")
    return absl::InvalidArgumentError(
        absl::StrCat("--dataset must be mnist or fashion-mnist, not '", d, "'"));
  return absl::OkStatus();
}

class TrainCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "pre-train the robust encoder (spectral-norm regulariser) and export it with BatchNorm folded";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("dataset", &dataset_, "pre-training data: fashion-mnist or mnist (training split)");
    flags.String("mode", &mode_, "supervised (temporary linear head) or contrastive (SimCLR)");
    flags.Double("lambda", &config_.lambda, "weight of the spectral-norm regulariser (0: none)");
    flags.Int("epochs", &config_.epochs, "epochs");
    flags.Int("limit", &limit_, "use the first N training images (< 0: all)");
    flags.Int("width", &shape_.width, "channels of the first conv (then 2x, 2x)");
    flags.Int("features", &shape_.feature_dim, "feature dimension d");
    flags.Int("seed", &seed_, "seed of initialisation and batches");
    flags.String("out", &out_, "the folded encoder (.safetensors)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("train takes no arguments");
    if (absl::Status s = CheckDataset(dataset_); !s.ok()) return s;
    if (mode_ != "supervised" && mode_ != "contrastive")
      return absl::InvalidArgumentError(
          absl::StrCat("--mode must be supervised or contrastive, not '", mode_, "'"));
    if (out_.empty()) return absl::InvalidArgumentError("--out is required");
    config_.mode = mode_ == "supervised" ? Pretraining::kSupervised : Pretraining::kContrastive;
    config_.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<RobustEncoder> encoder = MakeRobustEncoder(shape_, config_.seed);
    if (!encoder.ok()) return encoder.status();
    absl::StatusOr<tensor::ImageDataset> data =
        tensor::LoadImageDataset(dataset_, tensor::Split::kTrain, limit_);
    if (!data.ok()) return data.status();
    absl::StatusOr<PretrainReport> report =
        PretrainEncoder(*encoder, data->images, data->labels, data->num_classes, config_,
                        [&](int64_t epoch, int64_t step, int64_t steps, double loss) {
                          if (step == steps || step % 20 == 0)
                            cli::ShowProgress(absl::StrFormat("epoch %d/%d step %d/%d loss %.4f", epoch + 1,
                                                              config_.epochs, step, steps, loss));
                        });
    cli::ShowProgress("", true);
    if (!report.ok()) return report.status();
    const FoldedEncoder folded = Fold(*encoder);
    const LipschitzBound bound = GlobalLipschitz(folded);
    out << "epoch\tloss\tspectral sum\n";
    for (size_t e = 0; e < report->epoch_loss.size(); ++e)
      out << absl::StrFormat("%d\t%.4f\t%.3f\n", e + 1, report->epoch_loss[e], report->epoch_spectral[e]);
    std::string norms;
    for (double n : bound.layer_norms)
      absl::StrAppend(&norms, norms.empty() ? "" : " x ", absl::StrFormat("%.3f", n));
    out << absl::StrFormat("global Lipschitz bound of the folded encoder: %s = %.4g\n", norms,
                           bound.lipschitz);
    const nlohmann::json meta = {
        {"dataset", dataset_},         {"mode", mode_}, {"lambda", config_.lambda},
        {"epochs", config_.epochs},    {"seed", seed_}, {"images", data->images.size(0)},
        {"lipschitz", bound.lipschitz}};
    if (absl::Status s = SaveFoldedEncoder(folded, meta, out_); !s.ok()) return s;
    out << absl::StrFormat("trained in %.0f s; wrote %s\n", report->seconds, out_);
    return absl::OkStatus();
  }

 private:
  std::string dataset_ = "fashion-mnist", mode_ = "supervised", out_;
  PretrainConfig config_;
  EncoderShape shape_;
  int64_t limit_ = -1, seed_ = 0;
};

class ServeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "serve an encoder's Feature-API and F2IPerturb-API over gRPC with TLS until SIGINT / SIGTERM";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("encoder", &encoder_, "folded encoder from `warden reaas train`");
    flags.String("address", &address_, "interface to listen on");
    flags.Int("port", &port_, "port (0: any free port, printed on start)");
    flags.String("keys", &keys_, "API keys: one per line, KEY [RATE [BURST [QUOTA]]]");
    flags.String("tls_cert", &config_.tls_cert, "server certificate (PEM)");
    flags.String("tls_key", &config_.tls_key, "server private key (PEM)");
    flags.Bool("plaintext", &config_.allow_plaintext,
               "allow serving without TLS (API keys cross in the clear)");
    flags.Int("max_request_bytes", &config_.max_request_bytes, "largest request accepted");
    flags.Int("max_batch", &config_.max_batch, "images per encoder pass of the cross-client batcher");
    flags.Double("batch_window_ms", &config_.batch_window_ms, "how long a pass waits for more clients");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("serve takes no arguments");
    if (encoder_.empty() || keys_.empty())
      return absl::InvalidArgumentError("--encoder and --keys are required");
    if (port_ < 0 || port_ > 65535) return absl::InvalidArgumentError("--port must be in [0, 65535]");
    absl::StatusOr<std::vector<ApiKey>> keys = LoadApiKeys(keys_);
    if (!keys.ok()) return keys.status();
    absl::StatusOr<LoadedFoldedEncoder> encoder = LoadFoldedEncoder(encoder_);
    if (!encoder.ok()) return encoder.status();
    config_.keys = *keys;
    config_.address = absl::StrCat(address_, ":", port_);
    absl::StatusOr<std::unique_ptr<ReaasServer>> server = ReaasServer::Start(encoder->encoder, config_);
    if (!server.ok()) return server.status();
    out << absl::StrFormat("serving %s on %s:%d (%s, %d keys); SIGINT or SIGTERM stops it gracefully\n",
                           encoder_, address_, (*server)->port(),
                           config_.tls_cert.empty() ? "plaintext" : "TLS", config_.keys.size())
        << std::flush;
    // SIGINT / SIGTERM only raise a flag (whichever thread takes them); this
    // thread sees it and shuts down gracefully.
    stop_requested = 0;
    struct sigaction action = {};
    action.sa_handler = [](int) { stop_requested = 1; };
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    while (stop_requested == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    out << "draining: finishing accepted requests\n" << std::flush;
    (*server)->Shutdown(std::chrono::seconds(30));
    const ServerStats stats = (*server)->Stats();
    out << "method\trequests\terrors\timages\tp50 ms\tp99 ms\n";
    for (const MethodStats& m : stats.methods)
      out << absl::StrFormat("%s\t%d\t%d\t%d\t%.2f\t%.2f\n", m.method, m.requests, m.errors, m.images,
                             m.p50_ms, m.p99_ms);
    out << absl::StrFormat("feature batcher: %d passes, %d images\nstopped\n", stats.batches,
                           stats.batched_images);
    return absl::OkStatus();
  }

 private:
  std::string encoder_, address_ = "127.0.0.1", keys_;
  int64_t port_ = 50051;
  ServerConfig config_;
};

class CertifyCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "train a downstream head on the service's features and certify it: REaaS (2 queries) or SEaaS";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("server", &client_.target,
                 "host:port of `warden reaas serve` (TLS: the certificate's host)");
    flags.String("root_cert", &client_.root_cert,
                 "certificate the server's chains to (PEM); empty: plaintext");
    flags.String("api_key", &client_.api_key, "API key");
    flags.String("dataset", &dataset_, "downstream data: mnist or fashion-mnist");
    flags.Int("train", &train_, "training images for the head (their features: one batched query each)");
    flags.Int("tests", &tests_, "test images to certify");
    flags.String("head", &head_, "linear or mlp");
    flags.String("mode", &mode_,
                 "base (closed form / Lipschitz margin), smoothed (feature-space smoothing) or "
                 "seaas (input-space smoothing through the Feature-API)");
    flags.String("f2i", &f2i_,
                 "F2IPerturb method: linear (CROWN bounds + search: tightest), intervals (interval "
                 "bounds + search) or lipschitz (the global Lipschitz bound: instant, loosest)");
    flags.Double("sigma", &sigma_, "smoothing noise (feature space for smoothed, input space for seaas)");
    flags.Int("n0", &n0_, "selection samples (smoothed, seaas)");
    flags.Int("n", &n_, "estimation samples (smoothed, seaas)");
    flags.Int("noisy_copies", &noisy_copies_,
              "seaas: noisy copies of each training image the head learns from");
    flags.Int("seed", &seed_, "seed of the head and the noise");
    flags.String("out", &out_,
                 "per-input TSV in `smooth certify`'s format (`warden smooth plot A.tsv B.tsv` draws runs "
                 "together); empty: none");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("certify takes no arguments");
    if (absl::Status s = CheckDataset(dataset_); !s.ok()) return s;
    if (head_ != "linear" && head_ != "mlp")
      return absl::InvalidArgumentError("--head must be linear or mlp");
    if (mode_ != "base" && mode_ != "smoothed" && mode_ != "seaas")
      return absl::InvalidArgumentError("--mode must be base, smoothed or seaas");
    absl::StatusOr<F2IMethod> f2i = ParseF2IMethod(f2i_);
    if (!f2i.ok()) return absl::InvalidArgumentError(absl::StrCat("--f2i: ", f2i.status().message()));
    if (train_ < 2 || tests_ < 1 || !(sigma_ > 0) || n0_ < 1 || n_ < 1 || noisy_copies_ < 1)
      return absl::InvalidArgumentError(
          "need --train >= 2, --tests >= 1, --sigma > 0, --n0, --n and --noisy_copies >= 1");
    absl::StatusOr<std::unique_ptr<ReaasClient>> client = ReaasClient::Connect(client_);
    if (!client.ok()) return client.status();
    absl::StatusOr<ServiceInfo> info = (*client)->Health();
    if (!info.ok())
      return absl::Status(info.status().code(), absl::StrCat("the service: ", info.status().message()));
    absl::StatusOr<tensor::ImageDataset> train =
        tensor::LoadImageDataset(dataset_, tensor::Split::kTrain, train_);
    if (!train.ok()) return train.status();
    absl::StatusOr<tensor::ImageDataset> test =
        tensor::LoadImageDataset(dataset_, tensor::Split::kTest, tests_);
    if (!test.ok()) return test.status();
    // The head's training features: batched Feature-API calls. SEaaS's head
    // must see input noise, so it trains on --noisy_copies noisy copies of
    // each image (fresh noise each, every copy a query: spec §5's E·|D_tr|).
    std::vector<at::Tensor> chunks, chunk_labels;
    const int64_t copies = mode_ == "seaas" ? noisy_copies_ : 1;
    at::Generator gen = tensor::MakeCpuGenerator(static_cast<uint64_t>(seed_), 91);
    for (int64_t copy = 0; copy < copies; ++copy) {
      for (int64_t s = 0; s < train->images.size(0); s += 500) {
        at::Tensor batch = train->images.slice(0, s, s + 500);
        if (mode_ == "seaas") batch = batch + at::randn(batch.sizes(), gen) * sigma_;
        absl::StatusOr<at::Tensor> f = (*client)->Features(batch);
        if (!f.ok()) return f.status();
        chunks.push_back(*f);
        chunk_labels.push_back(train->labels.slice(0, s, s + 500));
      }
    }
    const at::Tensor features = at::cat(chunks), feature_labels = at::cat(chunk_labels);
    HeadConfig hc;
    hc.hidden = head_ == "mlp" ? 256 : 0;
    hc.seed = static_cast<uint64_t>(seed_);
    // Feature smoothing needs noise on the scale of the features: σ is
    // relative to the median feature norm / √d (docs/specs/reaas.md §7).
    const double feature_scale =
        features.norm(2, 1).median().item<double>() / std::sqrt(static_cast<double>(features.size(1)));
    const double feature_sigma = sigma_ * feature_scale;
    if (mode_ == "smoothed") hc.feature_noise = feature_sigma;
    absl::StatusOr<DownstreamHead> head = TrainHead(features, feature_labels, train->num_classes, hc);
    if (!head.ok()) return head.status();
    const double train_accuracy =
        (head->Logits(features).argmax(1) == feature_labels).to(at::kDouble).mean().item<double>();
    smoothing::SmoothingOptions so;
    so.sigma = mode_ == "smoothed" ? feature_sigma : sigma_;
    so.n0 = n0_;
    so.n = n_;
    so.seed = static_cast<uint64_t>(seed_);
    auto progress = [](int64_t done, int64_t total) {
      cli::ShowProgress(absl::StrFormat("certified %d/%d", done, total));
    };
    absl::StatusOr<EndToEnd> result =
        mode_ == "seaas" ? CertifyWithSeaas(**client, *head, test->images, so, progress)
                         : CertifyWithReaas(**client, *head, test->images,
                                            mode_ == "base" ? ClientMode::kBase : ClientMode::kSmoothed, so,
                                            *f2i, progress);
    cli::ShowProgress("", true);
    if (!result.ok()) return result.status();
    const int64_t n = test->images.size(0);
    // Rows in `warden smooth certify`'s format, so `warden smooth plot` draws
    // REaaS and SEaaS curves in one figure.
    std::vector<smoothing::CertifyRow> rows;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = test->labels[i].item<int64_t>();
      rows.push_back({i, label, static_cast<int>(result->labels[i]), result->radius[i],
                      result->labels[i] == label, result->seconds / static_cast<double>(n)});
    }
    out << absl::StrFormat(
        "%s head on %d %s features (train accuracy %.4f; %d training queries), mode %s%s%s\n", head_,
        train_ * copies, dataset_, train_accuracy, train_ * copies, mode_,
        mode_ == "seaas" ? absl::StrFormat(", input sigma %g", sigma_) : "",
        mode_ == "smoothed"
            ? absl::StrFormat(", feature sigma %.4g (%g x %.4g)", feature_sigma, sigma_, feature_scale)
            : "");
    out << "radius\tcertified accuracy\n";
    const std::vector<double> radii = {0.0, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0};
    const std::vector<double> accuracy = smoothing::CertifiedAccuracy(rows, radii);
    for (size_t k = 0; k < radii.size(); ++k) out << absl::StrFormat("%g\t%.4f\n", radii[k], accuracy[k]);
    double mean_radius = 0;
    for (const smoothing::CertifyRow& row : rows)
      mean_radius += row.correct ? row.radius / static_cast<double>(n) : 0;
    out << absl::StrFormat("mean certified radius (0 when wrong or abstaining): %.5f\n", mean_radius);
    out << absl::StrFormat("per input: %.1f queries, %.0f bytes sent, %.4f s\n",
                           static_cast<double>(result->queries) / static_cast<double>(n),
                           static_cast<double>(result->bytes_sent) / static_cast<double>(n),
                           result->seconds / static_cast<double>(n));
    if (!out_.empty()) {
      if (absl::Status s = tensor::WriteTextAtomically(out_, smoothing::CertifyTsv(rows)); !s.ok()) return s;
      out << "wrote " << out_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  ClientConfig client_;
  std::string dataset_ = "mnist", head_ = "linear", mode_ = "base", out_;
  int64_t train_ = 2000, tests_ = 100, n0_ = 100, n_ = 1000, seed_ = 0, noisy_copies_ = 3;
  double sigma_ = 0.25;
  std::string f2i_ = "linear";
};

// Where the certified radius is lost: for test images, the input radius each
// F2IPerturb method certifies for one feature radius, beside PGD's upper
// bound on the true radius (bounds.h (a)–(c)).
class BoundsCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "compare F2IPerturb's certified input radii (Lipschitz, intervals, linear) with PGD's upper bound";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("encoder", &encoder_, "folded encoder from `warden reaas train`");
    flags.String("dataset", &dataset_, "test images: mnist or fashion-mnist");
    flags.Int("tests", &tests_, "test images");
    flags.Double("fraction", &fraction_, "feature radius R' as a fraction of each image's ||f(x)||");
    flags.String("out", &out_, "per-image TSV (optional)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("bounds takes no arguments");
    if (encoder_.empty()) return absl::InvalidArgumentError("--encoder is required");
    if (absl::Status s = CheckDataset(dataset_); !s.ok()) return s;
    if (tests_ < 1 || !(fraction_ > 0))
      return absl::InvalidArgumentError("need --tests >= 1 and --fraction > 0");
    absl::StatusOr<LoadedFoldedEncoder> loaded = LoadFoldedEncoder(encoder_);
    if (!loaded.ok()) return loaded.status();
    const FoldedEncoder& encoder = loaded->encoder;
    absl::StatusOr<tensor::ImageDataset> test =
        tensor::LoadImageDataset(dataset_, tensor::Split::kTest, tests_);
    if (!test.ok()) return test.status();
    const LipschitzBound global = GlobalLipschitz(encoder);
    std::string tsv = "idx\tfeature_radius\tlipschitz\tintervals\tlinear\tpgd\tintervals_s\tlinear_s\n";
    std::vector<double> gain_intervals, gain_linear, gap_pgd, seconds_intervals, seconds_linear;
    const int64_t n = test->images.size(0);
    for (int64_t i = 0; i < n; ++i) {
      const at::Tensor x = test->images[i];
      double feature_radius = 0;
      {
        torch::NoGradGuard no_grad;
        feature_radius = fraction_ * encoder.Forward(x.unsqueeze(0)).norm().item<double>();
      }
      absl::StatusOr<double> lipschitz = LipschitzRadius(global, feature_radius);
      if (!lipschitz.ok()) return lipschitz.status();
      double radius[2], seconds[2];
      for (int method = 0; method < 2; ++method) {
        const auto start = std::chrono::steady_clock::now();
        absl::StatusOr<PropagationResult> p =
            PropagationRadius(encoder, global, x, feature_radius,
                              {.relaxation = method == 0 ? Relaxation::kInterval : Relaxation::kLinear});
        if (!p.ok()) return p.status();
        radius[method] = p->radius;
        seconds[method] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      absl::StatusOr<double> pgd = PgdRadius(encoder, x, feature_radius, radius[1]);
      if (!pgd.ok()) return pgd.status();
      tsv += absl::StrFormat("%d\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.3f\t%.3f\n", i, feature_radius, *lipschitz,
                             radius[0], radius[1], *pgd, seconds[0], seconds[1]);
      gain_intervals.push_back(radius[0] / *lipschitz);
      gain_linear.push_back(radius[1] / *lipschitz);
      gap_pgd.push_back(*pgd / radius[1]);
      seconds_intervals.push_back(seconds[0]);
      seconds_linear.push_back(seconds[1]);
      cli::ShowProgress(absl::StrFormat("bounded %d/%d", i + 1, n));
    }
    cli::ShowProgress("", true);
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    out << absl::StrFormat(
        "%d images, R' = %.3g x ||f(x)||, global Lipschitz bound %.4g\n"
        "median radius over the Lipschitz one: intervals %.2fx, linear relaxation %.2fx\n"
        "median PGD upper bound over the linear-relaxation radius: %.2fx (the room left for any sound "
        "bound)\n"
        "median seconds per F2IPerturb: intervals %.3f, linear relaxation %.3f\n",
        n, fraction_, global.lipschitz, median(gain_intervals), median(gain_linear), median(gap_pgd),
        median(seconds_intervals), median(seconds_linear));
    if (!out_.empty()) {
      if (absl::Status s = tensor::WriteTextAtomically(out_, tsv); !s.ok()) return s;
      out << "wrote " << out_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string encoder_, dataset_ = "mnist", out_;
  int64_t tests_ = 20;
  double fraction_ = 0.05;
};

}  // namespace

void RegisterReaasCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("reaas",
                    "robust encoder as a service: pre-train, serve over gRPC + TLS, certify clients");
  registry.Add("reaas", "train", [] { return std::make_unique<TrainCommand>(); });
  registry.Add("reaas", "serve", [] { return std::make_unique<ServeCommand>(); });
  registry.Add("reaas", "certify", [] { return std::make_unique<CertifyCommand>(); });
  registry.Add("reaas", "bounds", [] { return std::make_unique<BoundsCommand>(); });
}

}  // namespace warden::reaas
