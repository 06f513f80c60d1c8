import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface TunnelSeen {
  /** 'upgrade' for a request with an Upgrade header, 'tunnel' for one read after a 101. */
  kind: 'plain' | 'upgrade' | 'tunnel';
  method: string;
  path: string;
  /** Header names in lower case, values as sent; repeated names keep every value. */
  headers: [string, string][];
}

/**
 * The upstream an upgrade-smuggling attack needs: it answers 101 to any Upgrade (h2c, anything,
 * WebSocket without computing Sec-WebSocket-Accept), then reads plain HTTP/1.1 requests from the
 * switched connection and answers each, recording everything it read. That is what a generic
 * tunnel endpoint, a mis-set proxy or an h2c server falling back to HTTP/1.1 does.
 *
 * WebSocket upgrades to paths with a /ws-real/ segment get a real handshake (the right accept key), so
 * tests can show that a genuine WebSocket server still works through the gateway.
 */
export async function startTunnelUpstream(): Promise<{ port: number; seen: TunnelSeen[]; close(): Promise<void> }> {
  const seen: TunnelSeen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let switched = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        const [requestLine = '', ...lines] = head.split('\r\n');
        const [method = '', path = ''] = requestLine.split(' ');
        const headers = lines.map((line): [string, string] => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        });
        const length = Number(headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
        buffer = buffer.subarray(Math.min(length, buffer.length));
        const upgrade = headers.find(([name]) => name === 'upgrade')?.[1];
        seen.push({ kind: switched ? 'tunnel' : upgrade ? 'upgrade' : 'plain', method, path, headers });
        if (upgrade && !switched) {
          switched = true;
          const key = headers.find(([name]) => name === 'sec-websocket-key')?.[1] ?? '';
          const accept = path.includes('/ws-real/')
            ? `Sec-WebSocket-Accept: ${createHash('sha1')
                .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
                .digest('base64')}\r\n`
            : '';
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${upgrade}\r\nConnection: Upgrade\r\n${accept}\r\n`);
          continue;
        }
        const body = JSON.stringify({ kind: switched ? 'tunnel' : 'plain', path, headers });
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
