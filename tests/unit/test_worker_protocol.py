"""The worker channel's message shapes (no I/O): what parses, and what is refused."""

from __future__ import annotations

import uuid

import pytest

from taskforge.domain.enums import LogLevel
from taskforge.worker import protocol as p

A, B = uuid.uuid4(), uuid.uuid4()


def test_messages_parse_into_their_shapes() -> None:
    hello = p.parse(
        {"type": "hello", "name": "w", "queues": [[str(A), 3]], "capacity": 8, "lease": 30}
    )
    assert hello == p.Hello(capacity=8, name="w", queues=[(A, 3)], lease=30)
    resumed = p.parse({"type": "hello", "capacity": 2, "workerId": str(A), "holding": [str(B)]})
    assert isinstance(resumed, p.Hello)
    assert (resumed.worker_id, resumed.holding, resumed.queues) == (A, frozenset({B}), [])
    ack = p.parse(
        {
            "type": "ack",
            "ok": [str(A)],
            "done": [[str(B), {"x": 1}]],
            "failed": [[str(A), "boom", False], [str(B), "bang", True, "Traceback ..."]],
        }
    )
    assert ack == p.Ack(
        [A], [(B, {"x": 1})], [(A, ("boom", False, None)), (B, ("bang", True, "Traceback ..."))]
    )
    assert isinstance(ack, p.Ack) and ack.ids() == [A, B, A, B]
    logs = p.parse({"type": "logs", "executionId": str(A), "entries": [["WARN", "m"]]})
    assert logs == p.Logs(A, [(LogLevel.WARN, "m", None)])
    assert p.parse({"type": "beat"}) == p.Beat()
    assert p.parse({"type": "drain"}) == p.Drain()
    progress = p.parse({"type": "progress", "items": [[str(A), 0.5, "half"], [str(B), 1]]})
    assert progress == p.Progress([(A, 0.5, "half"), (B, 1.0, None)])
    assert p.cancel([A]) == {"type": "cancel", "executionIds": [A]}


@pytest.mark.parametrize(
    "message",
    [
        None,
        [],
        {"type": None},
        {"type": "nope"},
        {"type": "hello", "capacity": 1, "name": "w"},  # a new worker without queues
        {"type": "hello", "capacity": True, "workerId": str(A)},
        {"type": "hello", "capacity": p.MAX_CAPACITY + 1, "workerId": str(A)},
        {"type": "hello", "capacity": 1, "workerId": str(A), "lease": 0},
        {"type": "hello", "capacity": 1, "name": "w", "queues": [[str(A), 101]]},
        {"type": "hello", "capacity": 1, "name": 5, "queues": [[str(A), 1]]},
        {"type": "ack", "ok": str(A)},
        {"type": "ack", "ok": [str(A)] * (p.MAX_ITEMS + 1)},
        {"type": "ack", "done": [[str(A)]]},
        {"type": "ack", "failed": [[str(A), "e", "yes"]]},
        {"type": "logs", "executionId": "x", "entries": []},
        {"type": "logs", "executionId": str(A), "entries": [["INFO", "m", [1]]]},
        {"type": "ack", "failed": [[str(A), "e", True, 5]]},
        {"type": "progress", "items": [[str(A), 1.5]]},
        {"type": "progress", "items": [[str(A), -0.1]]},
        {"type": "progress", "items": [[str(A), True]]},
        {"type": "progress", "items": [[str(A), "0.5"]]},
        {"type": "progress", "items": [[str(A), 0.5, 7]]},
        {"type": "progress", "items": [["x", 0.5]]},
    ],
)
def test_malformed_messages_are_refused_with_a_reason(message: object) -> None:
    with pytest.raises(p.ProtocolError) as refused:
        p.parse(message)
    assert 0 < len(refused.value.reason) <= 120


def test_a_hello_names_the_job_types_the_worker_runs() -> None:
    q = str(uuid.uuid4())
    base = {"type": "hello", "name": "w", "queues": [[q, 1]], "capacity": 4}
    assert p.parse(base).types is None  # any type, as before
    hello = p.parse({**base, "types": ["email", "resize"]})
    assert isinstance(hello, p.Hello) and hello.types == ["email", "resize"]
    for bad in ([], [1], "email", ["x"] * (p.MAX_TYPES + 1)):
        with pytest.raises(p.ProtocolError):
            p.parse({**base, "types": bad})


def test_context_progress_is_validated_and_coalesced() -> None:
    from taskforge.worker.context import JobContext

    ctx = JobContext("j", "e", "t", 1)
    for bad in (1.5, -0.01, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            ctx.progress(bad)
    with pytest.raises(TypeError):
        ctx.progress("0.5")  # type: ignore[arg-type]
    ctx.log("a")
    ctx.progress(0.1, "first")
    ctx.log("b")
    ctx.progress(0.2)
    logs, progress = ctx.take()
    assert [e["message"] for e in logs] == ["a", "b"] and progress == (0.2, None)
    assert ctx.take() == ([], None) and not ctx.pending()
    ctx.progress(0.2)  # reported again: sent again (a new report)
    assert ctx.pending() and ctx.take() == ([], (0.2, None))
    assert not ctx.cancelled
    ctx._cancelled = True
    assert ctx.cancelled


def test_a_traceback_keeps_its_end_within_the_bound() -> None:
    from taskforge.domain.executions import bounded_traceback

    assert bounded_traceback(None) is None and bounded_traceback("") is None
    assert bounded_traceback("short\x00") == "short\ufffd"
    text = "é" * 20_000 + "the end"
    kept = bounded_traceback(text, 1000)
    assert kept is not None and len(kept.encode()) <= 1000
    assert kept.startswith("…(truncated)") and kept.endswith("éthe end")
