"""Run first by each worker process of a LocalCluster the Dask engine starts (Dask's ``preload``).

Ctrl-C on the terminal reaches the whole process group, these workers included: they ignore it,
since stopping the run is the client's (it cancels the run's tasks and closes the cluster), and
a worker that took it would print Dask's tracebacks. A worker still ends with the client: Dask's
worker processes exit when their parent's pipe closes, even after ``kill -9``.
"""

from __future__ import annotations

import signal
import threading


def dask_setup(worker=None) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
