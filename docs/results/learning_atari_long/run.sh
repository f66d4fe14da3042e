#!/bin/bash
# The longer Atari delay study (issue 12), started 2026-12-05 ~00:58 UTC on a quiet machine (load 0.0
# before it): the paper's 55K IMPALA CNN on 84x84 pixels, virtual time, Boxing, d = 8,
# staggered vs sequential vs sequential-async, random and no-op references, 3 seeds.
# Budget fixed before any result, from the earlier 8,000-frame runs (291-297 CPU-s each): 20,000
# frames per run (20 episodes of 1,000 frames), final return = mean of the last 5 episodes, DQN
# defaults (one update per 4 frames, n-step 3, target copy every 500 updates, epsilon 1 -> 0.05
# over the first 25 % of the frames, batch 32, FIFO replay, updates from 100 transitions on).
# About 9 x 730 CPU-s: ~1 h on the two cores at nice 19. Runs go seed by seed (--resume).
cd "${CODE:-.}"
OUT=${OUT:-docs/results/learning_atari_long}
PY=${PY:-.venv/bin/python}
echo "=== start $(date -u +%T)"
nice -n 19 $PY -m stagger.launch.cli bench learning --out $OUT --game atari/boxing \
  --episode-frames 1000 --workers 2 --frames 20000 --delays 8 --seeds 3 --last-k 5
echo "=== end $(date -u +%T) rc $?"
