"""Local-development defaults: embedded broker, mail catcher, process supervisor.

Nothing here is used in production; `docker-compose.yml` runs real Redis and a
real SMTP relay instead. These modules exist so that `inscope-suite` can run the
whole suite on a machine with nothing but Python installed.
"""
