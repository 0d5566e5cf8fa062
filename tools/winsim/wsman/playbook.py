"""Run real ansible-playbook (from the running interpreter's environment) and collect per-task results."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import typing as t

CALLBACK_DIR = pathlib.Path(__file__).parent / "callback"


@dataclasses.dataclass(frozen=True)
class PlaybookRun:
    """Outcome of one ansible-playbook run."""

    returncode: int
    stdout: str
    stderr: str
    results: list[dict[str, t.Any]]  # {host, task, status (ok|failed|unreachable|skipped), result}

    def result(self, host: str, task: str) -> dict[str, t.Any]:
        """The last recorded result of ``task`` (its name) on ``host``; KeyError if none."""
        for entry in reversed(self.results):
            if entry["host"] == host and entry["task"] == task:
                return entry
        raise KeyError(f"no result for task {task!r} on {host!r}; output:\n{self.stdout}\n{self.stderr}")


def ansible_playbook() -> pathlib.Path:
    """The ansible-playbook next to the running interpreter."""
    return pathlib.Path(sys.executable).parent / "ansible-playbook"


def playbook_environment(
    workdir: str | os.PathLike[str],
    collections_paths: t.Sequence[str | os.PathLike[str]] = (),
    env: t.Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment ansible-playbook runs with: quiet, self-contained under ``workdir``, no retry files."""
    work = pathlib.Path(workdir)
    run_env = dict(os.environ)
    run_env.update(
        {
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
            "ANSIBLE_HOME": str(work / "ansible-home"),
        }
    )
    if collections_paths:
        run_env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(str(p) for p in collections_paths)
    run_env.update(env or {})
    return run_env


def run_playbook(
    playbook: str | os.PathLike[str],
    inventory: str | os.PathLike[str],
    *args: str,
    collections_paths: t.Sequence[str | os.PathLike[str]] = (),
    env: t.Mapping[str, str] | None = None,
    timeout: float = 900,
) -> PlaybookRun:
    """Run ``ansible-playbook -i inventory playbook *args`` next to sys.executable, recording task results."""
    with tempfile.TemporaryDirectory(prefix="winsim-run-") as tmp:
        results_file = pathlib.Path(tmp) / "results.jsonl"
        recording = {
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": "winsim_results",
            "WINSIM_RESULTS_FILE": str(results_file),
        }
        proc = subprocess.run(
            [str(ansible_playbook()), "-i", str(inventory), str(playbook), *args],
            env=playbook_environment(tmp, collections_paths, recording | dict(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        lines = results_file.read_text(encoding="utf-8").splitlines() if results_file.exists() else []
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, [json.loads(line) for line in lines])


def run_reporting(
    playbook: str | os.PathLike[str],
    inventory: str | os.PathLike[str],
    report_dir: pathlib.Path,
    *args: str,
    collections_paths: t.Sequence[str | os.PathLike[str]] = (),
    env: t.Mapping[str, str] | None = None,
) -> tuple[PlaybookRun, dict[str, t.Any]]:
    """Run the collection's playbook with its report written to report_dir; return the run and kms_audit.json."""
    run = run_playbook(
        playbook,
        inventory,
        "-e",
        f"kms_client_report_dest={report_dir}",
        *args,
        collections_paths=collections_paths,
        env=env,
    )
    report_file = report_dir / "kms_audit.json"
    assert report_file.exists(), f"no report written:\n{run.stdout}\n{run.stderr}"
    return run, json.loads(report_file.read_text(encoding="utf-8"))
