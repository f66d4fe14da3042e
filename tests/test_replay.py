"""Trace replay: recorded message streams drive the pure node cores, never the wall clock.

The traces in tests/data were recorded from a real run (`stagger run --game gym:CartPole-v1
--fps 59.7275 --inference-latency 0.0419 --inference-nodes 3 --trace --no-learner`).
"""
import dataclasses
from pathlib import Path

from stagger.nodes.replay import replay, replay_env, replay_inference
from stagger.protocol import codec
from stagger.protocol.trace import TraceReader, TraceWriter

DATA = Path(__file__).parent / "data"


def test_inference_trace_gives_the_same_actions_at_the_same_ticks():
    res = replay_inference(DATA / "inference_cartpole.trace")
    assert len(res.expected) >= 10
    assert res.ok, res.first_difference()


def test_env_trace_reproduces_frames_and_rewards():
    res = replay_env(DATA / "env_cartpole.trace")
    assert sum(1 for e in res.expected if e[0] == "obs") >= 60
    assert res.ok, res.first_difference()


def test_replay_notices_a_changed_action(tmp_path):
    """Flip one recorded action: the replay must no longer match."""
    out = tmp_path / "changed.trace"
    flipped = False
    with TraceReader(DATA / "inference_cartpole.trace") as src, TraceWriter(out, meta=src.meta) as w:
        for r in src:
            if r.dir == "out" and r.ch == "actions" and not flipped:
                m = r.message()
                w.write("out", r.ch, r.t, codec.encode(dataclasses.replace(m, action=1 - m.action)))
                flipped = True
            else:
                w.write(r.dir, r.ch, r.t, r.frames)
    assert flipped
    res = replay(out)
    assert not res.ok and res.first_difference() is not None


def test_an_inference_interrupted_by_stop_sent_nothing_and_is_not_expected(tmp_path):
    """The recording cut just before its last action, then the clock's Stop: the node abandoned
    that inference (the run was over), so the replay leaves it out; without the Stop it differs."""
    from stagger.protocol.messages import Stop
    with TraceReader(DATA / "inference_cartpole.trace") as src:
        meta, records = src.meta, list(src)
    last = max(i for i, r in enumerate(records) if r.dir == "out" and r.ch == "actions")
    for name, stop in (("stopped", True), ("cut", False)):
        with TraceWriter(tmp_path / f"{name}.trace", meta=meta) as w:
            for r in records[:last]:
                w.write(r.dir, r.ch, r.t, r.frames)
            if stop:
                w.write_message("in", "ticks", records[last].t, Stop(reason="end of run", frame=1).stamped("clock", 0, 0.0))
        res = replay_inference(tmp_path / f"{name}.trace")
        assert res.ok is stop, (name, res.first_difference())
