#!/usr/bin/env bash
# Run the test suite: first the Debian packages it needs (launch/system_packages.txt; as root
# they are installed, otherwise this stops with the command to run), then .venv (bootstrap.sh).
# Extra arguments go to pytest.
bash "$(dirname "${BASH_SOURCE[0]}")/system_packages.sh" || exit 1
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec python -m pytest "$@"
