// Automations and their firings in words (the automation screens only: kept out of the initial bundle).
import type { AutomationAction, AutomationRun, AutomationTrigger, Conditions, Device, DeviceType, JsonObject, Severity, Weekday } from './api';
import { homeModeLabel, humanize, relativeTime, stateLabel, TYPE_LABEL } from './format';

type Named = Pick<Device, 'device_id' | 'name'> & { type?: DeviceType };
/** The home's devices, or null while they load. */
type Devices = ReadonlyMap<string, Named> | null;

/** What an event type is called in a rule: "Motion", "Door opened". */
const EVENT_PHRASE: Record<string, string> = {
  motion_detected: 'Motion',
  motion_stopped: 'Motion stopped',
  door_open: 'Door opened',
  door_closed: 'Door closed',
  door_held_open: 'Door held open',
  locked: 'Locked',
  unlocked: 'Unlocked',
  lock_jammed: 'Lock jammed',
  code_entered: 'Code entered',
  glass_break: 'Glass break',
  smoke_detected: 'Smoke',
  smoke_cleared: 'Smoke cleared',
  heat_detected: 'Heat',
  co_detected: 'Carbon monoxide',
  person_detected: 'Person',
  package_detected: 'Package',
  vehicle_detected: 'Vehicle',
  doorbell_pressed: 'Doorbell',
  battery_low: 'Battery low',
  tamper_detected: 'Tamper',
  device_offline: 'Went offline',
  device_online: 'Came online',
};
export const eventPhrase = (t: string) => EVENT_PHRASE[t] ?? humanize(t);

/** Contact ID codes a rule may wait for, in words. */
export const SIGNAL_LABEL: Record<number, string> = {
  100: 'medical',
  110: 'fire',
  120: 'panic',
  130: 'burglary',
  131: 'perimeter burglary',
  132: 'interior burglary',
  134: 'entry/exit burglary',
  137: 'tamper',
};
export const signalText = (code: number) => (SIGNAL_LABEL[code] ? `${code} (${SIGNAL_LABEL[code]})` : String(code));

export const DAYS: readonly (readonly [Weekday, string])[] = [
  ['mon', 'Mon'],
  ['tue', 'Tue'],
  ['wed', 'Wed'],
  ['thu', 'Thu'],
  ['fri', 'Fri'],
  ['sat', 'Sat'],
  ['sun', 'Sun'],
];

export const SEVERITY_LABEL: Record<Severity, string> = {
  low: 'Low priority',
  normal: 'Normal',
  high: 'High priority',
  critical: 'Critical',
};

export const CHANNEL_LABEL: Record<string, string> = {
  in_app: 'In the app',
  push: 'Push',
  email: 'E-mail',
  webhook: 'Webhook',
};

/** The n8n workflows shipped in infra/n8n, by their webhook paths. */
export const N8N_WORKFLOWS = ['homeguard-motion-night', 'homeguard-device-offline', 'homeguard-agent-actions'] as const;

/** A length of time in words: "45 s", "10 min", "1 min 30 s", "2 h", "1 h 30 min". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s % 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = s / 60;
  if (m < 60) return `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/** A state a device of a type reports with a fixed value, in words: what a `device_state` trigger may wait for. */
export interface HeldState {
  state: JsonObject;
  label: string;
}
const OFFLINE: HeldState = { state: { offline: true }, label: 'offline' };
const ARMED: HeldState[] = [
  { state: { armed: true }, label: 'armed' },
  { state: { armed: false }, label: 'disarmed' },
];
/**
 * Per device type, the states it reports (as shared/domain/src/state.rs `state_change` sets them from
 * its events), the usual first: a door `open`, a lock `unlocked`.
 */
export const HELD_STATES: Record<DeviceType, HeldState[]> = {
  door: [{ state: { open: true }, label: 'open' }, { state: { open: false }, label: 'closed' }, ...ARMED, OFFLINE],
  lock: [
    { state: { locked: false }, label: 'unlocked' },
    { state: { locked: true }, label: 'locked' },
    { state: { state: 'jammed' }, label: 'jammed' },
    OFFLINE,
  ],
  motion: [{ state: { state: 'motion' }, label: 'seeing motion' }, { state: { state: 'idle' }, label: 'seeing no motion' }, ...ARMED, OFFLINE],
  camera: [{ state: { recording: true }, label: 'recording' }, { state: { recording: false }, label: 'not recording' }, OFFLINE],
  glass_break: [...ARMED, OFFLINE],
  smoke: [
    { state: { smoke: true }, label: 'sensing smoke' },
    { state: { smoke: false }, label: 'clear of smoke' },
    { state: { state: 'alarm' }, label: 'in alarm (smoke, heat or CO)' },
    OFFLINE,
  ],
  thermostat: [OFFLINE],
};
/** The key a state is picked by (and compared with). */
export const stateKey = (s: JsonObject) => JSON.stringify(s);

