"""galaxy.yml's build_ignore names only what exists: a tracked file or directory, or a generated one .gitignore names."""

from __future__ import annotations

import fnmatch
import pathlib
import subprocess

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = set(out.split())
    return files | {
        str(pathlib.PurePosixPath(f).parents[i])
        for f in files
        for i in range(len(pathlib.PurePosixPath(f).parents) - 1)
    }


def _ignored() -> set[str]:
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return {line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")}


def test_every_build_ignore_entry_exists_or_is_generated() -> None:
    entries = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["build_ignore"]
    tracked, ignored = _tracked(), _ignored()
    stale = [
        e
        for e in entries
        if e not in tracked and e not in ignored and not any(fnmatch.fnmatch(t, e) for t in tracked | ignored)
    ]
    assert stale == []
