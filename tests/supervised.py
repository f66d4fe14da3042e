"""A `stagger run` supervised in a thread of the test (Supervisor(cfg).run()), for tests that
talk to the run while it runs: start it, wait for a file of its run directory, join it."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from stagger.launch.run import Supervisor


class SupervisedRun:
    def __init__(self, cfg):
        self.result: dict = {}
        self.thread = threading.Thread(target=self._supervise, args=(cfg,))
        self.thread.start()

    def _supervise(self, cfg) -> None:
        try:
            self.result["summary"] = Supervisor(cfg).run()
        except BaseException as exc:  # shown by the caller's assertions
            self.result["error"] = exc

    def wait_for(self, path: Path, timeout: float) -> None:
        """Until ``path`` exists (the run wrote it), the run ended or ``timeout`` s passed."""
        deadline = time.monotonic() + timeout
        while not path.exists() and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.exists(), self.result

    def join(self, timeout: float) -> dict:
        self.thread.join(timeout)
        return self.result
