"""details.json accounting from the nodes' final counters: experience (sent = received +
dropped + in flight) and every rejection by node and by reason."""
from stagger.measure.details import experience_accounting, experience_summary, rejections


def test_experience_behind_at_the_end_is_in_flight_and_the_counts_add_up():
    env = {"frames": 700, "send_dropped": {"experience": 10}, "experience_sent": 690}
    learner = {"received": {"experience": {"received": 400, "dropped": 5}}}
    acct = experience_accounting(env, learner)
    assert acct["in_flight_at_end"] == 285 and acct["unaccounted"] == 0 and acct["missed"] == 15
    s = experience_summary(acct, learner)
    assert s == {"sent": 690, "received": 400, "dropped": 5, "in_flight": 285, "send_failed": 10}
    assert s["sent"] == s["received"] + s["dropped"] + s["in_flight"]
    assert experience_summary(experience_accounting(env, None), None) is None  # no learner: nothing sent


def test_a_resumed_learner_counts_its_checkpoint_as_received():
    env = {"frames": 1000, "send_dropped": {"experience": 50}, "experience_sent": 950}
    learner = {"received": {"experience": {"received": 500, "dropped": 30}},
               "resume": {"same_run": True, "next_seq": 420, "first_seq": 440}}
    acct = experience_accounting(env, learner)
    s = experience_summary(acct, learner)
    assert s["received"] == 920 and s["in_flight"] == 0 and s["sent"] == 950
    assert acct["resume"]["lost_in_transit"] == 20


def test_counting_that_does_not_add_up_shows_as_unaccounted():
    acct = experience_accounting({"frames": 100, "experience_sent": 90}, {"received": {}})
    assert acct["unaccounted"] == 10  # frames neither sent nor a failed send


def test_rejections_by_node_and_by_reason():
    env = {"rejected": {"malformed": 2, "action_range": 1}}
    finals = {"clock": {"rejected": {"malformed": 1, "heartbeat_value": 3}}, "inf00": {"rejected": {}},
              "learner": {"rejected": {"experience_value": 4}}, "env": {"frames": 10}}
    r = rejections(env, finals, {"version": 1})
    assert r["by_node"] == {"env": env["rejected"], "clock": finals["clock"]["rejected"], "inf00": {},
                            "learner": {"experience_value": 4}, "supervisor": {"version": 1}}
    assert r["by_reason"] == {"malformed": 3, "action_range": 1, "heartbeat_value": 3, "experience_value": 4,
                              "version": 1}
    assert r["total"] == 12
