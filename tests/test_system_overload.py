"""Overload made visible: a learner that cannot keep up with the experience (tests/slow_learner.py
sleeps 50 ms per transition, the env sends ~60 a second) is behind when the run ends, and the
summary counts it exactly: sent = received + dropped + in flight, each from its own counter
(the env's sends, the learner's sequence numbers and its own intake). The env and the
inference nodes keep going."""
import json

import pytest

from stagger.launch.run import RunConfig, Supervisor

pytestmark = pytest.mark.system
FPS = 59.7275


def test_a_learner_that_cannot_keep_up_is_counted_exactly(tmp_path):
    run = tmp_path / "run"
    cfg = RunConfig(game="catcher", inference_nodes=2, inference_latency=1.5 / FPS, duration=5.0,
                    run_dir=str(run), learner_spec="tests.slow_learner:SlowLearner")
    s = Supervisor(cfg).run()
    e = s["experience"]
    print("summary experience:", e)
    details = json.loads((run / "details.json").read_text())
    env, learner = details["env"], details["finals"]["learner"]
    assert e["sent"] == env["experience_sent"] == env["frames"] - e["send_failed"]  # the env's own count
    taken = learner["frames"] + learner["rejected"].get("experience_value", 0)  # the learner's own intake
    assert e["received"] == taken == learner["received"]["experience"]["received"]
    assert e["sent"] == e["received"] + e["dropped"] + e["in_flight"]
    assert e["in_flight"] > 0.3 * e["sent"]  # ~20 of ~60 a second taken: far behind at the end
    assert e["dropped"] == 0 and e["send_failed"] == 0  # queued (HWM 4096 each side), not lost
    assert details["experience"]["unaccounted"] == 0
    assert details["experience"]["in_flight_at_end"] == e["in_flight"]
    # the realtime part keeps going (its coverage, 1.0 on a quiet machine, is a benchmark's figure)
    assert all(details["nodes"][n]["fresh_actions"] > 0 for n in ("inf00", "inf01")), details["nodes"]
