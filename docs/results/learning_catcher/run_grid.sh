#!/bin/bash
# (They ran from a snapshot made before the layout moved the benchmark to benchmarks/learning.py;
# the module path below is the current one, the command is otherwise the one that ran.)
# The catcher learning grid as it was run (issue 12), in priority order. Every phase appends
# its finished runs to $OUT/runs.jsonl and rewrites the tables and plots from all stored runs
# with the same parameters; a rerun of a phase skips what is stored.
# Budget (chosen from d = 1 pilots only, before any result at d > 1): 40k frames, one DQN update
# per 2 frames (20k updates), n-step 3, target copy every 500 updates, epsilon 1 -> 0.05 over the
# first 20 % of the frames, batch 32, FIFO replay of 50k, updates from 100 transitions on,
# episodes of at most 1000 frames, final return = mean of the last 10 episodes.
cd "${CODE:-.}"
OUT=${OUT:-docs/results/learning_catcher}
PY=${PY:-python}
B="nice -n 19 $PY -c 'from stagger.benchmarks.learning import learning; learning()' --out $OUT --frames 40000 --learn-every 2 --target-every 500 --n-step 3 --explore 0.2 --learning-starts 100 --episode-frames 1000 --last-k 10 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph A1 --speeds fast --delays 1,5,8 --seeds 3 --modes staggered,sequential
ph A2 --speeds fast --delays 1,5,8 --seeds 2 --first-seed 3 --modes staggered,sequential --no-references
ph B --speeds fast --delays 1,5,8 --seeds 3 --modes sequential-async --no-references
ph C --speeds normal --delays 1,5,8 --seeds 3 --modes staggered,sequential
ph D --speeds fast --delays 70,596 --seeds 2 --modes staggered,sequential,sequential-async --no-references
ph E --speeds normal --delays 70,596 --seeds 2 --modes staggered,sequential --no-references
ph F --speeds normal --delays 1,5,8 --seeds 3 --modes sequential-async --no-references
