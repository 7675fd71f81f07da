"""Regenerate the gRPC code in shared/api/ from proto/ with the pinned grpcio-tools.

Run with `make proto`. tests/unit/test_api_generated.py fails when the
committed code differs from what this produces.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"


def generate(out_dir: Path) -> list[Path]:
    protos = sorted(PROTO_DIR.glob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    # The virtual include path makes generated imports read `from shared.api import …`.
    args = [
        "protoc",
        f"-Ishared/api={PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p) for p in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted((out_dir / "shared" / "api").glob("*_pb2*.py*"))


def main() -> None:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for path in generate(Path(tmp)):
            shutil.copy(path, ROOT / "shared" / "api" / path.name)
            print(f"wrote shared/api/{path.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
