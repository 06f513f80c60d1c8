/**
 * The companion app: enrollment from `#enroll=<token>`, the offline TOTP code with its 10-segment
 * ring, sign-in approvals from the live channel (EventSource on /events, signed in the query) and
 * from Web Push (the service worker), each answered with the device key. The contract with the
 * gateway is docs-level (push-api): every path, text and field here follows it.
 */
import * as core from './companion-core.js';
import { clearEnrollment, loadEnrollment, saveEnrollment } from './companion-store.js';
import { format, STRINGS } from './companion-strings.js';

const PUSH_SUBSCRIBE_TIMEOUT_MS = 5000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30000;

const locale = core.pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en']);
const t = (key, values) => format(STRINGS[locale][key] ?? STRINGS.en[key] ?? key, values);
// The app lives at {base}companion/; the API at {base}api/push/v1/.
const api = new URL('../api/push/v1/', location.href);
const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

let enrollment;
let offset = 0;
let source;
let reconnectTimer;
let reconnectDelay = RECONNECT_MIN_MS;
const pending = new Map();
const answered = new Set();
// Approvals this phone answered with a wrong number: if the gateway then closes one, that is why.
const wrongNumbers = new Set();
let shownApproval;
let code = { counter: -1, text: '' };
// With the app lock, the code shows only after the phone's lock was confirmed, until the app is hidden.
let codeUnlocked = false;

const now = () => Date.now() + offset;

function learnTime(data) {
  if (data && typeof data.serverTime === 'number' && Number.isFinite(data.serverTime)) useOffset(core.clockOffset(data.serverTime, Date.now()));
}

function useOffset(value) {
  offset = value;
  const warning = $('clock-warning');
  warning.hidden = !core.isClockWrong(offset);
  warning.textContent = t('clockWarning', { minutes: Math.round(Math.abs(offset) / 60000) });
  // Kept with the enrollment, so offline codes still use the last offset learned.
  if (enrollment && Math.abs((enrollment.offset ?? 0) - offset) > 1000) {
    enrollment.offset = offset;
    saveEnrollment(enrollment).catch(() => undefined);
  }
}

/** The server's time from the one unauthenticated call: signed requests need the offset first (|t − now| ≤ 60 s). */
async function syncClock() {
  try {
    learnTime(await readJson(await fetch(new URL('config', api), { cache: 'no-store' })));
  } catch {
    // Offline: the signature may still be within the server's window; the channel retries.
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

function sign(text) {
  return crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, enrollment.keys.privateKey, encoder.encode(text)).then(core.encodeBase64Url);
}

async function signRequest(record, method, path, bodyText) {
  const time = Math.round(now());
  const bodyHash = await core.sha256Base64Url(bodyText);
  const text = core.deviceRequestText({ method, path, t: time, bodyHash });
  const sig = core.encodeBase64Url(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, record.keys.privateKey, encoder.encode(text)));
  return { id: record.deviceId, t: time, sig };
}

/** A device-authenticated call; `record` defaults to the current enrollment. */
async function deviceFetch(method, relative, body, record = enrollment) {
  const url = new URL(relative, api);
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = { authorization: core.authorizationHeader(await signRequest(record, method, url.pathname, text)) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : text, cache: 'no-store' });
  const data = await readJson(response);
  learnTime(data);
  return { status: response.status, data };
}

function show(screen) {
  for (const section of document.querySelectorAll('main > .screen')) section.hidden = section.id !== `screen-${screen}`;
}

function notice(text) {
  const box = $('notice');
  box.textContent = text ?? '';
  box.hidden = !text;
}

// ---- enrollment ----------------------------------------------------------------------------

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
}

/** A Web Push subscription, or null: no push service answers on many networks, so give up after 5 s. */
async function trySubscribe(vapidPublicKey, permission) {
  if (!vapidPublicKey || !('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  const attempt = (async () => {
    if ((await permission) !== 'granted') return null;
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: core.decodeBase64Url(vapidPublicKey) });
    const json = subscription.toJSON();
    const strip = (s) => String(s ?? '').replace(/=+$/, '');
    return { endpoint: json.endpoint, keys: { p256dh: strip(json.keys?.p256dh), auth: strip(json.keys?.auth) } };
  })().catch(() => null);
  return withTimeout(attempt, PUSH_SUBSCRIBE_TIMEOUT_MS);
}

// ---- app lock (WebAuthn with user verification) ------------------------------------------------

function toBase64Url(buffer) {
  return core.encodeBase64Url(new Uint8Array(buffer));
}

