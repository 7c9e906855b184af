"""`python -m tests.support.touch_worker`: the real `leadorch worker`, started in two steps for fault tests.

It imports everything the worker needs first, then waits for a line `go` on stdin before running
`leadorch worker` itself. A test keeps one such process warm while another runs, so killing a worker
and starting the next costs no import time (a few seconds on a busy machine), and the kill lands while
touches are being dispatched rather than while Python is still starting.
"""

from __future__ import annotations

import importlib
import sys

from leadorch.app.cli import main
from leadorch.app.worker.runtime import ACTOR_MODULES


def run(argv: list[str]) -> int:
    for module in ACTOR_MODULES:
        importlib.import_module(module)
    importlib.import_module("leadorch.app.cli.worker")
    if sys.stdin.readline().strip() != "go":
        return 0
    return main(["worker", *argv])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
