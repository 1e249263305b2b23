"""Built-in augmenters, registered in pysynth.registry.augmenters when this package is imported."""
