"""InScope benchmark: the whole suite on real Redis and a real SMTP sink, measured
against a bare Celery chain on the same machine in the same run.

Run it with ``make bench`` or ``python -m bench --help``.  The figures it reports,
and the targets it checks, are described in :mod:`bench.cli`.
"""
