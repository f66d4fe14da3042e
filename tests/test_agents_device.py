"""Devices: spec parsing, lists for placements, and what is refused on a machine without CUDA."""
import pytest
import torch

from stagger.agents.device import DeviceError, check_device, expand_devices, parse_device
from stagger.launch.remote.hosts import HostError, load_placement, make_placement, parse_hosts
from stagger.launch.run import RunConfig, RunError, Supervisor

NO_CUDA = not torch.cuda.is_available()


def test_parse_and_expand():
    assert parse_device("CPU") == "cpu" and parse_device("cuda") == "cuda" and parse_device("cuda:3") == "cuda:3"
    for bad in ("gpu", "cuda:", "cuda:x", "cuda:0-3", "mps"):
        with pytest.raises(DeviceError, match="cpu, cuda or cuda:N"):
            parse_device(bad)
    assert expand_devices("cuda:0-3") == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert expand_devices("cpu") == ["cpu"]
    with pytest.raises(DeviceError, match="backwards"):
        expand_devices("cuda:3-1")


def test_cpu_is_always_there():
    assert check_device("cpu") == "cpu"


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_cuda_is_refused_without_a_gpu_naming_what_to_do():
    with pytest.raises(DeviceError, match="no CUDA device.*use --device cpu"):
        check_device("cuda:0")


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_a_run_on_a_missing_device_stops_before_any_node_starts(tmp_path):
    cfg = RunConfig(game="catcher", inference_nodes=1, duration=1.0, run_dir=str(tmp_path / "r"),
                    learner=False, device="cuda:1")
    with pytest.raises(RunError, match="--device: device 'cuda:1': no CUDA device"):
        Supervisor(cfg).run()
    assert not (tmp_path / "r" / "logs").exists()  # no node was started
    with pytest.raises(ValueError, match="cpu, cuda or cuda:N"):
        RunConfig(device="gpu0")


def test_hosts_with_device_lists_spread_nodes_round_robin():
    specs = parse_hosts("node01:0,gpu01:6@cuda:0-2,gpu02:2@cpu,cpu01:2")
    p = make_placement(specs)
    assert p.devices == {"gpu01": ["cuda:0", "cuda:1", "cuda:2"], "gpu02": ["cpu"]}
    dev = p.inference_devices()
    assert [dev[n] for n, h in p.inference_nodes() if h == "gpu01"] == ["cuda:0", "cuda:1", "cuda:2"] * 2
    assert [n for n, h in p.inference_nodes() if h == "cpu01" and n in dev] == []  # the run's --device
    assert "gpu01: 6 on cuda:0/cuda:1/cuda:2" in p.describe()
    with pytest.raises(HostError, match="gpu9.*cpu, cuda or cuda:N"):
        parse_hosts("gpu9:2@tpu")


def test_toml_placement_with_devices(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('env = "a"\n[inference]\nb = {count = 4, devices = "cuda:0-1"}\n'
                 'c = {count = 2, devices = ["cuda:3"]}\nd = 1\n')
    p = load_placement(f)
    assert p.inference == [("b", 4), ("c", 2), ("d", 1)]
    assert p.devices == {"b": ["cuda:0", "cuda:1"], "c": ["cuda:3"]}
    assert sorted(set(p.inference_devices().values())) == ["cuda:0", "cuda:1", "cuda:3"]
    f.write_text('env = "a"\n[inference]\nb = {n = 4}\n')
    with pytest.raises(HostError, match="count = n"):
        load_placement(f)


@pytest.mark.skipif(NO_CUDA, reason="no CUDA device on this machine (the CPU paths are tested above)")
def test_cuda_policy_and_learner():
    """On a GPU: the policy's pass and a DQN update run there; weights come back as CPU arrays."""
    import numpy as np

    from stagger.agents.dqn import DQNConfig, DQNLearner
    from stagger.agents.models import build_model
    from stagger.agents.policy import Policy
    learner = DQNLearner(lambda: build_model((84, 84), 3, k=0.0625), 3,
                         DQNConfig(device="cuda", batch_size=4, learning_starts=4))
    rng = np.random.default_rng(0)
    for _ in range(8):
        o = rng.integers(0, 255, (84, 84), dtype=np.uint8)
        learner.observe((o, 1, 1.0, o, False))
    assert learner.update() is not None
    policy = Policy(build_model((84, 84), 3, k=0.0625), 3, device="cuda:0")
    policy.load_arrays(learner.weights_arrays(), version=1)
    assert policy.q_values(np.zeros((84, 84), np.uint8)).shape == (3,)
