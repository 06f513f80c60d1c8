// A code on its way (the sent-code page while "sending…"): asks every two seconds how its
// delivery stands and, once it is known, shows the page again (GET) — "sent", or "could not send —
// use another method". Not while the user is typing a code: it may already have arrived.
const status = document.getElementById('sent-code-status');

if (status?.dataset.statusUrl && status.dataset.pageUrl) {
  const { statusUrl, pageUrl } = status.dataset;
  const field = document.getElementById('code');
  const deadline = Date.now() + 120_000;
  const timer = setInterval(async () => {
    if (Date.now() > deadline) return clearInterval(timer);
    try {
      const response = await fetch(statusUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!response.ok) return clearInterval(timer);
      const { delivery } = await response.json();
      if (delivery === 'sending') return;
      clearInterval(timer);
      if (delivery === 'failed' || !field || field.value === '') window.location.assign(pageUrl);
    } catch {
      // The network blinked: ask again at the next tick.
    }
  }, 2000);
}