/** Whether this phone has a fingerprint, face or screen lock WebAuthn can use. */
async function hasPlatformLock() {
  try {
    return typeof PublicKeyCredential !== 'undefined' && (await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable());
  } catch {
    return false;
  }
}

/** The app lock's credential for an enrollment link: { appLock (JSON for the gateway), lock (kept on the phone) }, or a reason. */
async function createAppLock(token) {
  const response = await fetch(new URL('enroll/app-lock', api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    cache: 'no-store',
  });
  const data = await readJson(response);
  if (response.status === 410) return { status: 410 };
  if (response.status !== 200 || !data.options) return { status: response.status };
  const o = data.options;
  let credential;
  try {
    credential = await navigator.credentials.create({
      publicKey: {
        ...o,
        challenge: core.decodeBase64Url(o.challenge),
        user: { ...o.user, id: core.decodeBase64Url(o.user.id) },
      },
    });
  } catch {
    return { status: 'cancelled' };
  }
  if (!credential) return { status: 'cancelled' };
  const r = credential.response;
  return {
    appLock: {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64Url(r.clientDataJSON),
        attestationObject: toBase64Url(r.attestationObject),
        transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    },
    lock: { credentialId: credential.id, rpId: o.rp.id },
  };
}

/** Asks the phone's lock (user verification) for `challenge` (bytes); the assertion as JSON, or null if not confirmed. */
async function confirmAppLock(challenge) {
  const lock = enrollment.appLock;
  let credential;
  try {
    credential = await navigator.credentials.get({
      publicKey: {
        challenge,
        rpId: lock.rpId,
        allowCredentials: [{ type: 'public-key', id: core.decodeBase64Url(lock.credentialId) }],
        userVerification: 'required',
        timeout: 60000,
      },
    });
  } catch {
    return null;
  }
  if (!credential) return null;
  const r = credential.response;
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64Url(r.clientDataJSON),
      authenticatorData: toBase64Url(r.authenticatorData),
      signature: toBase64Url(r.signature),
      ...(r.userHandle ? { userHandle: toBase64Url(r.userHandle) } : {}),
    },
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  };
}

/** "Unlock to show the code": a local check only (the gateway never sees a code's proof), so the UV flag is read here. */
async function unlockCode() {
  const assertion = await confirmAppLock(crypto.getRandomValues(new Uint8Array(32)));
  const flags = assertion ? core.decodeBase64Url(assertion.response.authenticatorData)[32] : 0;
  // Bit 2: user verified.
  if (!assertion || (flags & 0x04) === 0) return notice(t('appLockRefused'));
  notice('');
  codeUnlocked = true;
  code = { counter: -1, text: '' };
  tick();
}

async function enroll(token, name, permission) {
  const configResponse = await fetch(new URL('config', api), { cache: 'no-store' });
  const config = await readJson(configResponse);
  learnTime(config);
  let lock = null;
  let appLock;
  if (config.appLock) {
    // Without a platform authenticator there is nothing to set up: say so and stop (the link stays valid).
    if (!(await hasPlatformLock())) return { ok: false, status: 'no-lock' };
    const made = await createAppLock(token);
    if (!made.appLock) return { ok: false, status: made.status };
    appLock = made.appLock;
    lock = made.lock;
  }
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const publicKey = core.encodeBase64Url(await crypto.subtle.exportKey('spki', keys.publicKey));
  const subscription = await trySubscribe(config.vapidPublicKey ?? null, permission);
  const response = await fetch(new URL('enroll', api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, publicKey, name, subscription, ...(appLock ? { appLock } : {}) }),
    cache: 'no-store',
  });
  const data = await readJson(response);
  learnTime(data);
  if (response.status !== 201) return { ok: false, status: response.status };
  const previous = enrollment;
  const record = { deviceId: data.deviceId, username: data.username, portal: data.portal, name, totp: data.totp, keys, push: subscription !== null, offset, appLock: lock };
  // Re-enrolling replaces: the old registration removes itself (best effort) before it is forgotten.
  if (previous?.deviceId && previous.deviceId !== record.deviceId) await deviceFetch('DELETE', 'device', undefined, previous).catch(() => undefined);
  await saveEnrollment(record);
  enrollment = record;
  return { ok: true, push: record.push };
}

