# Sourced by launch/local.sh and launch/test.sh: make .venv in the repo root and install
# stagger into it (torch pinned to the CPU build this machine carries), once, and again
# whenever setup.cfg changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
STAMP="$VENV/.stagger-installed"
want="$(sha256sum "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ]; then
    echo "stagger: creating $VENV" >&2
    "$PY" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    echo "stagger: installing into $VENV (torch 2.13.0 CPU first)" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q "torch==2.13.0" >&2
    # setuptools warns on every editable install of a flat layout that folders named like the
    # packages in the working directory take precedence: here they are the packages themselves
    PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
        "$VENV/bin/python" -m pip install -q -e "$ROOT[test]" >&2
    echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
