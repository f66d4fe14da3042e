"""The compute worker: forward passes in their own thread, results woken through an fd."""
import select
import threading

import numpy as np
import pytest
import torch
from torch import nn

from stagger.agents.policy import Policy
from stagger.nodes.compute import ComputeWorker


class Gate(nn.Module):
    """A pass that lasts until the test opens the gate (proves the caller is not blocked)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.eye(3))
        self.gate = threading.Event()
        self.entered = threading.Event()

    def forward(self, x):
        self.entered.set()
        assert self.gate.wait(10)
        return x.float() @ self.w


def wait_readable(fd, timeout=10.0):
    r, _, _ = select.select([fd], [], [], timeout)
    return bool(r)


def test_pass_runs_in_the_worker_while_the_caller_goes_on():
    model = Gate()
    worker = ComputeWorker(Policy(model, 3), normal_priority=False).start()
    try:
        worker.submit(7, np.array([1.0, 5.0, 2.0], np.float32))
        assert model.entered.wait(10)
        assert worker.busy and worker.results() == []  # running, nothing posted, we are free
        with pytest.raises(RuntimeError, match="still running"):
            worker.submit(8, np.zeros(3, np.float32))
        assert not wait_readable(worker.fd, 0.05)
        model.gate.set()
        assert wait_readable(worker.fd)
        (r,) = worker.results()
        assert r.tag == 7 and r.error is None and np.argmax(r.q) == 1 and r.real_s > 0
        assert not worker.busy and worker.results() == []
    finally:
        model.gate.set()
        worker.close()


def test_weights_are_applied_between_passes_newest_first():
    model = Gate()
    model.gate.set()
    policy = Policy(model, 3)
    worker = ComputeWorker(policy, normal_priority=False).start()
    try:
        swap = np.eye(3, dtype=np.float32)[[2, 0, 1]]
        worker.load({"w": np.eye(3, dtype=np.float32)}, 1)
        worker.load({"w": swap}, 2)  # replaces version 1 if not applied yet
        r = worker.call(np.array([1.0, 5.0, 2.0], np.float32), timeout_s=10)
        assert r.version == 2 and policy.version == 2
        assert np.allclose(r.q, np.array([1.0, 5.0, 2.0]) @ swap)
    finally:
        worker.close()


def test_errors_reach_the_caller():
    worker = ComputeWorker(Policy(nn.Linear(3, 2), 2), normal_priority=False).start()
    try:
        worker.load({"nope": np.zeros(2, np.float32)}, 1)
        with pytest.raises(ValueError, match="do not match the model"):
            worker.call(np.zeros(3, np.float32), timeout_s=10)
        with pytest.raises(RuntimeError):  # wrong input size: the model's own error
            worker.call(np.zeros(5, np.float32), timeout_s=10)
    finally:
        worker.close()


def test_warm_up_returns_the_last_real_time():
    worker = ComputeWorker(Policy(nn.Linear(3, 2), 2), normal_priority=False).start()
    try:
        t = worker.warm_up(np.zeros(3, np.float32), passes=3)
        assert 0 < t < 1.0 and worker.policy.forward_passes == 3
    finally:
        worker.close()


def test_threads_are_the_workers_own():
    """--threads N: torch's intra-op threads of the worker thread; the caller's stay as they are."""
    before = torch.get_num_threads()
    worker = ComputeWorker(Policy(nn.Linear(3, 2), 2), threads=2, normal_priority=False).start()
    try:
        worker.call(np.zeros(3, np.float32), timeout_s=10)
        assert worker.torch_threads == 2 and torch.get_num_threads() == before
    finally:
        worker.close()


def test_run_here_is_the_same_pass_in_the_calling_thread():
    """A short pass runs in the I/O thread itself: the same Result and cpu_times, no post
    to the fd; refused while a pass is queued in the worker."""
    model = Gate()
    policy = Policy(model, 3)
    worker = ComputeWorker(policy, normal_priority=False).start()
    try:
        model.gate.set()
        r = worker.run_here(4, np.array([0.0, 1.0, 9.0], np.float32))
        assert r.tag == 4 and r.error is None and np.argmax(r.q) == 2 and r.real_s > 0
        assert r.version == policy.version and len(worker.cpu_times) == 1
        assert not wait_readable(worker.fd, 0.05) and worker.results() == []  # nothing posted
        model.gate.clear()
        model.entered.clear()
        worker.submit(5, np.zeros(3, np.float32))
        assert model.entered.wait(10)
        with pytest.raises(RuntimeError, match="still running"):
            worker.run_here(6, np.zeros(3, np.float32))
    finally:
        model.gate.set()
        worker.close()
