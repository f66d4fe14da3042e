"""Sequence numbers: gaps, duplicates, reordering and restarts are counted exactly."""

from stagger.protocol.seq import MAX_TRACKED, SeqCounter, Sequencer


def test_sequencer_counts_per_channel():
    seqs = Sequencer()
    assert [seqs.next("obs"), seqs.next("obs"), seqs.next("stats"), seqs.next("obs")] == [0, 1, 0, 2]


def test_in_order_no_drops():
    counter = SeqCounter()
    assert [counter.observe("env", s) for s in range(100)] == [0] * 100
    assert (counter.received, counter.dropped, counter.duplicates, counter.reordered) == (100, 0, 0, 0)


def test_gaps_are_counted_per_sender():
    counter = SeqCounter()
    assert counter.observe("a", 0) == 0
    assert counter.observe("a", 4) == 3
    assert counter.observe("b", 2) == 2  # start=0: messages 0 and 1 of b were lost
    assert counter.observe("a", 5) == 0
    assert counter.dropped == 5
    assert counter.senders["a"].dropped == 3 and counter.senders["b"].dropped == 2


def test_duplicates_and_reordered():
    counter = SeqCounter()
    for s in (0, 1, 3):
        counter.observe("a", s)
    assert counter.dropped == 1
    counter.observe("a", 2)  # late, not lost
    assert (counter.dropped, counter.reordered, counter.duplicates) == (0, 1, 0)
    counter.observe("a", 2)
    counter.observe("a", 3)
    assert (counter.dropped, counter.reordered, counter.duplicates) == (0, 1, 2)


def test_huge_gap_bounded_memory():
    counter = SeqCounter()
    counter.observe("a", 0)
    assert counter.observe("a", 10 * MAX_TRACKED) == 10 * MAX_TRACKED - 1
    assert len(counter.senders["a"].missing) <= MAX_TRACKED
    counter.observe("a", 1)  # too old to remember: counted as a duplicate, still dropped
    assert counter.dropped == 10 * MAX_TRACKED - 1 and counter.duplicates == 1


def test_reset_after_restart_keeps_counts():
    counter = SeqCounter()
    for s in (0, 1, 2, 5):
        counter.observe("a", s)
    counter.reset("a")
    assert [counter.observe("a", s) for s in (0, 1)] == [0, 0]
    assert counter.dropped == 2 and counter.duplicates == 0 and counter.senders["a"].restarts == 1
    counter.reset("new")
    assert counter.observe("new", 1) == 1


def test_late_joiner_baseline():
    counter = SeqCounter(start=None)
    assert counter.observe("env", 500) == 0
    assert counter.observe("env", 502) == 1
    snap = counter.snapshot()
    assert snap["dropped"] == 1 and snap["received"] == 2 and snap["senders"]["env"]["dropped"] == 1
