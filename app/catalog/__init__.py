"""The catalog: every layer type, initializer, regularizer, optimizer, loss and metric we build.

Nothing outside this package lists them; the UI palette, request validation, the Keras
compiler and code export all read from here.
"""

from app.catalog.args import REQUIRED, Arg, ArgError
from app.catalog.compile import LOSSES, METRICS, OPTIMIZERS, check_compile, compile_defaults
from app.catalog.layers import GROUPS, LAYER_TYPES, LAYERS, LayerType
from app.catalog.objects import ACTIVATIONS, INITIALIZERS, REGULARIZERS, ObjectSpec, Registry
from app.catalog.problems import Invalid, Problem
from app.catalog.shapes import Out, Shape, ShapeError

__all__ = [
    "ACTIVATIONS",
    "GROUPS",
    "INITIALIZERS",
    "LAYERS",
    "LAYER_TYPES",
    "LOSSES",
    "METRICS",
    "OPTIMIZERS",
    "REGULARIZERS",
    "REQUIRED",
    "Arg",
    "ArgError",
    "Invalid",
    "LayerType",
    "ObjectSpec",
    "Out",
    "Problem",
    "Registry",
    "Shape",
    "ShapeError",
    "check_compile",
    "compile_defaults",
]
