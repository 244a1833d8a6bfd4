#!/usr/bin/env bash
# Back up, or restore, InScope's state: the four PostgreSQL databases (pg_dump custom
# format, one file each) and the broker's Redis append-only file (the queued events).
#
#   deploy/backup.sh backup  DIR     # writes DIR/<db>.dump, DIR/redis-aof.tar, DIR/MANIFEST
#   deploy/backup.sh restore DIR     # restores the databases (and the AOF, see below)
#
# Settings (environment):
#   PGURL            the server, libpq URL without a database name, e.g.
#                    postgresql://inscope:PASSWORD@127.0.0.1:5432 (required)
#   INSCOPE_DATABASES  the databases, default "intake assessment referral notify" (empty: none)
#   REDIS_URL        the broker (optional: no Redis backup when unset)
#   REDIS_AOF_DIR    the broker's appendonlydir on this host (required with REDIS_URL),
#                    e.g. the redis-data volume's mount point + /appendonlydir
#
# Backup asks Redis to rewrite its AOF first (BGREWRITEAOF), waits for the rewrite, then
# archives the folder: a compact, consistent file set. Restore of the AOF must happen
# with Redis stopped: it unpacks DIR/redis-aof.tar into REDIS_AOF_DIR (the old folder
# kept as appendonlydir.before-restore) and Redis replays it when it starts.
# Restore of a database drops and recreates its objects (pg_restore --clean) in one
# transaction: stop the suite's web, worker, relay and beat containers first.
# docs/backups.md has the same with `docker compose`, and the restore drill.
set -euo pipefail

usage() { sed -n '2,22p' "$0" >&2; exit 2; }
[ $# -eq 2 ] || usage
mode=$1 dir=$2
: "${PGURL:?set PGURL, e.g. postgresql://inscope:PASSWORD@127.0.0.1:5432}"
databases=${INSCOPE_DATABASES-intake assessment referral notify}  # set but empty: none

redis_backup() {
  [ -n "${REDIS_URL:-}" ] || return 0
  : "${REDIS_AOF_DIR:?set REDIS_AOF_DIR to the appendonlydir of the broker, or unset REDIS_URL}"
  redis-cli -u "$REDIS_URL" BGREWRITEAOF >/dev/null
  for _ in $(seq 600); do
    info=$(redis-cli -u "$REDIS_URL" INFO persistence | tr -d '\r')
    if grep -q '^aof_rewrite_in_progress:0' <<<"$info" \
       && grep -q '^aof_rewrite_scheduled:0' <<<"$info"; then
      break
    fi
    sleep 0.1
  done
  tar -C "$(dirname "$REDIS_AOF_DIR")" -cf "$dir/redis-aof.tar" "$(basename "$REDIS_AOF_DIR")"
  echo "redis: AOF archived in $dir/redis-aof.tar"
}

redis_restore() {
  [ -f "$dir/redis-aof.tar" ] || return 0
  if [ -z "${REDIS_AOF_DIR:-}" ]; then
    echo "redis: $dir/redis-aof.tar not restored (set REDIS_AOF_DIR, Redis stopped)"
    return 0
  fi
  if [ -n "${REDIS_URL:-}" ] && redis-cli -u "$REDIS_URL" PING >/dev/null 2>&1; then
    echo "redis: stop the broker before restoring its AOF" >&2
    exit 1
  fi
  if [ -e "$REDIS_AOF_DIR" ]; then
    rm -rf "$REDIS_AOF_DIR.before-restore"
    mv "$REDIS_AOF_DIR" "$REDIS_AOF_DIR.before-restore"
  fi
  mkdir -p "$(dirname "$REDIS_AOF_DIR")"
  tmp=$(mktemp -d "$(dirname "$REDIS_AOF_DIR")/.restore.XXXXXX")
  tar -C "$tmp" -xf "$dir/redis-aof.tar"
  mv "$tmp"/* "$REDIS_AOF_DIR"
  rmdir "$tmp"
  echo "redis: AOF restored into $REDIS_AOF_DIR (start the broker to replay it)"
}

case $mode in
  backup)
    mkdir -p "$dir"
    : >"$dir/MANIFEST"
    for db in $databases; do
      pg_dump --format=custom --no-owner --file="$dir/$db.dump" "$PGURL/$db"
      echo "$db $(pg_restore --list "$dir/$db.dump" | grep -c ' TABLE DATA ') tables" \
        >>"$dir/MANIFEST"
      echo "postgres: $db dumped to $dir/$db.dump"
    done
    redis_backup
    date -u +"taken %Y-%m-%dT%H:%M:%SZ" >>"$dir/MANIFEST"
    ;;
  restore)
    for db in $databases; do
      [ -f "$dir/$db.dump" ] || { echo "missing $dir/$db.dump" >&2; exit 1; }
    done
    for db in $databases; do
      pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
        --dbname="$PGURL/$db" "$dir/$db.dump"
      echo "postgres: $db restored from $dir/$db.dump"
    done
    redis_restore
    ;;
  *) usage ;;
esac
