/**
 * An SVG QR code of `text` (an otpauth:// URI), to embed as
 * `<img src="data:image/svg+xml;base64,…">` (CSP img-src allows data:). Error correction M
 * and the standard 4-module quiet zone, which phone cameras read best from a screen; no
 * width is set, so the page sizes it. The same text always gives the same SVG. The encoder is
 * loaded with the first code: only enrollment needs it, not the gateway's every request.
 */
export async function qrCodeSvg(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000ff', light: '#ffffffff' } });
}
