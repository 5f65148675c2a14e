"""Train a small CNN on scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download) with minigrad.

    pip install -e '.[examples]'         # scikit-learn, tqdm, matplotlib
    python models/digits_cnn.py          # ~97-99% test accuracy in well under a minute on 2 CPU cores
    python models/digits_cnn.py --plot digits.png --save digits.npz --json
    python models/digits_cnn.py --backend cupy

The PyTorch way, end to end: ``nn.Conv2d`` / ``nn.BatchNorm2d`` / ``nn.ReLU`` / ``nn.MaxPool2d`` / ``nn.Linear``,
``nn.Dropout``, ``nn.CrossEntropyLoss``, ``optim.AdamW`` with a cosine learning-rate schedule,
``minigrad.utils.data.DataLoader`` over a ``TensorDataset``, ``model.train()`` / ``model.eval()``, and the training
step through ``mg.jit`` (``--no-jit`` runs it eagerly; dropout draws its mask inside its op, so every replay draws
a fresh one, in the same sequence as eager). Shapes::

    x (B,1,8,8) -> conv 3x3 pad 1 (32) -> BN -> ReLU -> max pool 2 -> (B,32,4,4)
                -> conv 3x3 pad 1 (64) -> BN -> ReLU -> max pool 2 -> (B,64,2,2)
                -> flatten (B,256) -> dropout -> Linear(256,128) -> ReLU -> dropout -> Linear(128,10) = logits
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

if __package__ in (None, ""):  # run as a script: make `import models...` (and the repo's minigrad) importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from models import cli
    cli.bootstrap(__file__)

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad.utils.data import DataLoader, TensorDataset  # noqa: E402
from models import cli  # noqa: E402

CLASSES = 10


def load_digits_split(seed: int = 0, test_fraction: float = 0.2,
                      limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits as float32 images (N,1,8,8), standardised with the training split's mean and std,
    and int64 labels (N,); a stratified split seeded by `seed`. `limit` keeps only the first `limit` training
    images (for quick runs). Returns x_train, y_train, x_test, y_test."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit("error: this example needs scikit-learn (its digits data set is bundled, no download). "
                         "Install the optional extra: pip install -e '.[examples]' (or pip install scikit-learn)."
                         ) from None
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None]  # pixel values 0..16 -> 0..1
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                                        stratify=y)
    mean, std = x_train.mean(), x_train.std()  # of the whole training split: --limit does not change them
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


class DigitsCNN(nn.Module):
    """Two conv/BN/ReLU/pool stages and a two-layer classifier with dropout: (B,1,8,8) -> logits (B,10)."""

    def __init__(self, dropout: float = 0.25, dtype: Any = mg.float32, backend: str = "numpy") -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"DigitsCNN: dropout must be in [0, 1), got {dropout!r}")
        kw = {"dtype": dtype, "backend": backend}
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, **kw), nn.BatchNorm2d(32, **kw), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, **kw), nn.BatchNorm2d(64, **kw), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        self.fc1 = nn.Linear(256, 128, **kw)
        self.fc2 = nn.Linear(128, CLASSES, **kw)
        self.drop = nn.Dropout(dropout)  # fresh masks on every call, mg.jit replays included

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        """x (B,1,8,8) -> logits (B,10); dropout after the features and after fc1 (train mode only)."""
        h = self.drop(self.features(x))                                 # (B,256)
        h = self.drop(F.relu(self.fc1(h)))                              # (B,128)
        return self.fc2(h)                                              # (B,10)


def make_step(model: DigitsCNN, criterion: nn.Module, opt: Any) -> Callable[..., tuple[mg.Tensor, mg.Tensor]]:
    """One training step on a batch: (x (B,1,8,8), y (B,)) -> (mean loss, logits (B,10)), both detached."""
    def step(x: mg.Tensor, y: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        opt.zero_grad()
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()
    return step


def evaluate(model: nn.Module, criterion: nn.Module, x: mg.Tensor, y: mg.Tensor,
             batch_size: int = 512) -> tuple[float, float, np.ndarray]:
    """(mean loss, accuracy, predicted labels (N,) on the host) of `model` in eval mode on x (N,1,8,8), y (N,)."""
    model.eval()
    total, preds = 0.0, []
    with mg.no_grad():
        for i in range(0, x.shape[0], batch_size):
            logits = model(x[i:i + batch_size])
            total += criterion(logits, y[i:i + batch_size]).item() * logits.shape[0]
            preds.append(logits.argmax(1).numpy())
    pred = np.concatenate(preds)
    return total / x.shape[0], float(np.mean(pred == y.numpy())), pred


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(classes, classes) counts: row = true label, column = predicted label."""
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _bar(loader: Any, desc: str, enabled: bool) -> Any:
    """A tqdm bar over one epoch's batches, or the loader itself when disabled or tqdm is missing."""
    if not enabled:
        return loader
    try:
        from tqdm import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=desc, unit="batch", leave=False, dynamic_ncols=True)


