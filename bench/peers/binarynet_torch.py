"""The BinaryNet networks of bnnc's trainer written in PyTorch, for bench/train.ts.

Step for step what src/nn trains (docs/training.md), so that samples per second compare
the same work:
  - binary dense / conv ('valid', stride 1) layers, no bias: the forward uses sign(W)
    with sign(0) = +1, the gradient goes straight through to the latent weight;
  - batch norm after every binary layer, eps 1e-4, momentum 0.1 (batch statistics in
    training, biased variance);
  - sign activation with the hard-tanh straight-through estimator (gradient passed
    where |x| <= 1), max-pooling after the sign;
  - first layer input x = 2p/255 - 1 (not binarized); the last layer is binary dense
    + batch norm, its outputs the class scores;
  - squared hinge loss (mean over examples and classes, targets +-1);
  - Adam (beta 0.9 / 0.999, eps 1e-8); binary weights get the Glorot learning-rate
    scale 1/sqrt(1.5/(fan_in+fan_out)) and are clipped to [-1, 1] after each step;
  - dropout off, batch 100.

  python binarynet_torch.py ARCH THREADS BATCHES DATA_FILE
    ARCH sfc | lfc | cnv28; DATA_FILE holds n*784 pixel bytes then n label bytes
    (MNIST training images, written by bench/train.ts). Runs 3 warm-up batches, then
    BATCHES timed ones, and prints one JSON line (samples/s, per CPU-second, peak RSS,
    mean loss of the first and last quarter of the timed batches).

  python binarynet_torch.py infer BATCH DATA_FILE
    Float inference of lfc (784-1024-1024-1024-10) for bench/int-infer.ts, one thread
    (bnnc's integer engine is single-threaded): the same network in eval mode under
    torch.inference_mode, its +-1 weights computed once (as a deployment would), random
    values (speed does not depend on them). DATA_FILE: n*784 pixel bytes (MNIST test
    images). Warms up, then reads lines from stdin: each line "SECONDS" runs batches of
    BATCH images for at least that long and answers one JSON line
    {"imagesPerSecond", "images", "seconds"}, as bench/peers/lce_infer.py does.

Threads: torch.set_num_threads(THREADS); run it with OMP_NUM_THREADS=THREADS and
OMP_WAIT_POLICY=PASSIVE (bench/train.ts does), else idle OpenMP threads spin and
steal the shared machine's cores.
"""
import math
import sys
from peer_common import report_training, serve_inference

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 100
WARMUP = 3
HIDDEN = {"sfc": 256, "lfc": 1024}