function showEnroll(token) {
  show('enroll');
  $('enroll-replaces').hidden = !enrollment;
  fetch(new URL('config', api), { cache: 'no-store' })
    .then(readJson)
    .then((config) => {
      $('enroll-app-lock').hidden = !config.appLock;
    })
    .catch(() => undefined);
  const nameField = $('device-name');
  if (!nameField.value) nameField.value = t('deviceNameDefault');
  const form = $('enroll-form');
  form.onsubmit = async (event) => {
    event.preventDefault();
    // Asked at once, inside the tap: some browsers allow the prompt only from a user gesture.
    const permission = 'Notification' in window ? Notification.requestPermission().catch(() => 'denied') : Promise.resolve('denied');
    const name = nameField.value.trim();
    const error = $('enroll-error');
    if (name.length < 1 || name.length > 64) {
      error.textContent = t('enrollFailed');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    const submit = $('enroll-submit');
    submit.disabled = true;
    submit.textContent = t('enrolling');
    try {
      const result = await enroll(token, name, permission);
      if (result.ok) {
        history.replaceState(null, '', location.pathname);
        notice(result.push ? '' : t('enrollNoPush'));
        startHome();
      } else if (result.status === 410) {
        history.replaceState(null, '', location.pathname);
        show('enroll-expired');
      } else if (result.status === 'no-lock' || result.status === 'cancelled') {
        error.textContent = t(result.status === 'no-lock' ? 'appLockUnavailable' : 'appLockCancelled');
        error.hidden = false;
      } else {
        error.textContent = t('enrollFailed');
        error.hidden = false;
      }
    } catch {
      error.textContent = t('enrollNetwork');
      error.hidden = false;
    } finally {
      submit.disabled = false;
      submit.textContent = t('enrollSubmit');
    }
  };
}

// ---- home: code, ring, live channel -------------------------------------------------------------

function drawRing() {
  const ring = $('ring');
  const ns = 'http://www.w3.org/2000/svg';
  ring.replaceChildren();
  for (let i = 0; i < core.RING_SEGMENTS; i++) {
    const from = ((i * 36 + 2 - 90) * Math.PI) / 180;
    const to = (((i + 1) * 36 - 2 - 90) * Math.PI) / 180;
    const point = (a) => `${(50 + 42 * Math.cos(a)).toFixed(2)} ${(50 + 42 * Math.sin(a)).toFixed(2)}`;
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', `M ${point(from)} A 42 42 0 0 1 ${point(to)}`);
    path.setAttribute('class', 'segment');
    ring.append(path);
  }
}

async function tick() {
  if (!enrollment) return;
  const time = now();
  const { period, digits, algorithm } = enrollment.totp;
  const counter = core.totpCounter(time, period);
  const locked = Boolean(enrollment.appLock) && !codeUnlocked;
  $('show-code').hidden = !locked;
  if (locked) {
    code = { counter: -1, text: '' };
    $('totp-code').textContent = '••• •••';
    delete $('totp-code').dataset.code;
  } else if (counter !== code.counter) {
    code = { counter, text: await core.generateTotp(core.decodeBase32(enrollment.totp.secret), time, { period, digits, algorithm }) };
    const half = Math.ceil(code.text.length / 2);
    $('totp-code').textContent = `${code.text.slice(0, half)} ${code.text.slice(half)}`;
    $('totp-code').dataset.code = code.text;
  }
  const lit = core.litSegments(time, period);
  $('ring')
    .querySelectorAll('.segment')
    .forEach((segment, i) => segment.classList.toggle('lit', i < lit));
  $('ring').dataset.lit = String(lit);
  $('totp-seconds').textContent = t('secondsLeft', { seconds: Math.ceil(core.msRemaining(time, period) / 1000) });
  if (shownApproval) {
    const seconds = Math.max(0, Math.ceil((shownApproval.expiresAt - time) / 1000));
    $('approval-expires').textContent = t('approvalExpires', { seconds });
  }
}

function setLive(state) {
  const text = { connected: 'liveConnected', connecting: 'liveConnecting', offline: 'liveOffline' }[state];
  $('live-status').textContent = t(text);
  $('live-status').dataset.state = state;
}

function parseData(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return undefined;
  }
}

