"""free_port hands out ports a server can bind, outside the range the kernel gives to clients."""

import socket

import pytest

from settle_shared import net

pytestmark = pytest.mark.unit


def test_free_ports_are_bindable_distinct_and_below_the_ephemeral_range() -> None:
    ports = [net.free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(port < net._ephemeral_start() for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        with socket.socket() as spare_socket:
            spare_socket.bind(("127.0.0.1", 0))
            spare = spare_socket.getsockname()[1]
        picks = iter([busy, busy, spare])
        monkeypatch.setattr(net, "_ephemeral_start", lambda: 60000)
        monkeypatch.setattr(net.random, "randrange", lambda low, high: next(picks))
        monkeypatch.setattr(net, "_handed_out", set())
        assert net.free_port() == spare
