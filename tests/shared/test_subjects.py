"""The README's subject table is the one generated from shared/subjects.py, and every stream's
subjects are declared there."""

from __future__ import annotations

from pathlib import Path

from shared import subjects

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_subject_table_is_generated_from_the_declarations() -> None:
    assert subjects.subject_table() in README, "run `python -m shared.subjects` and paste it into README.md"


def test_every_declared_subject_falls_in_a_stream_or_is_core_nats() -> None:
    streams = {s.name for s in subjects.STREAMS}
    for spec in subjects.SUBJECTS:
        if spec.transport.startswith("JetStream"):
            assert spec.transport.split("`")[1] in streams, spec.pattern
        else:
            assert spec.transport == "core NATS", spec.pattern
