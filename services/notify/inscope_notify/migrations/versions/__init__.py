"""Revisions of the notify schema, oldest first by their down_revision chain."""
