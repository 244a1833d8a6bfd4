"""Revisions of the intake schema, oldest first by their down_revision chain."""
