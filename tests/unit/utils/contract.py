"""The machine-readable block of docs/worker_contract.md, and where the contract's parties live."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
CONTRACT_DOC = ROOT / "docs" / "worker_contract.md"
WORKER = ROOT / "plugins" / "modules" / "kms_client_key.ps1"

_BLOCK = re.compile(r"^## Machine-readable contract\n.*?^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def parse_contract(markdown: str) -> dict[str, Any]:
    """Return the YAML block that follows the "Machine-readable contract" heading."""
    match = _BLOCK.search(markdown)
    if match is None:
        raise ValueError("no ```yaml block under '## Machine-readable contract'")
    return yaml.safe_load(match.group(1))


@cache
def load_contract() -> dict[str, Any]:
    """The contract as committed in docs/worker_contract.md."""
    return parse_contract(CONTRACT_DOC.read_text(encoding="utf-8"))


def probe_properties(section: str) -> list[str]:
    """Property names of one probe section (os, registry, service, products), in contract order."""
    return list(load_contract()["probe"][section]["properties"])


def step_actions() -> dict[str, dict[str, Any]]:
    """Step action name -> {arguments, class, method}."""
    return dict(load_contract()["steps"])


def probe_shape_problems(probe: Any) -> list[str]:
    """Where a probe object differs from the contract's sections and property names (empty when it follows it)."""
    if not isinstance(probe, dict):
        return [f"probe is {type(probe).__name__}, not an object"]
    sections = load_contract()["probe"]
    problems = []
    if list(probe) != list(sections):
        problems.append(f"sections {list(probe)} != {list(sections)}")
    for name in ("os", "registry", "service"):
        value = probe.get(name)
        if not isinstance(value, dict) or set(value) != set(probe_properties(name)):
            problems.append(
                f"{name}: {sorted(value) if isinstance(value, dict) else value!r} != {sorted(probe_properties(name))}"
            )
    products = probe.get("products")
    if not isinstance(products, list):
        problems.append(f"products is {type(products).__name__}, not a list")
        products = []
    for index, product in enumerate(products):
        if not isinstance(product, dict) or set(product) != set(probe_properties("products")):
            problems.append(f"products[{index}]: {sorted(product) if isinstance(product, dict) else product!r}")
    return problems
