"""Networks: the paper's IMPALA CNN ("1xDeep", PAPER.md 4.5) and a small MLP for vector obs.

The CNN takes raw 0-255 pixels as floats (no /255, as the paper's code), one 84x84 frame,
no frame stacking. Width factor k sets the model size: f1 = int(16k), f2 = int(32k).
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from torch import nn
import torch.nn.functional as F

PRESETS: dict[str, float] = {"55k": 0.0625, "1m": 1, "10m": 7, "100m": 29, "1b": 98}
MODELS = ("auto", "impala", "mlp")


class ResidualBlock(nn.Module):
    """relu -> conv3x3 -> relu -> conv3x3, plus the skip (padding 1 keeps the size)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(F.relu(self.conv0(F.relu(x))))


class ImpalaStage(nn.Module):
    """conv3x3 (no padding) -> maxpool 3 stride 2 -> two residual blocks."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3)
        self.pool = nn.MaxPool2d(3, stride=2)
        self.res0 = ResidualBlock(out_channels)
        self.res1 = ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res1(self.res0(self.pool(self.conv(x))))


def _stage_size(size: int) -> int:
    return (size - 2 - 3) // 2 + 1  # conv3x3 without padding, then maxpool 3 stride 2


class ImpalaCNN(nn.Module):
    """The paper's ImpalaCNN: 3 stages (f1, f2, f2 filters), relu, linear 512, relu, linear A."""

    def __init__(self, obs_shape: Sequence[int], n_actions: int, k: float = 1.0):
        super().__init__()
        if len(obs_shape) == 2:
            channels, height, width = 1, *obs_shape
        elif len(obs_shape) == 3:
            channels, height, width = obs_shape
        else:
            raise ValueError(f"ImpalaCNN needs an image observation (H, W) or (C, H, W), got {tuple(obs_shape)}")
        f1, f2 = int(16 * k), int(32 * k)
        if f1 < 1:
            raise ValueError(f"width factor k={k} gives no filters (f1 = int(16k) = {f1}); use k >= 0.0625")
        for _ in range(3):
            height, width = _stage_size(height), _stage_size(width)
        if height < 1 or width < 1:
            raise ValueError(f"observation {tuple(obs_shape)} is too small for three IMPALA stages")
        self.obs_shape, self.n_actions, self.k = tuple(obs_shape), int(n_actions), float(k)
        self.stages = nn.Sequential(ImpalaStage(channels, f1), ImpalaStage(f1, f2), ImpalaStage(f2, f2))
        self.fc = nn.Linear(f2 * height * width, 512)
        self.out = nn.Linear(512, n_actions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if x.dim() == 3:  # (B, H, W): one grayscale channel
            x = x.unsqueeze(1)
        x = F.relu(self.stages(x))
        return self.out(F.relu(self.fc(x.flatten(1))))


class MLP(nn.Module):
    """Fully connected Q-network for 1-D observations (CartPole and friends)."""

    def __init__(self, obs_shape: Sequence[int], n_actions: int, hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.obs_shape, self.n_actions = tuple(obs_shape), int(n_actions)
        sizes = [int(torch.Size(obs_shape).numel()), *hidden]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], n_actions))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float().flatten(1))


def resolve_k(size: str | float | None = None, k: float | None = None) -> float:
    """Width factor from a preset name ("1m") or an explicit k (k wins when both are given)."""
    if k is not None:
        return float(k)
    if size is None:
        return 1.0
    if isinstance(size, str):
        key = size.lower()
        if key not in PRESETS:
            raise ValueError(f"unknown model size {size!r}; expected one of {', '.join(PRESETS)}")
        return float(PRESETS[key])
    return float(size)


def build_model(obs_shape: Sequence[int], n_actions: int, model: str = "auto", k: float = 1.0,
                device: str | torch.device | None = None, hidden: Sequence[int] = (256, 256)) -> nn.Module:
    """Q-network for `obs_shape`: "impala" (images), "mlp" (vectors), "auto" (by obs rank) or
    "module:callable", your own (agents/custom.py; `k` and `hidden` are not passed to it).

    `device="meta"` builds the shapes only (no memory), for counting parameters.
    """
    if ":" in model:
        from stagger.agents.custom import build_custom_model
        with torch.device(device) if device is not None else contextlib.nullcontext():
            return build_custom_model(model, obs_shape, n_actions)
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)} or "
                         f"'module:callable' (your own)")
    if model == "auto":
        model = "mlp" if len(obs_shape) == 1 else "impala"
    with torch.device(device) if device is not None else contextlib.nullcontext():
        if model == "impala":
            if len(obs_shape) == 1:
                raise ValueError(f"the IMPALA CNN needs an image observation such as (84, 84), got "
                                 f"{tuple(obs_shape)}; use model='mlp' (or 'auto') for vector observations")
            return ImpalaCNN(obs_shape, n_actions, k)
        return MLP(obs_shape, n_actions, hidden)


def count_parameters(obs_shape: Sequence[int] = (84, 84), n_actions: int = 6, model: str = "auto",
                     k: float = 1.0, **kwargs) -> int:
    """Exact parameter count, built on the meta device (free even for the 1B model)."""
    net = build_model(obs_shape, n_actions, model=model, k=k, device="meta", **kwargs)
    return sum(p.numel() for p in net.parameters())
