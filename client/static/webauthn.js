/**
 * Passkeys and security keys on the portal's pages. The page says what to do in data-* attributes
 * of its one [data-webauthn] element (client/views/webauthn-data.ts): the ceremony
 * ('passwordless', 'second-factor' or 'register'), data-base-path, data-csrf, data-rd and
 * data-messages (translated texts by error code). Hooks are ids: #webauthn-start, #webauthn-alert,
 * #webauthn-register, #webauthn-name, #webauthn-fallback.
 *
 * The block is rendered hidden and shown here only once WebAuthn is known to work in this
 * browser; if this module or the library fails to load, the page stays as it works without it.
 */
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { createCeremonies, messageFor } from './webauthn-ceremonies.js';

// An autofill request that failed on the server (an expired challenge, say) is offered again, this many times.
const AUTOFILL_RETRIES = 3;

const root = document.querySelector('[data-webauthn]');
if (root instanceof HTMLElement && browserSupportsWebAuthn()) wire(root);

function wire(root) {
  const { webauthn: ceremony, basePath = '/', rd } = root.dataset;
  const csrfToken = root.dataset.csrf ?? document.querySelector('input[name="csrf"]')?.value ?? '';
  const messages = parseMessages(root.dataset.messages);
  const ceremonies = createCeremonies({
    fetch: (url, init) => window.fetch(url, init),
    basePath,
    csrfToken,
    startRegistration,
    startAuthentication,
  });
  const button = document.getElementById('webauthn-start');
  if (!(button instanceof HTMLButtonElement)) return;
  let busy = false;
  let autofillRetries = AUTOFILL_RETRIES;

  const setBusy = (value) => {
    busy = value;
    // aria-disabled rather than disabled: the button keeps focus for the next try.
    if (value) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
  };

  const fail = (code) => {
    setBusy(false);
    if (code !== 'aborted') showAlert(messageFor(code, messages));
  };

  async function autofill() {
    if (!(await browserSupportsWebAuthnAutofill())) return;
    const result = await ceremonies.authenticate({ mode: 'passwordless', rd, autofill: true });
    if (result.ok) return leave(result.redirect);
    // Aborted: the button took over and starts autofill again when it is done. Cancelled: the
    // browser gave up (no passkey here); asking again at once would only repeat that.
    if (result.code === 'aborted' || result.code === 'cancelled' || busy) return;
    showAlert(messageFor(result.code, messages));
    if (autofillRetries-- > 0) void autofill();
  }

  if (ceremony === 'register') {
    const form = document.getElementById('webauthn-register');
    const name = document.getElementById('webauthn-name');
    if (!(form instanceof HTMLFormElement) || !(name instanceof HTMLInputElement)) return;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      if (name.value.trim() === '') {
        name.value = '';
        form.reportValidity();
        return;
      }
      setBusy(true);
      clearAlert();
      const result = await ceremonies.register(name.value.trim());
      if (result.ok) leave(result.redirect);
      else fail(result.code);
    });
  } else if (ceremony === 'passwordless' || ceremony === 'second-factor') {
    button.addEventListener('click', async () => {
      if (busy) return;
      setBusy(true);
      clearAlert();
      const result = await ceremonies.authenticate({ mode: ceremony, rd });
      if (result.ok) return leave(result.redirect);
      fail(result.code);
      if (ceremony === 'passwordless') void autofill();
    });
    if (ceremony === 'passwordless') void autofill();
  } else {
    return;
  }

  root.hidden = false;
  // Among the other ways to sign in, its list item waits hidden too.
  const item = root.closest('li[hidden]');
  if (item instanceof HTMLElement) item.hidden = false;
  const fallback = document.getElementById('webauthn-fallback');
  if (fallback) fallback.hidden = true;
  // Leading the page, the button takes the focus `autofocus` could not give it while hidden —
  // unless the user has moved it already.
  if (button.autofocus && (document.activeElement === null || document.activeElement === document.body)) button.focus();
}

function leave(redirect) {
  window.location.assign(redirect);
}

function parseMessages(text) {
  try {
    return JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
}

function clearAlert() {
  document.getElementById('webauthn-alert')?.replaceChildren();
}

/**
 * One alert on the page at a time: an alert the server rendered is about an earlier attempt, so
 * it goes, and fields stop pointing at it. A new element each time, so that the same text said
 * twice is announced twice.
 */
function showAlert(text) {
  const slot = document.getElementById('webauthn-alert');
  if (!slot) return;
  const stale = document.getElementById('form-error');
  if (stale && !slot.contains(stale)) {
    for (const field of document.querySelectorAll('[aria-describedby~="form-error"]')) {
      const rest = field
        .getAttribute('aria-describedby')
        .split(/\s+/)
        .filter((id) => id && id !== 'form-error');
      if (rest.length > 0) field.setAttribute('aria-describedby', rest.join(' '));
      else field.removeAttribute('aria-describedby');
      field.removeAttribute('aria-invalid');
    }
    stale.remove();
  }
  const alert = document.createElement('div');
  alert.id = 'form-error';
  alert.className = 'alert';
  alert.setAttribute('role', 'alert');
  const paragraph = document.createElement('p');
  paragraph.textContent = text;
  alert.append(paragraph);
  slot.replaceChildren(alert);
}
