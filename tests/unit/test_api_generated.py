"""The committed gRPC code is what the pinned grpcio-tools makes from proto/."""

from __future__ import annotations

from pathlib import Path

from shared.api.generate import ROOT, generate


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    assert fresh, "protoc produced nothing"
    for path in fresh:
        committed = ROOT / "shared" / "api" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"run `make proto`: {path.name}"
