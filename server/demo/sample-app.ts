import { createServer, type Server } from 'node:http';

const SHOWN = ['remote-user', 'remote-name', 'remote-email', 'remote-groups', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id'];

/**
 * The demo's protected application: a page that shows the identity headers it received from
 * the gateway, so a newcomer sees what their own app would get.
 */
export function createSampleApp(options: { portalUrl: string }): Server {
  return createServer((req, res) => {
    const rows = SHOWN.map((name) => {
      const raw = req.headers[name];
      const value = name === 'remote-name' && typeof raw === 'string' ? Buffer.from(raw, 'latin1').toString('utf8') : raw;
      return `<tr><th scope="row">${escape(name)}</th><td>${escape(value === undefined ? '(not sent)' : String(value))}</td></tr>`;
    }).join('');
    const user = req.headers['remote-user'];
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sample app</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem">
<h1>Sample app behind Gatehouse</h1>
<p>${user ? `Signed in as <strong id="remote-user">${escape(String(user))}</strong>.` : 'This page is public: no identity was sent.'}</p>
<p>Path: <code>${escape(req.url ?? '')}</code></p>
<table>${rows}</table>
<p><a href="/">Home</a> · <a href="/public/">Public page</a> · <a href="/admin/">Admins only</a> · <a href="/secure/">Second factor needed</a> · <a href="${escape(options.portalUrl)}methods">My sign-in methods</a> · <a href="${escape(options.portalUrl)}logout">Sign out</a></p>
</body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
