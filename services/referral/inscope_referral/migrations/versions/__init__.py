"""Revisions of the referral schema, oldest first by their down_revision chain."""
