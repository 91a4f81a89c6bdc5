"""Train and export the small ONNX test models used by zkc.

Run from the repository root (or anywhere):

    python models/export.py

For every model this script

1. trains it briefly on CPU (deterministic: fixed seeds, single thread,
   ``torch.use_deterministic_algorithms(True)``),
2. traces it in eval mode with ``torch.jit.trace`` and exports the trace with
   the TorchScript exporter (``torch.onnx.export(..., dynamo=False)``) using a
   dynamic batch axis,
3. checks the file with ``onnx.checker``, checks that BatchNormalization nodes
   survived in inference form (one output, running statistics) where the
   model has BatchNorm layers, and checks that onnxruntime reproduces the
   PyTorch eval-mode output within 1e-5 on several inputs,
4. writes ``models/<name>.onnx`` plus ``models/<name>/input.json``,
   ``models/<name>/data.json`` (held-out test split, predictive models only)
   and ``models/<name>/calibration.json`` (64 training samples),
5. evaluates every predictive model with onnxruntime on ``data.json`` *as
   written* (floats rounded to 6 significant digits) and regenerates
   ``models/README.md`` with the results table.

Keeping BatchNormalization nodes
--------------------------------
The compiler has its own BN-folding pass, so BN must *not* be folded by the
exporter. In the TorchScript exporter, ``training=TrainingMode.EVAL`` (the
default) runs the "eval peephole" pass (``_jit_pass_onnx_eval_peephole``)
which fuses Conv+BatchNormalization into the Conv weights. Exporting with
``training=torch.onnx.TrainingMode.PRESERVE`` while the model is in eval
mode skips that pass; because the traced ``batch_norm`` calls carry
``training=False``, the BatchNormalization nodes are emitted in inference
form (single output, using running mean/var). Constant folding cannot touch
BN (its data input is not constant), so ``do_constant_folding`` is left on.

Data
----
Only datasets shipped with scikit-learn are used:

* digits (``load_digits``): 8x8 images, pixels scaled to [0, 1] by ``/ 16``;
  split with ``train_test_split(test_size=0.2, random_state=0, stratify=y)``.
* diabetes (``load_diabetes``): the 10 features exactly as shipped
  (already mean-centred and scaled by scikit-learn); the target is divided
  by 100 so that it is of order 1 (labels in data.json are in these units);
  split with ``train_test_split(test_size=0.2, random_state=0)``.
"""

from __future__ import annotations

import json
import random
import warnings
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import sklearn
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
SEED = 0
N_CALIBRATION = 64
DIFF_TOL = 1e-5  # max |onnxruntime - pytorch| allowed


# --------------------------------------------------------------------------
# Utilities
# --------------------------------------------------------------------------


def set_seed(seed: int = SEED) -> None:
    """Seed every RNG we use and make torch single-threaded/deterministic."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def round6(x: float) -> float:
    """Round to 6 significant digits (what we write to JSON)."""
    return float(f"{float(x):.6g}")


def rounded(arr) -> list:
    """Nested list of floats rounded to 6 significant digits."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 0:
        return round6(arr)
    return [rounded(a) for a in arr]


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def read_json(path: Path):
    with open(path) as f:
        return json.load(f)


