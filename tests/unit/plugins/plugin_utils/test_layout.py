"""plugins/plugin_utils: private packages grouped by job, imported by the plugins and never importing one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGIN_UTILS = Path(__file__).resolve().parents[4] / "plugins" / "plugin_utils"
MODULES = sorted(PLUGIN_UTILS.rglob("*.py"))
PACKAGES = sorted(path for path in PLUGIN_UTILS.iterdir() if path.is_dir() and path.name != "__pycache__")
PLUGINS = ("action", "filter", "modules")


def _imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PLUGIN_UTILS)))
def test_no_module_imports_a_plugin(path: Path) -> None:
    upward = [name for name in _imported(path) if any(f".plugins.{plugin}" in name for plugin in PLUGINS)]
    assert not upward, f"{path.name} imports {upward}: plugin_utils serves the plugins, it never imports one"


def test_the_packages_are_the_jobs_each_marked_internal() -> None:
    assert [path.name for path in PACKAGES] == ["_host", "_report", "_run"]
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "internal to this collection" in doc, package.name
