"""Decode what Ansible asks a Windows host to run: WinRS command lines and PowerShell exec-wrapper payloads.

Ansible's PowerShell shell plugin starts ``powershell.exe ... -EncodedCommand <base64 UTF-16LE>``. To run a
module it encodes the bootstrap wrapper (a script that reads ``$input`` up to a line of four NUL characters)
and writes the payload to stdin. The payload shape depends on the ansible-core release:

* 2.16 to 2.18: ``<exec_wrapper.ps1 text>\\0\\0\\0\\0<JSON>``; the JSON holds ``module_entry`` (base64 module
  source), ``module_args`` and ``actions`` (``module_powershell_wrapper``, ``module_script_wrapper``,
  ``module_csharp_wrapper``, possibly preceded by ``become_wrapper`` / ``async_wrapper``).
* 2.19: ``<bootstrap JSON {name, script, params}>\\n\\0\\0\\0\\0\\n<manifest JSON>`` optionally followed by
  ``\\n\\0\\0\\0\\0\\n<input>``; the manifest holds ``scripts`` (name -> {path, script (base64)}) and ``actions``
  (list of {name, params, secure_params}); a module runs through ``module_wrapper.ps1`` whose params name the
  module script and carry ``complex_args`` in ``Variables``. Ansible's own helpers (temporary directories,
  file transfer) use the same manifest with a single action such as ``powershell_mkdtemp.ps1``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import typing as t

WORKER_NAME = "volume_activation.kms.kms_client_key"
# A module runs the worker when its payload carries the engine (the shim requires this C# util, which brings the rest).
ENGINE_UTIL = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.cs"
# The do-nothing module the benchmark measures the connection's own cost with (wsman/modules/winsim_baseline.ps1).
BASELINE_NAME = "winsim.baseline"
_BASELINE_STATEMENT = re.compile(
    r"(?im)^[ \t]*\$BaselineName[ \t]*=[ \t]*(['\"])" + re.escape(BASELINE_NAME) + r"\1[ \t]*;?[ \t]*$"
)
_SEPARATOR = b"\0\0\0\0"
_POWERSHELL_EXES = {"powershell", "powershell.exe", "pwsh", "pwsh.exe"}
_INTERNAL_SCRIPTS = {
    "powershell_mkdtemp.ps1": "create a temporary directory",
    "powershell_expand_user.ps1": "expand a home directory path",
    "winrm_put_file.ps1": "copy a file to the host",
    "winrm_fetch_file.ps1": "fetch a file from the host",
    "psrp_put_file.ps1": "copy a file to the host",
    "psrp_fetch_file.ps1": "fetch a file from the host",
}


@dataclasses.dataclass(frozen=True)
class CommandLine:
    """A WinRS command: either a PowerShell bootstrap that waits for its payload on stdin, or anything else."""

    text: str
    script: str | None  # the decoded -EncodedCommand script, when there is one
    reads_payload: bool  # the script is Ansible's bootstrap wrapper: it runs what arrives on stdin

    def description(self) -> str:
        """A short human description for error messages."""
        if self.script is not None:
            return f"the PowerShell script {_shorten(self.script)!r}"
        return f"the command {_shorten(self.text)!r}"


@dataclasses.dataclass(frozen=True)
class ExecRequest:
    """What an exec-wrapper payload asks for."""

    kind: t.Literal["module", "script", "internal", "unknown"]
    name: str
    source: str = ""
    module_args: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    asynchronous: bool = False
    # The collection C# module_utils the module requires (``<package>.<Name>.cs`` -> text), which the host compiles.
    csharp: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def is_worker(self) -> bool:
        """True for a synchronous run of a module whose payload carries the worker's C# engine."""
        return self.kind == "module" and not self.asynchronous and ENGINE_UTIL in self.csharp

    @property
    def is_baseline(self) -> bool:
        """True for a synchronous run of the do-nothing baseline module."""
        return self.kind == "module" and not self.asynchronous and bool(_BASELINE_STATEMENT.search(self.source))

    def description(self) -> str:
        """A short human description for error messages."""
        what = {
            "module": f"the module {self.name}",
            "script": f"the PowerShell script {self.name}",
            "internal": f"Ansible's {self.name} ({_INTERNAL_SCRIPTS.get(self.name, 'internal helper')})",
            "unknown": f"an Ansible exec payload it could not decode ({self.name})",
        }[self.kind]
        return f"{what} asynchronously" if self.asynchronous else what


