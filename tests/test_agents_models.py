"""Model sizes (PAPER.md 4.5), built on the meta device, and forward shapes."""
import pytest
import torch

from stagger.agents.models import PRESETS, build_model, count_parameters, resolve_k

PAPER_COUNTS = {"55k": 54_178, "1m": 903_718, "10m": 10_368_742, "100m": 104_682_918, "1b": 1_008_092_742}
NOMINAL = {"55k": 55e3, "1m": 1e6, "10m": 10e6, "100m": 100e6, "1b": 1e9}
# The paper's own "1M" (k=1, the code's default) has 903,718 parameters: 9.6 % under its name.
# We keep the paper's k and its exact counts; only that row gets a 10 % tolerance to the name.
NOMINAL_TOLERANCE = {"1m": 0.10}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_parameter_counts_match_paper(name):
    n = count_parameters((84, 84), 6, "impala", PRESETS[name])
    assert n == PAPER_COUNTS[name]
    assert abs(n - NOMINAL[name]) / NOMINAL[name] < NOMINAL_TOLERANCE.get(name, 0.05)


def test_eighteen_actions_add_6156_parameters():
    assert count_parameters(k=1, n_actions=18) - count_parameters(k=1, n_actions=6) == 6156


def test_meta_build_allocates_nothing():
    net = build_model((84, 84), 6, "impala", PRESETS["1b"], device="meta")
    assert all(p.device.type == "meta" for p in net.parameters())
    assert net.fc.in_features == int(32 * 98) * 7 * 7  # flatten = 1568k


def test_impala_forward_shapes_and_raw_pixels():
    net = build_model((84, 84), 6, "impala", 0.0625)
    frames = torch.randint(0, 256, (3, 84, 84), dtype=torch.uint8)
    q = net(frames)
    assert q.shape == (3, 6) and q.dtype == torch.float32
    assert torch.allclose(net(frames.unsqueeze(1)), q)  # (B, 1, H, W) is the same input
    assert not torch.allclose(net(frames.float() / 255), q)  # raw 0-255, not normalised


def test_mlp_for_vector_observations():
    net = build_model((4,), 2)
    assert net(torch.zeros(5, 4)).shape == (5, 2)
    assert count_parameters((4,), 2, hidden=(8,)) == 4 * 8 + 8 + 8 * 2 + 2


def test_impala_rejects_vector_observations_with_advice():
    with pytest.raises(ValueError, match="model='mlp'"):
        build_model((4,), 2, model="impala")
    with pytest.raises(ValueError, match="unknown model"):
        build_model((84, 84), 6, model="resnet")


def test_resolve_k():
    assert resolve_k("1B") == 98 and resolve_k("55k") == 0.0625
    assert resolve_k("1m", k=3.5) == 3.5 and resolve_k() == 1.0
    with pytest.raises(ValueError, match="55k"):
        resolve_k("2m")