/** The live channel. Each connection signs afresh (the server refuses a signature twice), so reconnecting is ours, not EventSource's. */
async function connectLive() {
  clearTimeout(reconnectTimer);
  source?.close();
  if (!enrollment) return;
  setLive('connecting');
  await syncClock();
  const url = new URL('events', api);
  let query;
  try {
    query = core.signedQuery(await signRequest(enrollment, 'GET', url.pathname, ''));
  } catch {
    return scheduleReconnect();
  }
  const stream = new EventSource(url.href + query);
  source = stream;
  stream.onopen = () => {
    reconnectDelay = RECONNECT_MIN_MS;
    setLive('connected');
    refreshPending();
  };
  stream.addEventListener('time', (event) => learnTime(parseData(event)));
  stream.addEventListener('approval', (event) => addApproval(parseData(event)));
  stream.addEventListener('closed', (event) => closeApproval(parseData(event)?.approvalId));
  stream.onerror = () => {
    if (source !== stream) return;
    stream.close();
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  setLive('offline');
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connectLive, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
}

function isApproval(a) {
  return a && typeof a.approvalId === 'string' && typeof a.expiresAt === 'number';
}

function addApproval(approval) {
  if (!isApproval(approval) || answered.has(approval.approvalId)) return;
  pending.set(approval.approvalId, approval);
  renderPending();
  // The newest request takes the screen (the others stay in the list on the home screen).
  showApproval(approval);
}

function closeApproval(approvalId) {
  if (typeof approvalId !== 'string') return;
  pending.delete(approvalId);
  renderPending();
  if (shownApproval?.approvalId !== approvalId || answered.has(approvalId)) return;
  if (wrongNumbers.has(approvalId)) finishApproval(t('wrongNumberClosed'), 'error');
  else finishApproval(t('closedElsewhere'), 'info');
}

async function refreshPending(wanted) {
  if (!enrollment) return;
  let result;
  try {
    result = await deviceFetch('GET', 'pending');
  } catch {
    return;
  }
  if (result.status !== 200 || !Array.isArray(result.data.approvals)) return;
  pending.clear();
  for (const approval of result.data.approvals) if (isApproval(approval) && !answered.has(approval.approvalId)) pending.set(approval.approvalId, approval);
  renderPending();
  if (wanted) {
    const approval = pending.get(wanted);
    if (approval) showApproval(approval);
    else notice(t('approvalGone'));
  } else if (!shownApproval && pending.size > 0) {
    showApproval([...pending.values()].sort((a, b) => b.requestedAt - a.requestedAt)[0]);
  }
}

function describeDevice(a) {
  return [a.browser, a.os].filter((s) => typeof s === 'string' && s).join(' · ') || '—';
}

function renderPending() {
  const list = $('pending-list');
  list.replaceChildren();
  for (const approval of pending.values()) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'pending-item';
    button.textContent = `${approval.site} — ${describeDevice(approval)}`;
    button.onclick = () => showApproval(approval);
    item.append(button);
    list.append(item);
  }
  $('no-pending').hidden = pending.size > 0;
}

// ---- approval --------------------------------------------------------------------------------

function showApproval(approval) {
  // The same request again (the live channel, a push and a tap on its notification can each
  // bring it) leaves the screen as it is: the number being typed, a result, an answer on its way.
  const again = shownApproval?.approvalId === approval.approvalId && !$('screen-approval').hidden;
  shownApproval = approval;
  $('screen-approval').dataset.approvalId = approval.approvalId;
  const when = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  $('approval-site').textContent = approval.site ?? '—';
  $('approval-time').textContent = when.format(new Date(approval.requestedAt));
  $('approval-device').textContent = describeDevice(approval);
  $('approval-ip').textContent = approval.ip ?? '—';
  if (again) return tick();
  $('approval-number').value = '';
  $('approval-result').hidden = true;
  $('approval-form').hidden = false;
  setAnswerButtons(false);
  notice('');
  show('approval');
  $('approval-number').focus();
  tick();
}

function setAnswerButtons(disabled) {
  for (const id of ['approve', 'deny', 'not-me']) $(id).disabled = disabled;
}

function showResult(text, kind) {
  const box = $('approval-result');
  box.textContent = text;
  box.className = `banner ${kind}`;
  box.dataset.kind = kind;
  box.hidden = false;
}

function finishApproval(text, kind) {
  showResult(text, kind);
  $('approval-form').hidden = true;
}

const RESULT_TEXTS = { approved: 'approved', denied: 'denied', reported: 'reported' };

