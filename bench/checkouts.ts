import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface Checkout {
  root: string;
  commit: string;
}

/**
 * `ref` checked out in a temporary git worktree under `parent`, sharing this checkout's
 * node_modules. Both sides of a comparison run under this checkout's gateway wrapper (it only
 * uses createGateway and the config loader), so the two differ in the gateway and nothing else.
 */
export function checkout(ref: string, parent: string): Checkout {
  const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  const root = join(parent, commit);
  execFileSync('git', ['-C', REPO, 'worktree', 'add', '--detach', root, commit], { stdio: 'ignore' });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'bench'), { recursive: true });
  copyFileSync(join(REPO, 'bench', 'gateway-process.ts'), join(root, 'bench', 'gateway-process.ts'));
  return { root, commit };
}

export function removeCheckout(tree: Checkout): void {
  execFileSync('git', ['-C', REPO, 'worktree', 'remove', '--force', tree.root], { stdio: 'ignore' });
}
