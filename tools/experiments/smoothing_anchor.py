#!/usr/bin/python3
"""Times the anchor, locuslab/smoothing's `Smooth.certify` (Cohen et al.'s own
code), on the same MNIST CNN weights and digits as `warden smooth certify`.

The CNN is rebuilt in PyTorch from a Warden safetensors model (the same layers
as components/smoothing/mnist_cnn.cc), so both sides run the same classifier.
Writes one TSV row per digit: idx label predict radius seconds.

Needs python3-torch, python3-scipy and python3-statsmodels (Debian packages)
and a checkout of locuslab/smoothing; not part of the test suite.

  /usr/bin/python3 tools/experiments/smoothing_anchor.py --smoothing_code=SMOOTHING/code \\
      --model=components/smoothing/models/mnist_cnn_sigma025.safetensors \\
      --mnist=$HOME/.local/share/warden/mnist --limit=10 --skip=1000 --n=10000
"""
import argparse
import json
import struct
import sys
import time

import numpy as np
import torch


def load_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy()).reshape(entry["shape"])
    return tensors


class MnistCnn(torch.nn.Module):
    """components/smoothing/mnist_cnn.cc: normalization, two conv+relu+pool, two linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 5)
        self.conv2 = torch.nn.Conv2d(16, 32, 5)
        self.fc1 = torch.nn.Linear(512, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = (x - 0.1307) / 0.3081
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoothing_code", required=True, help="locuslab/smoothing's code/ directory")
    parser.add_argument("--model", required=True)
    parser.add_argument("--mnist", required=True, help="directory with t10k-images-idx3-ubyte and labels")
    parser.add_argument("--sigma", type=float, default=0.25)
    parser.add_argument("--n0", type=int, default=100)
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--alpha", type=float, default=0.001)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--skip", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()

    sys.path.insert(0, args.smoothing_code)
    import core  # locuslab/smoothing

    # The anchor draws its noise with device='cuda'; on a CPU host draw it where the batch is.
    randn_like = torch.randn_like
    core.torch.randn_like = lambda t, device=None, **kw: randn_like(t, **kw)
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    model = MnistCnn()
    model.load_state_dict(load_safetensors(args.model))
    model.eval()
    images = read_idx(f"{args.mnist}/t10k-images-idx3-ubyte")
    labels = read_idx(f"{args.mnist}/t10k-labels-idx1-ubyte")
    smoothed = core.Smooth(model, 10, args.sigma)
    torch.manual_seed(0)
    print("idx\tlabel\tpredict\tradius\ttime")
    for i in range(args.limit):
        idx = i * args.skip
        x = torch.from_numpy(images[idx].astype(np.float32) / 255.0).unsqueeze(0)
        start = time.perf_counter()
        predict, radius = smoothed.certify(x, args.n0, args.n, args.alpha, args.batch)
        seconds = time.perf_counter() - start
        print(f"{idx}\t{labels[idx]}\t{predict}\t{radius:.6f}\t{seconds:.4f}", flush=True)


if __name__ == "__main__":
    main()
