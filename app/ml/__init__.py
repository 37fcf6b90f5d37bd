"""Everything that imports Keras. The web process never imports this package."""
