import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Every byte clients sent towards the target, in order. */
  sent(): Buffer;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A loopback TCP proxy that records what clients send: to check what crosses the wire. */
export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return listen(server, (port) => ({
    port,
    sent: () => Buffer.concat(chunks),
    get connections() {
      return connections;
    },
    close: () => closeServer(server, sockets),
  }));
}

export interface SilentServer {
  port: number;
  /** Connections accepted (and never answered). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never answers: a hung server, or a firewall that swallows. */
export function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
  });
  return listen(server, (port) => ({
    port,
    get connections() {
      return connections;
    },
    close: () => closeServer(server, sockets),
  }));
}

function listen<T>(server: Server, make: (port: number) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(make(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
