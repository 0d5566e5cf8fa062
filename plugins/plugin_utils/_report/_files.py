# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the fleet audit files: render each format, leave unchanged files alone, replace the others atomically.

Change detection ignores the ``generated`` timestamp: when a file would differ from the one on disk only in
its timestamp, the file is left as it is (with the timestamp of the run that produced that content) and
counts as unchanged. Anything else that differs (a host, a status, the mode) rewrites the file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import typing as t

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import TIMESTAMP_LENGTH
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    TIME_PATTERN,
    host_row,
    report_from_rows,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    render_csv,
    render_json,
    render_markdown,
)

FILES: dict[str, tuple[str, t.Callable[[t.Mapping[str, t.Any]], str]]] = {
    "json": ("kms_audit.json", render_json),
    "csv": ("kms_audit.csv", render_csv),
    "markdown": ("kms_audit.md", render_markdown),
    "html": ("kms_audit.html", render_html),
}
FORMATS = tuple(FILES)
NEW_FILE_MODE = 0o644


def same_but_timestamp(template: str, placeholder: str, existing: str) -> bool:
    """Whether ``existing`` is ``template`` with a timestamp wherever ``placeholder`` stands.

    Compared piece by piece, in one pass: a pattern built from the report would cost compiling it, about a second per
    megabyte of report, at every run that finds its report already written.
    """
    position = 0
    for index, part in enumerate(template.split(placeholder)):
        if index:
            if not TIME_PATTERN.fullmatch(existing, position, position + TIMESTAMP_LENGTH):
                return False
            position += TIMESTAMP_LENGTH
        if not existing.startswith(part, position):
            return False
        position += len(part)
    return position == len(existing)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def write_atomic(path: str, content: str) -> None:
    """Write ``content`` to a temporary file next to ``path`` and rename it over ``path``.

    Readers see the old file or the new one, never a partial one. An existing file keeps its permissions;
    a new one gets 0644.
    """
    directory, name = os.path.split(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def dest_problem(dest: str) -> str | None:
    """Why the report cannot be written into ``dest`` (a directory, created when missing), or None.

    Tried, not guessed from permission bits: a directory is created and removed in the nearest existing
    directory of the path (``/proc`` or a read-only mount refuse it, even to root).
    """
    path = os.path.abspath(os.path.expanduser(dest))
    existing = path
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} exists and is not a directory"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kms_client_report.", dir=existing))
    except OSError as error:
        return f"no file can be created in {existing} ({error.strerror or error})"
    return None


def prepare_dest(dest: str) -> str:
    """The absolute report directory, created when missing; ValueError when it cannot be one."""
    dest = os.path.abspath(os.path.expanduser(dest))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ValueError(f"dest {dest} exists and is not a directory")
    os.makedirs(dest, exist_ok=True)
    return dest


def write_reports(
    dest: str,
    formats: t.Iterable[str],
    results: t.Mapping[str, t.Mapping[str, t.Any] | None],
    mode: str,
    generated: str,
    *,
    title: str | None = None,
) -> tuple[dict[str, t.Any], dict[str, str], list[str]]:
    """Write the requested formats into the existing directory ``dest``.

    Returns the report (with ``generated``), the path of each format, and the formats whose file changed.
    """
    rows = [host_row(host, result) for host, result in results.items()]
    return write_rows(dest, formats, rows, mode, generated, title=title)


def write_rows(
    dest: str,
    formats: t.Iterable[str],
    rows: t.Iterable[t.Mapping[str, t.Any]],
    mode: str,
    generated: str,
    *,
    title: str | None = None,
) -> tuple[dict[str, t.Any], dict[str, str], list[str]]:
    """``write_reports`` of finished rows (one per host)."""
    formats = list(formats)
    placeholder = "generated" + secrets.token_hex(12)
    report = report_from_rows(rows, mode, placeholder, title)
    paths: dict[str, str] = {}
    changed: list[str] = []
    for name in FORMATS:
        if name not in formats:
            continue
        filename, render = FILES[name]
        path = paths[name] = os.path.join(dest, filename)
        template = render(report)
        existing = _read(path)
        if existing is not None and same_but_timestamp(template, placeholder, existing):
            continue
        write_atomic(path, template.replace(placeholder, generated))
        changed.append(name)
    return dict(report, generated=generated), paths, changed
