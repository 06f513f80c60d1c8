// The secrets of docker-compose.yml, made once on the first `docker compose up` by the
// secrets-init service into the `secrets` volume (never into the repository): the storage
// encryption key, the Redis data nodes' password, the sentinels' password and PostgreSQL's.
// A secret already there is kept, so the deployment's keys survive every later start.
//   node init-secrets.mjs DIR
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/secrets';
const SECRETS = {
  // 32 random bytes, base64: what storage.encryption_keys[].key_file expects.
  storage_key: () => randomBytes(32).toString('base64'),
  // URL-safe letters only: they go on redis-server's command line and into sentinel.conf.
  redis_password: () => randomBytes(24).toString('base64url'),
  sentinel_password: () => randomBytes(24).toString('base64url'),
  postgres_password: () => randomBytes(24).toString('base64url'),
};

mkdirSync(dir, { recursive: true, mode: 0o755 });
for (const [name, make] of Object.entries(SECRETS)) {
  const path = join(dir, name);
  if (existsSync(path)) {
    console.log(`${name}: kept`);
    continue;
  }
  // Readable by every service's own user (Gatehouse, Redis and PostgreSQL each run as another
  // uid); the volume is mounted only into the services that need it, read-only.
  writeFileSync(path, `${make()}\n`, { mode: 0o444, flag: 'wx' });
  console.log(`${name}: created`);
}
