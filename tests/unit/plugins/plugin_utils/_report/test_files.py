"""Writing the audit files: atomic replacement, change detection without the timestamp, destination checks."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _files as files

FIRST = "2025-06-25T14:03:07Z"
LATER = "2025-06-26T09:00:00Z"
RESULTS = {
    "srv-b": {
        "status": "would_convert",
        "changed": True,
        "msg": "would install the GVLK",
        "key_type": {"before": "mak", "after": "gvlk"},
    },
    "srv-a": {
        "status": "compliant",
        "changed": False,
        "msg": "already a KMS client",
        "key_type": {"before": "gvlk", "after": "gvlk"},
    },
    "srv-c": None,
}
NAMES = {"json": "kms_audit.json", "csv": "kms_audit.csv", "markdown": "kms_audit.md", "html": "kms_audit.html"}


def _contents(directory) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_first_run_writes_every_format(tmp_path):
    report, paths, changed = files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", FIRST)
    assert changed == list(files.FORMATS)
    assert paths == {name: str(tmp_path / filename) for name, filename in NAMES.items()}
    assert sorted(os.listdir(tmp_path)) == sorted(NAMES.values())
    assert report["generated"] == FIRST
    data = json.loads((tmp_path / "kms_audit.json").read_text(encoding="utf-8"))
    assert data["generated"] == FIRST and data["mode"] == "check"
    assert [host["host"] for host in data["hosts"]] == ["srv-a", "srv-b", "srv-c"]
    assert FIRST in (tmp_path / "kms_audit.html").read_text(encoding="utf-8")
    assert FIRST in (tmp_path / "kms_audit.md").read_text(encoding="utf-8")
    assert (tmp_path / "kms_audit.csv").read_bytes().count(b"\r\n") == 4


def test_rerun_with_the_same_results_changes_nothing(tmp_path):
    files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", FIRST)
    before = _contents(tmp_path)
    report, _paths, changed = files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", LATER)
    assert changed == []
    assert _contents(tmp_path) == before
    assert report["generated"] == LATER


@pytest.mark.parametrize(
    "mode, results, rewritten",
    [
        ("apply", RESULTS, ["json", "markdown", "html"]),  # the CSV has no mode column
        ("check", RESULTS | {"srv-a": RESULTS["srv-a"] | {"msg": "already a KMS client (licensed)"}}, files.FORMATS),
        ("check", RESULTS | {"srv-d": None}, files.FORMATS),
    ],
)
def test_any_other_difference_rewrites_the_files(tmp_path, mode, results, rewritten):
    files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", FIRST)
    _report, _paths, changed = files.write_reports(str(tmp_path), files.FORMATS, results, mode, LATER)
    assert changed == list(rewritten)
    data = json.loads((tmp_path / "kms_audit.json").read_text(encoding="utf-8"))
    assert data["generated"] == LATER and data["mode"] == mode


def test_a_file_edited_by_hand_is_rewritten(tmp_path):
    files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", FIRST)
    (tmp_path / "kms_audit.md").write_text("edited\n", encoding="utf-8")
    (tmp_path / "kms_audit.csv").write_bytes(b"\xff\xfe not utf-8")
    _report, _paths, changed = files.write_reports(str(tmp_path), files.FORMATS, RESULTS, "check", FIRST)
    assert changed == ["csv", "markdown"]


def test_only_the_requested_formats_are_written(tmp_path):
    _report, paths, changed = files.write_reports(str(tmp_path), ["csv", "json"], RESULTS, "check", FIRST)
    assert changed == ["json", "csv"] and list(paths) == ["json", "csv"]
    assert sorted(os.listdir(tmp_path)) == ["kms_audit.csv", "kms_audit.json"]


def test_same_but_timestamp():
    template = '{"generated": "PLACEHOLDER", "x": "a.b"}'
    assert files.same_but_timestamp(template, "PLACEHOLDER", '{"generated": "2030-01-02T03:04:05Z", "x": "a.b"}')
    assert not files.same_but_timestamp(template, "PLACEHOLDER", '{"generated": "yesterday", "x": "a.b"}')
    assert not files.same_but_timestamp(template, "PLACEHOLDER", '{"generated": "2030-01-02T03:04:05Z", "x": "aXb"}')
    assert not files.same_but_timestamp(template, "PLACEHOLDER", '{"generated": "2030-01-02T03:04:05Z", "x": "a.b"}\n')


@pytest.mark.parametrize(
    ("existing", "same"),
    [
        ("2030-01-02T03:04:05Z|a|2031-01-02T03:04:05Z", True),  # each placeholder its own timestamp
        ("2030-01-02T03:04:05|a|2031-01-02T03:04:05Z", False),  # a timestamp cut short
        ("2030-01-02T03:04:05Z|a|2031-01-02T03:04:05Zx", False),  # more after the last timestamp
        ("2030-01-02T03:04:05Z|a", False),  # less
        ("", False),
    ],
)
def test_same_but_timestamp_at_either_end(existing, same):
    assert files.same_but_timestamp("P|a|P", "P", existing) is same


def test_the_comparison_builds_no_pattern_from_the_report(monkeypatch):
    """An unchanged report is recognised without compiling the report into a pattern (about a second per megabyte)."""
    compiled = []
    real_compile = re._compile  # every pattern the re module compiles, from re.compile, re.fullmatch and the like

    def recording(pattern, flags):
        compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(re, "_compile", recording)
    template = "PLACEHOLDER\n" + "host;a.b;(x)\n" * 1000
    assert files.same_but_timestamp(template, "PLACEHOLDER", template.replace("PLACEHOLDER", "2030-01-02T03:04:05Z"))
    assert max((len(pattern) for pattern in compiled), default=0) < 100


def test_write_atomic_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "report.txt"
    files.write_atomic(str(target), "one\r\n")
    assert target.read_bytes() == b"one\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == files.NEW_FILE_MODE
    target.chmod(0o600)
    inode = target.stat().st_ino
    files.write_atomic(str(target), "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.stat().st_ino != inode, "the file must be replaced by a rename, not rewritten in place"
    assert os.listdir(tmp_path) == ["report.txt"]


def test_write_atomic_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")

    def refuse(source, destination):
        raise PermissionError(13, "Permission denied", destination)

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionError):
        files.write_atomic(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["report.txt"]


def test_prepare_dest_creates_missing_directories(tmp_path):
    dest = files.prepare_dest(str(tmp_path / "a" / "b"))
    assert dest == str(tmp_path / "a" / "b") and os.path.isdir(dest)
    assert files.prepare_dest(dest) == dest


def test_prepare_dest_refuses_a_file(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        files.prepare_dest(str(plain))
