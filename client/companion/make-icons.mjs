// Draws the companion's icons once (committed as PNG): node client/companion/make-icons.mjs client/companion/icons
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
const out = process.argv[2];
const BG = [0x1f, 0x3a, 0x5f], FG = [0xff, 0xff, 0xff], ACC = [0x7f, 0xd1, 0xae];
function crcTable() { const t = []; for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; } return t; }
const TABLE = crcTable();
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type, data) { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); }
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) { raw[y * (size * 4 + 1)] = 0; for (let x = 0; x < size; x++) { const p = pixel(x, y); p.forEach((v, i) => (raw[y * (size * 4 + 1) + 1 + x * 4 + i] = v)); } }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
const segDist = (px, py, ax, ay, bx, by) => { const dx = bx - ax, dy = by - ay; const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy))); return Math.hypot(px - ax - t * dx, py - ay - t * dy); };
// Shape in unit coords (−1..1); returns colour or null.
function shape(u, v) {
  const r = Math.hypot(u, v);
  if (r > 0.72 && r < 0.9) {
    const a = (Math.atan2(u, -v) * 180) / Math.PI + 360; // clockwise from the top
    const within = (a % 36);
    if (within > 3 && within < 33) return Math.floor((a % 360) / 36) < 7 ? FG : ACC;
  }
  const d = Math.min(segDist(u, v, -0.34, 0.02, -0.08, 0.28), segDist(u, v, -0.08, 0.28, 0.38, -0.24));
  if (d < 0.09) return FG;
  return null;
}
function icon(size, { maskable }) {
  const S = 4, scale = maskable ? 0.72 : 0.9, radius = maskable ? 0 : 0.22;
  return png(size, (x, y) => {
    let acc = [0, 0, 0, 0];
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const u0 = ((x + (i + 0.5) / S) / size) * 2 - 1, v0 = ((y + (j + 0.5) / S) / size) * 2 - 1;
      // rounded-square background (full bleed when maskable)
      const qx = Math.max(Math.abs(u0) - (1 - radius), 0), qy = Math.max(Math.abs(v0) - (1 - radius), 0);
      const inBg = radius === 0 || Math.hypot(qx, qy) <= radius;
      if (!inBg) continue;
      const c = shape(u0 / scale, v0 / scale) ?? BG;
      acc = [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2], acc[3] + 255];
    }
    const n = S * S; const a = acc[3] / n;
    return a === 0 ? [0, 0, 0, 0] : [acc[0] / (acc[3] / 255), acc[1] / (acc[3] / 255), acc[2] / (acc[3] / 255), a].map(Math.round);
  });
}
writeFileSync(`${out}/icon-192.png`, icon(192, { maskable: false }));
writeFileSync(`${out}/icon-512.png`, icon(512, { maskable: false }));
writeFileSync(`${out}/maskable-192.png`, icon(192, { maskable: true }));
writeFileSync(`${out}/maskable-512.png`, icon(512, { maskable: true }));
