"""What every PyBoy game shares: a headless emulator helper and screen-to-observation maths.

`PyBoyGame` is a helper object, not a Gymnasium env: each env (catcher, tetris, pokemon) owns
one and defines its own spaces, reward and reset on top of it::

    game = PyBoyGame(rom_path)           # headless, no sound, unlimited speed, log level ERROR
    game.tick(60, render=False)          # boot
    state = game.save_state()            # bytes
    game.load_state(state)
    game.hold({"left"})                  # buttons held from the next tick until changed
    game.tick()                          # one frame, rendered
    obs = game.screen84()                # (84, 84) uint8, area-averaged grayscale
    rgb = game.screen_rgb()              # (144, 160, 3) uint8 copy
    game.read(0xC000); game.write(0xC001, 5); game.read_bytes(0xC000, 16)
    game.close()                         # stop(save=False); safe to call twice

Nothing is ever written beside the ROM: the ROM is handed to PyBoy as an in-memory file, so
PyBoy neither loads nor saves `<rom>.ram`/`<rom>.rtc`, and `close()` stops with `save=False`.
pyboy is imported lazily (on the first `PyBoyGame`), so importing this module is cheap.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

BUTTONS = ("a", "b", "start", "select", "left", "right", "up", "down")
SCREEN_SHAPE = (144, 160)
GB_FPS = 59.7275  # 4194304 Hz / 70224 cycles per frame


def _pyboy_class():
    """Import PyBoy, hiding pysdl2's import-time UserWarning (no window is ever opened)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using SDL2 binaries", category=UserWarning)
        from pyboy import PyBoy
    return PyBoy


