// Scenario H: node:http in front of an undici Pool, nothing else (no session, no policy, no
// header hygiene): the most any Node.js proxy can do on this core, for reading D against.
// argv: PORT UPSTREAM_PORT
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${upstream}`, { connections: null, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

createServer((req, res) => {
  pool.dispatch(
    { path: req.url, method: req.method, headers: { host: req.headers.host, cookie: req.headers.cookie } },
    {
      onConnect() {},
      onHeaders(status, raw) {
        const headers = {};
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString().toLowerCase();
          if (!HOP.has(name)) headers[name] = raw[i + 1].toString();
        }
        res.writeHead(status, headers);
        return true;
      },
      onData: (chunk) => res.write(chunk),
      onComplete: () => res.end(),
      onError: (error) => res.destroy(error),
    },
  );
}).listen(port, '127.0.0.1');
