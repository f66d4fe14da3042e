"""The catcher ROM: valid header without the Nintendo logo, rebuilt bit-for-bit from source,
and a C header that agrees with its Python mirror."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stagger.games import catcher_ram as cr
from stagger.games.catcher import ROM_PATH

SRC = ROM_PATH.parent
SOURCES = ("Makefile", "catcher.c", "catcher_ram.h", "crt0.s", "tiles.c", "tiles.h")


def test_header_is_valid_and_has_no_logo():
    rom = ROM_PATH.read_bytes()
    assert len(rom) == 32 * 1024
    assert rom[0x100:0x104] == bytes([0x00, 0xC3, 0x50, 0x01])  # nop; jp 0x0150
    assert rom[0x104:0x134] == b"\xff" * 0x30  # makebin -yN: no logo bytes at all
    assert rom[0x134:0x144].rstrip(b"\0") == b"CATCHER"
    assert rom[0x143] == 0x00 and rom[0x147] == 0x00 and rom[0x148] == 0x00  # DMG, no MBC, 32K
    check = 0
    for b in rom[0x134:0x14D]:
        check = (check - b - 1) & 0xFF
    assert rom[0x14D] == check
    total = (sum(rom) - rom[0x14E] - rom[0x14F]) & 0xFFFF
    assert rom[0x14E:0x150] == total.to_bytes(2, "big")


def test_rom_rebuilds_bit_for_bit(tmp_path):
    sdcc = shutil.which("sdcc")
    if sdcc is None or shutil.which("makebin") is None or shutil.which("make") is None:
        pytest.fail("sdcc/makebin/make not found: install sdcc 4.2 (apt-get install sdcc) "
                    "to check that games/catcher/catcher.gb rebuilds from source")
    work = tmp_path / "catcher"
    work.mkdir()
    for name in SOURCES:
        shutil.copy(SRC / name, work / name)
    result = subprocess.run(["make", "-C", str(work)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    version = subprocess.run([sdcc, "--version"], capture_output=True, text=True).stdout.strip()
    assert (work / "catcher.gb").read_bytes() == ROM_PATH.read_bytes(), (
        f"the rebuilt ROM differs from games/catcher/catcher.gb ({version}); run "
        f"`make -C games/catcher` and commit the ROM with the sources")


def test_c_header_matches_python_mirror():
    text = (SRC / "catcher_ram.h").read_text()
    defines = re.findall(r"^#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)\b", text, re.MULTILINE)
    assert len(defines) > 40
    for name, value in defines:
        py_name = name[3:] if name.startswith("CR_") else name
        assert getattr(cr, py_name, None) == int(value, 0), f"{name} = {value} in catcher_ram.h"
    # every address in the Python mirror is in the header too
    header_names = {n[3:] if n.startswith("CR_") else n for n, _ in defines}
    py_addrs = {k for k, v in vars(cr).items() if k.isupper() and isinstance(v, int) and v >= 0xC000}
    assert py_addrs <= header_names
