"""A learner named by `--learner tests.slow_learner:SlowLearner` (not a test file itself): DQN
that takes ``OBSERVE_S`` seconds per transition it is given, so its intake (about 1 /
OBSERVE_S transitions a second) cannot keep up with a 60 frames/s env acting on every frame.
It sleeps on purpose: the point is a learner that falls behind, not what makes it slow."""
import time

from stagger.agents.dqn import DQNLearner

OBSERVE_S = 0.05  # 20 transitions/s against ~60 experience messages/s


class SlowLearner(DQNLearner):
    def observe(self, transition) -> None:
        time.sleep(OBSERVE_S)
        super().observe(transition)
