#!/bin/bash
# (They ran from a snapshot made before the layout moved the benchmark to benchmarks/learning.py;
# the module path below is the current one, the command is otherwise the one that ran.)
# What ran after seed 0 of phase A1 (run_grid.sh). The machine gave each run about 5-8 % of a
# core (other helpers' test suites on the same 2 cores, load average 12-21; ours at nice 19), so
# a 40k-frame run took 15-30 minutes: the queue was cut to the claim's cell d = 5 (seed 1 of
# staggered and sequential, and sequential-async), then d = 8.
cd "${CODE:-.}"
OUT=${OUT:-docs/results/learning_catcher}
PY=${PY:-python}
B="nice -n 19 $PY -c 'from stagger.benchmarks.learning import learning; learning()' --out $OUT --frames 40000 --learn-every 2 --target-every 500 --n-step 3 --explore 0.2 --learning-starts 100 --episode-frames 1000 --last-k 10 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph R1 --speeds fast --delays 5 --seeds 2 --modes staggered,sequential,sequential-async --no-references
ph R2 --speeds fast --delays 8 --seeds 2 --modes staggered,sequential,sequential-async --no-references
ph R3 --speeds fast --delays 1,5,8 --seeds 3 --first-seed 2 --modes staggered,sequential --no-references
