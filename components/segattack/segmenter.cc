#include "components/segattack/segmenter.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/module_state.h"

namespace warden::segattack {
namespace {

namespace nn = torch::nn;

// 3 × 3 convolution with "same" padding, batch norm, ReLU. Batch norm makes
// training converge in a few epochs; in eval mode it is a fixed affine map, so
// the attacks and smoothing see a plain function of the input.
nn::Sequential ConvRelu(nn::Sequential seq, int64_t in, int64_t out, int64_t stride = 1,
                        int64_t dilation = 1) {
  seq->push_back(nn::Conv2d(
      nn::Conv2dOptions(in, out, 3).stride(stride).padding(dilation).dilation(dilation).bias(false)));
  seq->push_back(nn::BatchNorm2d(out));
  seq->push_back(nn::ReLU());
  return seq;
}

nn::Sequential Block(int64_t in, int64_t out) {
  return ConvRelu(ConvRelu(nn::Sequential(), in, out), out, out);
}

at::Tensor Resize(const at::Tensor& x, at::IntArrayRef size) {
  return at::upsample_bilinear2d(x, {size[0], size[1]}, /*align_corners=*/false);
}

}  // namespace

absl::Status ValidateShape(const SegmenterShape& shape) {
  if (shape.architecture != "unet" && shape.architecture != "fcn") {
    return absl::InvalidArgumentError(
        absl::StrCat("architecture must be unet or fcn, not '", shape.architecture, "'"));
  }
  if (shape.width < 1 || shape.in_channels < 1 || shape.num_classes < 2) {
    return absl::InvalidArgumentError("need width >= 1, in_channels >= 1 and num_classes >= 2");
  }
  return absl::OkStatus();
}

SegNetImpl::SegNetImpl(const SegmenterShape& shape) : shape_(shape) {
  const int64_t w = shape.width, c = shape.in_channels;
  if (shape.architecture == "unet") {
    enc1_ = register_module("enc1", Block(c, w));
    enc2_ = register_module("enc2", Block(w, 2 * w));
    mid_ = register_module("mid", Block(2 * w, 4 * w));
    dec2_ = register_module("dec2", Block(6 * w, 2 * w));
    dec1_ = register_module("dec1", Block(3 * w, w));
    head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(w, shape.num_classes, 1)));
  } else {
    // Stride-4 features; the dilated last stage widens the receptive field to
    // about a glyph, as the U-Net's bottleneck does.
    nn::Sequential body;
    ConvRelu(body, c, w);
    ConvRelu(body, w, 2 * w, /*stride=*/2);
    ConvRelu(body, 2 * w, 2 * w);
    ConvRelu(body, 2 * w, 4 * w, /*stride=*/2);
    ConvRelu(body, 4 * w, 4 * w);
    ConvRelu(body, 4 * w, 4 * w, 1, /*dilation=*/2);
    body_ = register_module("body", body);
    head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(4 * w, shape.num_classes, 1)));
  }
}

at::Tensor SegNetImpl::forward(const at::Tensor& pixels) {
  const at::Tensor x = pixels * 2.0 - 1.0;  // [0, 1] → [-1, 1]
  return shape_.architecture == "unet" ? UNet(x) : Fcn(x);
}

at::Tensor SegNetImpl::UNet(const at::Tensor& x) {
  const at::Tensor e1 = enc1_->forward(x);
  const at::Tensor e2 = enc2_->forward(at::max_pool2d(e1, 2));
  const at::Tensor m = mid_->forward(at::max_pool2d(e2, 2));
  const at::Tensor d2 = dec2_->forward(at::cat({Resize(m, e2.sizes().slice(2)), e2}, 1));
  const at::Tensor d1 = dec1_->forward(at::cat({Resize(d2, e1.sizes().slice(2)), e1}, 1));
  return head_->forward(d1);
}

at::Tensor SegNetImpl::Fcn(const at::Tensor& x) {
  return Resize(head_->forward(body_->forward(x)), x.sizes().slice(2));
}

