#!/usr/bin/env bash
# Install the Debian packages of launch/system_packages.txt that are missing. As root: one
# `apt-get update` and `apt-get install` of exactly those; otherwise stop at once (exit 1)
# with the command to run. Used by launch/test.sh and .ci/run.
#   --dry-run   say what is missing and what would run, change nothing (exit 0)
# STAGGER_SKIP_SYSTEM_PACKAGES=1 skips the check (the tests that need a package then skip or fail).
set -euo pipefail
LIST="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/system_packages.txt"
dry=0
[ "${1:-}" = "--dry-run" ] && dry=1
if [ "${STAGGER_SKIP_SYSTEM_PACKAGES:-0}" = "1" ]; then
    exit 0
fi
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$LIST" | grep -v '^$')
if ! command -v dpkg-query >/dev/null; then
    echo "stagger: not a Debian system (no dpkg-query): install the equivalents of ${wanted[*]} yourself" >&2
    exit 0
fi
missing=()
for p in "${wanted[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" != "0" ]; then
    echo "stagger: the tests need Debian packages that are missing: ${missing[*]}" >&2
    echo "run (as root):  sudo sh -c '$cmd'" >&2
    echo "or run the tests without them: STAGGER_SKIP_SYSTEM_PACKAGES=1 bash launch/test.sh" >&2
    [ "$dry" = 1 ] && exit 0
    exit 1
fi
echo "stagger: installing missing Debian packages: ${missing[*]}" >&2
if [ "$dry" = 1 ]; then
    echo "would run: $cmd" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${missing[@]}" >/dev/null
