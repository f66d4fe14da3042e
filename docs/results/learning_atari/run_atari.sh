#!/bin/bash
# The Atari delay study (issue 12) as it was run: the paper's 55K IMPALA CNN on 84x84 pixels,
# virtual time, staggered vs sequential vs sequential-async, random and no-op references, 3 seeds.
# First attempt (18:18 UTC): 8000 frames, delays 1 and 8, last 3 episodes, from a 1000-frame pilot
# (34 s wall, 23 CPU-s). Under the machine's load (5-6 on 2 cores) a run then took 1049-1064 s
# wall and 291-297 CPU-s (two d = 1 runs of seed 0, kept in runs.jsonl under their own
# parameters; log_pilot_8000.txt), so the 24 runs would have needed ~3.5 h: stopped at 18:37.
# Second budget, fixed before any d = 8 result: 3000 frames (3 episodes of 1000 frames), d = 8
# only, final return = mean of the last 2 episodes; DQN defaults (one update per 4 frames,
# n-step 3, target copy every 500 updates, epsilon 1 -> 0.05 over the first 25 % of the frames,
# batch 32, FIFO replay 20k, updates from 100 transitions on). Runs go seed by seed.
cd "${CODE:-.}"
OUT=${OUT:-docs/results/learning_atari}
PY=${PY:-.venv/bin/python}
B="nice -n 19 $PY -m stagger.launch.cli bench learning --out $OUT --game atari/boxing --episode-frames 1000 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
# ph PILOT8000 --frames 8000 --delays 1,8 --seeds 3 --last-k 3   # the first attempt, stopped after 2 runs
ph BOXING --frames 3000 --delays 8 --seeds 3 --last-k 2
