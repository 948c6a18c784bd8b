// The one-line summary of a device's status JSON (PanelDevice.status()): call state, peer, duration
// and the live quality figures. The status shape belongs to the simulator, so each figure is looked
// for both where the control socket's `status` puts it (call.state, call.contact,
// call.durationSeconds, call.metrics.*) and flat (call as the state string, contact,
// durationSeconds, metrics.*), and left out when absent; the card shows the whole JSON beside it.

/**
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
function record(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : {};
}

/**
 * @param {Record<string, unknown>} from
 * @param {string[]} keys the first that holds a finite number wins
 * @returns {number | null}
 */
function number(from, keys) {
  for (const key of keys) {
    const v = from[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** @param {number} seconds */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * @param {Record<string, unknown>} status
 * @returns {string}
 */
export function statusLine(status) {
  const call = record(status.call);
  const metrics = { ...record(status.metrics), ...record(call.metrics) };
  const parts = [];
  const state = typeof status.call === 'string' ? status.call : call.state;
  if (typeof state === 'string') parts.push(`call ${state}`);
  const contact = call.contact ?? status.contact;
  if (typeof contact === 'string') parts.push(`with ${contact}`);
  const seconds = number(call, ['durationSeconds']) ?? number(status, ['durationSeconds']);
  if (seconds !== null && seconds > 0) parts.push(duration(seconds));
  const mos = number(metrics, ['mos']) ?? number(call, ['mos']);
  if (mos !== null) parts.push(`MOS ${mos.toFixed(2)}`);
  const delay = number(metrics, ['mouthToEarMs']);
  if (delay !== null) parts.push(`delay ${Math.round(delay)} ms`);
  const loss = number(metrics, ['residualLossPercent']);
  const networkLoss = number(metrics, ['networkLossPercent']);
  if (loss !== null) {
    parts.push(
      `loss ${loss.toFixed(1)} %${networkLoss === null ? '' : ` (net ${networkLoss.toFixed(1)} %)`}`,
    );
  }
  const network = record(status.network).label;
  if (typeof network === 'string') parts.push(network);
  return parts.length === 0 ? 'no status' : parts.join(' · ');
}
