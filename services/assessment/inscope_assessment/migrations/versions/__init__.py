"""Revisions of the assessment schema, oldest first by their down_revision chain."""