def count_params(model: nn.Module) -> int:
    """Trainable parameters (BN running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def onnx_initializer_elems(path: Path) -> int:
    m = onnx.load(str(path))
    return int(sum(np.prod(t.dims, dtype=np.int64) for t in m.graph.initializer))


def onnx_op_types(path: Path) -> list[str]:
    m = onnx.load(str(path))
    return sorted({n.op_type for n in m.graph.node})


def ort_session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def ort_run(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort_session(path)
    return sess.run(["output"], {"input": np.asarray(x, dtype=np.float32)})[0]


def export_onnx(model: nn.Module, example: torch.Tensor, path: Path, opset: int) -> None:
    """Trace in eval mode and export with the TorchScript exporter.

    ``training=PRESERVE`` (model in eval mode) skips the eval peephole pass
    that would fuse Conv+BatchNormalization, see the module docstring.
    """
    model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # Expected noise: jit.trace / TorchScript exporter deprecation notices and
        # the constant-folding advice, which only matters for a model in train mode.
        warnings.filterwarnings("ignore", message=".*constant folding be turned off.*")
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", message=".*torch.jit.trace.*is deprecated.*")
        warnings.filterwarnings("ignore", message=".*no signature found for.*")
        traced = torch.jit.trace(model, example)
        torch.onnx.export(
            traced,
            example,
            str(path),
            dynamo=False,
            export_params=True,
            opset_version=opset,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=True,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
        )
    fix_output_shape(path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def fix_output_shape(path: Path) -> None:
    """Replace exporter placeholder dims on the graph output by static values.

    When the traced graph reshapes with a constant ``-1`` (tiny_gan), the
    TorchScript exporter's shape inference loses the spatial dims and declares
    the output as ``[batch_size, 1, "Tanhoutput_dim_2", "Tanhoutput_dim_3"]``.
    ONNX shape inference recovers them (8, 8), so copy the inferred static
    dims into the declared output shape. Only metadata changes; the batch
    axis stays symbolic. A no-op for every other model.
    """
    m = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    inferred_out = {o.name: o for o in inferred.graph.output}
    changed = False
    for out in m.graph.output:
        dims = out.type.tensor_type.shape.dim
        new_dims = inferred_out[out.name].type.tensor_type.shape.dim
        for i, (d, nd) in enumerate(zip(dims, new_dims)):
            if i > 0 and d.HasField("dim_param") and nd.HasField("dim_value"):
                d.dim_value = nd.dim_value  # clears dim_param (oneof)
                changed = True
    if changed:
        onnx.save(m, str(path))


def check_batchnorm(path: Path, expected: int) -> None:
    """BN nodes must exist, have one output and not be in training mode."""
    m = onnx.load(str(path))
    bns = [n for n in m.graph.node if n.op_type == "BatchNormalization"]
    assert len(bns) == expected, f"{path.name}: {len(bns)} BN nodes, expected {expected}"
    for n in bns:
        assert len(n.output) == 1, f"{path.name}: BN {n.name} has {len(n.output)} outputs"
        for a in n.attribute:
            if a.name == "training_mode":
                assert a.i == 0, f"{path.name}: BN {n.name} has training_mode=1"


def check_bn_stats(model: nn.Module) -> None:
    """Running statistics must have moved away from their (0, 1) init."""
    for name, mod in model.named_modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            mean_dev = mod.running_mean.abs().max().item()
            var_dev = (mod.running_var - 1).abs().max().item()
            assert mean_dev > 1e-2 and var_dev > 1e-2, f"BN {name} stats look untrained"


def verify_against_torch(model: nn.Module, path: Path, xs: list[np.ndarray]) -> float:
    """Compare onnxruntime with PyTorch eval mode on each batch in ``xs``."""
    model.eval()
    sess = ort_session(path)
    worst = 0.0
    for x in xs:
        x = np.asarray(x, dtype=np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = sess.run(["output"], {"input": x})[0]
        assert got.shape == ref.shape, (got.shape, ref.shape)
        diff = float(np.abs(got - ref).max())
        worst = max(worst, diff)
        assert diff <= DIFF_TOL, f"{path.name}: onnxruntime differs from torch by {diff}"
    return worst


def train_supervised(model, X, y, loss_fn, epochs, lr, batch_size=64, weight_decay=0.0):
    """Plain minibatch Adam training with a seeded shuffle."""
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), batch_size):
            idx = perm[i : i + batch_size]
            if len(idx) < 2:  # BatchNorm needs >1 sample per batch
                continue
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def digits_split():
    """Digits scaled to [0, 1] (pixel / 16), float32, fixed stratified split."""
    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)


def diabetes_split():
    """Diabetes features as shipped; target / 100."""
    d = load_diabetes()
    X = d.data.astype(np.float32)
    y = (d.target / 100.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.2, random_state=0)


def write_classifier_files(name, Xtr, ytr, Xte, yte):
    """input.json (first test image), data.json (test split), calibration.json."""
    out = HERE / name
    write_json(out / "input.json", {"input_data": [rounded(Xte[0].reshape(-1))]})
    write_json(
        out / "data.json",
        {"inputs": rounded(Xte.reshape(len(Xte), -1)), "labels": [int(v) for v in yte]},
    )
    write_json(
        out / "calibration.json",
        {
            "inputs": rounded(Xtr[:N_CALIBRATION].reshape(N_CALIBRATION, -1)),
            "labels": [int(v) for v in ytr[:N_CALIBRATION]],
        },
    )


def json_inputs(name: str, input_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Load data.json as written and reshape inputs to the model's input shape."""
    data = read_json(HERE / name / "data.json")
    X = np.asarray(data["inputs"], dtype=np.float32).reshape((-1,) + tuple(input_shape[1:]))
    return X, np.asarray(data["labels"])


