/**
 * Storage settings for tests: a fixed, obviously-test encryption key. Real deployments make
 * theirs with `openssl rand -base64 32`.
 */
export const TEST_ENCRYPTION_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

export function testStorage(path = 'gatehouse.db') {
  return { path, encryption_keys: [{ id: 'test-1', key: TEST_ENCRYPTION_KEY }] };
}
