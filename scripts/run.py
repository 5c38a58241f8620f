"""Start the Procfile.dev processes (web, worker, beat) for `make run`; Ctrl-C stops them all.

This is `honcho -f Procfile.dev start` with a longer grace period. On the embedded file broker
a Celery worker needs 5 to 6 seconds for a warm shutdown (it finishes up to two 2-second
polling cycles, then stops its pool); honcho's own 5 seconds would often SIGKILL it half-way.
"""

from __future__ import annotations

import sys

import honcho.manager
from honcho.command import main

GRACE_SECONDS = 20

if __name__ == "__main__":
    honcho.manager.KILL_WAIT = GRACE_SECONDS
    sys.exit(main(["-f", "Procfile.dev", "start", *sys.argv[1:]]))
