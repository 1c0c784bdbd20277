"""Where `planner generate` does its per-enterprise work.

- ``local`` (the default): the local pool of worker processes, ``planner.workers.WorkerPool``,
  run by ``planner.generate`` itself.
- ``dask``: a Dask distributed cluster, either one already running (``--scheduler tcp://HOST:8786``)
  or a LocalCluster of N worker processes on this machine (``--local N``). Installed as an extra,
  ``pip install 'planner[dask]'``; nothing of Dask is imported until this engine is asked for.

The contract of the cluster engine (see the README, "On a cluster (Dask)"): workers make the
documents and return them; the client writes them, under the output folder's lock, by the same
version protocol as the local pool. Workers need the same planner install (package, WeasyPrint,
fonts), not the output folder.
"""

from __future__ import annotations

from planner.exceptions import PlannerError
from planner.workers import WorkerPool as LocalPool  # noqa: F401  (the default engine, run by planner.generate)

ENGINES = ("local", "dask")


def dask_engine(scheduler: str | None = None, local: int | None = None, **options):
    """The Dask engine for ``planner.generate.generate(engine=...)``: on the cluster whose scheduler
    is at ``scheduler``, or on a LocalCluster of ``local`` worker processes started for the run.
    Imports Dask (a clear Chinese error when the extra is not installed)."""
    try:
        from planner.engines.cluster import DaskEngine
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("dask", "distributed"):
            raise
        raise PlannerError("未安装 Dask，无法使用 --engine dask；请先安装：pip install 'planner[dask]'") from None
    return DaskEngine(scheduler=scheduler, local=local, **options)
