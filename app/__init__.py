"""Layerstack: build, train and serve Keras Sequential models from a browser or over REST."""
