// Incidents and security decisions in words (the banner, /incidents and /security).
import type { DecisionFacts, DecisionOutcome, DecisionReason, IncidentKind, IncidentStatus, SignalMonitoring, TimelineKind } from './api';
import type { IconName } from './components/Icon';
import { codeWords } from './contactId';
import { homeModeLabel, humanize, stateLabel } from './format';

/** Words, icon and tone of a state: shown together, never the colour alone. */
export interface Look {
  label: string;
  icon: IconName;
  tone: 'ok' | 'info' | 'warn' | 'alert' | 'off' | 'local';
}

export const INCIDENT_KIND: Record<IncidentKind, { label: string; icon: IconName }> = {
  burglary: { label: 'Intrusion', icon: 'shield_off' },
  fire: { label: 'Fire', icon: 'smoke' },
  panic: { label: 'Panic', icon: 'bell' },
  tamper: { label: 'Tamper', icon: 'alert' },
  wellness: { label: 'Wellness check', icon: 'motion' },
};
export const kindLook = (k: string) => INCIDENT_KIND[k as IncidentKind] ?? { label: humanize(k), icon: 'alert' as IconName };

/** The wellness check's incident (nothing moved at home for too long): no alarm sounds, nothing to disarm. */
export const isWellness = (k: string) => k === 'wellness';

/** What an active incident is about as it goes on, in words: the alarm, or (the wellness check) the quiet. */
export interface Ongoing {
  /** The term of the fact ("Alarm", "Activity"). */
  term: string;
  /** In a list: going on ("Alarm going on") or over but not closed. */
  going: string;
  ended: string;
  /** On the incident's page: going on ("Still going on"), and the words before when it ended ("Ended 3 min ago"). */
  still: string;
  endedAt: string;
}
const ALARM_ONGOING: Ongoing = { term: 'Alarm', going: 'Alarm going on', ended: 'Alarm ended, not closed yet', still: 'Still going on', endedAt: 'Ended ' };
const WELLNESS_ONGOING: Ongoing = {
  term: 'Activity',
  going: 'Still no activity',
  ended: 'Activity again, not closed yet',
  still: 'None yet',
  endedAt: 'Seen again ',
};
export const ongoingWords = (kind: string): Ongoing => (isWellness(kind) ? WELLNESS_ONGOING : ALARM_ONGOING);

export const INCIDENT_STATUS: Record<IncidentStatus, Look> = {
  open: { label: 'Open', icon: 'alert', tone: 'alert' },
  acknowledged: { label: 'Acknowledged', icon: 'check', tone: 'warn' },
  resolved: { label: 'Resolved', icon: 'check', tone: 'ok' },
  false_alarm: { label: 'False alarm', icon: 'cross', tone: 'off' },
};
export const statusLook = (s: string): Look => INCIDENT_STATUS[s as IncidentStatus] ?? { label: humanize(s), icon: 'question', tone: 'off' };

/** The statuses an incident list filters by, in order. */
export const STATUS_FILTERS: readonly (readonly [IncidentStatus | '', string])[] = [
  ['', 'All'],
  ['open', 'Open'],
  ['acknowledged', 'Acknowledged'],
  ['resolved', 'Resolved'],
  ['false_alarm', 'False alarm'],
];

export const SEVERITY_LABEL: Record<string, string> = {
  low: 'Low severity',
  normal: 'Normal severity',
  high: 'High severity',
  critical: 'Critical severity',
};
export const severityLabel = (s: string) => SEVERITY_LABEL[s] ?? humanize(s);

const OUTCOME: Record<DecisionOutcome | 'wellness', Look> = {
  alarm: { label: 'Alarm', icon: 'alert', tone: 'alert' },
  verified_alarm: { label: 'Verified alarm', icon: 'alert', tone: 'alert' },
  suppress: { label: 'Held back', icon: 'pause', tone: 'info' },
  trouble: { label: 'Trouble', icon: 'wrench', tone: 'warn' },
  log: { label: 'Logged', icon: 'idle', tone: 'off' },
  // Only in a wellness incident's timeline (the decision log has no such outcome).
  wellness: { label: 'No activity', icon: 'motion', tone: 'warn' },
};