def _shorten(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _encoded_command_flag(token: str) -> bool:
    """PowerShell accepts any prefix of -EncodedCommand down to -e / -ec."""
    lowered = token.lower()
    if len(lowered) < 2 or lowered[0] not in "-/":
        return False
    flag = lowered[1:]
    return flag == "ec" or "encodedcommand".startswith(flag)


def parse_command_line(command: str, arguments: str = "", _depth: int = 0) -> CommandLine:
    """Decode a WinRS Command (rsp:Command plus rsp:Arguments, which pywinrm joins with spaces).

    ansible-core before 2.19 encodes the already encoded bootstrap command once more, so a script that is
    itself a ``powershell ... -EncodedCommand`` line is decoded again (the child inherits stdin).
    """
    text = " ".join(part for part in (command.strip(), arguments.strip()) if part)
    tokens = text.split()
    if not tokens or tokens[0].strip("'\"").lower().rsplit("\\", 1)[-1] not in _POWERSHELL_EXES:
        return CommandLine(text=text, script=None, reads_payload=False)
    for index, token in enumerate(tokens[1:-1], start=1):
        if _encoded_command_flag(token):
            try:
                script = base64.b64decode(tokens[index + 1], validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                return CommandLine(text=text, script=None, reads_payload=False)
            inner = parse_command_line(script, "", _depth + 1) if _depth < 2 else None
            if inner is not None and inner.script is not None:
                return inner
            return CommandLine(text=text, script=script, reads_payload=_is_bootstrap(script))
    return CommandLine(text=text, script=None, reads_payload=False)


def _is_bootstrap(script: str) -> bool:
    """Ansible's bootstrap wrappers read $input and split it at a line of four NUL characters."""
    return "$input" in script.lower() and "`0`0`0`0" in script


def _b64_text(value: t.Any) -> str:
    return base64.b64decode(str(value)).decode("utf-8-sig", errors="replace")


def _module_display_name(name: str) -> str:
    """ansible_collections.ns.coll.plugins.modules.mod(.ps1) -> ns.coll.mod."""
    name = name.removesuffix(".ps1")
    match = re.fullmatch(r"ansible_collections\.(\w+)\.(\w+)\.plugins\.modules\.(.+)", name)
    return ".".join(match.groups()) if match else name


def _collection_csharp(names: t.Iterable[str], source: t.Callable[[str], t.Any]) -> dict[str, str]:
    """The collection C# utils among ``names`` (Ansible's own, Ansible.*, are not the collection's), each named
    ``<package>.<Name>.cs``, with its text from ``source(name)`` (base64)."""
    found = {}
    for name in names:
        if name.startswith("ansible_collections."):
            key = name if name.endswith(".cs") else f"{name}.cs"
            found[key] = _b64_text(source(name))
    return found


def _public_args(args: t.Any) -> dict[str, t.Any]:
    """The module's own arguments, without Ansible's internal _ansible_* keys."""
    if not isinstance(args, dict):
        return {}
    return {key: value for key, value in args.items() if not str(key).startswith("_ansible_")}


def decode_exec_payload(stdin: bytes) -> ExecRequest:
    """Decode the stdin a bootstrap wrapper received into the module or script it was asked to run."""
    parts = stdin.split(_SEPARATOR)
    if len(parts) < 2:
        return ExecRequest(kind="unknown", name="no separator in the input")
    head = parts[0].strip()
    try:
        manifest = json.loads(parts[1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ExecRequest(kind="unknown", name="the manifest is not JSON")
    if not isinstance(manifest, dict):
        return ExecRequest(kind="unknown", name="the manifest is not a JSON object")
    if head.startswith(b"{"):
        return _decode_manifest_v2(manifest)
    return _decode_manifest_v1(manifest)


def _decode_manifest_v1(manifest: dict[str, t.Any]) -> ExecRequest:
    """ansible-core 2.16 to 2.18."""
    actions = [str(action) for action in manifest.get("actions") or []]
    asynchronous = "async_wrapper" in actions
    args = manifest.get("module_args") or {}
    name = _module_display_name(str(args.get("_ansible_module_name", "") or "(unnamed)"))
    wrapper = actions[-1] if actions else ""
    try:
        source = _b64_text(manifest.get("module_entry", ""))
    except (binascii.Error, ValueError):
        return ExecRequest(kind="unknown", name="module_entry is not base64")
    if wrapper == "module_powershell_wrapper":
        utils = manifest.get("csharp_utils") or {}
        try:
            csharp = _collection_csharp(manifest.get("csharp_utils_module") or [], lambda n: utils.get(n, ""))
        except (binascii.Error, ValueError):
            return ExecRequest(kind="unknown", name="a C# util is not base64")
        return ExecRequest(
            kind="module",
            name=name,
            source=source,
            module_args=_public_args(args),
            asynchronous=asynchronous,
            csharp=csharp,
        )
    if wrapper == "module_script_wrapper":
        return ExecRequest(kind="script", name=_shorten(source), source=source, asynchronous=asynchronous)
    if wrapper == "module_csharp_wrapper":
        return ExecRequest(kind="module", name=f"{name} (C#)", source=source, asynchronous=asynchronous)
    return ExecRequest(kind="unknown", name=f"actions {actions}")


def _decode_manifest_v2(manifest: dict[str, t.Any]) -> ExecRequest:
    """ansible-core 2.19."""
    actions = [action for action in manifest.get("actions") or [] if isinstance(action, dict)]
    scripts = manifest.get("scripts") or {}
    names = [str(action.get("name", "")) for action in actions]
    asynchronous = "async_wrapper.ps1" in names
    if not actions:
        return ExecRequest(kind="unknown", name="no actions")
    final = actions[-1]
    final_name = names[-1]
    if final_name != "module_wrapper.ps1":
        if final_name in _INTERNAL_SCRIPTS:
            return ExecRequest(kind="internal", name=final_name)
        return ExecRequest(kind="unknown", name=f"action {final_name}")
    params = final.get("params") or {}
    script_name = str(params.get("Script", ""))
    try:
        source = _b64_text((scripts.get(script_name) or {}).get("script", ""))
    except (binascii.Error, ValueError):
        return ExecRequest(kind="unknown", name=f"script {script_name} is not base64")
    if not params.get("ForModule"):
        return ExecRequest(kind="script", name=script_name, source=source, asynchronous=asynchronous)
    args: dict[str, t.Any] = {}
    for variable in params.get("Variables") or []:
        if isinstance(variable, dict) and variable.get("Name") == "complex_args":
            args = variable.get("Value") or {}
    try:
        csharp = _collection_csharp(
            [str(n) for n in params.get("CSharpModules") or []], lambda n: (scripts.get(n) or {}).get("script", "")
        )
    except (binascii.Error, ValueError):
        return ExecRequest(kind="unknown", name="a C# util is not base64")
    return ExecRequest(
        kind="module",
        name=_module_display_name(script_name),
        source=source,
        module_args=_public_args(args),
        asynchronous=asynchronous,
        csharp=csharp,
    )
