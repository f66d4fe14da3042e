#!/bin/bash
# the slow game (normal speed) and seeds 3-4 at the long delays, same parameters
cd /work/wt/results
while pgrep -f run_more.sh > /dev/null; do sleep 20; done
OUT=docs/results/learning_catcher
PY=.venv/bin/python
B="nice -n 19 $PY -c 'from stagger.benchmarks.learning import learning; learning()' --out $OUT --frames 40000 --learn-every 2 --target-every 500 --n-step 3 --explore 0.2 --learning-starts 100 --episode-frames 1000 --last-k 10 --workers 2"
ph() { local name=$1; shift; echo "=== phase $name start $(date -u +%T)"; eval "$B $*"; local rc=$?; echo "=== phase $name end $(date -u +%T) rc $rc"; }
ph R7 --speeds normal --delays 1,5,8 --seeds 5 --modes staggered,sequential,sequential-async
ph R8 --speeds fast --delays 70,596 --seeds 2 --first-seed 3 --modes staggered,sequential,sequential-async --no-references
ph R9 --speeds normal --delays 70,596 --seeds 3 --modes staggered,sequential,sequential-async --no-references
ph R10 --speeds fast --delays 1,5,8 --seeds 3 --first-seed 2 --modes sequential-async --no-references
