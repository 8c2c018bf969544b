"""Small network helpers for the embedded stack and the tests."""

import socket
from contextlib import suppress


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    with suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False
