import type { Device, DeviceType, HomeEvent, Json, JsonObject } from './api';
import type { IconName } from './components/Icon';

export const TYPE_LABEL: Record<DeviceType, string> = {
  lock: 'Lock',
  motion: 'Motion sensor',
  thermostat: 'Thermostat',
  door: 'Door sensor',
  camera: 'Camera',
  glass_break: 'Glass-break sensor',
  smoke: 'Smoke detector',
};

export const TYPE_ICON: Record<DeviceType, IconName> = {
  lock: 'lock',
  motion: 'motion',
  thermostat: 'thermostat',
  door: 'door',
  camera: 'camera',
  glass_break: 'glass_break',
  smoke: 'smoke',
};

export const COMMANDS: Record<DeviceType, string[]> = {
  lock: ['lock', 'unlock'],
  thermostat: ['set_temperature', 'set_mode'],
  camera: ['snapshot', 'start_recording', 'stop_recording'],
  motion: ['arm', 'disarm'],
  door: ['arm', 'disarm'],
  glass_break: ['arm', 'disarm'],
  smoke: ['test', 'silence'],
};

export const EVENT_TYPES: Record<DeviceType, string[]> = {
  lock: ['locked', 'unlocked', 'lock_jammed', 'code_entered', 'battery_low'],
  motion: ['motion_detected', 'motion_stopped', 'armed', 'disarmed', 'battery_low'],
  thermostat: ['temperature_reading', 'humidity_reading', 'setpoint_changed', 'hvac_mode_changed'],
  door: ['door_open', 'door_closed', 'door_held_open', 'armed', 'disarmed', 'battery_low'],
  camera: [
    'person_detected',
    'package_detected',
    'vehicle_detected',
    'doorbell_pressed',
    'snapshot_taken',
    'recording_started',
    'recording_stopped',
    'motion_detected',
    'motion_stopped',
  ],
  glass_break: ['glass_break', 'armed', 'disarmed', 'battery_low'],
  smoke: ['smoke_detected', 'smoke_cleared', 'heat_detected', 'co_detected', 'self_test', 'alarm_silenced', 'battery_low'],
};

export const ALL_EVENT_TYPES = Array.from(
  new Set([...Object.values(EVENT_TYPES).flat(), 'tamper_detected', 'device_offline', 'device_online']),
).sort();

