#!/bin/bash
# After run_atari.sh (Boxing d = 8) ended early (18:51 UTC): Krull at the same budget, then
# Boxing d = 1 (staggered and sequential, the same agent at d = 1) if it was still before 19:07.
cd "${CODE:-.}"
while [ -n "$WAIT_PID" ] && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 5; done
OUT=${OUT:-docs/results/learning_atari}
PY=${PY:-.venv/bin/python}
B="nice -n 19 $PY -m stagger.launch.cli bench learning --out $OUT --episode-frames 1000 --workers 2 --frames 3000 --seeds 3 --last-k 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph KRULL --game atari/krull --delays 8
if [ "$(date -u +%H%M)" -lt 1907 ]; then ph BOXING_D1 --game atari/boxing --delays 1 --modes staggered,sequential --no-references; fi
