"""What a run asks of a Ray cluster, whether any node could ever give it, and whether the
cluster has room for it now. Pure functions over Ray's node list: no Ray import here.

A run that no node can meet (a GPU on a CPU-only cluster) is never submitted: Ray would hold
it forever without a word. It stays queued, and `why_not` is what GET /api/runs/{id} shows as
`waiting_for`. One that could run but finds the cluster busy waits for room, also in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.config import Settings

MEMORY = "memory"


@dataclass(frozen=True)
class Ask:
    cpus: float
    gpus: float
    memory: int  # bytes
    custom: dict[str, float] = field(default_factory=dict)

    def resources(self) -> dict[str, float]:
        """As Ray counts them: CPU, GPU, memory (bytes) and the custom ones, zeros left out."""
        named = {"CPU": self.cpus, "GPU": self.gpus, MEMORY: float(self.memory), **self.custom}
        return {name: amount for name, amount in named.items() if amount}

    def describe(self) -> str:
        parts = [f"{self.cpus:g} CPU"] if self.cpus else []
        parts += [f"{self.gpus:g} GPU"] if self.gpus else []
        parts += [f"{self.memory / 2**30:.1f} GiB of memory"] if self.memory else []
        parts += [f"{amount:g} {name}" for name, amount in sorted(self.custom.items())]
        return ", ".join(parts) or "nothing"


def ask_of(fit: Mapping[str, Any], settings: Settings) -> Ask:
    """A run's request: its fit.resources, the server's RUN_* defaults for what it leaves out."""
    wanted = fit.get("resources") or {}
    pick = lambda key, default: default if wanted.get(key) is None else wanted[key]  # noqa: E731
    return Ask(
        cpus=float(pick("cpus", settings.run_cpus)),
        gpus=float(pick("gpus", settings.run_gpus)),
        memory=int(pick("memory", settings.run_memory_bytes)),
        custom={str(k): float(v) for k, v in (wanted.get("custom") or {}).items()},
    )


def alive_nodes(nodes: Iterable[dict[str, Any]]) -> list[dict[str, float]]:
    """Each live node's total resources, from ray.nodes()."""
    return [dict(node.get("Resources", {})) for node in nodes if node.get("Alive")]


def why_not(ask: Ask, nodes: list[dict[str, float]]) -> str | None:
    """None when at least one node has, in total, all the run asks; else why it must wait."""
    needed = ask.resources()
    if any(all(node.get(k, 0.0) >= v for k, v in needed.items()) for node in nodes):
        return None
    if not nodes:
        return "no Ray node is up; start one (ray start --address=...) and the run will begin"
    short = sorted(
        {k for k, v in needed.items() if not any(node.get(k, 0.0) >= v for node in nodes)}
    )
    have = "; ".join(
        f"node {i + 1}: " + ", ".join(f"{_amount(k, node.get(k, 0.0))} {k}" for k in short)
        for i, node in enumerate(nodes)
    )
    return (
        f"a node with {ask.describe()}: no node of the cluster has enough {', '.join(short)} "
        f"({have}). It runs once such a node joins; it never runs on less."
    )


def _amount(name: str, value: float) -> str:
    return f"{value / 2**30:.1f} GiB" if name == MEMORY else f"{value:g}"


def room_for(ask: Ask, running: Iterable[Ask], nodes: list[dict[str, float]]) -> bool:
    """Whether the cluster's totals still hold `ask` beside the runs already placed. Ray
    places each task on one node; this counts the whole cluster, so a fragmented cluster may
    hold a task pending for a while, never forever."""
    used: dict[str, float] = {}
    for other in running:
        for name, amount in other.resources().items():
            used[name] = used.get(name, 0.0) + amount
    for name, amount in ask.resources().items():
        total = sum(node.get(name, 0.0) for node in nodes)
        if used.get(name, 0.0) + amount > total + 1e-9:
            return False
    return True
