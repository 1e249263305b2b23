"""Built-in curators, registered in pysynth.registry.curators when this package is imported."""
