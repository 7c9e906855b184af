"""`python -m tests.support.touch_worker`: starts real `leadorch worker` processes quickly, for fault tests.

A fault test kills a worker (SIGKILL) many times, and importing the worker's code takes seconds on a
busy machine, which would make the kills land while Python starts rather than while touches are being
dispatched. So this process imports everything once and then, for each line `go` on stdin, forks a child
that runs `leadorch worker` itself (fresh database and Redis connections, its own threads) and prints
the child's pid. Nothing runs in this process but the imports, so forking it is safe.
"""

from __future__ import annotations

import os
import signal
import sys

# Imported once here, before any fork: the command, the runtime with every job it registers, and the
# providers' SDKs (`build_messenger` imports them only when a process builds its messenger).
from leadorch.adapters import sendgrid, twilio  # noqa: F401
from leadorch.app import background  # noqa: F401
from leadorch.app.cli import (
    main,
    worker,  # noqa: F401
)


def _child(argv: list[str]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        code = main(["worker", *argv])
    except BaseException:
        code = 1
    os._exit(code)


def run(argv: list[str]) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        pid = os.fork()
        if pid == 0:
            _child(argv)
        print(pid, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
