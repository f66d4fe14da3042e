"""Your own model: a small transformer over the patches of the frame (a tiny ViT).

    stagger run --game catcher --model examples.patch_transformer:build --inference-latency 0.1

A ``--model`` is any function of ``(obs_shape, n_actions)`` that returns a ``torch.nn.Module``
mapping a batch of observations, as the env sends them (``(B, 84, 84)`` uint8 pixels for the
Game Boy games, ``(B, n)`` floats for a vector gym env), to ``(B, n_actions)`` Q-values.
The inference nodes and the learner each call it once (seeded alike, so they start from the
same weights); the learner's weights reach the nodes by the names of its ``state_dict``.
"""
import torch
from torch import nn

PATCH = 12  # 84x84 -> 7x7 = 49 tokens of 144 pixels


class PatchTransformer(nn.Module):
    def __init__(self, obs_shape, n_actions, dim: int = 32, depth: int = 2, heads: int = 2):
        super().__init__()
        if len(obs_shape) != 2 or obs_shape[0] % PATCH or obs_shape[1] % PATCH:
            raise ValueError(f"PatchTransformer wants a 2-D frame divisible into {PATCH}x{PATCH} "
                             f"patches, got {tuple(obs_shape)}")
        self.tokens = (obs_shape[0] // PATCH) * (obs_shape[1] // PATCH)
        self.embed = nn.Linear(PATCH * PATCH, dim)
        self.position = nn.Parameter(torch.zeros(1, self.tokens, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, n_actions))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float() / 255.0  # (B, H, W) uint8 pixels
        b = x.shape[0]
        patches = x.unfold(1, PATCH, PATCH).unfold(2, PATCH, PATCH).reshape(b, self.tokens, PATCH * PATCH)
        h = self.encoder(self.embed(patches) + self.position)
        return self.head(h.mean(dim=1))


def build(obs_shape, n_actions):
    return PatchTransformer(obs_shape, n_actions)
