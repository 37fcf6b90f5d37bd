"""What another process is doing, read from /proc: for tests that must act once a child is
idle (blocked in poll(2)), not after a guessed sleep."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

# The call a bell's Listener sleeps in (Connection.poll: poll(2), or ppoll(2) where the C
# library makes poll of it), by number as /proc/PID/syscall gives it.
POLL_CALLS = {"x86_64": {7, 271}, "aarch64": {73}}.get(platform.machine())


def waiting_in_poll(pid: int, timeout: float = 30, what: str = "") -> None:
    """Return once the process `pid` sleeps in poll(2). /proc/PID/syscall names the call its
    main thread is blocked in ("running" while it runs). Without that file, or on a machine
    whose numbers are not known here, return at once (the caller's own event is all there is
    to go on), except under CI=true: fail."""
    path = Path(f"/proc/{pid}/syscall")
    if POLL_CALLS is None or not path.exists():
        assert os.environ.get("CI") != "true", f"no {path} to tell by on {platform.machine()}"
        return
    deadline = time.monotonic() + timeout
    while (call := path.read_text().split()[0]) == "running" or int(call) not in POLL_CALLS:
        assert time.monotonic() < deadline, f"{what or pid} is not waiting in poll(2) ({call})"
        time.sleep(0.01)
