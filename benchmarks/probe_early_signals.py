"""Ctrl-C or SIGTERM in a command's first moments: tracebacks, exit codes, leftovers.

By hand, not in ``make bench``. Each sample starts ``kurtosis-tui COMMAND`` as the
installed console script does (a script that imports ``re`` and ``sys``, then
``kurtosis_tui.cli.main``), busy-waits DELAY ms, sends the signal, and records:
whether stderr holds a traceback ("Traceback" or "Exception ignored") and where
it began (``python``: before any kurtosis_tui code ran, the interpreter's start-up,
``site``, the script's ``import re``; ``ours``: inside kurtosis_tui), the exit
code (-2/-15: killed by the signal before Python handled it, which a shell
shows as 130/143), stderr's last line, and for ``run`` the Docker objects whose
owner token names the sample's process that are still there once its reaper
had ``--deadline`` s.

``--trees A,B`` alternates samples between checkouts (an earlier commit's
``git archive``, say), so that a before/after shares the machine's load.

Usage: ``.venv/bin/python benchmarks/probe_early_signals.py run list -n 20
[--signal TERM] [--delays 0,5,10,20,50,100,200] [--trees /tmp/old,.]``
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "examples" / "quickstart")
ARGS = {
    "run": ["run", SUITE, "--no-tui"],
    "list": ["list", SUITE],
    "history": ["history"],
    "show": ["show", "last", "--no-tui"],
    "clean": ["clean"],
    "doctor": ["doctor"],
}
# What pip (and uv) write as the console script, kurtosis_tui.cli:main.
SCRIPT = (
    "import re\nimport sys\nfrom kurtosis_tui.cli import main\n"
    "if __name__ == '__main__':\n"
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "    sys.exit(main())\n"
)


class Tally:
    def __init__(self) -> None:
        self.samples = 0
        self.where: collections.Counter[str] = collections.Counter()
        self.codes: collections.Counter[int] = collections.Counter()
        self.last: collections.Counter[str] = collections.Counter()
        self.left = 0
        self.pids: list[int] = []

    def add(self, code: int, err: str, pid: int, dump: str | None = None) -> None:
        self.samples += 1
        self.codes[code] += 1
        self.pids.append(pid)
        if "Traceback" in err or "Exception ignored" in err:
            ours = re.search(r'File "[^"]*/kurtosis_tui/', err) is not None
            self.where["ours" if ours else "python"] += 1
            if ours and dump:
                Path(dump, f"{pid}.txt").write_text(err)
        lines = err.strip().splitlines()
        self.last[lines[-1][:60] if lines else "(nothing)"] += 1

    def line(self) -> str:
        tracebacks = sum(self.where.values())
        where = ", ".join(f"{k} {v}" for k, v in sorted(self.where.items()))
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.codes.items()))
        return (f"tracebacks {tracebacks}/{self.samples}" + (f" ({where})" if where else "")
                + f"; exit {codes}; left {self.left}; last line: "
                + "; ".join(f"{k!r} x{v}" for k, v in self.last.most_common(2)))


def objects_of(client: docker.DockerClient, pids: set[int]) -> list[str]:
    """Objects labelled with a run whose owner token (host:boot:ns:PID:start) names a pid."""
    host = os.uname().nodename
    found = []
    filters = {"label": "kurtosis-tui.run"}
    api = client.api  # the listings alone: an object removed meanwhile is not an error
    listed = [*api.containers(all=True, filters=filters), *api.networks(filters=filters),
              *(api.volumes(filters=filters).get("Volumes") or [])]
    for obj in listed:
        token = (obj.get("Labels") or {}).get("kurtosis-tui.owner", "").split(":")
        if len(token) >= 5 and token[0] == host and token[3].isdigit() and int(token[3]) in pids:
            found.append(obj.get("Name") or obj["Names"][0])
    return found


def sample(script: str, tree: str, args: list[str], delay: float, sig: int
           ) -> tuple[int, str, int]:
    # A history of its own (the probe's, unless KURTOSIS_TUI_HOME is set): not the user's.
    env = {"KURTOSIS_TUI_HOME": str(Path(script).parent), **os.environ, "PYTHONPATH": tree}
    proc = subprocess.Popen([sys.executable, script, *args], cwd=tree, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    start = time.monotonic()
    while time.monotonic() - start < delay:  # the chosen moment, not a synchronisation
        pass
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        err += "\n(hung: killed after 120 s)"
    return proc.returncode, err, proc.pid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("commands", nargs="+", choices=sorted(ARGS))
    parser.add_argument("-n", type=int, default=20, help="samples per delay (and tree)")
    parser.add_argument("--signal", default="INT", choices=["INT", "TERM"])
    parser.add_argument("--delays", default="0,5,10,20,50,100,200", help="ms, comma-separated")
    parser.add_argument("--trees", default=str(ROOT), help="checkouts, comma-separated")
    parser.add_argument("--deadline", type=float, default=30.0,
                        help="seconds a run's reaper gets to remove what is left")
    parser.add_argument("--dump", help="write each traceback of kurtosis_tui's into this folder")
    args = parser.parse_args()
    sig = getattr(signal, f"SIG{args.signal}")
    trees = [str(Path(t).resolve()) for t in args.trees.split(",")]
    client = docker.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        script = str(Path(tmp) / "kurtosis-tui")
        Path(script).write_text(SCRIPT)
        for command in args.commands:
            for delay in (int(d) for d in args.delays.split(",")):
                tallies = {tree: Tally() for tree in trees}
                for _ in range(args.n):
                    for tree in trees:
                        done = sample(script, tree, ARGS[command], delay / 1000, sig)
                        tallies[tree].add(*done, dump=args.dump)
                for tree, tally in tallies.items():
                    if command == "run":
                        end = time.monotonic() + args.deadline
                        while (left := objects_of(client, set(tally.pids))) and \
                                time.monotonic() < end:
                            time.sleep(0.5)
                        tally.left = len(left)
                    label = f" [{Path(tree).name}]" if len(trees) > 1 else ""
                    print(f"{command} SIG{args.signal} {delay:>4} ms{label}: {tally.line()}",
                          flush=True)


if __name__ == "__main__":
    main()
