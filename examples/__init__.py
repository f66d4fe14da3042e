"""Your own model and learner: examples for --model and --learner (see the README)."""
