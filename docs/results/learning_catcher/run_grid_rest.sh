#!/bin/bash
# What ran after seed 0 of phase A1 (run_grid.sh). The machine gave each run about 8 % of a core
# (other helpers' test suites on the same 2 cores; ours at nice 19), so a 40k-frame run took
# about 15 minutes: the queue was cut to the cells of the claim (d = 5 and 8), in seed order.
cd "${CODE:-.}"
OUT=${OUT:-docs/results/learning_catcher}
PY=${PY:-python}
B="nice -n 19 $PY -c 'from launch.bench_learning import learning; learning()' --out $OUT --frames 40000 --learn-every 2 --target-every 500 --n-step 3 --explore 0.2 --learning-starts 100 --episode-frames 1000 --last-k 10 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph R1 --speeds fast --delays 5,8 --seeds 2 --first-seed 1 --modes staggered,sequential --no-references
ph R2 --speeds fast --delays 5 --seeds 1 --modes sequential-async --no-references
ph R3 --speeds fast --delays 5,8 --seeds 2 --first-seed 3 --modes staggered,sequential --no-references
