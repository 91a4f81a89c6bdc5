"""Export the model families PyTorch users reach for, through both exporters.

Run from the repository root with torch, torchvision, onnx, onnxscript and
onnxruntime installed (see models/requirements.txt):

    python models/families.py            # every model, both exporters
    python models/families.py --only resnet18

Every model is built with random weights (``torch.manual_seed(0)``, eval
mode), exported at its input shape (3x32x32 for the image classifiers) with
the TorchScript exporter (``torch.onnx.export(..., dynamo=False)``) and with
the default exporter (``torch.onnx.export(...)``, which is ``dynamo=True`` in
current torch), both with their default options, as a new user would. The
script checks that onnxruntime reproduces PyTorch's output within 1e-4
(relative to the output's magnitude), and then writes a *skeleton* of each
export to ``models/families/<model>.<exporter>.onnx``:

* the graph, every attribute and every small or non-float initializer are
  kept exactly as the exporter wrote them;
* every float initializer of rank >= 2 with more than 64 elements (the
  weights) keeps its name, type and shape but drops its values; its
  ``doc_string`` records ``zkc-skeleton mean=M std=S`` of the exported values.

The skeletons are what CI tests (``scripts/conformance/families.py``): it
refills every dropped tensor with seeded normal values of the recorded mean
and standard deviation, so it checks exactly the graphs the exporters write
without committing hundreds of megabytes of random weights or installing
torch in CI.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "families")
EXPORTERS = ("torchscript", "dynamo")
# Weights larger than this (float, rank >= 2) are dropped from skeletons.
KEEP_ELEMENTS = 64


class SmallCnn(nn.Module):
    """Conv-BN-ReLU-MaxPool twice, then a Linear: the tutorial CNN."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class TinyUnet(nn.Module):
    """Two-level U-Net: a transposed-conv and a bilinear up path, skip concats."""

    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.mid = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(16, 16, 2, stride=2)
        self.dec2 = nn.Sequential(nn.Conv2d(32, 8, 3, padding=1), nn.ReLU())
        self.dec1 = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        up = F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False)
        d1 = self.dec1(torch.cat([up, e1], 1))
        return self.head(d1)


