// ONNX export of the CLIP text encoder (components/clip/text_model.h), written
// op by op: token + position embeddings, then pre-LN transformer layers with
// causal attention and quick-GELU/GELU MLPs.
//
// The graph takes input_ids [batch, tokens] (int64, tokens ≤ max positions,
// padded as the caller pads; no attention mask: the causal mask alone, as the
// ItD gate's kToContext padding) and returns "hidden" [batch, tokens, width]:
// either the output of layer `last_layer` (the residual stream ItD reads) or,
// when `last_layer` < 0, the last hidden state after the final LayerNorm.
#ifndef WARDEN_COMPONENTS_ONNX_CLIP_EXPORT_H_
#define WARDEN_COMPONENTS_ONNX_CLIP_EXPORT_H_

#include <onnx/onnx_pb.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"

namespace warden::onnx_export {

// InvalidArgument if `last_layer` is not a layer of the model.
absl::StatusOr<onnx::ModelProto> ExportClipText(clip::ClipTextModel& model, int64_t last_layer = -1);

}  // namespace warden::onnx_export

#endif  // WARDEN_COMPONENTS_ONNX_CLIP_EXPORT_H_
