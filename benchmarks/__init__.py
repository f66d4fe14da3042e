"""The benchmarks: `stagger bench` commands (scaling, learning) and scripts that print their
figures (bench_stagger.py, bench_atari.py, bench_catcher.py)."""
