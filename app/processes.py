"""What every child process we spawn (training workers, the inference process) does first."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal


def die_with_parent() -> None:
    """If the server is killed (even by SIGKILL), its children must not work on unwatched."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)


def quiet_tensorflow() -> None:
    """TensorFlow's C++ info lines on every start say nothing a user can act on."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
