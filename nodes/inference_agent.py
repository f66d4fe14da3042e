"""The inference node's agent: its Q-network constructor and (core, policy, epsilon) (moved out
of nodes/inference.py to keep it under 300 lines; nodes.inference re-exports both)."""
from __future__ import annotations


def model_factory(opts):
    """A zero-argument constructor of the run's Q-network (from the env's shapes); ``opts``
    has ModelPart and GameFacts fields."""
    from stagger.agents.models import build_model
    shape, n = tuple(opts.obs_shape), opts.policy_actions
    return lambda: build_model(shape, n, model=opts.model, k=opts.model_k)


def make_agent(opts):
    """(core, policy, epsilon schedule) of an inference node; run and replay share it."""
    import torch

    from stagger.agents.policy import Policy
    from stagger.agents.schedule import EpsilonSchedule
    from stagger.nodes.inference import InferenceConfig, InferenceCore

    core = InferenceCore(opts.node_id, InferenceConfig(opts.inference_latency, opts.latency_jitter, opts.node_seed))
    with torch.random.fork_rng(devices=[]):  # the same initial weights as the learner's
        torch.manual_seed(opts.seed)
        policy = Policy(model_factory(opts)(), opts.policy_actions, opts.device)
    eps = EpsilonSchedule(steps=opts.epsilon_steps, end=opts.epsilon_end)
    return core, policy, eps
