"""The engine's per-process memory of facts fixed when a workflow is created."""

from __future__ import annotations

import uuid

from taskforge.services.workflow_flags import WorkflowFlags


async def test_each_workflow_is_read_once_and_the_memory_is_bounded() -> None:
    flags = WorkflowFlags(kept=3)
    ids = [uuid.uuid4() for _ in range(5)]
    asked: list[list[uuid.UUID]] = []

    async def read(unknown: list[uuid.UUID]) -> set[uuid.UUID]:
        asked.append(sorted(unknown))
        return {w for w in unknown if w in ids[:2]}

    assert await flags.having(ids[:2], read) == set(ids[:2])
    assert await flags.having(ids[:3], read) == set(ids[:2])
    assert asked == [sorted(ids[:2]), [ids[2]]]  # known ones are not asked again
    # more than it keeps: the answer is still whole, the oldest are forgotten
    assert await flags.having(ids, read) == set(ids[:2])
    asked.clear()
    assert await flags.having([ids[0]], read) == {ids[0]}
    assert asked == [[ids[0]]]
