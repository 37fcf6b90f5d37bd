"""The README's sweep example runs as written against the session's trainer (AUTH=none: the
token is ignored) and prints the four runs best first."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.helpers.paths import REPO

pytestmark = pytest.mark.keras
DEFAULT = "http://127.0.0.1:8000"


def test_the_readme_sweep_script_prints_four_runs_best_first(trainer, tmp_path):
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Sweeps")
    script = re.search(r"```python\n(.*?)```", readme[start:], re.S)
    assert script, "no python block in the README's Sweeps section"
    path = tmp_path / "sweep.py"
    path.write_text(script.group(1).replace(DEFAULT, trainer.url))
    env = {**os.environ, "TOKEN": "lst_ignored"}  # an empty one is not a valid header
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2", "3", "4"]
    assert all("val_accuracy" in line for line in lines)
    best = [float(line.split()[-1]) for line in lines]
    assert best == sorted(best, reverse=True) and best[0] > 0.5
