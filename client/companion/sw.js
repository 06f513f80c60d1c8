/**
 * The companion's service worker: a Web Push message ({ type: 'approval', approval }) becomes a
 * notification; a tap on it opens (or focuses) the app at #approval=<id>. Open windows are told
 * at once, so an app in the foreground shows the request without waiting for the tap. The app
 * shell is cached so that the offline code opens without a network.
 */
const STRINGS = {
  en: { title: 'Sign-in request', body: '{site}: tap to approve or deny' },
  'zh-TW': { title: '登入要求', body: '{site}：點一下以核准或拒絕' },
};

function locale() {
  const tag = String(self.navigator?.language ?? 'en').toLowerCase();
  return tag === 'zh-tw' || tag === 'zh-hk' || tag === 'zh-mo' || tag.startsWith('zh-hant') ? 'zh-TW' : 'en';
}

function appUrl(approvalId) {
  return new URL(`./#approval=${encodeURIComponent(approvalId)}`, self.registration.scope).href;
}

// The app shell, so the offline code opens without a network. Network first: a new version
// reaches the phone as soon as it is online; the cache is only the fallback.
const CACHE = 'gatehouse-companion-v1';
const SHELL = [
  './',
  'app.js',
  'companion-core.js',
  'push-wire-format.js',
  'companion-store.js',
  'companion-strings.js',
  'companion.css',
  'manifest.webmanifest',
  'icons/icon.svg',
  'icons/icon-192.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new URL(path, self.registration.scope).href)))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Only the app's own files; the API (outside the scope) always goes to the network.
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith(
    (async () => {
      try {
        const response = await fetch(request);
        if (response.ok) {
          const copy = response.clone();
          caches
            .open(CACHE)
            .then((cache) => cache.put(request, copy))
            .catch(() => undefined);
        }
        return response;
      } catch (error) {
        const cached = await caches.match(request, { ignoreSearch: true });
        if (cached) return cached;
        throw error;
      }
    })(),
  );
});

self.addEventListener('push', (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : undefined;
  } catch {
    message = undefined;
  }
  const approval = message?.type === 'approval' ? message.approval : undefined;
  if (!approval || typeof approval.approvalId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(approval.approvalId)) return;
  const text = STRINGS[locale()];
  const site = typeof approval.site === 'string' ? approval.site.slice(0, 200) : '';
  event.waitUntil(
    (async () => {
      // Windows first: an open app shows the request even where notifications are not allowed.
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) client.postMessage({ type: 'approval', approval });
      await self.registration.showNotification(text.title, {
        body: text.body.replace('{site}', site),
        tag: `approval-${approval.approvalId}`,
        icon: new URL('icons/icon-192.png', self.registration.scope).href,
        badge: new URL('icons/icon-192.png', self.registration.scope).href,
        requireInteraction: true,
        data: { approvalId: approval.approvalId, expiresAt: approval.expiresAt },
      });
    })(),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const approvalId = event.notification.data?.approvalId;
  if (typeof approvalId !== 'string') return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => client.url.startsWith(self.registration.scope));
      if (open) {
        await open.focus().catch(() => undefined);
        open.postMessage({ type: 'open-approval', approvalId });
        return;
      }
      await self.clients.openWindow(appUrl(approvalId));
    })(),
  );
});
