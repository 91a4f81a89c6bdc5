"""Exports the op-coverage models: small, untrained (seeded) PyTorch modules,
each exercising a family of ONNX ops with the attributes the TorchScript
exporter emits, at opsets from 9 to 18.

Run from the repository root with the environment of ``models/README.md``:

    /tmp/zkc-models-venv/bin/python models/ops/export.py

Writes ``models/ops/<name>.onnx`` (weights only; no data files). The tests
compile each one, compare zkc's float IR with tract, quantize it and check
that the integer runtime's trace satisfies the circuit (MockProver).
"""

from pathlib import Path
import sys

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from export import export_onnx  # noqa: E402  (models/export.py)

OUT = Path(__file__).resolve().parent


class ConvAttrs(nn.Module):
    """Conv with stride, padding, dilation and groups; BatchNorm; ReLU."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return F.relu(self.bn(self.c2(F.relu(self.c1(x)))))


class Depthwise(nn.Module):
    """Depthwise conv, ReLU6 (Clip), AveragePool counting the padding."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(3, 3, 3, padding=1, groups=3)
        self.pw = nn.Conv2d(3, 6, 1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True)

    def forward(self, x):
        return self.pool(F.relu6(self.pw(F.relu6(self.dw(x)))))


class Deconv(nn.Module):
    """ConvTranspose with stride, padding, output_padding and groups;
    BatchNorm; LeakyRelu."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return F.leaky_relu(self.bn(self.up(x)), 0.1)


class Pools(nn.Module):
    """MaxPool with padding, AveragePool excluding the padding,
    GlobalAveragePool, Flatten and Gemm."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c(x)), 3, stride=2, padding=1)
        x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class Elementwise(nn.Module):
    """MatMul (no bias), Gemm, Sigmoid, Tanh, Sub, Mul by a constant, Div by a
    constant, a square x*x, Clip with bounds and a skip Add."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8, bias=False)
        self.b = nn.Linear(8, 8)

    def forward(self, x):
        h = torch.sigmoid(self.a(x)) - 0.5
        h = torch.tanh(self.b(h) * 1.5) / 3.0
        h = h * h + torch.clamp(x, -1.0, 1.0)
        return h + x


class Movement(nn.Module):
    """Reshape through a computed shape (view), Transpose, Concat, Squeeze,
    Unsqueeze, Pad and nearest Resize."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        n = x.shape[0]
        y = self.c(x)
        z = torch.cat([x, y], dim=1)  # [n, 4, 4, 4]
        z = F.pad(z, (1, 1, 0, 1))  # [n, 4, 5, 6]
        z = F.interpolate(z, scale_factor=2, mode="nearest")  # [n, 4, 10, 12]
        z = z.permute(0, 2, 3, 1)  # [n, 10, 12, 4]
        z = z.reshape(n, 10, 48).unsqueeze(1).squeeze(1)
        return z.reshape(n, -1)


class Upsample9(nn.Module):
    """nn.Upsample (Upsample at opset 9) between convolutions."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 2, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c2 = nn.Conv2d(2, 1, 3)

    def forward(self, x):
        return self.c2(self.up(F.relu(self.c1(x))))


class Conv1d(nn.Module):
    """Conv1d, BatchNorm1d, MaxPool1d, Dropout (inference) and Linear."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv1d(2, 4, 5, padding=2)
        self.bn = nn.BatchNorm1d(4)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(4 * 8, 2)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn(self.c(x))), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


class Transformer(nn.Module):
    """A pre-norm transformer block: LayerNormalization, one self-attention
    head (MatMul of two activations, Softmax), a GELU feed-forward (Erf
    below opset 20) and residual adds."""

    def __init__(self):
        super().__init__()
        self.n1 = nn.LayerNorm(8)
        self.qkv = nn.Linear(8, 24)
        self.n2 = nn.LayerNorm(8)
        self.f1 = nn.Linear(8, 16)
        self.f2 = nn.Linear(16, 8)

    def forward(self, x):
        q, k, v = self.qkv(self.n1(x)).chunk(3, dim=-1)
        a = torch.softmax(q @ k.transpose(-1, -2) * (8**-0.5), dim=-1)
        x = x + a @ v
        return x + self.f2(F.gelu(self.f1(self.n2(x))))


class Heads(nn.Module):
    """Softmax and LogSoftmax over the classes of a Linear layer (at opset 11
    the pre-13 semantics: the input coerced to 2-D from the axis on)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        h = self.fc(x)
        return torch.cat([F.softmax(h, dim=1), F.log_softmax(h, dim=1)], dim=1)


# (name, module, input shape, opset)
MODELS = [
    ("conv_attrs_op9", ConvAttrs, (1, 2, 9, 9), 9),
    ("depthwise_op11", Depthwise, (1, 3, 8, 8), 11),
    ("deconv_op13", Deconv, (1, 4, 4, 4), 13),
    ("pools_op18", Pools, (1, 1, 8, 8), 18),
    ("elementwise_op9", Elementwise, (1, 8), 9),
    ("elementwise_op17", Elementwise, (1, 8), 17),
    ("movement_op13", Movement, (1, 2, 4, 4), 13),
    # tract has no Upsample (opsets 7 to 9): the same module at opset 11
    # (Resize) is the float reference for the opset-9 file.
    ("upsample_op9", Upsample9, (1, 1, 6, 6), 9),
    ("upsample_op11", Upsample9, (1, 1, 6, 6), 11),
    ("conv1d_op15", Conv1d, (1, 2, 16), 15),
    ("transformer_op17", Transformer, (1, 6, 8), 17),
    ("softmax_op11", Heads, (1, 8), 11),
]


def randomize_batch_norm(m: nn.Module, g: torch.Generator) -> None:
    """Non-trivial running statistics, so that folding them is tested."""
    for bn in m.modules():
        if isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = bn.num_features
            bn.running_mean.copy_(torch.randn(n, generator=g) * 0.2)
            bn.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            bn.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            bn.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def main() -> None:
    for name, cls, shape, opset in MODELS:
        torch.manual_seed(0)
        m = cls()
        randomize_batch_norm(m, torch.Generator().manual_seed(1))
        path = OUT / f"{name}.onnx"
        export_onnx(m, torch.zeros(shape), path, opset)
        print(f"wrote {path.relative_to(OUT.parent.parent)}")


if __name__ == "__main__":
    main()
