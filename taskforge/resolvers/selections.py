"""What a client selected under the field being resolved: a resolver skips the work of a
field nobody asked for (a claim reads parents' outputs only for ``parentOutputs``)."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import SelectedField, Selection


def selects(fields: Iterable[Selection], name: str) -> bool:
    """Whether ``name`` is selected directly under these fields (``info.selected_fields``),
    through fragments too."""
    return any(_under(field.selections, name) for field in fields)


def _under(selections: Iterable[Selection], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _under(selection.selections, name):  # a fragment: its fields are ours
            return True
    return False
