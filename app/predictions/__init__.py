"""Predictions: an uploaded image turned into a run's model input, and labels out."""
