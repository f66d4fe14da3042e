"""Catcher is realtime and controllable, and draws a real screen."""

import numpy as np
import pytest

from stagger.games import catcher_ram as cr
from stagger.games.catcher import CatcherEnv


def _catch_rate(env, seed, frames=3000, every=1, policy="track"):
    """Play `frames` frames; the policy acts every `every` frames, noop in between."""
    obs, info = env.reset(seed=seed)
    for t in range(frames):
        action = 0
        if policy == "track" and t % every == 0:
            tx, bx = info["target_x"], info["basket_x"]
            if tx >= 0 and abs(tx - bx) > 1:
                action = 1 if tx < bx else 2
        obs, r, term, trunc, info = env.step(action)
        assert not (term or trunc)
    return info["caught"] / max(1, info["caught"] + info["missed"]), info


def test_tracking_policy_catches_most_at_default_speed():
    env = CatcherEnv(obs_type="ram", misses_allowed=255)
    rate, info = _catch_rate(env, seed=0)
    assert info["caught"] + info["missed"] >= 40
    assert rate >= 0.9
    env.close()


def test_noop_policy_catches_little():
    env = CatcherEnv(obs_type="ram", misses_allowed=255)
    rate, info = _catch_rate(env, seed=0, policy="noop")
    assert info["caught"] + info["missed"] >= 40
    assert rate <= 0.3
    env.close()


def test_acting_every_30th_frame_loses_at_fastest_speed():
    env = CatcherEnv(obs_type="ram", speed="fastest", misses_allowed=255)
    every_frame, _ = _catch_rate(env, seed=0, every=1)
    every_30th, _ = _catch_rate(env, seed=0, every=30)
    assert every_frame >= 0.45
    assert every_30th <= every_frame - 0.25
    env.close()


def test_screenshot_shows_basket_object_and_score(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    env = CatcherEnv(obs_type="screen", render_mode="rgb_array", misses_allowed=255)
    obs, info = env.reset(seed=1)
    sky = obs[60, 80].copy()  # a plain sky pixel (no cloud there)
    frame, prev = None, info
    for _ in range(600):  # play until a catch changed the score and an object falls
        action = 0 if info["target_x"] < 0 else (1 if info["target_x"] < info["basket_x"] else 2)
        obs, _, _, _, info = env.step(action)
        if info["score"] > 0 and info["target_x"] >= 0:
            prev, frame = info, env.render()
            break
    assert frame is not None
    path = tmp_path / "catcher.png"
    plt.imsave(path, frame)
    img = plt.imread(path)[:, :, :3]
    assert img.shape == (144, 160, 3) and path.stat().st_size > 500
    # the screen shows the RAM of the frame before; allow the 1-frame lag in positions
    snap = cr.Snapshot(env.game.read_bytes(cr.MAGIC, cr.END - cr.MAGIC))
    bx = prev["basket_x"]
    basket = frame[120:128, max(0, bx - 10):bx + 10]
    assert (basket != sky).any(axis=2).sum() > 40
    k = int(np.argmax([y if a else -1 for y, a in zip(snap.obj_y, snap.obj_active)]))
    x, y = snap.obj_x[k], snap.obj_y[k]
    ball = frame[max(0, y - 6):y + 10, max(0, x - 8):x + 8]
    assert (ball != sky).any(axis=2).sum() > 20
    score = frame[0:8, 8:48]  # HUD row 0: the score digits
    assert (score != sky).any(axis=2).sum() > 5
    empty_sky = frame[56:64, 60:100]
    assert not (empty_sky != sky).any()
    env.close()
