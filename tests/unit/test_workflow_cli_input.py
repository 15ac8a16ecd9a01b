"""``taskforge workflow create|start --input``: a JSON object, as text or @FILE; any
other JSON value (``null`` above all, which would send no input) is refused."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from taskforge.cli import main
from taskforge.workflow_cli import read_input


def test_an_object_is_the_input(tmp_path: Path) -> None:
    assert read_input('{"date": "2030-01-02"}') == {"date": "2030-01-02"}
    assert read_input("{}") == {}
    given = tmp_path / "input.json"
    given.write_text('{"n": 1}')
    assert read_input(f"@{given}") == {"n": 1}


@pytest.mark.parametrize("text", ["null", "[1, 2]", "3", '"x"', "true"])
def test_any_other_json_value_is_refused(text: str, tmp_path: Path) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="--input must be a JSON object, not "):
        read_input(text)
    given = tmp_path / "input.json"
    given.write_text(text)
    with pytest.raises(argparse.ArgumentTypeError, match="must be a JSON object"):
        read_input(f"@{given}")


def test_the_cli_says_so_before_calling_the_server(capsys: pytest.CaptureFixture[str]) -> None:
    wf = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(SystemExit) as e:
        main(["workflow", "start", wf, "--input", "null", "--url", "http://127.0.0.1:9"])
    assert e.value.code == 2
    assert "argument --input: --input must be a JSON object, not null" in capsys.readouterr().err