export function humanize(s: string): string {
  const t = s.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Human wording of one event: "Motion - Living Room", "Front Door Lock unlocked". */
export function describeEvent(e: Pick<HomeEvent, 'event_type' | 'payload'>, device?: Pick<Device, 'name' | 'location'>): string {
  const name = device?.name ?? 'A device';
  const zone = device?.location.zone ?? (str(e.payload['zone'])?.replace(/_/g, ' ') ?? name);
  const p: JsonObject = e.payload ?? {};
  switch (e.event_type) {
    case 'motion_detected':
      return `Motion - ${zone}`;
    case 'motion_stopped':
      return `Motion stopped - ${zone}`;
    case 'locked':
      return `${name} locked`;
    case 'unlocked':
      return `${name} unlocked`;
    case 'lock_jammed':
      return `${name} jammed`;
    case 'code_entered':
      return `Code entered at ${name}`;
    case 'armed':
      return `${name} armed`;
    case 'disarmed':
      return `${name} disarmed`;
    case 'temperature_reading': {
      const t = num(p['temperature']);
      return t === undefined ? `${name} temperature reading` : `${name}: ${fmtTemp(t)}`;
    }
    case 'humidity_reading': {
      const h = num(p['humidity']);
      return h === undefined ? `${name} humidity reading` : `${name}: humidity ${h}%`;
    }
    case 'setpoint_changed': {
      const t = num(p['target_temperature']);
      return t === undefined ? `${name} set point changed` : `${name} set to ${fmtTemp(t)}`;
    }
    case 'hvac_mode_changed':
      return `${name} mode: ${str(p['mode']) ?? 'changed'}`;
    case 'door_open':
      return `${name} opened`;
    case 'door_closed':
      return `${name} closed`;
    case 'door_held_open':
      return `${name} held open`;
    case 'person_detected':
      return `Person at ${zone}`;
    case 'package_detected':
      return `Package at ${zone}`;
    case 'vehicle_detected':
      return `Vehicle at ${zone}`;
    case 'doorbell_pressed':
      return `Doorbell - ${zone}`;
    case 'snapshot_taken':
      return `${name} took a snapshot`;
    case 'recording_started':
      return `${name} started recording`;
    case 'recording_stopped':
      return `${name} stopped recording`;
    case 'glass_break':
      return `Glass break - ${zone}`;
    case 'smoke_detected':
      return `Smoke - ${zone}`;
    case 'smoke_cleared':
      return `Smoke cleared - ${zone}`;
    case 'heat_detected':
      return `Heat - ${zone}`;
    case 'co_detected':
      return `Carbon monoxide - ${zone}`;
    case 'self_test':
      return `${name} self-test`;
    case 'alarm_silenced':
      return `${name} alarm silenced`;
    case 'battery_low': {
      const b = num(p['battery']);
      return b === undefined ? `${name} battery low` : `${name} battery low (${b}%)`;
    }
    case 'tamper_detected':
      return `Tamper - ${name}`;
    case 'device_offline':
      return `${name} went offline`;
    case 'device_online':
      return `${name} came online`;
    default:
      return `${name}: ${humanize(e.event_type)}`;
  }
}

const ALERT_EVENTS = new Set([
  'glass_break',
  'smoke_detected',
  'heat_detected',
  'co_detected',
  'tamper_detected',
  'lock_jammed',
  'door_held_open',
]);
export const isAlertEvent = (t: string) => ALERT_EVENTS.has(t);

export function fmtTemp(t: number): string {
  return `${Math.round(t * 10) / 10}°F`;
}

export type Tone = 'ok' | 'warn' | 'alert' | 'info';

export interface TileState {
  /** The one state that matters, in words. */
  label: string;
  icon: IconName;
  tone: Tone;
  /** A second line (set point, armed...). */
  detail?: string;
}

/** The state that matters for a device of its type. */
export function tileState(d: Pick<Device, 'type' | 'state'>): TileState {
  const s = d.state ?? {};
  const st = str(s['state']);
  switch (d.type) {
    case 'lock':
      if (st === 'jammed') return { label: 'Jammed', icon: 'alert', tone: 'alert' };
      if (s['locked'] === true || st === 'locked') return { label: 'Locked', icon: 'lock', tone: 'ok' };
      if (s['locked'] === false || st === 'unlocked') return { label: 'Unlocked', icon: 'unlock', tone: 'warn' };
      return { label: 'Unknown', icon: 'question', tone: 'info' };
    case 'door':
      if (st === 'held_open') return { label: 'Held open', icon: 'alert', tone: 'alert' };
      if (s['open'] === true || st === 'open') return { label: 'Open', icon: 'open', tone: 'warn' };
      if (s['open'] === false || st === 'closed') return { label: 'Closed', icon: 'closed', tone: 'ok', detail: armed(s) };
      return { label: 'Unknown', icon: 'question', tone: 'info' };
    case 'motion':
      return st === 'motion'
        ? { label: 'Motion', icon: 'motion', tone: 'warn', detail: armed(s) }
        : { label: 'No motion', icon: 'idle', tone: 'ok', detail: armed(s) };
    case 'thermostat': {
      const t = num(s['temperature']);
      const sp = num(s['target_temperature']);
      const mode = str(s['mode']);
      return {
        label: t === undefined ? 'No reading' : fmtTemp(t),
        icon: 'thermostat',
        tone: 'info',
        detail: [sp !== undefined ? `Set to ${fmtTemp(sp)}` : undefined, mode ? humanize(mode) : undefined]
          .filter(Boolean)
          .join(' · '),
      };
    }
    case 'camera':
      return s['recording'] === true || st === 'recording'
        ? { label: 'Recording', icon: 'record', tone: 'info' }
        : { label: 'Idle', icon: 'pause', tone: 'info' };
    case 'glass_break':
      return st === 'triggered'
        ? { label: 'Glass break!', icon: 'alert', tone: 'alert', detail: armed(s) }
        : { label: 'Quiet', icon: 'check', tone: 'ok', detail: armed(s) };
    case 'smoke':
      if (st === 'alarm') {
        const a = str(s['alarm']);
        return { label: a === 'co_detected' ? 'CO alarm!' : a === 'heat_detected' ? 'Heat alarm!' : 'Smoke alarm!', icon: 'alert', tone: 'alert' };
      }
      return { label: 'Clear', icon: 'check', tone: 'ok' };
  }
}

function armed(s: JsonObject): string | undefined {
  if (s['armed'] === true) return 'Armed';
  if (s['armed'] === false) return 'Disarmed';
  return undefined;
}

export function battery(d: Pick<Device, 'state'>): number | undefined {
  return num(d.state?.['battery']);
}

export const LOW_BATTERY = 20;

/** "just now", "2 min ago", "3 h ago", "4 d ago". */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const s = Math.round((now - t) / 1000);
  if (s < -5) return 'in the future';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  return `${d} d ago`;
}

export function exactTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** When the device was last heard from: heartbeat, or its last event. */
export function lastSeen(d: Pick<Device, 'last_heartbeat' | 'state'>): string | null {
  const candidates = [d.last_heartbeat, str(d.state?.['last_event_time'])].filter((x): x is string => !!x);
  if (!candidates.length) return null;
  return candidates.reduce((a, b) => (Date.parse(a) > Date.parse(b) ? a : b));
}

export function commandLabel(c: string): string {
  return humanize(c);
}
