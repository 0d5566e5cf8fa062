"""The shim's argument check, as Ansible.Basic performs it for kms_client_key.ps1's spec.

The .ps1 shim declares ``operation`` (required, probe|apply), ``steps`` (list of dicts with a required
``action`` among the step names, and optional ``product_key``, ``machine``, ``port``, ``domain``, ``edition``),
``kms_route`` (dict: ``machine``, ``port``, ``lookup_domain``, ``use_configured``, ``timeout_ms``),
``activation_objects`` and ``target_editions`` (bools) and the
documented options (unused there). Ansible.Basic rejects unknown options, missing required ones and values it
cannot convert, with the messages reproduced here, and hands the module the parameters with each option's
value converted to its type (a missing one null or its default); missing step arguments are not its business (the
step then runs with a null argument, as on Windows). The shim passes those parameters to the engine unchanged.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import ARGUMENT_SPEC
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STEPS

STEP_ACTIONS = tuple(STEPS)

MODULE = "volume_activation.kms.kms_client_key"
# The .ps1 also declares every documented option (validated by the action plugin, which never passes them).
_OPTIONS = ("operation", "steps", "kms_route", "activation_objects", "target_editions", *ARGUMENT_SPEC)
_STEP_OPTIONS = {
    "action": "str",
    "product_key": "str",
    "machine": "str",
    "port": "int",
    "domain": "str",
    "edition": "str",
}
_ROUTE_OPTIONS = {
    "machine": "str",
    "port": "int",
    "lookup_domain": "str",
    "use_configured": "bool",
    "timeout_ms": "int",
}
_PYTHON_TYPES = {
    str: "System.String",
    int: "System.Int32",
    float: "System.Double",
    bool: "System.Boolean",
    list: "System.Collections.ArrayList",
    dict: "System.Collections.Hashtable",
}


class ArgumentError(Exception):
    """The module would fail before running anything, with this message."""


def _convert(name: str, value: Any, kind: str, context: str) -> Any:
    if value is None:
        return None
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "yes", "1", "false", "no", "0"):
            return str(value).lower() in ("true", "yes", "1")
        raise ArgumentError(
            f"argument for {name} is of type System.String and we were unable to convert to bool{context}"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    type_name = _PYTHON_TYPES.get(type(value), type(value).__name__)
    raise ArgumentError(
        f"argument for {name} is of type {type_name} and we were unable to convert to int: "
        f"Input string was not in a correct format.{context}"
    )


def _step(raw: Any) -> dict[str, Any]:
    context = " found in steps"
    _check_suboptions(raw, "list entry steps", _STEP_OPTIONS, context)
    if raw.get("action") is None:
        raise ArgumentError(f"missing required arguments: action{context}")
    step = {name: _convert(name, raw.get(name), kind, context) for name, kind in _STEP_OPTIONS.items()}
    if not any(a.lower() == step["action"].lower() for a in STEP_ACTIONS):
        raise ArgumentError(
            f"value of action must be one of: {', '.join(STEP_ACTIONS)}. Got no match for: {step['action']}{context}"
        )
    return step


def parse(args: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Return (the parameters the shim hands the engine, check mode) or raise ArgumentError with Ansible.Basic's
    message."""
    check_mode = bool(args.get("_ansible_check_mode", False))
    params = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    unknown = [k for k in params if k not in _OPTIONS]
    if unknown:
        raise ArgumentError(
            f"Unsupported parameters for ({MODULE}) module: {', '.join(unknown)}. "
            f"Supported parameters include: {', '.join(sorted(_OPTIONS))}"
        )
    if params.get("operation") is None:
        raise ArgumentError("missing required arguments: operation")
    operation = str(params["operation"])
    if operation.lower() not in ("probe", "apply"):
        raise ArgumentError(f"value of operation must be one of: probe, apply. Got no match for: {operation}")
    steps = params.get("steps")
    if steps is None:
        steps = []
    if not isinstance(steps, list):
        raise ArgumentError(
            f"argument for steps is of type {_PYTHON_TYPES.get(type(steps), type(steps).__name__)}"
            f" and we were unable to convert to list: "
            f"{_PYTHON_TYPES.get(type(steps), type(steps).__name__)} cannot be converted to a list"
        )
    converted = {
        "operation": operation,
        "steps": [_step(s) for s in steps],
        "kms_route": parse_route(params),
        # The .ps1 declares activation_objects and target_editions as bools with default $false.
        "activation_objects": bool(_convert("activation_objects", params.get("activation_objects"), "bool", "")),
        "target_editions": bool(_convert("target_editions", params.get("target_editions"), "bool", "")),
    }
    return {**{name: params.get(name) for name in ARGUMENT_SPEC}, **converted}, check_mode


def parse_route(args: dict[str, Any]) -> dict[str, Any] | None:
    """The ``kms_route`` argument as Ansible.Basic converts it (None when not given)."""
    raw = args.get("kms_route")
    if raw is None:
        return None
    context = " found in kms_route"
    _check_suboptions(raw, "kms_route", _ROUTE_OPTIONS, context)
    route = {name: _convert(name, raw.get(name), kind, context) for name, kind in _ROUTE_OPTIONS.items()}
    # The .ps1 declares use_configured with default $true and timeout_ms with default 3000.
    route["use_configured"] = True if route["use_configured"] is None else route["use_configured"]
    route["timeout_ms"] = 3000 if route["timeout_ms"] is None else route["timeout_ms"]
    return route


def _check_suboptions(raw: Any, label: str, options: dict[str, str], context: str) -> None:
    """Ansible.Basic's checks of a dict option: a dict, and no key its spec does not declare."""
    if not isinstance(raw, dict):
        raise ArgumentError(
            f"argument for {label} is of type {_PYTHON_TYPES.get(type(raw), type(raw).__name__)} and we were "
            f"unable to convert to dict: {type(raw).__name__} cannot be converted to a dict"
        )
    unknown = [k for k in raw if k not in options]
    if unknown:
        raise ArgumentError(
            f"Unsupported parameters for ({MODULE}) module: {', '.join(unknown)}{context}. "
            f"Supported parameters include: {', '.join(sorted(options))}"
        )
