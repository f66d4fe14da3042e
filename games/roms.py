"""Finding the user's own ROM by checksum. stagger never ships, copies, downloads or makes ROMs.

A ROM comes from `--rom PATH` (one file), or from a directory searched recursively by SHA-256,
never by file name: `--rom-dir DIR`, else the `STAGGER_ROM_DIR` environment variable (one
directory, or several joined by os.pathsep). A missing ROM, or a given ROM with another
checksum, raises `RomError`, whose message names the game, the SHA-256 expected and every
place looked. With `allow_unknown=True` a given ROM with another checksum is accepted and the
returned `RomMatch.warning` says so (a string for the caller to print: no `warnings.warn`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Mapping, NamedTuple

# Known-good SHA-256 per game, from the official code's `rom.sha` files (PAPER.md 5.1), each
# cross-checked against public ROM tables (No-Intro names in the comments).
KNOWN_SHA256: dict[str, tuple[str, ...]] = {
    # Pokemon - Red Version (USA, Europe); integrations PokemonRed_Battles and _Catching.
    "pokemon-red": ("5ca7ba01642a3b27b0cc0b5349b52792795b62d3ed977e98a09390659af96b7b",),
    # Pokemon - Blue Version (USA, Europe); integration PokemonBlue_Catching. The official
    # PokemonBlue_Battles lists Red's checksum (5ca7ba01...), a copy error: not accepted here,
    # so a Red dump is never run as Blue.
    "pokemon-blue": ("2a951313c2640e8c2cb21f25d1db019ae6245d9c7121f754fa61afd7bee6452d",),
    # Pokemon - Yellow Version (USA, Europe) (CGB+SGB Enhanced).
    "pokemon-yellow": ("8cbaa499397e4f1a679c992ea9382a2dd7942ab398b48c19829c2d9529de47bf",),
    # Tetris (World) (Rev 1), a.k.a. Tetris (JUE) (V1.1).
    "tetris": ("0d6535aef23969c7e5af2b077acaddb4a445b3d0df7bf34c8acef07b51b015c3",),
}

DUMP_NAMES = {
    "pokemon-red": "Pokemon - Red Version (USA, Europe)",
    "pokemon-blue": "Pokemon - Blue Version (USA, Europe)",
    "pokemon-yellow": "Pokemon - Yellow Version (USA, Europe)",
    "tetris": "Tetris (World) (Rev 1)",
}
ENV_VAR = "STAGGER_ROM_DIR"
MAX_DEPTH = 4            # directory levels below a ROM directory that are searched
MAX_FILES = 5000         # files looked at per directory before the search stops
MIN_SIZE = 32 * 1024     # Game Boy ROMs are 32 KiB .. 8 MiB, multiples of 16 KiB
MAX_SIZE = 8 * 1024 * 1024


class RomError(ValueError):
    """No usable ROM: the message says which game, which SHA-256, and where stagger looked."""


class RomMatch(NamedTuple):
    path: Path
    sha256: str
    warning: str | None = None   # set when an unknown ROM was accepted (allow_unknown)


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expected_sha256(game: str) -> tuple[str, ...]:
    try:
        return KNOWN_SHA256[game]
    except KeyError:
        raise ValueError(f"no ROM table entry for {game!r}; games with ROMs: "
                         f"{', '.join(sorted(KNOWN_SHA256))}") from None


def _candidates(root: Path, counter: list[int]):
    """Files under root that could be a Game Boy ROM by size, breadth-first and bounded."""
    level = [root]
    for _depth in range(MAX_DEPTH + 1):
        nxt = []
        for d in level:
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if e.name.startswith("."):
                    continue
                try:
                    if e.is_dir(follow_symlinks=False):
                        nxt.append(Path(e.path))
                    elif e.is_file():
                        counter[0] += 1
                        if counter[0] > MAX_FILES:
                            return
                        size = e.stat().st_size
                        if MIN_SIZE <= size <= MAX_SIZE and size % (16 * 1024) == 0:
                            yield Path(e.path)
                except OSError:
                    continue
        level = nxt


def search_dir(root: Path, wanted: tuple[str, ...]) -> tuple[RomMatch | None, str]:
    """Search one directory; returns (match or None, a description of what was looked at)."""
    if not root.is_dir():
        return None, f"{root} (not a directory)"
    counter, hashed = [0], 0
    found: dict[str, Path] = {}
    for path in _candidates(root, counter):
        hashed += 1
        digest = sha256_of(path)
        if digest in wanted and digest not in found:
            found[digest] = path
    for digest in wanted:                   # table order decides between two good dumps
        if digest in found:
            return RomMatch(found[digest], digest), ""
    capped = f", stopped after {MAX_FILES} files" if counter[0] > MAX_FILES else ""
    return None, (f"{root} (recursively, up to {MAX_DEPTH} levels deep: {min(counter[0], MAX_FILES)} "
                  f"files, {hashed} of ROM size checksummed{capped})")


def _rom_dirs(rom_dir, env: Mapping[str, str]) -> tuple[list[Path], list[str]]:
    if rom_dir:
        return [Path(rom_dir).expanduser()], []
    value = env.get(ENV_VAR, "")
    dirs = [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]
    return dirs, ([] if dirs else [f"{ENV_VAR} is not set and no --rom-dir was given"])


def locate_rom(game: str, rom=None, rom_dir=None, env: Mapping[str, str] = os.environ,
               allow_unknown: bool = False) -> RomMatch:
    """Find the ROM for `game`: the given file, else by checksum in the ROM directories."""
    wanted = expected_sha256(game)
    want_text = " or ".join(wanted)
    if rom is not None:
        path = Path(rom).expanduser()
        if not path.is_file():
            raise RomError(f"ROM for {game} not found: --rom {path} is not a file. "
                           f"Expected a dump with sha256 {want_text}.")
        digest = sha256_of(path)
        if digest in wanted:
            return RomMatch(path, digest)
        text = (f"ROM {path} has sha256 {digest}, not the known-good sha256 for {game} "
                f"({want_text}).")
        if not allow_unknown:
            raise RomError(f"{text} Pass --allow-unknown-rom to run it anyway, or give the "
                           f"right dump.")
        return RomMatch(path, digest, f"warning: {text} Running it because "
                        f"--allow-unknown-rom was given; rewards and RAM addresses may be wrong.")
    dirs, looked = _rom_dirs(rom_dir, env)
    for d in dirs:
        match, where = search_dir(d, wanted)
        if match is not None:
            return match
        looked.append(where)
    raise RomError(
        f"No ROM for {game} found. stagger needs your own dump of {DUMP_NAMES.get(game, game)} "
        f"(it never ships or downloads ROMs), found by its sha256 {want_text} under any file "
        f"name. Looked in: "
        f"{'; '.join(looked)}. Pass --rom PATH, or --rom-dir DIR, or set {ENV_VAR}=DIR.")


def find_rom(game: str, rom=None, rom_dir=None, env: Mapping[str, str] = os.environ,
             allow_unknown: bool = False) -> Path:
    """`locate_rom(...).path`; use `locate_rom` to get the warning for an unknown ROM."""
    return locate_rom(game, rom, rom_dir, env, allow_unknown).path
