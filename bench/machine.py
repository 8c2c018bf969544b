"""What the machine a bench runs on did besides the bench."""

from __future__ import annotations

import os


def steal_seconds() -> float | None:
    """CPU time the hypervisor gave to other guests so far, all CPUs together (Linux only):
    on a virtual machine the host can take a core away in the middle of a measurement."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else None