def area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer area-averaging taps for resizing n_in samples to n_out.

    Measured in units where an input cell is n_out long and an output cell n_in long, output
    o overlaps input i by an integer length w; the weights of one output sum to n_in. Returns
    (index, weight), each (taps, n_out), unused taps padded with weight 0. These are the
    weights of OpenCV's INTER_AREA for a downscale; here the sums are exact integers.
    """
    rows = []
    for o in range(n_out):
        lo, hi = o * n_in, (o + 1) * n_in
        rows.append([(i, min(hi, (i + 1) * n_out) - max(lo, i * n_out))
                     for i in range(lo // n_out, min(-(-hi // n_out), n_in))])
    taps = max(len(r) for r in rows)
    index = np.zeros((taps, n_out), dtype=np.intp)
    weight = np.zeros((taps, n_out), dtype=np.uint32)
    for o, r in enumerate(rows):
        for t, (i, w) in enumerate(r):
            index[t, o], weight[t, o] = i, w
    return index, weight


class Downsampler:
    """Grayscale + area-averaging resize of (H, W, >=3) uint8 frames to (size, size) uint8.

    Pure numpy integer arithmetic (exact, identical on every machine; no BLAS, whose thread
    pool made a float matmul 30x slower next to PyBoy). About 55 us for 144x160 -> 84x84.
    """

    def __init__(self, size: int = 84, in_shape: tuple[int, int] = SCREEN_SHAPE):
        self.size = size
        (h, w) = in_shape
        self._ri, rw = area_taps(h, size)
        self._ci, self._cw = area_taps(w, size)
        row_type = np.uint16 if 255 * h < 1 << 16 else np.uint32
        self._rw = [rw[t][:, None].astype(row_type) for t in range(len(rw))]
        self._den = h * w  # weights of one output pixel sum to this

    def gray(self, frame: np.ndarray) -> np.ndarray:
        """(H, W) uint8 luminance (ITU-R 601 weights, rounded) of an RGB(A) frame."""
        rgb = frame[:, :, :3].astype(np.uint32)
        return ((rgb[:, :, 0] * 299 + rgb[:, :, 1] * 587 + rgb[:, :, 2] * 114 + 500)
                // 1000).astype(np.uint8)

    def __call__(self, frame: np.ndarray, single_channel: bool = False) -> np.ndarray:
        """`single_channel=True` reads channel 0 only (exact for a gray palette, and faster)."""
        # contiguous rows make the row gathers below plain copies (faster than strided)
        g = np.ascontiguousarray(frame[:, :, 0]) if single_channel else self.gray(frame)
        ri, rw = self._ri, self._rw
        acc = g[ri[0]] * rw[0]
        for t in range(1, len(rw)):
            acc += g[ri[t]] * rw[t]
        ci, cw = self._ci, self._cw
        out = acc[:, ci[0]] * cw[0]
        for t in range(1, len(cw)):
            out += acc[:, ci[t]] * cw[t]
        out += self._den // 2
        out //= self._den
        return out.astype(np.uint8)


class PyBoyGame:
    """A headless PyBoy with held buttons, RAM access, states and screen observations."""

    def __init__(self, rom: str | os.PathLike | bytes, *, cgb: bool | None = None,
                 symbols: str | os.PathLike | None = None, gray_palette: bool = True):
        data = bytes(rom) if isinstance(rom, (bytes, bytearray)) else Path(rom).read_bytes()
        self._pyboy = _pyboy_class()(
            io.BytesIO(data), window="null", sound_emulated=False, log_level="ERROR",
            cgb=cgb, symbols=None if symbols is None else str(symbols),
        )
        self._pyboy.set_emulation_speed(0)
        self._screen = self._pyboy.screen.ndarray  # live (144, 160, 4) view, refreshed on render
        self._held: frozenset[str] = frozenset()
        self._down = Downsampler(84)
        # PyBoy's default DMG palette is grey, so channel 0 equals the luminance there.
        # CGB mode: forced by `cgb`, else chosen by header byte 0x143 bit 7 (as PyBoy does).
        self.cgb = bool(cgb) if cgb is not None else bool(len(data) > 0x143 and data[0x143] & 0x80)
        self._single_channel = gray_palette and not self.cgb
        self._closed = False

    # --- emulation -------------------------------------------------------------------------
    @property
    def pyboy(self):
        """The underlying `pyboy.PyBoy` (for game wrappers, hooks, symbols)."""
        return self._pyboy

    @property
    def frame_count(self) -> int:
        return self._pyboy.frame_count

    def tick(self, count: int = 1, render: bool = True) -> None:
        """Run `count` frames; render (update the screen buffer) only the last one if asked."""
        self._pyboy.tick(count, render, False)

    def hold(self, buttons) -> None:
        """Hold exactly `buttons` (an iterable of names in BUTTONS) from the next tick on."""
        want = frozenset(buttons)
        if want == self._held:
            return
        unknown = want.difference(BUTTONS)
        if unknown:
            raise ValueError(f"unknown buttons {sorted(unknown)}; allowed: {list(BUTTONS)}")
        for b in self._held - want:
            self._pyboy.button_release(b)
        for b in want - self._held:
            self._pyboy.button_press(b)
        self._held = want

    @property
    def held(self) -> frozenset:
        return self._held

    # --- memory ----------------------------------------------------------------------------
    def read(self, addr: int) -> int:
        return self._pyboy.memory[addr]

    def read_bytes(self, addr: int, n: int) -> bytes:
        return bytes(self._pyboy.memory[addr:addr + n])

    def write(self, addr: int, value: int) -> None:
        self._pyboy.memory[addr] = value

    def write_bytes(self, addr: int, values) -> None:
        for i, v in enumerate(values):
            self._pyboy.memory[addr + i] = v

    # --- states ----------------------------------------------------------------------------
    def save_state(self) -> bytes:
        buf = io.BytesIO()
        self._pyboy.save_state(buf)
        return buf.getvalue()

    def load_state(self, state: bytes) -> None:
        """Restore a state from `save_state`, then release every button (the state carries
        the joypad; after this call nothing is held, whatever the state had)."""
        self._pyboy.load_state(io.BytesIO(state))
        for b in BUTTONS:
            self._pyboy.button_release(b)
        self._held = frozenset()

    # --- screen ----------------------------------------------------------------------------
    def screen_rgb(self) -> np.ndarray:
        """(144, 160, 3) uint8 copy of the last rendered frame."""
        return self._screen[:, :, :3].copy()

    def screen84(self) -> np.ndarray:
        """(84, 84) uint8 grayscale, area-averaged, of the last rendered frame."""
        return self._down(self._screen, self._single_channel)

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the emulator without writing anything; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._pyboy.stop(save=False)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing useful to do
            pass
