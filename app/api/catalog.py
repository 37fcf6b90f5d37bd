"""The catalog as JSON: what a UI renders as a palette and forms, and what a script reads."""

from typing import Any

from fastapi import APIRouter

from app.catalog import (
    ACTIVATIONS,
    GROUPS,
    INITIALIZERS,
    LAYERS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    REGULARIZERS,
    compile_defaults,
)

router = APIRouter(tags=["catalog"])


@router.get("/layers")
def read_layers() -> dict[str, Any]:
    """Every layer type with its arguments (kind, default, bounds, choices, help)."""
    return {
        "groups": list(GROUPS),
        "layers": [t.describe() for t in LAYERS],
        "activations": list(ACTIVATIONS),
        "initializers": INITIALIZERS.describe(),
        "regularizers": REGULARIZERS.describe(),
    }


@router.get("/compile-options")
def read_compile_options() -> dict[str, Any]:
    """Optimizers, losses and metrics with their parameters, and the compile defaults."""
    return {
        "optimizers": OPTIMIZERS.describe(),
        "losses": LOSSES.describe(),
        "metrics": METRICS.describe(),
        "defaults": compile_defaults(),
    }