int64_t SegNetImpl::num_parameters() const {
  int64_t n = 0;
  for (const at::Tensor& p : parameters()) n += p.numel();
  return n;
}

absl::StatusOr<SegNet> MakeSegNet(const SegmenterShape& shape, uint64_t seed) {
  if (absl::Status s = ValidateShape(shape); !s.ok()) return s;
  torch::manual_seed(seed);
  return SegNet(shape);
}

absl::Status SaveSegNet(SegNet& model, const nlohmann::json& metadata, const std::string& path) {
  tensor::Checkpoint checkpoint;
  checkpoint.tensors = tensor::ModuleTensors(*model);
  checkpoint.metadata = metadata.is_object() ? metadata : nlohmann::json::object();
  const SegmenterShape& shape = model->shape();
  checkpoint.metadata["architecture"] = shape.architecture;
  checkpoint.metadata["width"] = shape.width;
  checkpoint.metadata["in_channels"] = shape.in_channels;
  checkpoint.metadata["num_classes"] = shape.num_classes;
  return tensor::SaveCheckpoint(path, checkpoint);
}

absl::StatusOr<LoadedSegNet> LoadSegNet(const std::string& path, const SegmenterShape* expect) {
  absl::StatusOr<tensor::Checkpoint> checkpoint = tensor::LoadCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint.status();
  const nlohmann::json& meta = checkpoint->metadata;
  auto fail = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  SegmenterShape shape;
  if (!meta.is_object() || !meta.contains("architecture") || !meta["architecture"].is_string()) {
    return fail("not a segmenter checkpoint (no architecture in its metadata)");
  }
  shape.architecture = meta["architecture"].get<std::string>();
  if (shape.architecture != "unet" && shape.architecture != "fcn") {
    return fail(absl::StrCat("architecture must be unet or fcn, not '", shape.architecture, "'"));
  }
  for (auto [key, field] : {std::pair{"width", &shape.width}, std::pair{"in_channels", &shape.in_channels},
                            std::pair{"num_classes", &shape.num_classes}}) {
    if (!meta.contains(key) || !meta[key].is_number_integer()) {
      return fail(absl::StrCat("metadata lacks integer \"", key, "\""));
    }
    *field = meta[key].get<int64_t>();
  }
  if (shape.width > 4096 || shape.in_channels > 64 || shape.num_classes > 4096) {
    return fail("metadata sizes are implausibly large");
  }
  if (absl::Status s = ValidateShape(shape); !s.ok()) return fail(std::string(s.message()));
  if (expect != nullptr &&
      (expect->architecture != shape.architecture || expect->width != shape.width ||
       expect->in_channels != shape.in_channels || expect->num_classes != shape.num_classes)) {
    return fail(absl::StrCat("holds a ", shape.architecture, " of width ", shape.width, " with ",
                             shape.in_channels, " input channels and ", shape.num_classes,
                             " classes, expected a ", expect->architecture, " of width ", expect->width,
                             " with ", expect->in_channels, " and ", expect->num_classes));
  }
  LoadedSegNet loaded{SegNet(shape), meta};
  if (absl::Status s = tensor::LoadModuleTensors(checkpoint->tensors, *loaded.model); !s.ok()) {
    return fail(std::string(s.message()));
  }
  loaded.model->eval();
  return loaded;
}

std::unique_ptr<smoothing::Segmenter> AsSegmenter(SegNet model) {
  const int64_t k = model->shape().num_classes;
  const c10::Device device = model->parameters().front().device();
  return smoothing::WrapSegmenter(
      [model](const at::Tensor& x) mutable {
        if (x.size(0) <= kForwardChunk) return model->forward(x);
        std::vector<at::Tensor> parts;
        for (int64_t begin = 0; begin < x.size(0); begin += kForwardChunk) {
          parts.push_back(model->forward(x.slice(0, begin, begin + kForwardChunk)));
        }
        return at::cat(parts);
      },
      k, device);
}

}  // namespace warden::segattack
