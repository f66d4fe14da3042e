#!/usr/bin/env bash
# Run the test suite (bootstrapping .venv first). Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec python -m pytest "$@"
