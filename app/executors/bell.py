"""Waking a child process (a training worker, the Ray dispatcher) from the web process, and
telling it to stop, without ever waiting on the child.

Not a multiprocessing.Event: a child killed (SIGKILL, the kernel's OOM killer) while it
waited on one stays counted as a sleeper, and the next set() waits for it to wake, for ever;
the server's run submissions, its health page and its shutdown then hung. A bell is a pipe
per child: ringing writes a byte without blocking (a full pipe holds rings enough; a dead
child's broken pipe is ignored), and the parent closing its end, or dying, reads as "stop".
"""

from __future__ import annotations

import contextlib
import os
import time
from multiprocessing.connection import Connection
from typing import Any


class Bell:
    """The parent's end. Hand `listener_end` to the child, then call `started()`."""

    def __init__(self, context: Any) -> None:
        self.listener_end, self._writer = context.Pipe(duplex=False)
        os.set_blocking(self._writer.fileno(), False)

    def started(self) -> None:
        """The child has its copy: drop ours, so that a dead child's pipe breaks."""
        self.listener_end.close()

    def ring(self) -> None:
        if self._writer.closed:
            return
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(self._writer.fileno(), b"\0")

    def close(self) -> None:
        """Tell the child to stop (it reads the end of the pipe)."""
        self._writer.close()


class Listener:
    """The child's end: `wait` for a ring (or a stop), `stopped` once the parent closed its
    end or went away."""

    def __init__(self, reader: Connection) -> None:
        self._reader = reader
        os.set_blocking(reader.fileno(), False)
        self.stopped = False

    def wait(self, timeout: float) -> bool:
        """Until a ring, a stop or `timeout`: whether it was rung (every ring so far is
        taken: many rings wake it once)."""
        if self.stopped or not self._reader.poll(timeout):
            return False
        try:
            data = os.read(self._reader.fileno(), 65536)
        except BlockingIOError:
            return False
        if not data:  # the parent's end is closed
            self.stopped = True
        return bool(data)

    def rung(self) -> bool:
        """Whether it was rung since the last look, without waiting."""
        return self.wait(0)


class Silent:
    """A listener nobody rings or stops (`python -m app dispatch` in the foreground, stopped
    by Ctrl-C): each wait lasts its whole timeout."""

    stopped = False

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False

    def rung(self) -> bool:
        return False
