"""Compile the worker's C# engine the way Windows PowerShell 5.1's ``Add-Type`` does, with Mono's ``mcs``.

ansible-core loads a collection's C# module_utils with ``Add-CSharpType`` (``Ansible.ModuleUtils.AddType.psm1``):
on Windows PowerShell it compiles them together through CodeDom's ``CSharpCodeProvider``, that is the .NET
Framework 4 ``csc.exe``, which compiles C# 5; it references ``System.dll``, ``System.Core.dll`` and
``System.Management.Automation.dll`` plus each ``//AssemblyReference -Name <dll>`` line of the sources, honours
``//NoWarn -Name <code>`` lines, and treats warnings as errors. Here the same sources are compiled with
``mcs -langversion:5`` against Mono's .NET Framework 4.5 profile: a C# 6 construct, a warning, or an API outside
those assemblies fails here as it would on the host. (System.Management.Automation has no Mono build: the shipped
sources must not use it, and so do not.)

The simulator's engine host (``EngineHost.cs``) is compiled against that library into one executable per content
hash of the sources, kept under ``build/winsim-engine/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping

REPO = pathlib.Path(__file__).resolve().parents[3]
MODULE_UTILS = REPO / "plugins" / "module_utils"
CACHE = REPO / "build" / "winsim-engine"
HOST_SOURCE = pathlib.Path(__file__).with_name("EngineHost.cs")
PROFILE = pathlib.Path("/usr/lib/mono/4.5")  # Mono's .NET Framework 4.5 profile (Debian's mono-runtime)
UTIL_PACKAGE = "ansible_collections.volume_activation.kms.plugins.module_utils"

LANGUAGE_VERSION = "5"
ADD_TYPE_REFERENCES = ("mscorlib.dll", "System.dll", "System.Core.dll")
ADD_TYPE_SYMBOLS = ("AMD64", "WINDOWS")  # what Add-CSharpType defines in a 64-bit Windows PowerShell
_ASSEMBLY_REFERENCE = re.compile(
    r"//\s*AssemblyReference\s+-(?P<parameter>Name|Type)\s+(?P<name>[\w.]*)(\s+-CLR\s+(?P<clr>Core|Framework))?"
)
_NO_WARN = re.compile(r"//\s*NoWarn\s+-Name\s+(?P<name>[\w\d]*)(\s+-CLR\s+(?P<clr>Core|Framework))?")


class CompileError(Exception):
    """The sources do not compile as Add-Type would compile them; the message is the compiler's output."""


@dataclasses.dataclass(frozen=True)
class EngineBuild:
    """The compiled engine library and the simulator's host executable built against it."""

    digest: str
    library: pathlib.Path
    host: pathlib.Path


def shipped_sources() -> dict[str, str]:
    """The collection's C# module_utils, named as ansible-core names them in a module's payload."""
    return {
        f"{UTIL_PACKAGE}.{path.name}": path.read_text(encoding="utf-8") for path in sorted(MODULE_UTILS.glob("*.cs"))
    }


def require_mono() -> None:
    """Fail with the remedy when Mono's compiler or runtime is missing."""
    missing = [tool for tool in ("mcs", "mono") if shutil.which(tool) is None]
    if missing or not PROFILE.is_dir():
        raise CompileError(
            f"Mono is needed to run the worker's C# engine ({', '.join(missing) or PROFILE} missing): "
            "run tools/ensure-mono, or make, which runs it"
        )


def add_type_options(sources: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(assembly references, warning codes to ignore) the sources ask Add-Type for, as Add-CSharpType reads them
    on Windows PowerShell (-CLR Framework lines and lines without -CLR)."""
    references = list(ADD_TYPE_REFERENCES)
    ignored = []
    for name, text in sources.items():
        for match in _ASSEMBLY_REFERENCE.finditer(text):
            if match.group("clr") == "Core":
                continue
            if match.group("parameter") == "Type":
                raise CompileError(f"{name}: //AssemblyReference -Type is not supported by this compiler check")
            references.append(match.group("name"))
        for match in _NO_WARN.finditer(text):
            if match.group("clr") != "Core":
                ignored.append(match.group("name").removeprefix("CS"))
    return references, ignored


def _mcs(arguments: list[str]) -> None:
    completed = subprocess.run(
        [
            "mcs",
            "-noconfig",
            "-nostdlib",
            f"-lib:{PROFILE}",
            f"-langversion:{LANGUAGE_VERSION}",
            "-warnaserror+",
            *arguments,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise CompileError((completed.stdout + completed.stderr).strip())


def compile_library(sources: Mapping[str, str], output: pathlib.Path) -> None:
    """Compile ``sources`` (name -> C# text) into the library ``output``, as Add-Type would; CompileError if not."""
    require_mono()
    references, ignored = add_type_options(sources)
    with tempfile.TemporaryDirectory(prefix="winsim-cs-") as scratch:
        files = []
        for name, text in sources.items():
            path = pathlib.Path(scratch, name)
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        options = [f"-r:{reference}" for reference in references]
        if ignored:
            options.append(f"-nowarn:{','.join(ignored)}")
        _mcs(["-target:library", f"-define:{';'.join(ADD_TYPE_SYMBOLS)}", f"-out:{output}", *options, *files])


def digest(sources: Mapping[str, str]) -> str:
    """The content hash the build is cached under: the sources and the engine host's own source."""
    hasher = hashlib.sha256(HOST_SOURCE.read_bytes())
    for name in sorted(sources):
        hasher.update(f"\0{name}\0".encode())
        hasher.update(sources[name].encode())
    return hasher.hexdigest()[:24]


def build(sources: Mapping[str, str]) -> EngineBuild:
    """The engine library and host executable for ``sources``, compiled once per content hash."""
    key = digest(sources)
    directory = CACHE / key
    done = EngineBuild(key, directory / "KmsClientWorker.dll", directory / "EngineHost.exe")
    if done.host.is_file():
        return done
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{key}-", dir=CACHE))
    try:
        library = staging / done.library.name
        compile_library(sources, library)
        _mcs(
            [
                "-target:exe",
                f"-out:{staging / done.host.name}",
                f"-r:{library}",
                *(f"-r:{reference}" for reference in (*ADD_TYPE_REFERENCES, "System.Web.Extensions.dll")),
                str(HOST_SOURCE),
            ]
        )
        try:
            os.replace(staging, directory)  # atomic: another process may have built the same hash meanwhile
        except OSError:
            if not done.host.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return done
