import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCore, type CorePlan } from './cores.js';

const SCRIPT = fileURLToPath(new URL('wrk-script.lua', import.meta.url));
const PACED = fileURLToPath(new URL('wrk-paced.lua', import.meta.url));

export interface WrkRun {
  /** Completed responses. */
  requests: number;
  durationS: number;
  rps: number;
  /** Responses with a status outside 200–299 (wrk's own count covers only ≥ 400). */
  non2xx: number;
  /** Socket errors and timeouts: requests that got no response at all. */
  socketErrors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface WrkOptions {
  port: number;
  host: string;
  path: string;
  headers?: Record<string, string>;
  /** A file of Cookie header values, one per line: each request takes the next. */
  cookiesFile?: string;
  durationS: number;
  connections: number;
  /** Requests per second for a fixed-rate run; absent: as fast as the server answers. */
  rate?: number;
}

/**
 * wrk on the load core, one thread, keep-alive connections. A fixed-rate run appends
 * wrk-paced.lua (wrk decides when it loads a script whether it paces) to the base script.
 */
export async function runWrk(plan: CorePlan, tmpDir: string, options: WrkOptions): Promise<WrkRun> {
  let script = SCRIPT;
  if (options.rate !== undefined) {
    script = join(tmpDir, 'wrk-paced-run.lua');
    writeFileSync(script, `${readFileSync(SCRIPT, 'utf8')}\n${readFileSync(PACED, 'utf8')}`);
  }
  const scriptArgs = [`host=${options.host}`, `path=${options.path}`, 'threads=1'];
  if (options.cookiesFile) scriptArgs.push(`cookies=${options.cookiesFile}`);
  if (options.rate !== undefined) scriptArgs.push(`rate=${Math.round(options.rate)}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) scriptArgs.push(`header=${name}:${value}`);
  const wrkArgs = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    '--timeout',
    '10s',
    '-s',
    script,
    `http://127.0.0.1:${options.port}${options.path}`,
    '--',
    ...scriptArgs,
  ];
  const [file, args] = onCore(plan, plan.loadCore, '/usr/bin/wrk', wrkArgs);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}:\n${text}`))));
  });
  const line = /^WRK_JSON (.*)$/m.exec(output)?.[1];
  if (!line) throw new Error(`wrk printed no result:\n${output}`);
  const raw = JSON.parse(line) as {
    requests: number;
    duration_us: number;
    non2xx: number;
    errors: { connect: number; read: number; write: number; timeout: number };
    latency_us: { p50: number; p90: number; p99: number; p999: number; max: number };
  };
  const durationS = raw.duration_us / 1e6;
  const ms = (us: number) => us / 1000;
  return {
    requests: raw.requests,
    durationS,
    rps: raw.requests / durationS,
    non2xx: raw.non2xx,
    socketErrors: raw.errors.connect + raw.errors.read + raw.errors.write + raw.errors.timeout,
    p50Ms: ms(raw.latency_us.p50),
    p90Ms: ms(raw.latency_us.p90),
    p99Ms: ms(raw.latency_us.p99),
    p999Ms: ms(raw.latency_us.p999),
    maxMs: ms(raw.latency_us.max),
  };
}
