"""Small network helpers for the embedded stack and the tests."""

import random
import socket
from contextlib import suppress
from pathlib import Path

# The kernel hands ports of its ephemeral range to outgoing connections too: a port found free
# there can be taken by a client socket before the server binds it. Ports are therefore drawn
# below that range, and never twice in one process.
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, outside the ephemeral range."""
    top = _ephemeral_start()
    if top - _LOWEST > 1000:
        for _ in range(200):
            port = random.randrange(_LOWEST, top)
            if port not in _handed_out and _can_bind(port):
                _handed_out.add(port)
                return port
    with socket.socket() as sock:  # an unusual range: let the kernel choose
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    with suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False