/** A wellness incident's end: someone moved again (its decision line has the event, no outcome). */
export const ACTIVITY_AGAIN: Look = { label: 'Activity again', icon: 'check', tone: 'ok' };

/** An event type named in a line of text ("(motion_detected)") in words ("(motion detected)"). */
export const eventTypeWords = (text: string, eventType: string | undefined) =>
  eventType && /^[a-z_]+$/.test(eventType) ? text.split(eventType).join(humanize(eventType).toLowerCase()) : text;

/** The outcomes a decision log filters by, in order. */
export const OUTCOME_FILTERS: readonly (readonly [DecisionOutcome | '', string])[] = [
  ['', 'All'],
  ['alarm', 'Alarm'],
  ['verified_alarm', 'Verified alarm'],
  ['suppress', 'Held back'],
  ['trouble', 'Trouble'],
  ['log', 'Log'],
];

/** Why a decision held an alarm back, in one word or two, from its reasons. */
function heldBackWhy(reasons: DecisionReason[]): string | null {
  const codes = new Set(reasons.map((r) => r.code));
  if (codes.has('pet_registered') || codes.has('pet_sized')) return 'pet';
  if (codes.has('guests_expected')) return 'guest expected';
  if (codes.has('recent_disarm') || codes.has('entry_activity')) return 'someone is home';
  return null;
}

/** A decision's outcome in words: "Verified alarm", "Held back: pet", "Trouble". */
export function outcomeLook(outcome: string, reasons: DecisionReason[] = []): Look {
  const look = OUTCOME[outcome as DecisionOutcome] ?? { label: humanize(outcome), icon: 'question', tone: 'off' };
  if (outcome !== 'suppress') return look;
  const why = heldBackWhy(reasons);
  return why ? { ...look, label: `${look.label}: ${why}` } : look;
}

export const TIMELINE_KIND: Record<TimelineKind, { label: string; icon: IconName }> = {
  decision: { label: 'Decision', icon: 'scale' },
  signal: { label: 'Signal', icon: 'signal' },
  transition: { label: 'Alarm state', icon: 'arrow' },
  notification: { label: 'Notification', icon: 'bell' },
  action: { label: 'Action', icon: 'play' },
  camera: { label: 'Camera', icon: 'camera' },
  acknowledged: { label: 'Acknowledged', icon: 'check' },
  resolved: { label: 'Closed', icon: 'check' },
};
export const timelineLook = (k: string) => TIMELINE_KIND[k as TimelineKind] ?? { label: humanize(k), icon: 'record' as IconName };

/** What became of a playbook's step on a device (an action line's `data.status`). */
const ACTION_STATUS: Record<string, Look> = {
  queued: { label: 'Command queued', icon: 'check', tone: 'ok' },
  failed: { label: 'Failed', icon: 'alert', tone: 'alert' },
  skipped: { label: 'Skipped', icon: 'pause', tone: 'off' },
  escalated: { label: 'Escalated to the emergency contacts', icon: 'bell', tone: 'warn' },
};
export const actionStatusLook = (s: string): Look => ACTION_STATUS[s] ?? { label: humanize(s), icon: 'question', tone: 'off' };

/** How an emergency contact's e-mail went (a notification line's `data.status`, party `emergency_contacts`). */
const CONTACT_STATUS: Record<string, Look> = {
  delivered: { label: 'Delivered', icon: 'check', tone: 'ok' },
  failed: { label: 'Failed', icon: 'alert', tone: 'alert' },
  skipped: { label: 'Skipped', icon: 'pause', tone: 'off' },
};
export const contactStatusLook = (s: string): Look => CONTACT_STATUS[s] ?? { label: humanize(s), icon: 'question', tone: 'off' };

