"""Answers kept per (what, run, image hash, settings): a small LRU in the web process, so a
drawing that did not change costs nothing the second time."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class Answers:
    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: OrderedDict[tuple, dict[str, Any]] = OrderedDict()

    def get(self, key: tuple) -> dict[str, Any] | None:
        if key in self.kept:
            self.kept.move_to_end(key)
            return self.kept[key]
        return None

    def put(self, key: tuple, answer: dict[str, Any]) -> None:
        if self.size == 0:
            return
        self.kept[key] = answer
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)

    def forget(self, run_id: int) -> None:
        """A run was deleted: keys are (what, run id, ...)."""
        for key in [k for k in self.kept if k[1] == run_id]:
            del self.kept[key]