class SignSTE(torch.autograd.Function):
    """sign(x) with sign(0) = +1; gradient of hard tanh (passed where |x| <= 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class BinarizeW(torch.autograd.Function):
    """sign(W) with sign(0) = +1; the gradient goes straight through (BinaryConnect)."""

    @staticmethod
    def forward(ctx, w):
        return torch.where(w >= 0, 1.0, -1.0).to(w.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


def glorot_uniform_(w, fan_in, fan_out):
    limit = min(1.0, math.sqrt(6.0 / (fan_in + fan_out)))
    with torch.no_grad():
        w.uniform_(-limit, limit)


class BinaryDense(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        glorot_uniform_(self.weight, n_in, n_out)
        self.lr_scale = 1.0 / math.sqrt(1.5 / (n_in + n_out))

    def forward(self, x):
        return F.linear(x, BinarizeW.apply(self.weight))


class BinaryConv(nn.Module):
    def __init__(self, c_in, c_out, k):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(c_out, c_in, k, k))
        fan_in, fan_out = k * k * c_in, k * k * c_out
        glorot_uniform_(self.weight, fan_in, fan_out)
        self.lr_scale = 1.0 / math.sqrt(1.5 / (fan_in + fan_out))

    def forward(self, x):
        return F.conv2d(x, BinarizeW.apply(self.weight))


class Sign(nn.Module):
    def forward(self, x):
        return SignSTE.apply(x)


def bn1d(n):
    return nn.BatchNorm1d(n, eps=1e-4, momentum=0.1)


def bn2d(n):
    return nn.BatchNorm2d(n, eps=1e-4, momentum=0.1)


def build(arch):
    if arch in HIDDEN:
        h = HIDDEN[arch]
        sizes = [784, h, h, h, 10]
        layers = [nn.Flatten()]
        for i in range(4):
            layers += [BinaryDense(sizes[i], sizes[i + 1]), bn1d(sizes[i + 1])]
            if i < 3:
                layers.append(Sign())
        return nn.Sequential(*layers)
    if arch == "cnv28":
        # conv -> BN -> sign -> pool, as bnnc: 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4
        def block(c_in, c_out):
            return [BinaryConv(c_in, c_out, 3), bn2d(c_out), Sign()]

        layers = block(1, 32) + block(32, 32) + [nn.MaxPool2d(2)]
        layers += block(32, 64) + block(64, 64) + [nn.MaxPool2d(2), nn.Flatten()]
        layers += [BinaryDense(4 * 4 * 64, 256), bn1d(256), Sign(), BinaryDense(256, 10), bn1d(10)]
        return nn.Sequential(*layers)
    raise SystemExit(f"binarynet_torch: unknown arch {arch!r} (sfc, lfc, cnv28)")


def infer():
    batch, data_file = int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(1)
    torch.manual_seed(1)
    raw = np.fromfile(data_file, dtype=np.uint8)
    n = raw.size // 784
    images = torch.from_numpy(raw[: n * 784].reshape(n, 784).astype(np.float32) * (2.0 / 255.0) - 1.0)
    model = build("lfc")
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, BinaryDense):
                m.weight.copy_(BinarizeW.apply(m.weight))
            elif isinstance(m, nn.BatchNorm1d):
                m.weight.normal_()
                m.bias.normal_().mul_(0.1)
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
    # Inference: the weights are already +-1, so the layers multiply by them directly.
    layers = []
    for m in model:
        if isinstance(m, BinaryDense):
            layers.append(lambda x, w=m.weight: F.linear(x, w))
        elif isinstance(m, Sign):
            layers.append(lambda x: torch.where(x >= 0, 1.0, -1.0))
        else:
            layers.append(m)
    model.eval()
    batches = [images[i : i + batch] for i in range(0, n - batch + 1, batch)]

    def infer_batch(k):
        with torch.inference_mode():
            x = batches[k]
            for f in layers:
                x = f(x)
            x.argmax(1)

    serve_inference(infer_batch, len(batches), batch, {"torch": torch.__version__, "threads": torch.get_num_threads()})


def main():
    if sys.argv[1] == "infer":
        return infer()
    arch, threads, batches, data_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    raw = np.fromfile(data_file, dtype=np.uint8)
    n = raw.size // 785
    pixels = torch.from_numpy(raw[: n * 784].reshape(n, 784).copy())
    labels = torch.from_numpy(raw[n * 784 : n * 785].astype(np.int64))
    conv = arch == "cnv28"

    model = build(arch)
    binary = [m for m in model.modules() if isinstance(m, (BinaryDense, BinaryConv))]
    binary_ids = {id(m.weight) for m in binary}
    lr = 3e-3
    groups = [{"params": [m.weight], "lr": lr * m.lr_scale} for m in binary]
    groups.append({"params": [p for p in model.parameters() if id(p) not in binary_ids], "lr": lr})
    opt = torch.optim.Adam(groups, betas=(0.9, 0.999), eps=1e-8)
    model.train()

    def step(b):
        i = (b * BATCH) % (n - BATCH + 1)
        x = pixels[i : i + BATCH].to(torch.float32) * (2.0 / 255.0) - 1.0
        if conv:
            x = x.view(BATCH, 1, 28, 28)
        t = torch.full((BATCH, 10), -1.0)
        t[torch.arange(BATCH), labels[i : i + BATCH]] = 1.0
        out = model(x)
        loss = torch.clamp(1.0 - t * out, min=0.0).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for m in binary:
                m.weight.clamp_(-1.0, 1.0)
        return loss.item()

    report_training(f"torch-{threads}t", arch, step, WARMUP, batches, BATCH, f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
