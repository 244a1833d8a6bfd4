"""Engine version, recorded with every scoring and decision result."""

ENGINE_VERSION = "1.0.0"
