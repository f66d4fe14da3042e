"""The hot path's shortcuts keep the checks they skip (issue 10): exact-type fields, the
descriptor cache, the receive that asks ZMQ_EVENTS, the env's observe-then-choose order."""
import numpy as np
import pytest
import zmq

from stagger.nodes.core import Out
from stagger.nodes.runtime import Runtime
from stagger.protocol import codec
from stagger.protocol.errors import ProtocolError
from stagger.protocol.messages import Action, Observation


def test_exact_types_pass_and_others_are_still_converted_or_rejected():
    header = Action(frame=np.int64(3), action=1, inference_s=1, land=5).to_wire()
    assert type(header["frame"]) is int and header["frame"] == 3 and type(header["inference_s"]) is float
    with pytest.raises(ProtocolError):
        Action(frame=True).to_wire()  # a bool is no frame number
    with pytest.raises(ProtocolError):
        Action.from_wire({**Action(node="a").to_wire(), "frame": "3"})
    assert Action.from_wire(Action(node="a", frame=7).to_wire()).frame == 7


def test_a_known_descriptor_still_checks_the_frame_size():
    obs = np.arange(12, dtype=np.uint8).reshape(3, 4)
    frames = codec.encode(Observation(node="env", arrays=(obs,)))
    for _ in range(2):  # the second decode takes the cached descriptor
        assert np.array_equal(codec.decode(frames).obs, obs)
    with pytest.raises(ProtocolError) as err:
        codec.decode([frames[0], bytes(11)])
    assert err.value.reason == "frames"
    sliced = obs[:, ::2]  # not C-contiguous: copied once, same values
    assert np.array_equal(codec.decode(codec.encode(Observation(node="env", arrays=(sliced,)))).obs, sliced)


def test_receive_takes_every_waiting_message_then_none(tmp_path):
    rt = Runtime("env", "env")
    tmp_path.chmod(0o700)
    rt.ipc, rt.ipc_dir = True, str(tmp_path)  # a private directory of the test's own
    push = rt.ctx.socket(zmq.PUSH)
    try:
        push.connect(rt.bind("actions"))
        assert rt.recv("actions") is None
        for f in range(3):
            push.send_multipart(codec.encode(Action(node="inf00", seq=f, frame=f)))
        got = []
        for _ in range(200):
            rt.poll(0.05, ("actions",))
            got += [m.frame for m, _ in rt.drain("actions")]
            if len(got) == 3:
                break
        assert got == [0, 1, 2] and rt.recv("actions") is None
    finally:
        push.close(linger=0)
        rt.close()


def test_the_env_sends_the_observation_first_and_steps_as_before():
    from stagger.nodes.env import EnvConfig, EnvCore
    from stagger.games.registry import make_game

    def frames(split: bool):
        core, out = EnvCore(make_game("gym:CartPole-v1"), EnvConfig(500.0, seed=3)), []
        for f in range(20):
            if f % 3 == 0 and f:
                core.on_action(Action(node="i", frame=f - 1, action=1, land=f), f / 500)
            obs = core.observe(f / 500) if split else core.begin(f / 500, f / 500)
            if split:
                core.choose(f / 500, f / 500)
            exp = core.finish()[0].msg
            out.append((obs[0].msg.frame, obs[0].msg.obs.tobytes(), exp.action, exp.fresh, exp.reward))
        return out
    assert frames(True) == frames(False)
    assert [fresh for *_, fresh, _r in frames(True)].count(True) == 6
