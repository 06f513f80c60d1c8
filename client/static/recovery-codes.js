// The recovery-codes page: copy, download (a .txt) and print, shown only when this script runs.
// The text is read from the page itself (heading, account, codes); messages come translated
// from data attributes. Text only, no markup.

/** The codes as a text file: what they are, whose, then one code a line. */
export function codesText({ title, account, codes }) {
  const lines = [title];
  if (account) lines.push(account);
  lines.push('', ...codes.map((code, i) => `${String(i + 1).padStart(2, ' ')}. ${code}`), '');
  return lines.join('\n');
}

const root = typeof document === 'undefined' ? null : document.getElementById('recovery-actions');

if (root) {
  const status = document.getElementById('recovery-status');
  const say = (text) => {
    if (status) status.textContent = text || '';
  };
  const text = () =>
    codesText({
      title: document.getElementById('page-heading')?.textContent?.trim() ?? '',
      account: document.getElementById('recovery-account')?.textContent?.trim() ?? '',
      codes: [...document.querySelectorAll('ol.codes code')].map((code) => code.textContent.trim()),
    });

  document.getElementById('recovery-copy')?.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      say(root.dataset.copied);
    } catch {
      say(root.dataset.copyFailed);
    }
  });

  document.getElementById('recovery-download')?.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([text()], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = root.dataset.fileName || 'recovery-codes.txt';
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    // The download has its own copy of the data by the time the click returns; give it a moment anyway.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(root.dataset.downloaded);
  });

  document.getElementById('recovery-print')?.addEventListener('click', () => window.print());

  // Clipboard access needs a secure context; without it the button would only ever fail.
  if (!window.isSecureContext || !navigator.clipboard) document.getElementById('recovery-copy')?.remove();
  root.hidden = false;
}
