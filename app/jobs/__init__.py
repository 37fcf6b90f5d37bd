"""Running jobs: the worker pool (processes that import TensorFlow) and the event hub."""