async function answer(decision) {
  const approval = shownApproval;
  if (!approval) return;
  let number = '';
  if (decision === 'approve') {
    number = core.normalizeNumber($('approval-number').value);
    if (!number) return showResult(t('numberFormat'), 'error');
  }
  setAnswerButtons(true);
  $('approval-result').hidden = true;
  try {
    const time = Math.round(now());
    const text = core.answerText({ approvalId: approval.approvalId, decision, number, time });
    const signature = await sign(text);
    // The app lock guards approving only (deny and "This wasn't me" can only refuse).
    let appLock;
    if (decision === 'approve' && enrollment.appLock) {
      appLock = await confirmAppLock(core.decodeBase64Url(await core.appLockChallenge(text)));
      if (!appLock) return showResult(t('appLockRefused'), 'error');
    }
    const response = await fetch(new URL(`approvals/${encodeURIComponent(approval.approvalId)}`, api), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: enrollment.deviceId, decision, number, time, signature, ...(appLock ? { appLock } : {}) }),
      cache: 'no-store',
    });
    const data = await readJson(response);
    learnTime(data);
    if (response.status === 200 && RESULT_TEXTS[data.result]) {
      answered.add(approval.approvalId);
      pending.delete(approval.approvalId);
      renderPending();
      return finishApproval(t(RESULT_TEXTS[data.result]), data.result === 'approved' ? 'ok' : 'info');
    }
    if (response.status === 409) {
      wrongNumbers.add(approval.approvalId);
      // Closed meanwhile (the last wrong number refused it): say so rather than ask again.
      if (!pending.has(approval.approvalId)) return finishApproval(t('wrongNumberClosed'), 'error');
      showResult(t('wrongNumber'), 'error');
      $('approval-number').value = '';
      $('approval-number').focus();
      return;
    }
    if (response.status === 403 && data.error === 'app_lock_required') return finishApproval(t('appLockReenroll'), 'error');
    if (response.status === 401 && data.error === 'app_lock_refused') return showResult(t('appLockRefused'), 'error');
    if (response.status === 410 || response.status === 423) {
      pending.delete(approval.approvalId);
      renderPending();
      return finishApproval(t(response.status === 410 ? 'expired' : 'locked'), 'error');
    }
    showResult(t('answerFailed'), 'error');
  } catch {
    showResult(t('answerFailed'), 'error');
  } finally {
    setAnswerButtons(false);
  }
}

function wireApproval() {
  $('approval-form').onsubmit = (event) => {
    event.preventDefault();
    answer('approve');
  };
  $('deny').onclick = () => answer('deny');
  $('not-me').onclick = () => answer('not_me');
  $('approval-back').onclick = () => {
    shownApproval = undefined;
    history.replaceState(null, '', location.pathname);
    show('home');
  };
}

// ---- start -----------------------------------------------------------------------------------

function startHome() {
  show('home');
  $('account').textContent = t('homeAccount', { username: enrollment.username, portal: enrollment.portal });
  code = { counter: -1, text: '' };
  tick();
  connectLive();
}

async function removeDevice() {
  if (!enrollment || !confirm(t('removeConfirm'))) return;
  const result = await deviceFetch('DELETE', 'device').catch(() => undefined);
  if (!result || (result.status !== 204 && result.status !== 401)) return notice(t('answerFailed'));
  source?.close();
  clearTimeout(reconnectTimer);
  await clearEnrollment();
  enrollment = undefined;
  notice(t('removed'));
  show('not-enrolled');
}

async function route() {
  const target = core.parseHash(location.hash);
  if (target.kind === 'enroll') return showEnroll(target.token);
  if (!enrollment) return show('not-enrolled');
  if ($('screen-home').hidden && $('screen-approval').hidden) startHome();
  if (target.kind === 'approval') await refreshPending(target.approvalId);
}

function listenToServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  // The worker is only for notifications; the page works without it.
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => undefined);
  navigator.serviceWorker.addEventListener('message', (event) => {
    const data = event.data;
    if (!enrollment) return;
    if (data?.type === 'approval' && isApproval(data.approval)) {
      addApproval(data.approval);
      refreshPending();
    } else if (data?.type === 'open-approval' && typeof data.approvalId === 'string') {
      refreshPending(data.approvalId);
    }
  });
}

async function main() {
  document.documentElement.lang = locale;
  document.title = t('title');
  for (const element of document.querySelectorAll('[data-text]')) element.textContent = t(element.dataset.text);
  drawRing();
  wireApproval();
  $('remove-device').onclick = removeDevice;
  $('show-code').onclick = unlockCode;
  listenToServiceWorker();
  enrollment = await loadEnrollment().catch(() => undefined);
  if (enrollment) useOffset(enrollment.offset ?? 0);
  setInterval(tick, 250);
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => enrollment && connectLive());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') codeUnlocked = false;
    if (document.visibilityState === 'visible' && enrollment) refreshPending();
  });
  await route();
  document.body.dataset.ready = 'true';
}

main();
