"""The embedded default: PostgreSQL and the Tansu broker as local processes.

`shared.embedded.postgres.EmbeddedPostgres` and `shared.embedded.tansu.EmbeddedTansu`
start real servers for a laptop, the demo and the tests. This module holds what
both (and the `arshjul up` supervisor) need for child processes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child receive `sig` when its parent dies.

    The embedded servers and the services must not outlive the process that
    owns them, even when that process is SIGKILLed (no `finally` runs then).
    Linux only (prctl PR_SET_PDEATHSIG); elsewhere returns None. The signal is
    sent when the *thread* that forked dies, so spawn from a long-lived thread
    (the main thread or the event loop's).
    """
    if not sys.platform.startswith("linux"):
        return None
    # Resolve libc in the parent: the child between fork and exec should do
    # as little as possible (no dlopen, no allocation-heavy work).
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()
    signum = int(sig)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        # The parent may have died between fork and prctl: then nobody would
        # ever send the signal, so deliver it now.
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)

    return preexec
