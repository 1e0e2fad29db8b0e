"""A child process that dies with its parent: a worker or a forked writer killed outright
(SIGKILL, out of memory) must not go on working for nobody."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies (Linux)


def die_with_parent(parent: int) -> None:
    """In a child: be killed when process ``parent`` dies, even by SIGKILL (Linux; elsewhere
    nothing happens)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call
        os._exit(1)
