// The audit log's live view: with "Follow new events" on, polls the filtered log every few
// seconds and puts new events at the top of the table. Text only (textContent), never markup
// from the server. Without this script the page is a plain, reloadable list.

const POLL_MS = 5000;

/** The row for one event, as the server draws it (console/audit-page.ts). */
export function eventRow(document, event) {
  const row = document.createElement('tr');
  row.dataset.id = String(event.id);
  row.className = 'console-new';
  const cell = (tag, label, text) => {
    const element = document.createElement(tag);
    if (tag === 'th') element.scope = 'row';
    if (label) element.dataset.label = label;
    element.textContent = text;
    row.append(element);
    return element;
  };
  const labels = [...document.querySelectorAll('#audit-table thead th')].map((th) => th.textContent);
  cell('th', null, event.atText);
  const kind = cell('td', labels[1], '');
  const code = document.createElement('code');
  code.textContent = event.kind;
  kind.append(code);
  if (event.reason) {
    const reason = document.createElement('span');
    reason.className = 'meta';
    // The reason's words when it has some (the raw code beside them, and in the title), else the text as recorded.
    if (event.reasonText) {
      reason.title = event.reason;
      const raw = document.createElement('code');
      raw.textContent = event.reason;
      reason.append(`${event.reasonText} `, raw);
    } else {
      reason.textContent = event.reason;
    }
    kind.append(' ', reason);
  }
  cell('td', labels[2], event.resultText);
  const subject = cell('td', labels[3], event.subject === null ? '—' : '');
  if (event.subject !== null && event.subjectHref) {
    const link = document.createElement('a');
    link.href = event.subjectHref;
    link.textContent = event.subject;
    subject.append(link);
  }
  cell('td', labels[4], event.actor ?? '—');
  cell('td', labels[5], event.clientIp ?? '—');
  cell('td', labels[6], event.site ?? '—');
  return row;
}

if (typeof document !== 'undefined') {
  const status = document.getElementById('audit-live-status');
  const toggle = document.getElementById('audit-live');
  const body = document.querySelector('#audit-table tbody');
  // Only on the first page: older pages are history, not a feed.
  if (status && toggle && body && !new URL(location.href).searchParams.has('before')) {
    toggle.closest('[data-audit-live-toggle]').hidden = false;
    let last = Number(status.dataset.latestId);
    let timer;
    const poll = async () => {
      try {
        const url = new URL(status.dataset.liveHref, location.href);
        url.searchParams.set('after', String(last));
        const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
        if (!response.ok) return;
        const answer = await response.json();
        last = answer.last;
        for (const event of answer.events) body.prepend(eventRow(document, event));
        if (answer.events.length > 0) status.textContent = status.dataset.newEvents.replace('{count}', String(answer.events.length));
      } finally {
        if (toggle.checked) timer = setTimeout(poll, POLL_MS);
      }
    };
    toggle.addEventListener('change', () => {
      clearTimeout(timer);
      if (toggle.checked) {
        status.textContent = status.dataset.following;
        poll();
      }
    });
  }
}
