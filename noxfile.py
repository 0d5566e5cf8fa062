"""Version matrix: the unit tests and the ansible-core-dependent end-to-end runs under every supported release.

    nox                       # the releases other than the dev pin (what `make matrix` runs)
    nox -s tests-2.19         # a session that is not run by default, by name
    nox -s tests-2.16 -- -x           # one session, extra pytest arguments after --

The dev virtualenv's ansible-core (the pin of constraints.txt) already runs the whole suite in the
coverage gate, so its session is defined but not run by default. The end-to-end runs of a session are the
tests marked ``matrix``: those whose outcome ansible-core decides (registered results, the fact cache, exit
codes, max_fail_percentage, the integration target).

Each session installs the test requirements of requirements-dev.txt, pinned by constraints.txt,
except that ansible-core (and the dependencies whose range it decides) follow that session's
release. Reinstalling is skipped while the pins a virtualenv was built from are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re

import nox

ROOT = pathlib.Path(__file__).parent
COLLECTION_LINK = ROOT / ".collections" / "ansible_collections" / "volume_activation" / "kms"

# Newest patch release of each supported ansible-core series.
ANSIBLE_CORE = {
    "2.16": "2.16.19",
    "2.17": "2.17.14",
    "2.18": "2.18.19",
    "2.19": "2.19.14",
}
# The quality-gate tools of requirements-dev.txt; the test sessions do not need them.
GATE_TOOLS = {"ansible-lint", "antsibull-docs", "antsibull-changelog", "nox", "molecule"}
# Pins of constraints.txt that each ansible-core release decides for itself
# (ansible-core 2.16 .. 2.18 require resolvelib < 1.1).
CORE_DECIDES = {"ansible-core", "resolvelib"}

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True


def _name(line: str) -> str:
    """Return the normalised project name of a requirement line ('' for blanks and comments)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def _pins(path: pathlib.Path, drop: set[str]) -> list[str]:
    """Return the requirement lines of ``path`` whose project is not in ``drop``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if _name(line) and _name(line) not in drop]


def _install(session: nox.Session, core_version: str) -> None:
    """Install the test requirements with ``core_version``, unless the virtualenv already has them."""
    requirements = [*_pins(ROOT / "requirements-dev.txt", GATE_TOOLS | CORE_DECIDES), f"ansible-core=={core_version}"]
    constraints = _pins(ROOT / "constraints.txt", GATE_TOOLS | CORE_DECIDES)
    wanted = "\n".join([*requirements, "--", *constraints]) + "\n"
    stamp = pathlib.Path(session.virtualenv.location) / ".installed-requirements"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        session.log(f"requirements unchanged ({hashlib.sha256(wanted.encode()).hexdigest()[:12]}), not reinstalling")
        return
    tmp = pathlib.Path(session.create_tmp())
    (tmp / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    (tmp / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
    session.install("--quiet", "-r", str(tmp / "requirements.txt"), "-c", str(tmp / "constraints.txt"))
    stamp.write_text(wanted, encoding="utf-8")


def _lay_out_collection() -> None:
    """Make the collection importable as ansible_collections.volume_activation.kms (as `make collection`)."""
    if not COLLECTION_LINK.is_symlink():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        COLLECTION_LINK.symlink_to(pathlib.Path("..", "..", ".."))


def _tests(session: nox.Session, core_version: str) -> None:
    _install(session, core_version)
    _lay_out_collection()
    session.run("ansible", "--version", silent=False)
    env = {
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tools"), str(ROOT / "tests"), str(ROOT / ".collections")]),
    }
    # The unit tests, and the end-to-end runs whose outcome depends on ansible-core itself (marked `matrix`);
    # the coverage gate runs the whole suite once under the dev pin.
    for selection in (["tests/unit"], ["-m", "matrix", "tests/integration"]):
        session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *selection, *session.posargs, env=env)


def _make_session(series: str, core_version: str) -> None:
    @nox.session(name=f"tests-{series}", python="3.11")
    def tests(session: nox.Session) -> None:
        """Unit tests and the end-to-end runs marked matrix under ansible-core {core_version}."""
        _tests(session, core_version)

    tests.__doc__ = f"Unit tests and the end-to-end runs marked matrix under ansible-core {core_version}."


for _series, _version in ANSIBLE_CORE.items():
    _make_session(_series, _version)


def _dev_pin() -> str:
    """Return the ansible-core version constraints.txt pins for the dev virtualenv."""
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if _name(line) == "ansible-core":
            return line.split("==", 1)[1].strip()
    raise RuntimeError("constraints.txt pins no ansible-core")


if _dev_pin() not in ANSIBLE_CORE.values():
    raise RuntimeError(f"constraints.txt pins ansible-core {_dev_pin()}, not a release of the matrix {ANSIBLE_CORE}")
nox.options.sessions = [f"tests-{series}" for series, version in ANSIBLE_CORE.items() if version != _dev_pin()]