def onnx_accuracy(name: str, input_shape: tuple) -> float:
    X, y = json_inputs(name, input_shape)
    logits = ort_run(HERE / f"{name}.onnx", X)
    return float((logits.argmax(axis=1) == y).mean())


def onnx_mse(name: str, input_shape: tuple) -> float:
    X, y = json_inputs(name, input_shape)
    pred = ort_run(HERE / f"{name}.onnx", X).reshape(-1)
    return float(np.mean((pred - y.astype(np.float32)) ** 2))


def verification_batches(X: np.ndarray, shape: tuple) -> list[np.ndarray]:
    """A few batches (sizes 1, 7 and 32) of JSON-rounded inputs."""
    Xr = np.asarray(rounded(X[:40].reshape(40, -1)), dtype=np.float32)
    Xr = Xr.reshape((-1,) + tuple(shape[1:]))
    return [Xr[:1], Xr[1:8], Xr[8:40]]


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class DigitsCNN(nn.Module):
    """LeNet-style CNN with BatchNorm; flattens with x.view(x.size(0), -1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 12, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(12)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(48, 32)
        self.bn3 = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))  # 6x4x4
        x = self.pool(F.relu(self.bn2(self.conv2(x))))  # 12x2x2
        x = x.view(x.size(0), -1)  # Shape/Gather/Unsqueeze/Concat -> Reshape
        x = F.relu(self.bn3(self.fc1(x)))
        return self.fc2(x)


class DigitsResNet(nn.Module):
    """Stem conv + one residual block, Div by a constant, AvgPool, Flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        r = F.relu(self.bn1(self.conv1(x)))
        r = self.bn2(self.conv2(r))
        x = F.relu(x + r)
        x = x / 4.0
        x = self.pool(x)  # 8x4x4
        x = torch.flatten(x, 1)
        return self.fc(x)


class TinyGenerator(nn.Module):
    """latent 16 -> Linear -> [16,2,2] -> ConvT -> 4x4 -> BN -> ReLU -> ConvT -> 8x8 -> Tanh."""

    def __init__(self, latent: int = 16):
        super().__init__()
        self.fc = nn.Linear(latent, 64)
        self.deconv1 = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.deconv2 = nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1)

    def forward(self, z):
        x = self.fc(z).view(-1, 16, 2, 2)
        x = F.relu(self.bn(self.deconv1(x)))
        return torch.tanh(self.deconv2(x))  # [N, 1, 8, 8]


class Encoder(nn.Module):
    """Small MLP encoder used only to train the generator as a decoder."""

    def __init__(self, latent: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, latent))

    def forward(self, x):
        return self.net(x)


# --------------------------------------------------------------------------
# Per-model export functions. Each returns a dict for the README table.
# --------------------------------------------------------------------------


def finish_classifier(name, model, shape, opset, task, n_bn, Xtr, ytr, Xte, yte):
    path = HERE / f"{name}.onnx"
    export_onnx(model, torch.zeros(shape), path, opset)
    check_batchnorm(path, n_bn)
    write_classifier_files(name, Xtr, ytr, Xte, yte)
    diff = verify_against_torch(model, path, verification_batches(Xte, shape))
    acc = onnx_accuracy(name, shape)
    return {
        "name": name,
        "task": task,
        "input_shape": list(shape),
        "ops": onnx_op_types(path),
        "params": count_params(model),
        "init_elems": onnx_initializer_elems(path),
        "metric": f"accuracy {acc * 100:.2f}%",
        "opset": opset,
        "max_diff": diff,
        "n_bn": n_bn,
    }


