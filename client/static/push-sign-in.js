// The waiting page of "Approve on my phone": counts down, polls the approval's state every
// second, and submits the completion form once the phone approved it. Text only, no markup.
const root = document.getElementById('push-wait');
const form = document.getElementById('push-complete');

if (root && form) {
  const statusUrl = root.dataset.statusUrl;
  const countdown = document.getElementById('push-countdown');
  const deadline = Date.now() + Number(root.dataset.seconds || '0') * 1000;
  let done = false;

  const show = (id) => {
    const element = document.getElementById(id);
    if (element) element.hidden = false;
  };

  const finish = (state) => {
    done = true;
    clearInterval(timer);
    if (state === 'approved') {
      show('push-approved');
      form.submit();
      return;
    }
    form.hidden = true;
    show(state === 'denied' ? 'push-denied' : 'push-expired');
  };

  const tick = async () => {
    if (done) return;
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    if (countdown) countdown.textContent = String(left);
    try {
      const response = await fetch(statusUrl, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } });
      if (response.status === 404) return finish('expired');
      if (!response.ok) return;
      const { state } = await response.json();
      if (!done && state !== 'pending') finish(state);
    } catch {
      // A dropped request is tried again on the next tick; the countdown keeps going.
    }
  };

  const timer = setInterval(tick, 1000);
  void tick();
}
