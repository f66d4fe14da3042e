"""games.pyboy_game: the shared PyBoy helper and its screen downsampling."""

import numpy as np
import pytest

from stagger.games import catcher_ram as cr
from stagger.games.catcher import ROM_PATH
from stagger.games.pyboy_game import Downsampler, PyBoyGame, area_taps


def _area_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        lo, hi = o * n_in / n_out, (o + 1) * n_in / n_out
        for i in range(n_in):
            m[o, i] = max(0.0, min(hi, i + 1) - max(lo, i))
    return m / m.sum(axis=1, keepdims=True)


def test_area_taps_cover_every_input_once():
    index, weight = area_taps(144, 84)
    total = np.zeros(144)
    np.add.at(total, index.ravel(), weight.ravel())
    assert (total == 84).all() and (weight.sum(axis=0) == 144).all()


def test_downsample_is_exact_area_average():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (144, 160, 4), dtype=np.uint8)
    frame[:, :, 1] = frame[:, :, 2] = frame[:, :, 0]
    out = Downsampler(84)(frame, single_channel=True)
    ref = _area_matrix(144, 84) @ frame[:, :, 0].astype(float) @ _area_matrix(160, 84).T
    assert out.shape == (84, 84) and out.dtype == np.uint8
    assert np.abs(out - ref).max() <= 0.5 + 1e-9
    assert np.array_equal(Downsampler(84)(frame), out)  # gray of equal channels is that channel


def test_gray_uses_luminance_weights():
    frame = np.zeros((144, 160, 4), dtype=np.uint8)
    frame[:, :80, 1] = 255  # left half pure green
    out = Downsampler(84)(frame)
    assert out[0, 0] == round(0.587 * 255) and out[0, -1] == 0


def test_game_states_buttons_and_memory():
    game = PyBoyGame(ROM_PATH)
    for _ in range(200):
        game.tick(1, render=False)
        if game.read(cr.STATE) == cr.STATE_TITLE:
            break
    assert game.read(cr.MAGIC) == cr.MAGIC_VALUE
    title = game.save_state()
    game.write(cr.COMMAND, cr.CMD_START)
    game.tick(2)
    assert game.read(cr.STATE) == cr.STATE_PLAYING
    game.hold({"left"})
    game.tick(5)
    assert game.read(cr.BASKET_X) == 80 - 2 * 5
    game.hold(())
    game.tick(5)
    assert game.read(cr.BASKET_X) == 70
    game.load_state(title)
    assert game.read(cr.STATE) == cr.STATE_TITLE and game.held == frozenset()
    assert game.screen_rgb().shape == (144, 160, 3)
    with pytest.raises(ValueError, match="unknown buttons"):
        game.hold({"jump"})
    game.close()
    game.close()
