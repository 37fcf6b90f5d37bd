"""A real Ray cluster on this machine for the Ray executor's tests: a head node that holds
no task (the dispatcher's queue and control actor live there) and two worker nodes of one CPU
each, every listener on 127.0.0.1. Ray's health checks are made fast, so a lost node is
noticed in about a second instead of ~16."""

from __future__ import annotations

import os
import subprocess
from typing import Any

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

STORE = 100 * 1024 * 1024  # object store per node
LOOPBACK = "127.0.0.1"
FAST_HEALTH = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 300,
    "health_check_timeout_ms": 300,
    "health_check_failure_threshold": 3,
}


def worker_node(cluster: Any) -> Any:
    return cluster.add_node(num_cpus=1, object_store_memory=STORE, node_ip_address=LOOPBACK)


def start_cluster() -> Any:
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "object_store_memory": STORE,
            "node_ip_address": LOOPBACK,
            "include_dashboard": False,
            "_system_config": FAST_HEALTH,
        },
    )
    for _ in range(2):
        worker_node(cluster)
    cluster.wait_for_nodes()
    return cluster


def listening(names: tuple[str, ...] = ("raylet", "gcs_server", "ray::", "plasma")) -> list[str]:
    """`ss -tlnp` lines of the TCP listeners Ray's processes hold."""
    out = subprocess.run(["ss", "-tlnpH"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if any(name in line for name in names)]
