# One image for every InScope role. docker-compose.yml picks the role per container by
# its command: a web service (gunicorn), a Celery worker, an outbox relay, or Celery beat.
#
#   docker build -t inscope:local .
#
# Build stage: install the runtime and the PostgreSQL driver into a virtualenv, exactly
# as locked (requirements/runtime.txt: every package pinned, every file's hash checked),
# then the project itself without resolving anything again. The suite tools (embedded
# broker, mail catcher, psutil) and the test tools are not in that lock.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/inscope
ENV PATH=/opt/inscope/bin:$PATH

WORKDIR /src
# .dockerignore keeps only what the package build needs (pyproject.toml, requirements/,
# lib/, services/).
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
COPY . .
RUN pip install --no-deps .

# Run stage: the virtualenv only, no sources, no build tools, a non-root user.
# /data belongs to that user: a named volume mounted there starts as a copy of it,
# ownership included, so beat can write its schedule file (docker-compose.yml).
FROM python:3.11-slim

# PROMETHEUS_MULTIPROC_DIR: every process of a container (gunicorn workers, Celery's
# prefork children) counts its metrics into this folder, and /metrics adds them up.
ENV PATH=/opt/inscope/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/inscope-metrics

RUN groupadd --system --gid 10001 inscope \
    && useradd --system --uid 10001 --gid inscope --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin inscope \
    && install -d -o inscope -g inscope /srv/inscope /data \
    && install -d -m 700 -o inscope -g inscope /opt/inscope-cache

COPY --from=build /opt/inscope /opt/inscope

WORKDIR /srv/inscope
USER 10001:10001

# The free-text lexicon compiled once, here, as the user the containers run as
# (inscope_clinical.compiled_cache reads only its own user's private files): a referral
# worker or web then starts in about 2 s of CPU instead of 6.
ENV INSCOPE_COMPILED_CACHE=/opt/inscope-cache
RUN python -c "from inscope_clinical.free_text import lexicon; lexicon()" \
    && test -n "$(ls /opt/inscope-cache)"

# intake, assessment, referral, notify (the ports the code defaults to), and the
# metrics port of workers and relays (INSCOPE_METRICS_PORT in docker-compose.yml).
EXPOSE 5101 5102 5103 5104 9808

# No default role: docker-compose.yml sets the command of every container.
CMD ["inscope-intake", "--help"]
