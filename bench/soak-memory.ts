import { readFileSync } from 'node:fs';
import { send } from '../server/testing/http-client.js';
import { PORTAL_HOST } from './fixtures.js';

export interface MemorySample {
  /** Seconds since the soak started. */
  t: number;
  /** Resident memory of every gateway process (the primary and its workers), summed. */
  rssBytes: number;
  /** V8 heap in use, from /metrics (with workers, their sum). */
  heapUsedBytes: number;
  /** The worker processes at that moment (empty with one process): a change means one was restarted. */
  workerPids: number[];
  /**
   * Each gateway process's resident memory split as the kernel counts it (smaps_rollup):
   * anonymous memory (V8's heap, malloc arenas, buffers) and file-backed pages (the node binary
   * and shared libraries, shared with the other processes). Growth in one and not the other says
   * where to look.
   */
  processes: ProcessMemory[];
}

export interface ProcessMemory {
  pid: number;
  rssBytes: number;
  anonymousBytes: number;
  fileBytes: number;
}

/** Children of a process (Linux: /proc/PID/task/TID/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/** smaps_rollup of one process; zeros when it has gone (a restarted worker). */
function smapsOf(pid: number): ProcessMemory {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const rssBytes = kb('Rss');
    const anonymousBytes = kb('Anonymous');
    return { pid, rssBytes, anonymousBytes, fileBytes: rssBytes - anonymousBytes };
  } catch {
    return { pid, rssBytes: 0, anonymousBytes: 0, fileBytes: 0 };
  }
}

/**
 * One sample: RSS from /proc for each gateway process, the heap from the gateway's own /metrics
 * (a scrape is a request like any other: one that fails is reported as an error by the caller).
 */
export async function sampleMemory(options: { pid: number; port: number; startedAt: number }): Promise<{ sample?: MemorySample; scrapeError?: string }> {
  const workerPids = childrenOf(options.pid);
  const rssBytes = [options.pid, ...workerPids].reduce((sum, pid) => sum + rssOf(pid), 0);
  const t = (performance.now() - options.startedAt) / 1000;
  try {
    const res = await send({ port: options.port, path: '/metrics', host: PORTAL_HOST });
    if (res.status !== 200) return { scrapeError: `/metrics ${res.status}` };
    const heap = /^gatehouse_nodejs_heap_size_used_bytes (\S+)$/m.exec(res.body)?.[1];
    if (heap === undefined) return { scrapeError: '/metrics without gatehouse_nodejs_heap_size_used_bytes' };
    const processes = [options.pid, ...workerPids].map(smapsOf);
    return { sample: { t, rssBytes, heapUsedBytes: Number(heap), workerPids, processes } };
  } catch (error) {
    return { scrapeError: `/metrics ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}
