"""How many threads BLAS may use while a model runs.

The models' matrices are small (a query's are a few tokens wide) and analysis is a background
job on a shared machine: one thread is faster per request here than BLAS's default of one per
core, and leaves the other cores to the web workers.
"""

from contextlib import AbstractContextManager
from functools import cache
from typing import Any


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController  # scans the loaded BLAS libraries once

    return ThreadpoolController()


def blas_threads(limit: int) -> AbstractContextManager[Any]:
    """A context in which BLAS runs on at most `limit` threads."""
    return _controller().limit(limits=limit, user_api="blas")