/** A state in words, as its device's type names it ("open"), else its fields ("with open true"). */
export function heldStateText(state: JsonObject, type?: DeviceType): string {
  const key = stateKey(state);
  const lists = type ? [HELD_STATES[type]] : Object.values(HELD_STATES);
  for (const list of lists) {
    const found = list.find((h) => stateKey(h.state) === key);
    if (found) return found.label;
  }
  const fields = Object.entries(state).map(([k, v]) => `${humanize(k).toLowerCase()} ${JSON.stringify(v)}`);
  return `with ${fields.join(', ') || 'no state'}`;
}

const TYPE_LOWER = (t: DeviceType) => TYPE_LABEL[t].toLowerCase();
const deviceName = (id: string | undefined, devices: Devices) =>
  id ? (devices ? (devices.get(id)?.name ?? 'a removed device') : 'a device') : undefined;

/** The trigger in words: "Motion at Living Room Motion", "Every day at 07:00". */
export function triggerText(t: AutomationTrigger, devices: Devices): string {
  switch (t.type) {
    case 'device_event': {
      const where = t.device_id
        ? deviceName(t.device_id, devices)
        : `any ${t.device_type ? TYPE_LOWER(t.device_type) : 'device'}${t.zone ? ` in ${t.zone}` : ''}`;
      return `${eventPhrase(t.event_type)} at ${where}`;
    }
    case 'device_state':
      return `${deviceName(t.device_id, devices)} ${heldStateText(t.state, devices?.get(t.device_id)?.type)} for ${durationText(t.for_seconds)}`;
    case 'device_offline':
      return t.device_id ? `${deviceName(t.device_id, devices)} goes offline` : 'Any device goes offline';
    case 'schedule':
      return t.cron ? `On cron ${t.cron}` : `Every day at ${t.at ?? '?'}`;
    case 'alarm_signal':
      return t.codes?.length ? `Alarm signal ${t.codes.map(signalText).join(', ')}` : 'Any alarm';
    case 'mode_change':
      return t.mode ? `The home enters ${homeModeLabel(t.mode)} mode` : 'Any change of mode';
  }
}

function daysText(days: string[]): string {
  const set = new Set(days);
  if (['mon', 'tue', 'wed', 'thu', 'fri'].every((d) => set.has(d)) && set.size === 5) return 'on weekdays';
  if (set.has('sat') && set.has('sun') && set.size === 2) return 'at weekends';
  return `on ${DAYS.filter(([d]) => set.has(d)).map(([, l]) => l).join(', ')}`;
}

function armText(s: string): string {
  if (s === 'armed') return 'when armed';
  if (s === 'disarmed') return 'when disarmed';
  if (s === 'any') return 'whatever the alarm';
  return `when ${stateLabel(s)}`;
}

/** Each condition in words: ["22:00-06:00", "when armed", "in Away mode", "on weekdays"]. */
export function conditionTexts(c: Conditions | undefined, devices: Devices): string[] {
  if (!c) return [];
  const out: string[] = [];
  if (c.time_range) out.push(`${c.time_range.start}-${c.time_range.end}`);
  if (c.arm_state) out.push(armText(c.arm_state));
  if (c.mode) out.push(`in ${homeModeLabel(c.mode)} mode`);
  if (c.days?.length) out.push(daysText(c.days));
  if (c.device_state) {
    const fields = Object.entries(c.device_state.state)
      .map(([k, v]) => `${humanize(k).toLowerCase()} ${JSON.stringify(v)}`)
      .join(', ');
    out.push(`when ${deviceName(c.device_state.device_id, devices)} has ${fields}`);
  }
  return out;
}

/** One action in words: "notify", "webhook", "n8n homeguard-motion-night", "lock Front Door Lock", "wait 2 min", "arm away". */
export function actionText(a: AutomationAction, devices: Devices): string {
  switch (a.type) {
    case 'notification':
      return a.channel === 'in_app' ? 'notify' : `notify by ${(CHANNEL_LABEL[a.channel] ?? a.channel).toLowerCase()}`;
    case 'webhook':
      return 'webhook';
    case 'n8n':
      return `n8n ${a.workflow}`;
    case 'device_command':
      return `${humanize(a.command).toLowerCase()} ${deviceName(a.device_id, devices)}`;
    case 'delay':
      return `wait ${durationText(a.seconds)}`;
    case 'arm':
      return `arm ${a.mode}${a.bypass_open ? ' (bypassing open doors)' : ''}`;
    case 'set_mode':
      return `set mode ${a.mode}`;
    case 'disarm':
      return 'ask to disarm';
  }
}