def export_digits_mlp():
    set_seed()
    Xtr, Xte, ytr, yte = digits_split()
    model = DigitsMLP()
    train_supervised(model, Xtr, ytr, nn.CrossEntropyLoss(), epochs=60, lr=1e-2, weight_decay=1e-3)
    return finish_classifier(
        "digits_mlp", model, (1, 64), 11, "digits classification (10 classes)", 0,
        Xtr, ytr, Xte, yte,
    )


def export_digits_cnn():
    set_seed()
    Xtr, Xte, ytr, yte = digits_split()
    Xtr4, Xte4 = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    model = DigitsCNN()
    train_supervised(model, Xtr4, ytr, nn.CrossEntropyLoss(), epochs=40, lr=5e-3)
    check_bn_stats(model)
    return finish_classifier(
        "digits_cnn", model, (1, 1, 8, 8), 13, "digits classification (10 classes)", 3,
        Xtr4, ytr, Xte4, yte,
    )


def export_digits_resnet():
    set_seed()
    Xtr, Xte, ytr, yte = digits_split()
    Xtr4, Xte4 = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    model = DigitsResNet()
    train_supervised(model, Xtr4, ytr, nn.CrossEntropyLoss(), epochs=40, lr=5e-3)
    check_bn_stats(model)
    return finish_classifier(
        "digits_resnet", model, (1, 1, 8, 8), 13, "digits classification (10 classes)", 3,
        Xtr4, ytr, Xte4, yte,
    )


def export_tiny_gan():
    """Train the generator as the decoder of an autoencoder; export the decoder."""
    set_seed()
    Xtr, Xte, _, _ = digits_split()
    enc, gen_model = Encoder(), TinyGenerator()
    ae = nn.Sequential(enc, gen_model)
    target_tr = torch.from_numpy(Xtr * 2.0 - 1.0).view(-1, 1, 8, 8)  # pixels in [-1, 1]
    train_supervised(ae, Xtr, target_tr, nn.MSELoss(), epochs=150, lr=3e-3)
    check_bn_stats(gen_model)

    with torch.no_grad():
        z_tr = enc(torch.from_numpy(Xtr)).numpy()
        z_te = enc(torch.from_numpy(Xte)).numpy()
        recon = ae(torch.from_numpy(Xte)).numpy()
    recon_mse = float(np.mean((recon.reshape(len(Xte), -1) - (Xte * 2 - 1)) ** 2))

    name, shape, opset = "tiny_gan", (1, 16), 17
    path = HERE / f"{name}.onnx"
    export_onnx(gen_model, torch.zeros(shape), path, opset)
    check_batchnorm(path, 1)
    out = HERE / name
    write_json(out / "input.json", {"input_data": [rounded(z_te[0])]})
    write_json(out / "calibration.json", {"inputs": rounded(z_tr[:N_CALIBRATION])})
    diff = verify_against_torch(gen_model, path, verification_batches(z_te, shape))
    return {
        "name": name,
        "task": "image generator (latent 16 -> 1x8x8 in [-1,1])",
        "input_shape": list(shape),
        "ops": onnx_op_types(path),
        "params": count_params(gen_model),
        "init_elems": onnx_initializer_elems(path),
        "metric": f"n/a (autoencoder test recon. MSE {recon_mse:.4f}, torch)",
        "opset": opset,
        "max_diff": diff,
        "n_bn": 1,
    }


