"""The stack domain: a layer stack checked against the catalog, its summary computed without
Keras, warnings about likely mistakes, and the channels_last twin TensorFlow's CPU needs."""

from app.stacks.stack import INPUT_KEYS, CheckedLayer, CheckedStack, check_stack
from app.stacks.summary import Summary, check_and_summarize, summarize

__all__ = [
    "INPUT_KEYS",
    "CheckedLayer",
    "CheckedStack",
    "Summary",
    "check_and_summarize",
    "check_stack",
    "summarize",
]