/** The first letter up: the server words its lines mid-sentence ("armed_away → triggered: ..."). */
export const sentence = (t: string) => (t ? t.charAt(0).toUpperCase() + t.slice(1) : t);

/** Raw alarm state names in a line of text ("armed_away") in words ("armed away"). */
export const stateWords = (text: string) => text.replace(/\barmed_([a-z]+)\b/g, 'armed $1');

/** An alarm state in words; "Alarm sounding" for a triggered one. */
export function armStateWords(state: string): string {
  if (state === 'triggered') return 'Alarm sounding';
  return stateLabel(state) || humanize(state);
}

/** A Contact ID qualifier, as the timeline gives it ("event", "restore", "status", or 1, 3, 6). */
export function qualifierText(q: string | number | null | undefined): string | null {
  if (q === null || q === undefined || q === '') return null;
  const s = String(q);
  if (s === 'event' || s === '1') return 'New event';
  if (s === 'restore' || s === '3') return 'Restore';
  if (s === 'status' || s === '6') return 'Status';
  return humanize(s);
}

/** "131 Perimeter burglary". */
export const signalWords = (code: number) => `${code} ${codeWords(code)}`;

/** What monitoring answered for a signal: "Monitoring acknowledged", "Not sent: no central station (local)". */
export function monitoringLook(m: SignalMonitoring): Look & { text: string } {
  const attempts = m.attempts === 1 ? '1 attempt' : `${m.attempts} attempts`;
  switch (m.status) {
    case 'acknowledged':
      return { label: 'Monitoring acknowledged', icon: 'check', tone: 'ok', text: `Monitoring acknowledged${m.detail ? `: ${m.detail}` : ''}` };
    case 'refused':
      return { label: 'Monitoring refused', icon: 'cross', tone: 'alert', text: `Monitoring refused: ${m.detail || 'no reason'} (${attempts})` };
    case 'failed':
      return { label: 'Not sent', icon: 'alert', tone: 'alert', text: `Not sent: ${m.detail || 'no answer'} (after ${attempts})` };
    case 'local':
      return { label: 'Not sent', icon: 'record', tone: 'local', text: 'Not sent: no central station (local)' };
    default:
      return { label: humanize(String(m.status)), icon: 'question', tone: 'off', text: `${humanize(String(m.status))}${m.detail ? `: ${m.detail}` : ''}` };
  }
}

const sizeKind = (p: { kind: string; size: string }) => `${p.size} ${p.kind === 'other' ? 'pet' : p.kind}`;
const recent = (r: { name: string; seconds_ago: number }) => `${r.name}, ${agoText(r.seconds_ago)}`;

/** "12 s ago", "3 min ago", "2 h ago". */
export function agoText(s: number): string {
  if (s < 90) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** The facts that matter of a decision, each as [term, words], in the order they are shown. */
export function keyFacts(f: DecisionFacts | undefined): [string, string][] {
  if (!f) return [];
  const out: [string, string][] = [
    ['Alarm', `${armStateWords(f.arm_state)} · ${homeModeLabel(f.mode)} mode`],
    ['Home time', `${f.local_time}${f.night ? ', night' : ''}`],
    ['Pets', f.pets.length ? f.pets.map((p) => `${p.name} (${sizeKind(p)})`).join(', ') : 'None registered'],
  ];
  if (f.breach) out.push(['Breach', recent(f.breach)]);
  if (f.second_zone) out.push(['Second zone', `${recent(f.second_zone)} (window ${f.cross_zone_seconds} s)`]);
  if (f.person_seen) out.push(['Person seen', recent(f.person_seen)]);
  if (f.guests_expected.length) out.push(['Guests expected', f.guests_expected.join(', ')]);
  if (f.last_disarm) out.push(['Last disarmed', `by ${recent(f.last_disarm)}`]);
  return out;
}

