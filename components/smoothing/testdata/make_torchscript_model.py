#!/usr/bin/env python3
"""Writes mean_threshold.pt: a TorchScript base classifier for sampler tests.

forward(x: N x 1 x 4 x 4 raw pixels) -> N x 2 logits, class 1 iff mean(x) > 0.5,
the classifier whose smoothed radius is known in closed form (sampler_test.cc).
Made with Debian's python3-torch 1.13 (apt-get install python3-torch):
  python3 make_torchscript_model.py mean_threshold.pt
"""
import sys

import torch


class MeanThreshold(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.threshold = torch.nn.Parameter(torch.tensor(0.5), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        above = (x.mean(dim=(1, 2, 3)) > self.threshold).to(torch.float32)
        return torch.stack([1 - above, above], dim=1)


torch.jit.script(MeanThreshold()).save(sys.argv[1])
