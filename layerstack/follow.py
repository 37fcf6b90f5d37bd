"""Following a run in the terminal: a progress bar for the epoch under way, a line per
finished epoch with its metrics, the end in words, and an exit code a CI job can use.
Ctrl+C asks whether to cancel the run or only stop watching it."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from layerstack.client import Client

EXIT_CODES = {"completed": 0, "failed": 3, "cancelled": 4, "interrupted": 4}
STOPPED_WATCHING = 130  # as a shell reports Ctrl+C


class Follower:
    def __init__(self, client: Client, run_id: int, console: Console, as_json: bool) -> None:
        self.client, self.run_id, self.console, self.as_json = client, run_id, console, as_json
        self.epochs: int | None = None

    def follow(self) -> int:
        """The exit code: how the run ended, or STOPPED_WATCHING."""
        try:
            return self._follow()
        except KeyboardInterrupt:
            return self._interrupted()

    def _follow(self) -> int:
        self.epochs = self.client.run(self.run_id)["fit"]["epochs"]
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console, disable=self.as_json, transient=True) as bar:
            task = bar.add_task("queued", total=None, loss="")
            for event in self.client.follow(self.run_id):
                if self.as_json:
                    print(
                        json.dumps({"event": event.kind, "id": event.id, "data": event.data}),
                        flush=True,
                    )
                if event.kind == "status":
                    waiting = event.data.get("waiting_for")
                    bar.update(
                        task,
                        description=event.data["status"] + (f" ({waiting})" if waiting else ""),
                    )
                elif event.kind == "progress":
                    p = event.data
                    loss = f"loss {p['loss']:.4f}" if isinstance(p.get("loss"), float) else ""
                    bar.update(
                        task,
                        description=f"epoch {p['epoch']}/{self.epochs}",
                        completed=p.get("batch", 0),
                        total=p.get("batches"),
                        loss=loss,
                    )
                elif event.kind == "epoch" and not self.as_json:
                    bar.console.print(self._epoch_line(event.data), highlight=False)
                elif event.kind == "done":
                    bar.stop()
                    return self._done(event.data)
        return 1  # the stream ended without done: follow() raises before that

    def _epoch_line(self, logs: dict[str, Any]) -> str:
        parts = [
            f"{key} {value:.4f}"
            for key, value in logs.items()
            if key not in ("epoch", "epoch_time") and isinstance(value, float)
        ]
        took = f" ({logs['epoch_time']:.1f} s)" if isinstance(logs.get("epoch_time"), float) else ""
        return f"Epoch {logs['epoch']}/{self.epochs}{took}: " + "  ".join(parts)

    def _done(self, final: dict[str, Any]) -> int:
        status = final.get("status", "failed")
        if not self.as_json:
            run = self.client.run(self.run_id)
            words = f"Run {self.run_id} {status}"
            if status == "completed" and run.get("test_metrics"):
                tested = ", ".join(f"test {k} {v:.4f}" for k, v in run["test_metrics"].items())
                words += f": {tested}"
            if final.get("error"):
                words += f": {final['error']}"
            style = "green" if status == "completed" else "red"
            self.console.print(f"[{style}]{words}[/]", highlight=False)
        return EXIT_CODES.get(status, 1)

    def _interrupted(self) -> int:
        """Ctrl+C: on a terminal ask; in a script stop watching and leave the run be."""
        if sys.stdin.isatty() and not self.as_json:
            self.console.print()
            answer = (
                self.console.input(f"Cancel run {self.run_id} on the server too? [y/N] ")
                .strip()
                .lower()
            )
            if answer in ("y", "yes"):
                self.client.cancel(self.run_id)
                self.console.print(f"Run {self.run_id} cancelled.")
                return EXIT_CODES["cancelled"]
        if not self.as_json:
            self.console.print(
                f"Stopped following; run {self.run_id} goes on. "
                f"`layerstack follow {self.run_id}` picks it up again."
            )
        return STOPPED_WATCHING
