"""The sequential baseline: one process that infers, then learns, in turn.

The paper's "sequential interaction and learning": the agent takes the newest observation,
runs the policy (a real forward pass, padded to the simulated latency if it was shorter), sends the action, does one learning
step on the experience it has received, and only then looks at the world again. The env
node is the same realtime node as in staggered mode and fills the frames in between with
the default action.
"""
from __future__ import annotations

import dataclasses

from stagger.nodes.core import Out
from stagger.nodes.inference import InferenceConfig, InferenceCore, model_factory
from stagger.nodes.learner import LearnerCore, make_learner, save_checkpoint
from stagger.nodes.options import SequentialOptions
from stagger.protocol.messages import Stats


def run(opts: SequentialOptions) -> int:
    import torch

    from stagger.agents.policy import Policy, choose
    from stagger.agents.schedule import EpsilonSchedule
    from stagger.nodes.runtime import Runtime, log

    from stagger.agents.device import check_device
    torch.set_num_threads(opts.threads)
    for dev in (opts.device, opts.learner_device or opts.device):
        check_device(dev)
    rt = Runtime.for_node(opts, "sequential")
    algo, lcfg = make_learner(opts)
    learner = LearnerCore(algo, dataclasses.replace(lcfg, learn_every=1, publish_every=10**12))
    policy = Policy(model_factory(opts)(), opts.policy_actions, opts.device)
    policy.load_arrays(algo.weights_arrays(), version=0)
    core = InferenceCore(opts.node_id, InferenceConfig(opts.inference_latency, opts.latency_jitter, opts.node_seed))
    eps = EpsilonSchedule(steps=opts.epsilon_steps, end=opts.epsilon_end)
    learn_steps = opts.learn_steps
    clock = rt.clock
    try:
        for ch in ("experience", "obs", "actions", "stats"):
            if opts.connect.get(ch):
                rt.connect(ch, opts.connect[ch])
        rt.send(Out("stats", Stats(kind="endpoints", data={"endpoints": rt.endpoints})))
        next_stats = clock.now()
        while not rt.should_stop():
            ready = rt.poll(0.05)
            now = clock.now()
            if "experience" in ready:
                for msg, _ in rt.drain("experience"):
                    if rejected := learner.on_experience(msg):
                        rt.reject("experience", *rejected)
            if "obs" not in ready:
                continue
            obs_msg = rt.drain("obs")[-1][0]  # the newest observation: act on it now
            coin = policy.explore(eps(obs_msg.frame), core.rng)
            target = core.target_time(now)
            t0 = clock.now()
            action, greedy = choose(policy.q_values(obs_msg.obs), coin)  # always a real pass
            real_s = clock.now() - t0
            clock.sleep_until(target)  # simulated latency (if the pass was shorter), nothing else to do
            rt.send_all(core.finished(obs_msg.frame, action, greedy, now, clock.now(), policy.version,
                                      real_s)[:1])
            for msg, _ in rt.drain("experience"):  # then one learning step, in turn
                if rejected := learner.on_experience(msg):
                    rt.reject("experience", *rejected)
            for _ in range(learn_steps):
                if learner.learner.ready():
                    learner.learn()
            policy.load_arrays(learner.learner.weights_arrays(), version=learner.learner.updates)
            if clock.now() >= next_stats:
                next_stats = clock.now() + 0.5
                rt.send(Out("stats", learner.stats("learner")))
    finally:
        if "experience" in rt.sockets:  # take what the env sent before it stopped: nothing unaccounted
            for msg, _ in rt.drain("experience"):
                if rejected := learner.on_experience(msg):
                    rt.reject("experience", *rejected)
        save_checkpoint(learner, opts.run_dir)
        data = {**learner.stats().data, "inferences": core.count,
                "dropped": rt.seq_in["experience"].dropped if "experience" in rt.seq_in else 0,
                **rt.counters()}
        rt.send(Out("stats", Stats(kind="learner_final", data=data)))
        rt.close()
        log.info("sequential agent stopped after %d actions, %d updates", core.count, learner.learner.updates)
    return 0
