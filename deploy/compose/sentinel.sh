#!/bin/sh
# A Redis Sentinel of docker-compose.yml. Sentinel rewrites its config file as it learns the
# topology, so the file is written afresh into the container at each start, with the passwords
# from the secrets volume: the data nodes' (auth-pass) and the sentinels' own (requirepass,
# sentinel-pass between the sentinels).
set -eu
secrets="${SECRETS_DIR:-/secrets}"
here="${SENTINEL_DIR:-/tmp/sentinel}"
redis_password="$(cat "$secrets/redis_password")"
sentinel_password="$(cat "$secrets/sentinel_password")"
mkdir -p "$here"
cat > "$here/sentinel.conf" <<CONF
port 26379
dir ${here}
sentinel resolve-hostnames yes
sentinel monitor gatehouse ${MASTER_HOST:-redis-1} 6379 2
sentinel auth-pass gatehouse ${redis_password}
sentinel down-after-milliseconds gatehouse 5000
sentinel failover-timeout gatehouse 60000
sentinel parallel-syncs gatehouse 1
requirepass ${sentinel_password}
sentinel sentinel-pass ${sentinel_password}
CONF
# Sentinel runs as the redis user (the image's entrypoint drops root) and must rewrite its file.
chown -R redis:redis "$here"
chmod 600 "$here/sentinel.conf"
exec docker-entrypoint.sh redis-server "$here/sentinel.conf" --sentinel
