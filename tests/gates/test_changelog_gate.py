"""The changelog gate (`make changelog`) accepts the fragments and rejects a malformed one."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINT = pathlib.Path(sys.executable).parent / "antsibull-changelog"

pytestmark = pytest.mark.skipif(
    not LINT.exists(), reason="antsibull-changelog is a quality-gate tool, not installed here"
)


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of what antsibull-changelog reads: galaxy.yml and changelogs/."""
    shutil.copy(ROOT / "galaxy.yml", tmp_path / "galaxy.yml")
    shutil.copytree(ROOT / "changelogs", tmp_path / "changelogs")
    return tmp_path


def _lint(project: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "lint"], cwd=project, capture_output=True, text=True, check=False, timeout=120)


def test_current_fragments_pass(project: pathlib.Path) -> None:
    result = _lint(project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "minor_changes:\n  - an entry under a section the configuration does not define\nnew_stuff:\n  - x\n",
        "minor_changes: a string instead of a list of entries\n",
        "minor_changes:\n  - [unclosed\n",
    ],
)
def test_malformed_fragment_fails(project: pathlib.Path, text: str) -> None:
    (project / "changelogs" / "fragments" / "broken.yml").write_text(text, encoding="utf-8")
    result = _lint(project)
    assert result.returncode != 0
    assert "broken.yml" in result.stdout + result.stderr
