import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { chooseEncoding, type ContentCoding } from './content-encoding.js';
import type { StaticFile } from './portal-assets.js';

/** A static file from memory, in the coding the request accepts among its precompressed copies. */
export function sendStaticFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const available: ContentCoding[] = [];
  if (file.br) available.push('br');
  if (file.gzip) available.push('gzip');
  const coding = chooseEncoding(req.headers['accept-encoding'], available);
  const body = coding === 'br' ? file.br! : coding === 'gzip' ? file.gzip! : file.body;
  const headers: OutgoingHttpHeaders = {
    'content-type': file.type,
    'content-length': body.length,
    'cache-control': file.cacheControl,
    'x-content-type-options': 'nosniff',
  };
  if (available.length > 0) headers.vary = 'Accept-Encoding';
  if (coding) headers['content-encoding'] = coding;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
