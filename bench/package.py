"""The deployment package: `chalice package`, its size, and what dominates it."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from bench.common import ROOT

PACKAGE_TIMEOUT = 600
TOP = 8


def build(out: Path, stage: str = "dev") -> Path:
    """Run `chalice package --stage STAGE OUT`; the path of the deployment zip."""
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    done = subprocess.run(
        [str(chalice), "package", "--stage", stage, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PACKAGE_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chalice package failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
    return out / "deployment.zip"


def _group(name: str) -> str:
    """Top-level entry; a distribution's metadata (*.dist-info) counts with its distribution."""
    top = name.split("/", 1)[0]
    return "*.dist-info (metadata)" if top.endswith(".dist-info") else top


def analyse(package: Path, stage: str = "dev") -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
    compressed: collections.Counter[str] = collections.Counter()
    unpacked: collections.Counter[str] = collections.Counter()
    for info in infos:
        compressed[_group(info.filename)] += info.compress_size
        unpacked[_group(info.filename)] += info.file_size
    zip_bytes = package.stat().st_size
    total_compressed = sum(compressed.values())
    groups = [
        {
            "entry": entry,
            "zipped_bytes": size,
            "unzipped_bytes": unpacked[entry],
            "share_of_zip": size / total_compressed,
        }
        for entry, size in compressed.most_common()
    ]
    native = [info.filename for info in infos if info.filename.endswith(".so")]
    tests = sum(info.compress_size for info in infos if "/tests/" in info.filename or "/benchmarks/" in info.filename)
    return {
        "command": f"chalice package --stage {stage} <tmp>",
        "zip_bytes": zip_bytes,
        "unzipped_bytes": sum(unpacked.values()),
        "files": len(infos),
        "largest": groups[:TOP],
        "rest_zipped_bytes": sum(group["zipped_bytes"] for group in groups[TOP:]),
        "native_extensions": native,
        "bundled_tests_and_benchmarks_zipped_bytes": tests,
        "pyc_files": sum(1 for info in infos if info.filename.endswith(".pyc")),
        "lambda_limits": {"zip_bytes": 50 * 2**20, "unzipped_bytes": 250 * 2**20},
    }
