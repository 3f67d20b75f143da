"""Loaded by every Python process of `make test-dates` (PYTHONPATH), which runs the suite under Debian's faketime
a year ahead and a year back. libfaketime 0.9.10 and Python 3.11 disagree about the monotonic clock: faked, a
timed lock wait (sem_clockwait) never ends; left real (--exclude-monotonic), time.sleep (an absolute
clock_nanosleep) fails with EINVAL. So the run leaves the monotonic clock real and sleeps through select(),
which libfaketime passes through. Outside faketime this file does nothing."""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        select.select([], [], [], seconds)

    time.sleep = _sleep
