"""CurveZMQ on the node runtime (sockets in one process, loopback): the run's clients
receive, a client without the run's keys (plain, or CURVE with its own keys) receives
nothing and its handshake is refused; without security a plain client receives."""
import socket

import numpy as np
import pytest
import zmq
from multihost_runs import FAILED, probe

from stagger.nodes.core import Out
from stagger.nodes.runtime import Runtime
from stagger.nodes.security import CurveKeys, generate_keys, is_loopback, key_files
from stagger.protocol.messages import Observation

@pytest.fixture()
def keys(tmp_path):
    return CurveKeys.load(generate_keys(tmp_path / "keys"))


def publisher(security):
    rt = Runtime("env", "env", security=security)
    ep = rt.bind("obs")
    frame = [0]

    def publish():
        rt.send(Out("obs", Observation(frame=frame[0], episode=0, arrays=(np.zeros((4, 4), np.uint8),))))
        frame[0] += 1
    return rt, ep, publish


def test_key_files_are_private_and_only_binders_get_the_server_secret(tmp_path):
    d = generate_keys(tmp_path / "k")
    assert (d.stat().st_mode & 0o777) == 0o700
    assert (d / "server.key_secret").stat().st_mode & 0o077 == 0
    assert "server.key_secret" not in key_files(d, server=False)
    assert "server.key_secret" in key_files(d, server=True)
    assert set(key_files(d, server=False)) == {"server.key", "client.key", "client.key_secret", "clients/client.key"}
    k = CurveKeys.load(d)
    assert len(k.server_public) == 40 and k.server_secret is not None
    assert generate_keys(d) == d and CurveKeys.load(d).server_public == k.server_public  # kept


def test_the_runs_client_receives(keys):
    rt, ep, publish = publisher(keys)
    try:
        got, events = probe(ep, keys.client, publish)
    finally:
        rt.close()
    assert got > 0 and zmq.EVENT_HANDSHAKE_SUCCEEDED in events


def test_a_plain_client_receives_nothing_and_is_refused(keys):
    rt, ep, publish = publisher(keys)
    try:
        got, events = probe(ep, None, publish)
    finally:
        rt.close()
    assert got == 0
    assert events & FAILED and zmq.EVENT_HANDSHAKE_SUCCEEDED not in events


def test_a_curve_client_with_other_keys_receives_nothing_and_is_refused_by_zap(keys, caplog):
    rt, ep, publish = publisher(keys)
    pub, sec = zmq.curve_keypair()

    def intruder(sock):
        sock.curve_serverkey = keys.server_public  # it knows the server's public key, not a client key
        sock.curve_publickey, sock.curve_secretkey = pub, sec
    try:
        with caplog.at_level("WARNING"):
            got, events = probe(ep, intruder, publish)
    finally:
        rt.close()
    assert got == 0
    assert zmq.EVENT_HANDSHAKE_FAILED_AUTH in events
    assert any("ZAP refused a client" in r.getMessage() for r in caplog.records)


def test_without_security_a_plain_client_receives():
    rt, ep, publish = publisher(None)
    try:
        got, _ = probe(ep, None, publish)
    finally:
        rt.close()
    assert got > 0


def test_a_port_in_use_is_a_clear_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    rt = Runtime("env", "env")
    try:
        with pytest.raises(RuntimeError, match=f"cannot bind obs on 127.0.0.1:{port}.*already in use"):
            rt.bind("obs", port)
    finally:
        rt.close()
        holder.close()


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("127.3.0.1") and is_loopback("localhost")
    assert not is_loopback("10.213.0.1") and not is_loopback("node01")
