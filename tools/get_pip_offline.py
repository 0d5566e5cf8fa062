#!/usr/bin/env python
"""Write the pip bootstrap script ansible-test would otherwise download.

ansible-test creates an empty virtual environment for each sanity test and bootstraps pip in it
with ``get-pip-<version>.py`` fetched from ci-files.testing.ansible.com, cached as
``~/.ansible/test/cache/get_pip_<version with dots as underscores>.py``
(``ansible_test/_util/target/setup/requirements.py``). That host is not reachable here, so this
tool writes a stand-in to that cache path: it installs the pip bundled with the interpreter
(``ensurepip``), then lets that pip install the packages ansible-test asked for (``pip==<version>``)
from the package index.

Usage: get_pip_offline.py [--ansible-test-python PYTHON] [--cache-dir DIR]
The pip version is read from the installed ansible-test, so it follows ansible-core upgrades.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import subprocess
import sys

BOOTSTRAP = '''\
"""pip bootstrap written by tools/get_pip_offline.py: ensurepip, then pip install the arguments."""
import subprocess
import sys

# Options only the real get-pip.py understands; pip itself has no equivalent.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=False).returncode)
'''

VERSION_QUERY = (
    "import inspect, re, ansible_test._internal.python_requirements as m; "
    "print(re.search(r\"pip='([0-9.]+)'\", inspect.getsource(m.get_venv_packages)).group(1))"
)


def pip_version(python: str) -> str:
    """Return the pip version the ansible-test installed for ``python`` bootstraps."""
    out = subprocess.run([python, "-c", VERSION_QUERY], check=True, capture_output=True, text=True).stdout.strip()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", out):
        raise SystemExit(f"unexpected pip version from ansible-test: {out!r}")
    return out


def main() -> int:
    """Write the bootstrap script and print its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ansible-test-python", default=sys.executable, help="Python that has ansible-test installed")
    parser.add_argument("--cache-dir", type=pathlib.Path, default=pathlib.Path.home() / ".ansible/test/cache")
    options = parser.parse_args()

    version = pip_version(options.ansible_test_python)
    path = options.cache_dir / f"get_pip_{version.replace('.', '_')}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BOOTSTRAP, encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
