"""The Python worker SDK and runner: claims jobs through the GraphQL API with an API key.

    from taskforge.worker import JobContext, PermanentError, handler

    @handler("send_email")
    async def send_email(payload: dict, ctx: JobContext) -> dict:
        ctx.log("sending", to=payload["to"])
        return {"sent": True}

Run with ``taskforge worker --url URL --queue default --handlers mypackage.jobs``.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from taskforge.worker.client import ApiError, Client
from taskforge.worker.context import JobContext, PermanentError
from taskforge.worker.runner import Settings, Worker

F = TypeVar("F", bound=Callable[..., Any])
JOB_TYPE_ATTRIBUTE = "__taskforge_job_type__"


def handler(job_type: str) -> Callable[[F], F]:
    """Marks a function as the handler of ``job_type`` (found by ``taskforge worker``)."""

    def mark(fn: F) -> F:
        setattr(fn, JOB_TYPE_ATTRIBUTE, job_type)
        return fn

    return mark


__all__ = ["ApiError", "Client", "JobContext", "PermanentError", "Settings", "Worker", "handler"]
