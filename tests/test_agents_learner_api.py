"""The Learner interface: DQN is its default implementation, and a class that does not
implement it is refused with a message naming what was expected."""
import numpy as np
import pytest

from stagger.agents.custom import SpecError
from stagger.agents.dqn import DQNLearner
from stagger.agents.learner_api import DEFAULT_LEARNER, Learner, LearnerSettings, make_learner, settings_from
from stagger.agents.models import build_model
from stagger.launch.preflight import check_specs
from stagger.nodes.options import LearnerOptions


def factory():
    return build_model((3,), 2, hidden=(8,))


def test_dqn_is_the_default_implementation_of_the_interface():
    assert DEFAULT_LEARNER == "stagger.agents.dqn:DQNLearner"
    a = make_learner("", factory, 2, LearnerSettings(seed=3))
    b = make_learner("stagger.agents.dqn:DQNLearner", factory, 2, LearnerSettings(seed=3))
    assert isinstance(a, DQNLearner) and isinstance(a, Learner)
    for x, y in zip(a.weights_arrays().values(), b.weights_arrays().values()):
        assert np.array_equal(x, y)  # the same seeded model either way
    for _ in range(20):
        a.observe((np.ones(3, np.float32), 1, 1.0, np.zeros(3, np.float32), True))
    assert a.ready() and a.update()["loss"] >= 0 and a.updates == 1
    state = a.checkpoint()
    assert state["replay"] is None  # a checkpoint leaves the replay out
    b.resume(state)
    assert b.updates == 1 and a.stats() == {"replay": 20}


def test_settings_come_from_the_run_options():
    s = settings_from(LearnerOptions(batch_size=8, replay=100, seed=4, device="cpu", target_every=7,
                                     replay_mode="fifo", n_step=3))
    assert (s.batch_size, s.replay_capacity, s.seed, s.target_every, s.replay_mode, s.n_step) == \
        (8, 100, 4, 7, "fifo", 3)
    dqn = DQNLearner(factory, 2, s)
    assert dqn.cfg.target_every == 7 and dqn.replay.mode == "fifo"


class Half(Learner):
    def observe(self, t):
        pass


class NoUpdates(Half):
    updates = None
    ready = update = weights_arrays = checkpoint = resume = lambda self, *a: None


def test_an_incomplete_learner_is_refused():
    with pytest.raises(SpecError, match="Half has no ready, update, weights_arrays, checkpoint, resume"):
        make_learner("test_agents_learner_api:Half", factory, 2, LearnerSettings())
    with pytest.raises(SpecError, match="updates must be an int"):
        make_learner("test_agents_learner_api:NoUpdates", factory, 2, LearnerSettings())


class WrongWeights(NoUpdates):
    updates = 0

    def weights_arrays(self):
        return {"w": np.zeros(3, np.float32)}


def test_a_learner_whose_weights_the_nodes_cannot_load_is_refused():
    game = {"obs_shape": [84, 84], "policy_actions": 3, "obs_dtype": "uint8"}
    with pytest.raises(SpecError, match="weights_arrays.*expected the model's state_dict names"):
        check_specs("auto", "test_agents_learner_api:WrongWeights", game)
    check_specs("auto", "examples.double_dqn:DoubleDQN", game)  # a right one passes