class Mlp(nn.Module):
    """Linear + ReLU + Linear on a feature vector."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, x):
        return self.net(x)


class Conv1dSeq(nn.Module):
    """A Conv1d sequence classifier with a global mean over time."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 16, 5, padding=2)
        self.c2 = nn.Conv1d(16, 16, 3, padding=1, dilation=1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        h = F.relu(self.c2(F.relu(self.c1(x))))
        return self.fc(h.mean(dim=2))


class TokenMlp(nn.Module):
    """nn.Linear on a [1, T, C] sequence (a transformer's feed-forward, ReLU)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 16)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(x)))


class TransformerFfn(nn.Module):
    """Pre-norm feed-forward block: LayerNorm, Linear, GELU, Linear, residual."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 16)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class SegHead(nn.Module):
    """A segmentation head: strided convs, then bilinear upsampling by 4."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 1),
        )

    def forward(self, x):
        return F.interpolate(self.body(x), scale_factor=4, mode="bilinear", align_corners=False)


class TutorialMnist(nn.Module):
    """The PyTorch MNIST tutorial's shape: convs, dropout, log_softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3)
        self.c2 = nn.Conv2d(8, 16, 3)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(16 * 12 * 12, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
        return F.log_softmax(self.fc(torch.flatten(self.drop(h), 1)), dim=1)


class SoftmaxClassifier(nn.Module):
    """An MLP whose last layer is a softmax over the classes."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 10), nn.Softmax(dim=-1))

    def forward(self, x):
        return self.net(x)


class SelfAttention(nn.Module):
    """One self-attention head: a MatMul of two activations (refused)."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        a = torch.softmax(q @ k.transpose(-1, -2) / 4.0, dim=-1)
        return a @ v


def tv(name, **kw):
    return lambda: getattr(torchvision.models, name)(weights=None, **kw)


IMAGE = (1, 3, 32, 32)
# name -> (constructor, input shape)
MODELS = {
    "resnet18": (tv("resnet18"), IMAGE),
    "mobilenet_v2": (tv("mobilenet_v2"), IMAGE),
    "mobilenet_v3_small": (tv("mobilenet_v3_small"), IMAGE),
    "squeezenet1_1": (tv("squeezenet1_1"), IMAGE),
    "shufflenet_v2_x1_0": (tv("shufflenet_v2_x1_0"), IMAGE),
    "efficientnet_b0": (tv("efficientnet_b0"), IMAGE),
    "vgg11": (tv("vgg11"), IMAGE),
    # AlexNet's stride-4 stem and three 3x3/2 pools leave nothing of 32x32
    "alexnet": (tv("alexnet"), (1, 3, 64, 64)),
    "googlenet": (tv("googlenet", aux_logits=False, init_weights=True), IMAGE),
    "small_cnn": (SmallCnn, IMAGE),
    "tiny_unet": (TinyUnet, IMAGE),
    "mlp": (Mlp, (1, 16)),
    "conv1d_seq": (Conv1dSeq, (1, 4, 32)),
    "token_mlp": (TokenMlp, (1, 8, 16)),
    "transformer_ffn": (TransformerFfn, (1, 8, 16)),
    "seg_head": (SegHead, IMAGE),
    "tutorial_mnist": (TutorialMnist, (1, 1, 28, 28)),
    "softmax_classifier": (SoftmaxClassifier, (1, 16)),
    "self_attention": (SelfAttention, (1, 8, 16)),
}


def export(model, x, exporter, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(model, (x,), path, dynamo=False)
        else:
            # the default exporter prints its progress; keep the log readable
            out = io.StringIO()
            stdout, sys.stdout = sys.stdout, out
            try:
                torch.onnx.export(model, (x,), path)
            finally:
                sys.stdout = stdout
    return onnx.load(path)  # loads external data written beside it


def skeleton(m):
    dropped = 0
    for t in m.graph.initializer:
        if t.data_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
            continue
        a = onnx.numpy_helper.to_array(t)
        if a.ndim < 2 or a.size <= KEEP_ELEMENTS:
            continue
        mean, std = float(a.mean()), float(a.std())
        name, dims = t.name, list(t.dims)
        t.CopyFrom(onnx.TensorProto(name=name, data_type=onnx.TensorProto.FLOAT, dims=dims,
                                    doc_string=f"zkc-skeleton mean={mean!r} std={std!r}"))
        dropped += 1
    return dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="export only models whose name contains this")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    failures = 0
    failed_exports = []
    for name, (ctor, shape) in MODELS.items():
        if args.only not in name:
            continue
        torch.manual_seed(0)
        model = ctor().eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            want = model(x).numpy()
        for exporter in EXPORTERS:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "model.onnx")
                try:
                    m = export(model, x, exporter, path)
                except Exception as e:  # an exporter failure is a result, not ours
                    reason = " ".join(str(e).split())
                    reason = reason.split(" Please feel free")[0].split(" [Caused by")[0]
                    print(f"{name:20} {exporter:11} export failed: {reason}")
                    failed_exports.append((name, exporter, reason))
                    continue
                sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                got = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
            err = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))
            if err > 1e-4:
                print(f"{name:20} {exporter:11} onnxruntime differs from torch by {err:.3g}")
                failures += 1
                continue
            dropped = skeleton(m)
            m.doc_string = json.dumps({
                "zkc_family": name, "exporter": exporter, "torch": torch.__version__,
                "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                "input_shape": list(shape),
            })
            out = os.path.join(OUT, f"{name}.{exporter}.onnx")
            onnx.save(m, out)
            ops = sorted({n.op_type for n in m.graph.node})
            print(f"{name:20} {exporter:11} opset {m.opset_import[0].version:2} "
                  f"{len(m.graph.node):4} nodes, {dropped:3} weights dropped, "
                  f"{os.path.getsize(out) // 1024:4} KiB: {' '.join(ops)}")
    if not args.only:
        with open(os.path.join(OUT, "export_failures.tsv"), "w") as f:
            f.write("# exports that torch itself refused (written by models/families.py)\n")
            f.write("# model\texporter\treason\n")
            for row in failed_exports:
                f.write("\t".join(row) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
