"""ansible-playbook that, as it exits, writes to ``$KMS_RUSAGE_FILE`` (JSON) its own CPU and that of the workers it
reaped (``getrusage``): how the controller's CPU splits between the main process, the serial part, and the workers it
forks for each host and task. Run as ``python tools/rusage_playbook.py <ansible-playbook arguments>``."""

from __future__ import annotations

import atexit
import json
import os
import resource
import sys


def _write(path: str, main_pid: int) -> None:
    if os.getpid() != main_pid:  # a forked worker (they leave through os._exit, which runs no atexit handler)
        return
    main, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    usage = {
        "main_cpu": main.ru_utime + main.ru_stime,
        "workers_system": workers.ru_stime,
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(usage, file)


if __name__ == "__main__":
    del sys.path[0]  # this script's directory: tools/, whose packages are not ansible-playbook's
    atexit.register(_write, os.environ["KMS_RUSAGE_FILE"], os.getpid())
    sys.argv[0] = "ansible-playbook"
    from ansible.cli.playbook import main

    main()
