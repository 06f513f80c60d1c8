import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs: editors write in several steps. */
  debounceMs: number;
  /** Interval of the stat poll that backs up fs.watch. */
  pollIntervalMs: number;
  /** The file's signature (see fileSignature) when its content was last read; the poll compares against it. */
  baseline: string;
  onError: (error: unknown) => void;
}

/**
 * What the poll compares: enough to see an in-place write and an inode swap. stat follows
 * symlinks, so a Kubernetes-style `..data` swap two links up shows as a new inode.
 */
export async function fileSignature(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/**
 * Calls `onChange` (debounced) when the file may have changed. Watches the directory, not the
 * file: an editor's save-to-temp-then-rename replaces the inode, and a watch on the old inode
 * would go deaf. fs.watch misses some changes (NFS, a symlink swapped higher up, events before
 * it started), so a stat poll runs beside it, measured from the caller's baseline so that no
 * change between the caller's read and this call is lost. Returns a function that stops both.
 */
export function watchFileChanges(path: string, onChange: () => void, options: WatchOptions): () => void {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let signature = options.baseline;
  let polling = false;

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs);
    timer.unref();
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      // Some platforms give no file name: then any change in the directory may be ours.
      if (filename === null || filename.toString() === name) schedule();
    });
    watcher.on('error', (error) => {
      options.onError(error);
      watcher?.close();
      watcher = undefined;
    });
  } catch (error) {
    options.onError(error);
  }

  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    void fileSignature(path)
      .then((current) => {
        if (current !== signature) {
          signature = current;
          schedule();
        }
      })
      .finally(() => {
        polling = false;
      });
  }, options.pollIntervalMs);
  poll.unref();

  return () => {
    closed = true;
    clearTimeout(timer);
    clearInterval(poll);
    watcher?.close();
  };
}
