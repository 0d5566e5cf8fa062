"""Every PowerShell file in the repository parses without error.

No PowerShell runs here, so this syntax check (tree-sitter-pwsh) is the only check the .ps1 files get
before a real Windows host runs them; docs/real_windows_checklist.md covers that first run. The
tree-sitter grammar is more lenient than PowerShell's own parser (it accepts `try { }` without `catch`,
for example), so passing here is necessary, not sufficient.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from unit.utils.contract import ROOT, WORKER
from unit.utils.pwsh_syntax import parse, syntax_problems

_SKIPPED_DIRS = {".git", ".venv", ".nox", ".collections", "build", "node_modules", ".pytest_cache"}


def powershell_files() -> list[Path]:
    """Every .ps1/.psm1/.psd1 file of the repository, outside tool and build directories."""
    found = []
    for pattern in ("*.ps1", "*.psm1", "*.psd1"):
        for path in ROOT.rglob(pattern):
            if not _SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                found.append(path)
    return sorted(found)


def test_the_worker_is_among_the_checked_files() -> None:
    assert WORKER in powershell_files()


@pytest.mark.parametrize("path", powershell_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_powershell_file_parses(path: Path) -> None:
    problems = syntax_problems(parse(path.read_bytes()))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(f"  {p}" for p in problems)


BROKEN = {
    "unclosed script block": "function Get-Thing {\n    Get-CimInstance -ClassName Win32_OperatingSystem\n",
    "unclosed hash literal": "$spec = @{\n    operation = @{ type = 'str'\n}\n",
    "unclosed parenthesis": "if ($a -eq 1 {\n    'one'\n}\n",
    "foreach without in": "foreach ($step) {\n    $step\n}\n",
    "hash entry without value": "$row = @{ action = }\n",
    "unclosed parameter list": "function Invoke-Step($Step {\n}\n",
    "unterminated string": "$WorkerName = 'volume_activation.kms.kms_client_key\n",
}


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_the_check_detects_broken_code(source: str) -> None:
    assert syntax_problems(parse(source))


def test_problems_carry_line_and_column() -> None:
    source = "$ok = 1\n$spec = @{ a = 1\n"
    problems = syntax_problems(parse(source))
    assert problems
    assert all(p.line >= 1 and p.column >= 1 for p in problems)
    assert max(p.line for p in problems) >= 2
