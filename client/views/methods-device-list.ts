import { describeDeviceKind, describeDrift, type OtpDeviceKind } from './device-text.js';
import { renderDeviceActions, renderUsageRows } from './device-actions.js';
import { html, type SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

export interface MethodsPageDevice {
  id: string;
  kind: OtpDeviceKind;
  name: string;
  serial: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  /** Learned phone clock offset; positive means the phone is ahead. */
  driftSeconds: number | null;
}

export interface DeviceListModel extends PageContext {
  csrfToken: string;
  devices: MethodsPageDevice[];
  canManage: boolean;
  requiresSecondFactor: boolean;
  /** The user's second factors that are not OTP devices (passkeys, security keys), for the last-one warning. */
  otherFactors?: number;
  timeZone?: string;
}

/** Form field names the server reads from the POSTs of the "My sign-in methods" page. */
export const METHODS_FIELDS = { csrf: 'csrf', device: 'device', name: 'name' } as const;
export const DEVICE_NAME_MAX_LENGTH = 64;

/** The user's OTP devices; with `canManage`, each with its rename and remove forms. */
export function renderDeviceList(model: DeviceListModel): SafeHtml {
  const { t, devices } = model;
  if (devices.length === 0) {
    return html`<p class="muted">${t('methods.devices_empty')}</p>
${model.requiresSecondFactor && (model.otherFactors ?? 0) === 0 && html`<p>${t('methods.requires_second_factor')}</p>`}`;
  }
  return html`<ul class="device-list">
${devices.map((device, i) => renderDevice(model, device, i))}</ul>`;
}

function renderDevice(model: DeviceListModel, device: MethodsPageDevice, i: number): SafeHtml {
  const { t, locale } = model;
  const drift = device.driftSeconds === null ? undefined : describeDrift(t, locale, device.driftSeconds);
  return html`<li class="device">
<h3 id="device-${i}-name">${device.name}</h3>
<dl class="details">
<dt>${t('methods.kind')}</dt><dd>${describeDeviceKind(t, device.kind, device.serial)}</dd>
${renderUsageRows(model, device)}
${drift !== undefined && html`<dt>${t('methods.clock')}</dt><dd>${drift}</dd>`}
</dl>
${model.canManage && renderDeviceForms(model, device, i)}
</li>\n`;
}

function hiddenFields(model: DeviceListModel, device: MethodsPageDevice): SafeHtml {
  return html`<input type="hidden" name="${METHODS_FIELDS.csrf}" value="${model.csrfToken}">
<input type="hidden" name="${METHODS_FIELDS.device}" value="${device.id}">`;
}

function renderDeviceForms(model: DeviceListModel, device: MethodsPageDevice, i: number): SafeHtml {
  const { t, basePath } = model;
  return renderDeviceActions({
    t,
    idPrefix: '',
    index: i,
    nameId: `device-${i}-name`,
    hidden: hiddenFields(model, device),
    rename: { action: `${basePath}methods/rename`, field: METHODS_FIELDS.name, value: device.name, maxLength: DEVICE_NAME_MAX_LENGTH },
    remove: { action: `${basePath}methods/remove`, hint: 'methods.remove_hint', submit: 'methods.remove_submit' },
    last: model.devices.length + (model.otherFactors ?? 0) === 1 && model.requiresSecondFactor,
  });
}
