import type { AlarmHistoryEntry, AlarmKind, AlarmView, ArmMode, Device, DeviceType, HomeEvent, HomeMode, Json, JsonObject, ZoneType } from './api';
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

/** A day in words, with its year: "Dec 1, 2027" (browser time when `tz` is unknown). */
export function dayText(iso: string, tz?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return d.toLocaleDateString(undefined, { timeZone: tz, year: 'numeric', month: 'short', day: 'numeric' });
  } catch {
    return d.toLocaleDateString();
  }
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

export const ARM_MODE_LABEL: Record<ArmMode, string> = {
  home: 'Home',
  away: 'Away',
  night: 'Night',
  vacation: 'Vacation',
  custom: 'Custom',
};

export const HOME_MODE_LABEL: Record<HomeMode, string> = {
  home: 'Home',
  away: 'Away',
  sleep: 'Sleep',
  vacation: 'Vacation',
  party: 'Party',
};

export const ALARM_KIND_LABEL: Record<AlarmKind, string> = {
  burglary: 'Burglary',
  fire: 'Fire',
  panic: 'Panic',
  tamper: 'Tamper',
};

export const ZONE_TYPE_LABEL: Record<ZoneType, string> = {
  entry_exit: 'Entry/exit door (delayed)',
  perimeter_instant: 'Perimeter (instant)',
  interior_follower: 'Interior (follows entry delay)',
  fire_24h: 'Fire, always on',
  none: 'Not a security sensor',
};

const lbl = <K extends string>(m: Record<K, string>, k: string | null | undefined): string =>
  k ? ((m as Record<string, string>)[k] ?? humanize(k)) : '';

/** The alarm state in words, with an icon and a tone (never colour alone). */
export function alarmState(v: Pick<AlarmView, 'state' | 'arm_mode' | 'alarm'>): TileState {
  switch (v.state) {
    case 'disarmed':
      return { label: 'Disarmed', icon: 'shield_off', tone: 'info' };
    case 'arming':
      return { label: v.arm_mode ? `Arming ${lbl(ARM_MODE_LABEL, v.arm_mode)}` : 'Arming', icon: 'timer', tone: 'warn', detail: 'Exit delay' };
    case 'pending':
      return { label: 'Entry delay', icon: 'timer', tone: 'alert', detail: 'Disarm now' };
    case 'triggered':
      return { label: v.alarm ? `${lbl(ALARM_KIND_LABEL, v.alarm.kind)} alarm!` : 'Alarm!', icon: 'alert', tone: 'alert' };
    default: {
      const m = /^armed_(\w+)$/.exec(v.state);
      return { label: m ? `Armed ${lbl(ARM_MODE_LABEL, m[1])}` : humanize(v.state), icon: 'shield', tone: 'ok' };
    }
  }
}

export const stateLabel = (state: string | null | undefined): string =>
  !state ? '' : state === 'pending' ? 'Entry delay' : alarmState({ state: state as AlarmView['state'], arm_mode: null, alarm: null }).label;

export const armModeLabel = (m: string | null | undefined) => lbl(ARM_MODE_LABEL, m);
export const homeModeLabel = (m: string | null | undefined) => lbl(HOME_MODE_LABEL, m);
export const zoneTypeLabel = (z: string | null | undefined) => lbl(ZONE_TYPE_LABEL, z);

/** One alarm history entry in words: "Disarmed by John", "Burglary - Garage Door". */
export function describeAlarmEntry(e: AlarmHistoryEntry): string {
  let t = e.text?.trim() || (e.to ? stateLabel(e.to) : e.code !== null ? `Signal ${e.code}` : 'Alarm event');
  if (e.by && !t.toLowerCase().includes(e.by.toLowerCase())) t += ` by ${e.by}`;
  if (e.zone && !t.toLowerCase().includes(e.zone.name.toLowerCase())) t += ` - ${e.zone.name}`;
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** A countdown as m:ss ("1:05", "0:42"). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// Times in a home's own time zone (the home is not always where the browser is).

function offsetMs(utc: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utc));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second'));
  return wall - Math.floor(utc / 1000) * 1000;
}

/** A wall time "YYYY-MM-DDTHH:mm" in time zone `tz` as an RFC 3339 UTC time (browser-local if `tz` is unknown). */
export function zonedToIso(local: string, tz: string | undefined): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  try {
    if (!tz) throw new RangeError('no time zone');
    let t = wall - offsetMs(wall, tz);
    t = wall - offsetMs(t, tz); // again, for a time near a DST change
    return new Date(t).toISOString();
  } catch {
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
}

/** An instant as "YYYY-MM-DDTHH:mm" wall time in `tz` (for datetime-local inputs). */
export function isoToZoned(iso: string | number, tz: string | undefined): string {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  let wall = t;
  try {
    if (!tz) throw new RangeError('no time zone');
    wall = t + offsetMs(t, tz);
  } catch {
    wall = t - new Date(t).getTimezoneOffset() * 60000;
  }
  return new Date(wall).toISOString().slice(0, 16);
}

/** An instant in words in the home's time zone: "Dec 24, 2:00 AM". */
export function homeTime(iso: string, tz: string | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return d.toLocaleString(undefined, { timeZone: tz, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  } catch {
    return d.toLocaleString();
  }
}

/** An instant's wall clock in the home's time zone, with seconds: "02:00:01" (browser time when `tz` is unknown). */
export function homeClock(iso: string, tz: string | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const opts: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  try {
    return d.toLocaleTimeString('en-GB', { ...opts, timeZone: tz });
  } catch {
    return d.toLocaleTimeString('en-GB', opts);
  }
}

/** An instant in full in the home's time zone, with seconds and the zone: "1 Dec 2026, 02:00:01 (America/New_York)". */
export function homeDateTime(iso: string, tz: string | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' };
  try {
    return `${d.toLocaleString(undefined, { ...opts, timeZone: tz })}${tz ? ` (${tz})` : ''}`;
  } catch {
    return d.toLocaleString(undefined, opts);
  }
}