def train(model: nn.Module, data: tuple[np.ndarray, ...], *, epochs: int = 12, batch_size: int = 64,
          lr: float = 3e-3, weight_decay: float = 1e-2, seed: int = 0, backend: str = "numpy", jit: bool = True,
          progress: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train with AdamW and a cosine learning-rate schedule (per epoch); evaluate on the test set each epoch.

    Returns {"history": [per-epoch dicts: epoch, lr, train_loss, train_acc, test_loss, test_acc, seconds],
    "test_acc", "test_pred" (host labels), "diverged", "seconds", "jit"}. The training accuracy is measured on the
    batches as they are trained (train mode: dropout on, batch statistics), as PyTorch examples report it.
    """
    x_train, y_train, x_test, y_test = data
    dtype = model.fc2.weight.dtype
    xte, yte = mg.tensor(x_test, dtype=dtype, backend=backend), mg.tensor(y_test, backend=backend)
    # Batches are cut on the host and moved to `backend`. drop_last: every training batch has the same shape,
    # so mg.jit records one step and replays it (each epoch reshuffles, so every image is still used).
    loader = DataLoader(TensorDataset(x_train.astype(dtype), y_train), batch_size=batch_size, shuffle=True,
                        drop_last=len(y_train) >= batch_size, generator=seed, backend=backend)
    criterion = nn.CrossEntropyLoss()
    opt = mg.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = mg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    step = make_step(model, criterion, opt)
    run = mg.jit(step) if jit else step
    history: list[dict[str, Any]] = []
    diverged = False
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        lr_now = opt.param_groups[0]["lr"]
        seen, loss_sum, correct = 0, 0.0, 0
        bar = _bar(loader, f"epoch {epoch}/{epochs}", progress)
        for xb, yb in bar:
            loss, logits = run(xb, yb)
            n = xb.shape[0]
            loss_sum += loss.item() * n
            correct += int((logits.argmax(1) == yb).sum().item())
            seen += n
            if bar is not loader:
                bar.set_postfix_str(f"loss={loss_sum / seen:.4f}", refresh=False)
        sched.step()
        train_loss = loss_sum / max(seen, 1)
        test_loss, test_acc, pred = evaluate(model, criterion, xte, yte)
        history.append({"epoch": epoch, "lr": lr_now, "train_loss": train_loss, "train_acc": correct / max(seen, 1),
                        "test_loss": test_loss, "test_acc": test_acc, "seconds": time.perf_counter() - t0})
        if log is not None:
            h = history[-1]
            log(f"epoch {epoch:>3}/{epochs}  lr {lr_now:.2e}  train loss {h['train_loss']:.4f} acc "
                f"{h['train_acc']:.4f}  test loss {h['test_loss']:.4f} acc {h['test_acc']:.4f}  ({h['seconds']:.1f} s)")
        if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
            diverged = True
            break
    if not history:  # --epochs 0 (e.g. evaluate a --load-ed model)
        _, test_acc, pred = evaluate(model, criterion, xte, yte)
    return {"history": history, "test_acc": history[-1]["test_acc"] if history else test_acc, "test_pred": pred,
            "diverged": diverged, "seconds": time.perf_counter() - start, "jit": jit}


def save_figure(plt: Any, history: list[dict[str, Any]], cm: np.ndarray, path: str, title: str) -> None:
    """Loss and accuracy per epoch (train and test) and the test confusion matrix, as one image at `path`."""
    fig, (ax_loss, ax_acc, ax_cm) = plt.subplots(1, 3, figsize=(15, 4.4))
    epochs = [h["epoch"] for h in history]
    for key, label in (("train", "train"), ("test", "test")):
        ax_loss.plot(epochs, [h[f"{key}_loss"] for h in history], marker="o", ms=3, label=label)
        ax_acc.plot(epochs, [h[f"{key}_acc"] for h in history], marker="o", ms=3, label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    ax_cm.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        if v:
            ax_cm.text(j, i, str(v), ha="center", va="center", fontsize=8,
                       color="white" if v > cm.max() / 2 else "black")
    ax_cm.set(xlabel="predicted", ylabel="true", title=f"test confusion matrix ({int(np.trace(cm))}/{cm.sum()})",
              xticks=range(CLASSES), yticks=range(CLASSES))
    fig.suptitle(title)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110, format=cli.plot_format(path))
    finally:
        plt.close(fig)


def _blas_threads(n: int) -> Any:
    """A context that limits BLAS to `n` threads (threadpoolctl), or does nothing when threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


EXIT_CODES_HELP = ("exit codes: 0 success; 1 error (unusable output path, missing optional package such as "
                   "scikit-learn or matplotlib, unreadable checkpoint, unusable backend), reported before training "
                   "starts; 2 bad command-line arguments; 4 diverged (a loss became NaN or infinite; the summary is "
                   "still printed and --save/--plot still written).")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train a small CNN on scikit-learn's 8x8 digits with minigrad.",
                                epilog=EXIT_CODES_HELP, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=cli.non_negative_int, default=12, help="training epochs (0: only evaluate)")
    p.add_argument("--batch-size", type=cli.positive_int, default=64, help="training batch size")
    p.add_argument("--lr", type=cli.positive_float, default=3e-3, help="AdamW's initial learning rate (cosine decay)")
    p.add_argument("--weight-decay", type=cli.non_negative_float, default=1e-2, help="AdamW's decoupled weight decay")
    p.add_argument("--dropout", type=cli.fraction, default=0.25, help="dropout probability in the classifier")
    p.add_argument("--seed", type=cli.seed, default=0, help="seeds the split, the init, the shuffling and dropout")
    p.add_argument("--limit", type=cli.positive_int, default=None, help="train on only the first N training images")
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"], help="array backend")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="floating-point type")
    p.add_argument("--threads", type=cli.positive_int, default=1,
                   help="BLAS threads for NumPy's matrix products (through threadpoolctl, which scikit-learn brings). "
                        "This network's products are small: one thread is as fast on an idle machine and many times "
                        "faster on a busy one, where waiting BLAS threads spin")
    p.add_argument("--jit", action=argparse.BooleanOptionalAction, default=True,
                   help="run the training step through mg.jit (capture once, then replay); --no-jit runs it eagerly")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no per-epoch lines")
    p.add_argument("--json", action="store_true", help="print one JSON object (strict: NaN/inf are null and "
                                                       "\"finite\": false says so) instead of text")
    p.add_argument("--save", metavar="PATH", help="save the trained model's state dict (mg.save)")
    p.add_argument("--load", metavar="PATH", help="start from a state dict saved with --save")
    p.add_argument("--plot", metavar="PATH", help="save loss and accuracy curves and the test confusion matrix as "
                                                  "an image, PNG unless the extension says otherwise (matplotlib)")
    args = p.parse_args(argv)
    if args.plot is not None and args.epochs == 0:  # no epoch, no curve: refuse rather than write nothing
        p.error("--plot draws per-epoch curves and needs --epochs >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see EXIT_CODES_HELP)."""
    args = parse_args(argv)
    backend = cli.backend_name(args.backend)
    # Everything that can fail is checked before training: outputs, the plot extra, the data set's package.
    plt = cli.check_outputs(args)
    data = load_digits_split(args.seed, limit=args.limit)
    dtype = {"float32": mg.float32, "float64": mg.float64}[args.dtype]

    mg.manual_seed(args.seed)
    model = DigitsCNN(args.dropout, dtype=dtype, backend=backend)
    if args.load:
        cli.load_weights(model, args.load, backend)
    verbose = not (args.quiet or args.json)
    with _blas_threads(args.threads):
        result = train(model, data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       weight_decay=args.weight_decay, seed=args.seed, backend=backend, jit=args.jit,
                       progress=verbose, log=print if verbose else None)
    y_test = data[3]
    cm = confusion_matrix(y_test, result["test_pred"])
    summary = {"test_acc": result["test_acc"], "test_correct": int(np.trace(cm)), "test_size": int(len(y_test)),
               "train_size": int(len(data[1])), "epochs": args.epochs, "seconds": result["seconds"],
               "diverged": result["diverged"], "backend": backend, "dtype": args.dtype, "jit": result["jit"],
               "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr, "history": result["history"],
               "confusion_matrix": cm.tolist()}
    if args.json:
        print(cli.dumps(summary), flush=True)
    else:
        print(f"test accuracy {result['test_acc']:.4f} ({summary['test_correct']}/{summary['test_size']}) after "
              f"{args.epochs} epochs in {result['seconds']:.1f} s (backend {backend}, {args.dtype}, "
              f"jit {'on' if result['jit'] else 'off'})", flush=True)
    title = f"minigrad DigitsCNN on scikit-learn digits: test accuracy {result['test_acc']:.4f}"
    if not cli.write_outputs(args, model, lambda path: save_figure(plt, result["history"], cm, path, title),
                             saved="model saved to", plotted="curves and confusion matrix saved to"):
        return cli.EXIT_ERROR
    return cli.EXIT_DIVERGED if result["diverged"] else cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
