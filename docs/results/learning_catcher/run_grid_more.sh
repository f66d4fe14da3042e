#!/bin/bash
# the rest of the catcher grid (issue 12), same parameters as run_grid.sh
cd /work/wt/results
OUT=docs/results/learning_catcher
PY=.venv/bin/python
B="nice -n 19 $PY -c 'from stagger.benchmarks.learning import learning; learning()' --out $OUT --frames 40000 --learn-every 2 --target-every 500 --n-step 3 --explore 0.2 --learning-starts 100 --episode-frames 1000 --last-k 10 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph R2 --speeds fast --delays 8 --seeds 2 --modes staggered,sequential,sequential-async --no-references
ph R3 --speeds fast --delays 1,5,8 --seeds 3 --first-seed 2 --modes staggered,sequential --no-references
ph R4 --speeds fast --delays 1 --seeds 2 --first-seed 0 --modes sequential-async --no-references
ph R5 --speeds fast --delays 70,596 --seeds 3 --modes staggered,sequential,sequential-async --no-references
ph R6 --speeds fast --delays 5,8 --seeds 2 --first-seed 2 --modes sequential-async --no-references
