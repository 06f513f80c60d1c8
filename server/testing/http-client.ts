import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A raw HTTP request with full control of the Host header, the source address and duplicate
 * headers (fetch forbids all three).
 */
export function send(options: {
  port: number;
  method?: string;
  path: string;
  host?: string;
  headers?: OutgoingHttpHeaders | [string, string][];
  body?: string | Buffer;
  localAddress?: string;
}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders | string[] = Array.isArray(options.headers)
      ? [...(options.host !== undefined ? ['host', options.host] : []), ...options.headers.flat()]
      : { ...(options.host !== undefined ? { host: options.host } : {}), ...options.headers };
    const req = httpRequest(
      { host: '127.0.0.1', port: options.port, method: options.method ?? 'GET', path: options.path, headers, localAddress: options.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The value of one cookie from a response's Set-Cookie headers. */
export function cookieFrom(response: TestResponse, name: string): string | undefined {
  for (const line of response.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq).trim() === name) return pair!.slice(eq + 1);
  }
  return undefined;
}

export function setCookieLine(response: TestResponse, name: string): string | undefined {
  return (response.headers['set-cookie'] ?? []).find((line) => line.startsWith(`${name}=`));
}

/** The hidden CSRF token of the first form on a page. */
export function csrfFieldOf(html: string): string | undefined {
  return /name="csrf"\s+value="([^"]+)"/.exec(html)?.[1] ?? /value="([^"]+)"\s+name="csrf"/.exec(html)?.[1];
}
