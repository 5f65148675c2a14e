"""Every layer, loss, optimizer and scheduler inside one jitted training step, over several steps, with
hyperparameters changed between calls: the replay equals eager bit for bit (float64), re-recording when a
module's attribute changes and reading optimizer and scheduler values live."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from jit_harness import assert_jit_matches_eager
from minigrad.optim import lr_scheduler as sched


class _Everything(nn.Module):
    """Every nn layer once: images through conv/pool/norm stages, indices through an embedding, mixed into
    logits (B, 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ELU(), nn.MaxPool2d(2),
            nn.ConvTranspose2d(2, 2, 2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 6))
        self.acts = nn.ModuleList([nn.BatchNorm1d(6), nn.LeakyReLU(0.1), nn.GELU(), nn.SiLU(), nn.Softplus(),
                                   nn.Hardtanh(-2.0, 2.0), nn.Dropout(0.2), nn.Identity(), nn.Tanh(), nn.Sigmoid(),
                                   nn.ReLU()])
        self.heads = nn.ModuleDict({"embed": nn.Embedding(10, 6), "out": nn.Linear(6, 3)})

    def forward(self, x: mg.Tensor, idx: mg.Tensor) -> mg.Tensor:
        h = self.image(x)
        for act in self.acts:
            h = act(h)
        return self.heads["out"](h + self.heads["embed"](idx))


def _losses():
    return nn.ModuleDict({"ce": nn.CrossEntropyLoss(label_smoothing=0.1), "nll": nn.NLLLoss(),
                          "bce": nn.BCELoss(), "bcel": nn.BCEWithLogitsLoss(), "mse": nn.MSELoss(),
                          "l1": nn.L1Loss(), "sl1": nn.SmoothL1Loss(beta=0.5), "huber": nn.HuberLoss(delta=0.7),
                          "logsm": nn.LogSoftmax(dim=1), "sm": nn.Softmax(dim=1)})


OPTIMIZERS = {
    "SGD": lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda ps: mg.optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: mg.optim.AdamW(ps, lr=0.01, weight_decay=0.05),
    "RMSprop": lambda ps: mg.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: mg.optim.Adagrad(ps, lr=0.05),
}
SCHEDULERS = {
    "StepLR": lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: sched.MultiStepLR(o, milestones=[1, 3], gamma=0.3),
    "ConstantLR": lambda o: sched.ConstantLR(o, factor=0.5, total_iters=3),
    "LinearLR": lambda o: sched.LinearLR(o, start_factor=0.2, total_iters=4),
    "ExponentialLR": lambda o: sched.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, T_max=5),
    "LambdaLR": lambda o: sched.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "MultiplicativeLR": lambda o: sched.MultiplicativeLR(o, lambda e: 0.9),
}
PAIRS = [(o, s) for i, s in enumerate(SCHEDULERS) for o in [list(OPTIMIZERS)[i % len(OPTIMIZERS)]]]
PAIRS += [(o, "StepLR") for o in OPTIMIZERS if o not in {p[0] for p in PAIRS}]


@pytest.mark.parametrize("opt_name, sched_name", PAIRS, ids=[f"{o}-{s}" for o, s in PAIRS])
def test_every_layer_loss_optimizer_and_scheduler_in_a_jitted_step(backend, opt_name, sched_name):
    def build():
        mg.manual_seed(0)
        model = _Everything().to(mg.float64).to(backend)
        losses = _losses()
        opt = OPTIMIZERS[opt_name](model.parameters())
        scheduler = SCHEDULERS[sched_name](opt)
        rng = np.random.default_rng(0)

        def step(x, idx, y, y01):
            opt.zero_grad()
            logits = model(x, idx)
            total = (losses["ce"](logits, y) + losses["nll"](losses["logsm"](logits), y)
                     + losses["bce"](logits.sigmoid(), y01) + losses["bcel"](logits, y01)
                     + losses["mse"](losses["sm"](logits), y01) + losses["l1"](logits, y01)
                     + losses["sl1"](logits, y01) + losses["huber"](logits, y01))
            total.backward()
            opt.step()
            return total

        def args_of(i):
            return (mg.tensor(rng.standard_normal((4, 1, 6, 6)), backend=backend),
                    mg.tensor(rng.integers(0, 10, 4), backend=backend),
                    mg.tensor(rng.integers(0, 3, 4), backend=backend),
                    mg.tensor(rng.integers(0, 2, (4, 3)).astype(np.float64), backend=backend))

        def between(i):
            if i > 0:
                scheduler.step()
            if i == 3:  # hyperparameters a user changes mid-training
                model.acts[1].negative_slope = 0.3
                model.acts[6].p = 0.5
                model.image[1].momentum = 0.5
                losses["huber"].delta = 0.2
                for g in opt.param_groups:
                    g["weight_decay"] = 0.01
            if i == 5:
                model.eval()

        def state():
            return list(model.parameters()) + list(model.buffers())
        return step, args_of, state, between

    run = assert_jit_matches_eager(build, calls=7)
    assert run.captures == 3  # the first recording, again after the attribute changes, again in eval mode
