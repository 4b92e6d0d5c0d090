"""Start a Plan's processes, show their output, and stop them cleanly, as `ros2 launch` does.

Each process runs in a session of its own, so a terminal's Ctrl-C reaches only the launcher, which
then sends SIGINT to every process, waits, escalates to SIGTERM and at last SIGKILL. Output lines
are prefixed with `[label]`. A process that ends by itself is reported with its exit code and the
others go on; the launcher ends when all have ended, exiting 0 only if every one exited 0.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO

from fusion.launch_yaml.document import LaunchError
from fusion.launch_yaml.interpreter import Plan, Process

SIGINT_GRACE_S = 10.0    # after SIGINT, before SIGTERM
SIGTERM_GRACE_S = 5.0    # after SIGTERM, before SIGKILL
POLL_S = 0.05


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen
    pump: threading.Thread


class Launcher:
    def __init__(self, plan: Plan, out: IO[str] | None = None):
        self.plan = plan
        self.out = out or sys.stdout
        self.running: list[Running] = []
        self._lock = threading.Lock()
        self._stop_requested = threading.Event()

    def say(self, label: str, text: str) -> None:
        with self._lock:
            self.out.write(f"[{label}] {text}\n")
            self.out.flush()

    def _pump(self, label: str, stream: IO[str]) -> None:
        for line in stream:
            self.say(label, line.rstrip("\n"))

    def start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for process in self.plan.processes:
            try:
                popen = subprocess.Popen(process.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         text=True, errors="replace", env=env, start_new_session=True)
            except OSError as exc:
                self.request_stop()
                self.wait()
                raise LaunchError(process.where, f"cannot start {process.label} ({process.cmd[0]}): {exc.strerror}") from None
            pump = threading.Thread(target=self._pump, args=(process.label, popen.stdout), daemon=True)
            pump.start()
            self.running.append(Running(process, popen, pump))
            self.say("launch", f"process started with pid [{popen.pid}]: {process.label}")

    def request_stop(self, signum: int = signal.SIGINT, frame: object = None) -> None:
        self._stop_requested.set()

    def _report(self, r: Running, code: int) -> None:
        if code == 0:
            self.say("launch", f"process has finished cleanly [pid {r.popen.pid}]: {r.process.label}")
        else:
            self.say("launch", f"process has died [pid {r.popen.pid}, exit code {code}]: {r.process.label}")

    def _signal_all(self, alive: list[Running], signum: int) -> None:
        for r in alive:
            try:
                os.killpg(r.popen.pid, signum)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        """Run until every process has ended (or a stop was requested and they were stopped)."""
        codes: dict[int, int] = {}
        stop_stage, stage_since = 0, 0.0
        while True:
            for r in self.running:
                if r.popen.pid not in codes and r.popen.poll() is not None:
                    r.pump.join(timeout=1.0)
                    codes[r.popen.pid] = r.popen.returncode
                    self._report(r, r.popen.returncode)
            alive = [r for r in self.running if r.popen.pid not in codes]
            if not alive:
                break
            now = time.monotonic()
            if self._stop_requested.is_set() and stop_stage == 0:
                self.say("launch", "stopping: SIGINT to every process")
                self._signal_all(alive, signal.SIGINT)
                stop_stage, stage_since = 1, now
            elif stop_stage == 1 and now - stage_since > SIGINT_GRACE_S:
                self.say("launch", f"still running after {SIGINT_GRACE_S:.0f} s: SIGTERM to {', '.join(r.process.label for r in alive)}")
                self._signal_all(alive, signal.SIGTERM)
                stop_stage, stage_since = 2, now
            elif stop_stage == 2 and now - stage_since > SIGTERM_GRACE_S:
                self.say("launch", f"still running: SIGKILL to {', '.join(r.process.label for r in alive)}")
                self._signal_all(alive, signal.SIGKILL)
                stop_stage, stage_since = 3, now
            time.sleep(POLL_S)
        return 0 if all(code == 0 for code in codes.values()) else 1


def run(plan: Plan) -> int:
    """Start the plan's processes, stop them on SIGINT or SIGTERM, return 0 when all ended cleanly."""
    launcher = Launcher(plan)
    previous = {s: signal.signal(s, launcher.request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        launcher.start()
        return launcher.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