def export_diabetes_linear():
    set_seed()
    Xtr, Xte, ytr, yte = diabetes_split()
    model = nn.Linear(10, 1)
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr).view(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(5000):  # full-batch least squares
        opt.zero_grad()
        F.mse_loss(model(X), y).backward()
        opt.step()
    model.eval()

    name, shape, opset = "diabetes_linear", (1, 10), 11
    path = HERE / f"{name}.onnx"
    export_onnx(model, torch.zeros(shape), path, opset)
    check_batchnorm(path, 0)
    out = HERE / name
    write_json(out / "input.json", {"input_data": [rounded(Xte[0])]})
    write_json(out / "data.json", {"inputs": rounded(Xte), "labels": rounded(yte)})
    write_json(
        out / "calibration.json",
        {"inputs": rounded(Xtr[:N_CALIBRATION]), "labels": rounded(ytr[:N_CALIBRATION])},
    )
    diff = verify_against_torch(model, path, verification_batches(Xte, shape))
    mse = onnx_mse(name, shape)

    # Sanity check against the closed-form least-squares solution.
    A = np.hstack([Xtr.astype(np.float64), np.ones((len(Xtr), 1))])
    coef, *_ = np.linalg.lstsq(A, ytr.astype(np.float64), rcond=None)
    pred = np.hstack([Xte, np.ones((len(Xte), 1))]) @ coef
    ls_mse = float(np.mean((pred - yte) ** 2))
    assert abs(mse - ls_mse) < 1e-3 * max(1.0, ls_mse), (mse, ls_mse)

    return {
        "name": name,
        "task": "regression (diabetes progression / 100)",
        "input_shape": list(shape),
        "ops": onnx_op_types(path),
        "params": count_params(model),
        "init_elems": onnx_initializer_elems(path),
        "metric": f"MSE {mse:.4f} (target/100 units)",
        "opset": opset,
        "max_diff": diff,
        "n_bn": 0,
    }


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

README_HEAD = """\
# Test models

Small ONNX models used to exercise zkc. The `.onnx` files, the JSON data
files and this README (including the table below) are all written by
`export.py`; edit the script, not the outputs.

## Re-running the export

From the repository root:

```sh
python -m venv /tmp/zkc-models-venv
/tmp/zkc-models-venv/bin/pip install -r models/requirements.txt
/tmp/zkc-models-venv/bin/python models/export.py
```

Training is CPU-only, single-threaded and seeded, and only uses datasets that
ship with scikit-learn (`load_digits`, `load_diabetes`); the whole run takes
about 25 seconds on one core and is bit-for-bit reproducible with the pinned
versions (checked by running it twice). The default PyPI `torch` wheel pulls
in CUDA libraries (several GB); the CPU-only wheel from
`https://download.pytorch.org/whl/cpu` should work too, but other builds or
versions may change the trained weights in the last bits.

## Layout

- `<name>.onnx`: the model. Input `input`, output `output`, dynamic batch
  axis 0 (`batch_size`). Exported with `torch.jit.trace` then the TorchScript
  exporter (`torch.onnx.export(..., dynamo=False)`).
- `<name>/input.json`: `{"input_data": [[...]]}`, one sample flattened
  row-major (a real test image for the digits models, the encoder latent of a
  test image for `tiny_gan`, a test row for `diabetes_linear`).
- `<name>/data.json` (all but `tiny_gan`): the held-out test split,
  `{"inputs": [[...], ...], "labels": [...]}`; labels are class ids for
  digits and floats (target / 100) for diabetes.
- `<name>/calibration.json`: the first 64 samples of the training split in
  the same form; for `tiny_gan` 64 encoder latents of training images with
  no labels (`{"inputs": [...]}`).

Floats in the JSON files are rounded to 6 significant digits; the metrics
below are computed with onnxruntime on `data.json` as written.

## Data

- digits: `load_digits()`, pixels scaled to [0, 1] by `/ 16`,
  `train_test_split(test_size=0.2, random_state=0, stratify=y)`
  (1437 train / 360 test).
- diabetes: `load_diabetes()` features as shipped (scikit-learn already
  mean-centres and scales them), target divided by 100 (so the model output
  and labels are in units of 100 of the original target; multiply MSE by 1e4
  for the original units), `train_test_split(test_size=0.2, random_state=0)`
  (353 train / 89 test).

## BatchNormalization

BatchNormalization is kept as real `BatchNormalization` nodes in inference
form (one output, trained running mean/var) so that zkc's own BN-folding pass
has something to do. The models are put in eval mode, traced, and exported
with `training=torch.onnx.TrainingMode.PRESERVE` (this skips the TorchScript
exporter's eval peephole pass, which otherwise fuses Conv+BN);
`do_constant_folding=True` does not touch BN. (In this exporter the
peephole only runs when constant folding is on *and* the mode is EVAL, so
`training=EVAL, do_constant_folding=False` would also keep BN, at the price of
unfolded constants.) `export.py` asserts the node count, the single output
(and `training_mode` 0 where the attribute exists, i.e. opset >= 14), that
running statistics moved away from their (0, 1) initialisation, and that
onnxruntime matches PyTorch eval mode within 1e-5 (absolute) on batches of 1,
7 and 32 samples.

## Post-export tweak

For `tiny_gan` the exporter declares the output as
`[batch_size, 1, "Tanhoutput_dim_2", "Tanhoutput_dim_3"]` (its shape
inference loses the spatial dims after the constant `-1` reshape).
`export.py` copies the static dims found by `onnx.shape_inference` into the
declared output shape, giving `[batch_size, 1, 8, 8]`. Nothing else in the
exported files is modified.

## Models

"""


def write_readme(results: list[dict]) -> None:
    lines = [
        "| name | task | input shape | ONNX ops | params | test metric (onnxruntime, data.json) | opset |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| `{r['name']}` | {r['task']} | `[{', '.join(['N'] + [str(d) for d in r['input_shape'][1:]])}]` | {', '.join(r['ops'])} "
            f"| {r['params']:,} | {r['metric']} | {r['opset']} |"
        )
    notes = [
        "",
        "`N` is the dynamic batch axis (`batch_size`); `input.json` holds one sample.",
        "`params` counts trainable parameters; the ONNX files additionally hold the",
        "BatchNorm running mean/var (and shape constants). Initializer element",
        "counts: "
        + ", ".join(f"`{r['name']}` {r['init_elems']:,}" for r in results)
        + ".",
        "",
        "Max |onnxruntime - PyTorch| seen during verification: "
        + ", ".join(f"`{r['name']}` {r['max_diff']:.1e}" for r in results)
        + ".",
        "",
        "Architectures:",
        "",
        "- `digits_mlp`: Linear(64->32)+ReLU, Linear(32->16)+ReLU, Linear(16->10).",
        "- `digits_cnn`: Conv(1->6,k3,p1)+BN+ReLU, MaxPool(2), Conv(6->12,k3,p1)+BN+ReLU,",
        "  MaxPool(2), `x.view(x.size(0), -1)` (Shape/Gather/Unsqueeze/Concat->Reshape),",
        "  Linear(48->32)+BatchNorm1d+ReLU, Linear(32->10).",
        "- `digits_resnet`: Conv(1->8,k3,p1)+BN+ReLU; residual block",
        "  Conv(8->8)+BN+ReLU, Conv(8->8)+BN, Add(skip), ReLU; `x / 4.0`; AvgPool(2);",
        "  Flatten; Linear(128->10).",
        "- `tiny_gan`: Linear(16->64), reshape to [16,2,2], ConvTranspose(16->8,k4,s2,p1)",
        "  (4x4), BN, ReLU, ConvTranspose(8->1,k4,s2,p1) (8x8), Tanh. Output [N,1,8,8]",
        "  in [-1, 1]. Trained as the decoder of an autoencoder on digits (encoder",
        "  Linear(64->128)+ReLU+Linear(128->16), targets = pixels scaled to [-1, 1]);",
        "  only the decoder is exported.",
        "- `diabetes_linear`: Linear(10->1), trained with full-batch Adam (matches the",
        "  closed-form least-squares fit).",
        "",
    ]
    (HERE / "README.md").write_text(README_HEAD + "\n".join(lines + notes))


def main() -> None:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__}, onnx {onnx.__version__}, "
        f"onnxruntime {ort.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}"
    )
    results = []
    for fn in (
        export_digits_mlp,
        export_digits_cnn,
        export_digits_resnet,
        export_tiny_gan,
        export_diabetes_linear,
    ):
        r = fn()
        print(
            f"{r['name']}: {r['metric']}, params {r['params']}, max diff {r['max_diff']:.2e}, "
            f"ops {r['ops']}"
        )
        results.append(r)
    write_readme(results)
    print("wrote", HERE / "README.md")


if __name__ == "__main__":
    main()