/** The whole rule on one line: "Motion at Living Room Motion, 22:00-06:00, when armed → notify, webhook". */
export function ruleSummary(r: { trigger: AutomationTrigger; actions: AutomationAction[] }, devices: Devices): string {
  const when = [triggerText(r.trigger, devices), ...conditionTexts(r.trigger.conditions, devices)].join(', ');
  return `${when} → ${r.actions.map((a) => actionText(a, devices)).join(', ') || 'nothing'}`;
}

// Firings

const CONDITION_LABEL: Record<string, string> = {
  time_range: 'time',
  arm_state: 'alarm',
  mode: 'mode',
  days: 'day',
  device_state: 'device state',
};
const ACTION_LABEL: Record<string, string> = {
  notification: 'notification',
  webhook: 'webhook',
  n8n: 'n8n',
  device_command: 'device command',
  delay: 'wait',
  arm: 'arm',
  set_mode: 'set mode',
  disarm: 'ask to disarm',
};

/** The state a device entered with an event, for a `device_state` firing: "Garage Door stayed open for 10 min". */
const ENTERED_STATE: Record<string, string> = {
  door_open: 'open',
  door_closed: 'closed',
  locked: 'locked',
  unlocked: 'unlocked',
  lock_jammed: 'jammed',
  motion_detected: 'seeing motion',
  motion_stopped: 'seeing no motion',
  armed: 'armed',
  disarmed: 'disarmed',
  recording_started: 'recording',
  recording_stopped: 'not recording',
  smoke_detected: 'in alarm',
  heat_detected: 'in alarm',
  co_detected: 'in alarm',
  smoke_cleared: 'clear of smoke',
  device_offline: 'offline',
};

/** What set a firing off: "Motion at Living Room Motion", "Alarm signal 130 (burglary)". */
export function runTriggerText(t: AutomationRun['trigger']): string {
  switch (t.type) {
    case 'device_event':
      return `${eventPhrase(t.event_type ?? 'event')} at ${t.device ?? 'a device'}`;
    case 'device_offline':
      return `${t.device ?? 'A device'} went offline`;
    case 'alarm_signal':
      return t.code !== undefined ? `Alarm signal ${signalText(t.code)}` : 'An alarm signal';
    case 'mode_change':
      return t.mode ? `The home entered ${homeModeLabel(t.mode)} mode` : 'A change of mode';
    case 'schedule':
      return t.at_local ? `The schedule at ${t.at_local}` : 'The schedule';
    case 'device_state': {
      const how = (t.event_type && ENTERED_STATE[t.event_type]) || 'in its state';
      return `${t.device ?? 'A device'} stayed ${how}${t.for_seconds !== undefined ? ` for ${durationText(t.for_seconds)}` : ''}`;
    }
    default:
      return humanize(String((t as { type?: string }).type ?? 'trigger'));
  }
}

/** How the firing went, as its first words: "Fired", "Held back by the cooldown". */
export function runVerb(status: AutomationRun['status']): string {
  switch (status) {
    case 'done':
      return 'Fired';
    case 'failed':
      return 'Fired, not all went well';
    case 'cooldown':
      return 'Held back by the cooldown';
    case 'running':
      return 'Firing';
    case 'waiting':
      return 'Waiting, fired';
    default:
      return humanize(String(status));
  }
}

/** The conditions as judged: "time ok (23:30 home time, window 22:00-06:00), alarm ok (...)". */
export function runConditionsText(run: AutomationRun): string {
  if (!run.conditions.length) return 'no conditions';
  return run.conditions
    .map((c) => `${CONDITION_LABEL[c.condition] ?? humanize(c.condition).toLowerCase()} ${c.ok ? 'ok' : 'not met'}${c.detail ? ` (${c.detail})` : ''}`)
    .join(', ');
}

/** What the actions did: "notification done, webhook failed (answered 500)", or why none ran. */
export function runActionsText(run: AutomationRun): string {
  if (run.status === 'cooldown') {
    const why = run.actions.find((a) => a.detail)?.detail.replace(/^held back: /, '');
    return `nothing run${why ? ` (${why})` : ''}`;
  }
  if (!run.actions.length) return 'no actions';
  return run.actions
    .map((a) => {
      const name = ACTION_LABEL[a.action] ?? humanize(a.action).toLowerCase();
      // A delay under way: "waiting until 14:32:10" (home time).
      if (a.status === 'waiting') return `waiting${a.detail ? ` ${a.detail}` : ''}`;
      const status = a.status === 'pending' ? 'not run yet' : a.status;
      return `${name} ${status}${a.status === 'failed' && a.detail ? ` (${a.detail})` : ''}`;
    })
    .join(', ');
}

/** One firing on one line: "Fired 2 min ago: Motion at Living Room Motion — time ok (...) → notification done". */
export function runText(run: AutomationRun, now: number = Date.now()): string {
  return `${runVerb(run.status)} ${relativeTime(run.at, now)}: ${runTriggerText(run.trigger)} — ${runConditionsText(run)} → ${runActionsText(run)}`;
}
