"""Engine version, recorded with every scoring and decision result."""

ENGINE_VERSION = "0.1.0"
