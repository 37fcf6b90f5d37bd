"""What a run asks of a Ray cluster, whether a node could ever give it, and whether there is
room now (app/executors/placement.py: pure functions over Ray's node list)."""

from __future__ import annotations

from app.config import Settings
from app.executors.placement import Ask, alive_nodes, ask_of, room_for, why_not

CPU_NODE = {"CPU": 1.0, "memory": 8 * 2**30, "object_store_memory": 1e8}
GPU_NODE = {"CPU": 4.0, "GPU": 2.0, "memory": 32 * 2**30, "A100": 2.0}


def test_a_run_asks_the_server_defaults_for_what_it_leaves_out() -> None:
    settings = Settings(run_cpus=2, run_gpus=0, run_memory_bytes=1000)
    assert ask_of({}, settings) == Ask(2.0, 0.0, 1000)
    asked = ask_of({"resources": {"gpus": 1, "cpus": None, "custom": {"A100": 1}}}, settings)
    assert asked == Ask(2.0, 1.0, 1000, {"A100": 1.0})
    assert asked.resources() == {"CPU": 2.0, "GPU": 1.0, "memory": 1000.0, "A100": 1.0}
    assert asked.describe() == "2 CPU, 1 GPU, 0.0 GiB of memory, 1 A100"


def test_only_live_nodes_count() -> None:
    nodes = [{"Alive": True, "Resources": CPU_NODE}, {"Alive": False, "Resources": GPU_NODE}]
    assert alive_nodes(nodes) == [CPU_NODE]


def test_a_gpu_run_on_cpu_nodes_is_told_why_it_waits() -> None:
    reason = why_not(Ask(1, 1, 0), [CPU_NODE, CPU_NODE])
    assert reason is not None
    assert reason.startswith("a node with 1 CPU, 1 GPU: no node of the cluster has enough GPU")
    assert "node 1: 0 GPU; node 2: 0 GPU" in reason and "never runs on less" in reason
    assert why_not(Ask(1, 1, 0), [CPU_NODE, GPU_NODE]) is None


def test_every_resource_must_be_on_one_node() -> None:
    # 2 GPUs exist in all, but a run of 3 CPUs and 1 GPU needs them together on one node.
    assert why_not(Ask(5, 1, 0), [CPU_NODE, GPU_NODE]) is not None
    assert "CPU" in (why_not(Ask(5, 1, 0), [CPU_NODE, GPU_NODE]) or "")
    assert why_not(Ask(1, 0, 0, {"TPU": 1}), [GPU_NODE]) is not None
    assert why_not(Ask(1, 0, 0), []) == (
        "no Ray node is up; start one (ray start --address=...) and the run will begin"
    )


def test_room_counts_what_the_running_runs_hold() -> None:
    nodes = [CPU_NODE, CPU_NODE]
    one = Ask(1, 0, 0)
    assert room_for(one, [], nodes)
    assert room_for(one, [one], nodes)
    assert not room_for(one, [one, one], nodes)
    assert room_for(Ask(0, 0, 0), [one, one], nodes)  # asks nothing: always room
