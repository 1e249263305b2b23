"""Built-in visualizers, registered in pysynth.registry.visualizers when this package is imported."""
