"""Replay a node's recorded trace into its pure core, driven by the recorded order and times
(never paced by the wall clock), and compare what it sends with what was recorded.

- inference: the recorded PhaseMaps, Welcomes, weights and observation batches go into a
  fresh InferenceCore and policy; the Actions it computes must equal the recorded ones
  (same observation frame, same action), in order. A start tick whose observation was read
  while the node's last action was not sent yet (its pass still running) waits and starts
  once that action is out, as live (nodes/inflight.py); an inference a Stop interrupted sent
  no action, and the replay leaves it out too.
- env: the recorded Actions go into a fresh EnvCore at the frames where the live node took
  them; the observations and rewards it produces must equal the recorded ones.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stagger.protocol.messages import PhaseMap, Stop, Weights, Welcome
from stagger.protocol.trace import TraceReader


@dataclass
class ReplayResult:
    expected: list = field(default_factory=list)
    got: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.expected) and self.expected == self.got

    def first_difference(self):
        for i, (a, b) in enumerate(zip(self.expected, self.got)):
            if a != b:
                return i, a, b
        if len(self.expected) != len(self.got):
            return min(len(self.expected), len(self.got)), len(self.expected), len(self.got)
        return None


def _records(path):
    with TraceReader(path) as reader:
        return reader.meta, list(reader)


def replay_inference(path) -> ReplayResult:
    from stagger.nodes.inference import make_agent
    from stagger.nodes.options import load_trace
    meta, records = _records(path)
    opts = load_trace("inference", meta["opts"])
    if opts.members:  # not done: a replay drives one core
        raise ValueError(f"{path}: a process of {len(opts.members)} inference workers; replay drives one worker")
    core, policy, eps = make_agent(opts)
    res = ReplayResult()
    i = 0
    in_flight = False  # a pass started and its action not yet sent: the node is busy
    waiting = None  # a start tick's observation read while busy: it starts after that action

    def start(obs_msg, t):
        action, _ = policy.act(obs_msg.obs, eps(obs_msg.frame), core.rng)
        core.target_time(t)
        res.got.append((obs_msg.frame, int(action)))

    while i < len(records):
        r = records[i]
        if r.dir == "out":
            if r.ch == "actions":
                m = r.message()
                res.expected.append((m.frame, m.action))
                in_flight = waiting is not None
                if waiting is not None:
                    start(waiting, r.t)
                    waiting = None
            i += 1
            continue
        if r.ch == "obs":  # one drain: consecutive obs records with the same receive time
            batch = []
            while i < len(records) and records[i].dir == "in" and records[i].ch == "obs" \
                    and records[i].t == r.t:
                batch.append(records[i].message())
                i += 1
            k = core.pick([m.frame for m in batch])
            if k is not None and in_flight:  # as the live node (nodes/inflight.py)
                core.missed += waiting is not None
                waiting = batch[k]
            elif k is not None:
                start(batch[k], r.t)
                in_flight = True
            continue
        m = r.message()
        if isinstance(m, PhaseMap):
            core.on_phase_map(m)
        elif isinstance(m, Welcome):
            core.on_welcome(m)
        elif isinstance(m, Weights):
            policy.load_arrays(m.as_dict(), version=m.version)
        elif isinstance(m, Stop):
            if in_flight:  # the pass it interrupted sent nothing
                res.got.pop()
            break  # the node reads nothing after a Stop
        i += 1
    return res


def _digest(array) -> str:
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


def replay_env(path) -> ReplayResult:
    from stagger.nodes.env import make_core
    from stagger.nodes.options import load_trace
    meta, records = _records(path)
    core, env = make_core(load_trace("env", meta["opts"]))
    res = ReplayResult()
    try:
        for r in records:
            if r.dir == "in" and r.ch == "actions":
                core.on_action(r.message(), r.t)
            elif r.dir == "out" and r.ch == "obs":
                m = r.message()
                res.expected.append(("obs", m.frame, _digest(m.obs)))
                mine = core.begin(r.t, r.t)[0].msg
                res.got.append(("obs", mine.frame, _digest(mine.obs)))
                exp = core.finish()[0].msg
                res.got.append(("reward", exp.frame, exp.action, exp.reward))
            elif r.dir == "out" and r.ch == "experience":
                m = r.message()
                res.expected.append(("reward", m.frame, m.action, m.reward))
    finally:
        env.close()
    # experience sends that were dropped live have no record: compare what both have
    kept = {e[1] for e in res.expected if e[0] == "reward"}
    res.got = [g for g in res.got if g[0] != "reward" or g[1] in kept]
    return res


def replay(path) -> ReplayResult:
    meta, _ = _records(path)
    kind = meta.get("kind")
    if kind == "inference":
        return replay_inference(path)
    if kind == "env":
        return replay_env(path)
    raise ValueError(f"replay supports inference and env traces, this one is from a {kind!r} node")
