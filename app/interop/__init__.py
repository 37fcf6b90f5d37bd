"""Moving models in and out of Layerstack: Python code export and Keras JSON import."""
