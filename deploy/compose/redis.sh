#!/bin/sh
# A Redis data node of docker-compose.yml, its password from the secrets volume. With
# REPLICA_OF=host it starts as that node's replica; the sentinels decide later who is master.
# Append-only persistence: a master that restarts empty before the sentinels notice would
# otherwise hand its replica an empty data set.
set -eu
password="$(cat "${SECRETS_DIR:-/secrets}/redis_password")"
set -- --port 6379 --requirepass "$password" --masterauth "$password" \
  --appendonly yes --dir /data --maxmemory-policy noeviction
if [ -n "${REPLICA_OF:-}" ]; then
  set -- "$@" --replicaof "$REPLICA_OF" 6379
fi
# The image's own entrypoint: it hands /data to the redis user and drops root before starting.
exec docker-entrypoint.sh redis-server "$@"
