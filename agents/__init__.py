"""Networks, policy, replay, transitions and the DQN learner.

Submodules are imported on demand: `schedule`, `replay` and `transitions` need only numpy,
so a node that does not train or infer never pays for importing torch.
"""
