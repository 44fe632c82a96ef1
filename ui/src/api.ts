// The one typed client of the HomeGuard API (same origin).

export type Role = 'user' | 'admin';
export type DeviceType = 'lock' | 'motion' | 'thermostat' | 'door' | 'camera' | 'glass_break' | 'smoke';
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at?: string;
}

/** A service token as listed (GET /auth/tokens): never the token itself. */
export interface ServiceToken {
  token_id: string;
  name: string;
  created_at: string;
  expires_at: string;
}

/** POST /auth/tokens: the token, in this answer only. */
export interface IssuedToken extends ServiceToken {
  token: string;
}

export interface LoginResponse {
  token: string;
  token_type: string;
  expires_at: string;
  expires_in: number;
  user: User;
}

export interface Device {
  device_id: string;
  user_id: string;
  name: string;
  type: DeviceType;
  model: string;
  firmware_version: string;
  location: { zone: string; floor: number };
  config: JsonObject;
  created_at: string;
  updated_at: string;
  state: JsonObject;
  online: boolean;
  last_heartbeat: string | null;
}

export interface HomeEvent {
  event_id: string;
  device_id: string;
  user_id: string;
  event_type: string;
  payload: JsonObject;
  timestamp: string;
  metadata: JsonObject;
}

export interface EventPage {
  events: HomeEvent[];
  count: number;
  next_cursor: string | null;
}

export interface DemoAccount {
  email: string;
  name: string;
  role: Role;
}

export interface Scenario {
  name: string;
  description: string;
  duration: string;
  duration_seconds: number;
  speed: number;
  steps: number;
  expectations: number;
  running: boolean;
  lacks: string[];
}

export interface VerdictCheck {
  expectation: JsonObject;
  line: number;
  status: 'pass' | 'fail' | 'unverifiable';
  evidence: string;
  needs?: string;
}

export interface ScenarioStatus {
  scenario: string;
  run_id: string;
  status: string;
  user: string;
  speed: number;
  elapsed_seconds: number;
  duration_seconds: number;
  progress: string;
  events_injected: number;
  steps_done: number;
  steps_total: number;
  devices: Record<string, { device_id: string; name: string; created: boolean }>;
  skipped: Json[];
  verdict?: {
    passed: boolean;
    passed_checks: number;
    failed_checks: number;
    unverifiable_checks: number;
    checks: VerdictCheck[];
  };
}

export interface DemoTime {
  now: string;
  wall: string;
  speed: number;
  simulated: boolean;
  offset_seconds: number;
}

export interface Readiness {
  status: string;
  checks: Record<string, string>;
}

export interface ReadingsRaw {
  points?: { time: string; value: number }[];
  buckets?: { bucket: string; count: number; avg: number; min: number; max: number }[];
}

export type AlarmStateName =
  | 'disarmed'
  | 'arming'
  | 'armed_home'
  | 'armed_away'
  | 'armed_night'
  | 'armed_vacation'
  | 'armed_custom'
  | 'pending'
  | 'triggered';
export type HomeMode = 'home' | 'away' | 'sleep' | 'vacation' | 'party';
export type ArmMode = 'home' | 'away' | 'night' | 'vacation' | 'custom';
export type ZoneType = 'entry_exit' | 'perimeter_instant' | 'interior_follower' | 'fire_24h' | 'none';
export type AlarmKind = 'burglary' | 'fire' | 'panic' | 'tamper';
/** What an incident is about: an alarm of one kind, or the wellness check (nothing moved at home for too long). */
export type IncidentKind = AlarmKind | 'wellness';

/** A sensor as the alarm names it. */
export interface ZoneRef {
  device_id: string;
  name: string;
}

export interface AlarmInfo {
  kind: AlarmKind;
  /** Contact ID event code (134, 110, 120...). */
  code: number;
  zone: ZoneRef | null;
  at: string;
  sent: boolean;
  abort_until: string | null;
}

/** GET /home/alarm, and the answer of every alarm or mode command. */
export interface AlarmView {
  state: AlarmStateName;
  mode: HomeMode;
  arm_mode: ArmMode | null;
  mode_until: string | null;
  return_mode: HomeMode | null;
  /** End of the running exit (arming) or entry (pending) delay. */
  deadline: string | null;
  /** Home-clock seconds to the deadline, at response time. */
  seconds_left: number | null;
  open: (ZoneRef & { zone_type?: ZoneType })[];
  bypassed: ZoneRef[];
  /** Why the state is what it is, in words ("disarmed by John"). */
  reason: string;
  alarm: AlarmInfo | null;
  siren: boolean;
  settling: boolean;
  lockout_until: string | null;
}

export interface AlarmHistoryEntry {
  id: string;
  at: string;
  kind: 'transition' | 'signal';
  code: number | null;
  text: string;
  from: string | null;
  to: string | null;
  zone: ZoneRef | null;
  by: string | null;
}

export interface AlarmHistoryPage {
  entries: AlarmHistoryEntry[];
  next_before: string | null;
}

export interface AlarmSettings {
  exit_delay_seconds: number;
  entry_delay_seconds: number;
  entry_delay_by_mode: Partial<Record<ArmMode, number>>;
  abort_window_seconds: number;
  siren_seconds: number;
  cross_zone_seconds: number;
  swinger_limit: number;
}

export interface HomeZone {
  device_id: string;
  name: string;
  device_type: DeviceType;
  zone_type: ZoneType;
  entry_delay_seconds: number | null;
  armed_at_night: boolean;
}

export interface HomeInfo {
  user_id: string;
  time_zone: string;
  /** RFC 3339 with the home's offset. */
  local_time: string;
  settings: AlarmSettings;
  home_mode_arms: boolean;
  /** "HH:MM", the default end of party mode. */
  party_ends_at: string;
  warnings: string[];
  zones: HomeZone[];
}

export interface HomePatch {
  time_zone?: string;
  settings?: Partial<AlarmSettings>;
  home_mode_arms?: boolean;
  party_ends_at?: string;
  zones?: Record<string, { zone_type?: ZoneType; entry_delay_seconds?: number | null; armed_at_night?: boolean }>;
}

export interface CodePermissions {
  disarm: boolean;
  change_mode: boolean;
}

export interface AlarmCode {
  id: string;
  name: string;
  kind: 'member' | 'duress';
  permissions: CodePermissions;
  created_at: string;
}

export interface NewCode {
  name: string;
  code: string;
  kind: AlarmCode['kind'];
  permissions: CodePermissions;
}

export interface Guest {
  id: string;
  name: string;
  starts_at: string;
  ends_at: string;
  single_use: boolean;
  used_at: string | null;
  status: 'scheduled' | 'active' | 'expired' | 'used';
  created_at: string;
}

export interface NewGuest {
  name: string;
  code: string;
  starts_at?: string;
  ends_at: string;
  single_use?: boolean;
}

export interface Pet {
  id: string;
  name: string;
  kind: 'cat' | 'dog' | 'other';
  size: 'small' | 'medium' | 'large';
  created_at: string;
}

export type NewPet = Pick<Pet, 'name' | 'kind' | 'size'>;

export interface Contact {
  id: string;
  name: string;
  relation: string | null;
  phone: string | null;
  email: string | null;
  priority: number | null;
  created_at: string;
}

export interface NewContact {
  name: string;
  relation?: string;
  phone?: string;
  email?: string;
  priority?: number;
}

// Automations and notifications

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export type Severity = 'low' | 'normal' | 'high' | 'critical';
export type NotificationChannel = 'in_app' | 'push' | 'email' | 'webhook';
/** `armed` (in any mode, or in an entry delay or alarm), `disarmed` (or arming), or one alarm state. */
export type ArmStateCondition = 'armed' | 'disarmed' | 'any' | AlarmStateName;

/** What must hold when the trigger comes for the actions to run (each optional). */
export interface Conditions {
  /** "HH:MM" home time; may wrap past midnight. */
  time_range?: { start: string; end: string };
  arm_state?: ArmStateCondition;
  mode?: HomeMode;
  days?: Weekday[];
  device_state?: { device_id: string; state: JsonObject };
}

export type AutomationTrigger =
  | { type: 'device_event'; device_id?: string; device_type?: DeviceType; zone?: string; event_type: string; conditions?: Conditions }
  /** The device staying in `state` (`{"open": true}`, as its state reads) for `for_seconds` (10 s to 7 days) on end. */
  | { type: 'device_state'; device_id: string; state: JsonObject; for_seconds: number; conditions?: Conditions }
  | { type: 'device_offline'; device_id?: string; conditions?: Conditions }
  /** Either `at` ("HH:MM" home time, every day) or `cron` (5 fields: minute hour day month weekday, on the home's clock). */
  | { type: 'schedule'; at?: string; cron?: string; conditions?: Conditions }
  | { type: 'alarm_signal'; codes?: number[]; conditions?: Conditions }
  | { type: 'mode_change'; mode?: HomeMode; conditions?: Conditions };
export type TriggerType = AutomationTrigger['type'];

export type AutomationAction =
  | { type: 'notification'; channel: NotificationChannel; message: string; title?: string; severity?: Severity }
  | { type: 'webhook'; url: string }
  /** A signed POST to the installation's n8n, at `N8N_WEBHOOK_BASE/<workflow>`. */
  | { type: 'n8n'; workflow: string }
  | { type: 'device_command'; device_id: string; command: string; parameters?: JsonObject }
  /** Waits `seconds` (1 to 86400) before the next action; never the last action. */
  | { type: 'delay'; seconds: number }
  /** Arms the alarm; with `bypass_open`, doors and windows open at that moment are bypassed instead of the arming being refused. */
  | { type: 'arm'; mode: ArmMode; bypass_open?: boolean }
  /** Puts the home in a mode, upward only (lowering it needs the owner's code, which a rule never has). */
  | { type: 'set_mode'; mode: HomeMode }
  /** Never disarms: asks the owner (a high-priority notification) to disarm with their code. */
  | { type: 'disarm' };
export type ActionType = AutomationAction['type'];

export interface Automation {
  automation_id: string;
  user_id: string;
  name: string;
  enabled: boolean;
  trigger: AutomationTrigger;
  actions: AutomationAction[];
  cooldown_seconds: number;
  created_at: string;
  updated_at: string;
}

/** POST /automations (and PATCH, any part of it). */
export interface NewAutomation {
  name: string;
  enabled?: boolean;
  trigger: AutomationTrigger;
  actions: AutomationAction[];
  cooldown_seconds?: number;
}

/** What set a firing off, as the run records it. */
export interface RunTrigger {
  type: TriggerType;
  key: string;
  at: string;
  event_id?: string;
  event_type?: string;
  device_id?: string;
  /** The device's name. */
  device?: string;
  code?: number;
  mode?: HomeMode;
  at_local?: string;
  /** A `device_state` trigger: when the device entered the state, and how long it had to stay. */
  since?: string;
  for_seconds?: number;
}

export interface AutomationRun {
  run_id: string;
  automation_id?: string;
  user_id?: string;
  trigger: RunTrigger;
  at: string;
  conditions: { condition: string; ok: boolean; detail: string }[];
  /** `waiting`: a delay runs (its action `waiting`, detail "until HH:MM:SS" home time) until `resume_at`. */
  status: 'running' | 'done' | 'failed' | 'cooldown' | 'waiting';
  /** `done`, `failed`, `pending` (not run yet), `skipped` (held back) or `waiting` (a delay). */
  actions: { action: string; status: string; detail: string }[];
  resume_at?: string | null;
}

export interface RunPage {
  runs: AutomationRun[];
  next_before: string | null;
}

/** Where one channel's delivery of a notification stands. */
export type DeliveryStatus = 'pending' | 'held' | 'delivered' | 'failed' | 'skipped';

/** How one channel (`in_app`, `email`, `webhook`) delivered a notification. */
export interface NotificationDelivery {
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  /** Why, in words ("quiet hours: held until 07:00", a failure's reason). */
  detail: string;
  at: string;
}

export interface AppNotification {
  id: string;
  user_id: string;
  title: string;
  body: string;
  severity: Severity;
  source: 'rule' | 'alarm' | 'agent' | 'system';
  source_id: string | null;
  channels: string[];
  created_at: string;
  read_at: string | null;
  deliveries: NotificationDelivery[];
  /** When a delivery is next due (a held one's release, a retry); null when all are settled. */
  next_delivery_at?: string | null;
}

/** "HH:MM" home time; may wrap past midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

/** PUT /notifications/settings: how the signed-in person is reached besides the app. */
export interface NotificationPreferences {
  email: boolean;
  /** An http(s) URL; null for none. */
  webhook_url: string | null;
  quiet_hours: QuietHours | null;
}

/** GET /notifications/settings: the preferences, with what cannot be changed there. */
export interface NotificationSettings extends NotificationPreferences {
  /** The account's address, where e-mail goes. */
  email_address: string;
  /** False when this installation has no mail relay (nothing can be e-mailed). */
  email_available: boolean;
  /** Signs each webhook: `X-HomeGuard-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  webhook_secret: string;
}

export interface NotificationPage {
  notifications: AppNotification[];
  unread: number;
  next_before: string | null;
}

// Monitoring: what the alarm reported to the central station (admins only).

/** How the central station took a report; `local` when none is configured (the platform's own log). */
export type ReportStatus = 'acknowledged' | 'refused' | 'failed' | 'local';

/** One alarm signal reported to monitoring over SIA DC-09 (Contact ID). */
export interface MonitoringReport {
  id: string;
  user_id: string;
  /** Contact ID event code (134, 120, 121...). */
  code: number;
  /** 1 new event, 3 restore, 6 status. */
  qualifier: number;
  /** The zone number sent (0: none). */
  zone: number;
  text: string;
  at: string;
  sent_at: string;
  status: ReportStatus;
  attempts: number;
  /** The receiver's answer or the failure, in words ("ACK (sequence 7)"). */
  detail: string;
}

/** GET /monitoring/reports: newest first. */
export interface MonitoringPage {
  /** The central station's "host:port", or null when none is configured. */
  receiver: string | null;
  reports: MonitoringReport[];
  next_before: string | null;
}

// The security response: its decisions on events, and the incidents it opens.

/** What a decision concluded about one event. */
export type DecisionOutcome = 'alarm' | 'verified_alarm' | 'suppress' | 'trouble' | 'log';

/** One reason of a decision: as data (`code`) and in words. */
export interface DecisionReason {
  code: string;
  text: string;
}

/** Something that happened shortly before: which device (or who), how long ago. */
export interface RecentFact {
  name: string;
  seconds_ago: number;
}

/** Everything a decision weighed. */
export interface DecisionFacts {
  /** The alarm's state when the event came (`disarmed`, `armed_night`, `pending`, ...). */
  arm_state: string;
  mode: string;
  zone_type: ZoneType;
  zone_armed: boolean;
  /** The home's wall clock, "HH:MM". */
  local_time: string;
  night: boolean;
  pets: { name: string; kind: Pet['kind']; size: Pet['size'] }[];
  sighting?: { signature?: string; estimated_size?: Pet['size']; height_cm?: number; confidence?: number };
  breach?: RecentFact;
  second_zone?: RecentFact;
  person_seen?: RecentFact;
  cross_zone_seconds: number;
  guests_expected: string[];
  last_disarm?: RecentFact;
  last_entry?: RecentFact;
  anomaly_score?: number;
  suppress_pet_motion?: boolean;
}

/** GET /security/decisions: one event judged. The first reason is always the arm state. */
export interface Decision {
  id: string;
  user_id: string;
  event_id: string;
  event_type: string;
  device_id: string;
  device_name: string;
  at: string;
  outcome: DecisionOutcome;
  summary: string;
  reasons: DecisionReason[];
  facts: DecisionFacts;
  /** The Contact ID code the alarm raised or reported with it. */
  signal?: number;
  notify?: Severity;
}

export interface DecisionPage {
  decisions: Decision[];
  next_before: string | null;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'false_alarm';

/** An incident as listed (GET /incidents) and as acknowledge and resolve answer. */
export interface IncidentSummary {
  id: string;
  user_id: string;
  kind: IncidentKind;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  opened_at: string;
  updated_at: string;
  /** When the alarm behind it ended (disarmed), or for the wellness check activity came again; null while it goes on. */
  ended_at: string | null;
  acknowledged_by: string | null;
  /** How many timeline entries it holds. */
  events: number;
}

export interface IncidentPage {
  incidents: IncidentSummary[];
  next_before: string | null;
}

/** GET and POST /incidents/acknowledge: the incident an alarm e-mail's link acknowledges, and for whom ("Sarah"). */
export interface AckLinkView {
  incident: IncidentSummary;
  by: string;
}

export type TimelineKind = 'decision' | 'signal' | 'transition' | 'notification' | 'action' | 'camera' | 'acknowledged' | 'resolved';

/** How monitoring took a signal (see ReportStatus). */
export interface SignalMonitoring {
  status: ReportStatus;
  attempts: number;
  detail: string;
  sent_at: string;
}

/**
 * A decision line's data. An alarm's decision has an outcome and its reasons; the wellness check's has the
 * outcome `wellness` (and the facts of the quiet, see WellnessDecisionData); its "activity again" line has
 * the event only (no outcome, no reasons).
 */
export interface DecisionItemData {
  outcome?: DecisionOutcome | 'wellness';
  event_id?: string;
  event_type?: string;
  device_id?: string;
  signal?: number | null;
  reasons?: DecisionReason[];
  facts?: DecisionFacts;
}

/** The wellness check's decision (outcome `wellness`): how long the home was quiet, and whether its sensors lived. */
export interface WellnessDecisionData {
  outcome: 'wellness';
  quiet_since: string;
  hours: number;
  last_activity: { device_id: string; device_name: string; event_type: string; at: string } | null;
  motion_sensors: number;
  motion_sensors_reporting: number;
}

export interface SignalItemData {
  /** Contact ID event code. */
  code: number | null;
  /** "event", "restore" or "status" (or the Contact ID digit 1, 3, 6). */
  qualifier: string | number | null;
  zone: string | number | null;
  /** Whether it went to monitoring (false while the abort window runs, or never). */
  dispatch: boolean;
  to: string | null;
  monitoring?: SignalMonitoring;
}

/** One line of an incident's timeline; `data` by its kind. */
export interface TimelineItem {
  id: string;
  at: string;
  kind: TimelineKind;
  text: string;
  by?: string | null;
  data?: JsonObject;
}

/** GET /incidents/{id}: the whole incident. */
export interface Incident {
  id: string;
  user_id: string;
  kind: IncidentKind;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  opened_at: string;
  updated_at: string;
  ended_at?: string | null;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  resolved_at?: string | null;
  resolved_by?: string | null;
  note?: string | null;
  timeline: TimelineItem[];
  /** The zones that tripped, in order. */
  path: { device_id: string; name: string; at: string }[];
  version: number;
}

/** POST /incidents/{id}/resolve. */
export interface IncidentResolution {
  outcome: 'resolved' | 'false_alarm';
  /** Up to 2000 characters. */
  note?: string;
}

// Playbooks: what HomeGuard does on its own when an emergency opens an incident.

/** `break_in` runs for an intrusion and for panic. */
export type PlaybookKind = 'fire' | 'break_in';
export type PlaybookStep = 'unlock_doors' | 'lock_doors' | 'hvac_off' | 'record_cameras' | 'snapshot_cameras' | 'notify_contacts';

/** One playbook: the steps it takes (in order), every step it may take in words, and what happens regardless. */
export interface Playbook {
  kind: PlaybookKind;
  steps: PlaybookStep[];
  available: { step: PlaybookStep; words: string }[];
  /** A sentence: what the alarm does whatever the steps (the household told, monitoring). */
  always: string;
}

/** GET /security/playbooks, and the answer of PUT /security/playbooks/{kind}. */
export interface PlaybooksView {
  playbooks: Playbook[];
}

/** PUT /security/wellness: the wellness check as the household sets it. */
export interface WellnessInput {
  enabled: boolean;
  /** How long without any activity (motion, a door, a lock) before the household is asked: 1 to 24. */
  hours: number;
  /** "HH:MM" home time: the waking hours, when quiet counts (may wrap past midnight; never equal). */
  awake_from: string;
  awake_until: string;
}

/** GET /security/wellness, and the answer of PUT. */
export interface WellnessView extends WellnessInput {
  /** When it was last turned on or changed (quiet before then does not count); null when never set. */
  since: string | null;
  /** How long the household has to acknowledge before the emergency contacts are e-mailed. */
  contacts_after_minutes: number;
}

/** An API error, from the platform's error body or from the network. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: JsonObject;
  readonly traceId?: string;
  constructor(status: number, code: string, message: string, details: JsonObject = {}, traceId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.traceId = traceId;
  }
  /** The session is gone: the caller must log in again. */
  get isAuth(): boolean {
    return this.status === 401 && this.code !== 'INVALID_CREDENTIALS';
  }
  /** The field the error names (details.field), if any. */
  get field(): string | undefined {
    const f = this.details['field'];
    return typeof f === 'string' ? f : undefined;
  }
  get retryAfterSeconds(): number | undefined {
    const r = this.details['retry_after_seconds'];
    return typeof r === 'number' ? r : undefined;
  }
  /** The doors and windows a refused arming names (409, details.open). */
  get openSensors(): ZoneRef[] {
    const o = this.details['open'];
    if (!Array.isArray(o)) return [];
    return o.flatMap((x) =>
      x && typeof x === 'object' && !Array.isArray(x) && typeof x['device_id'] === 'string'
        ? [{ device_id: x['device_id'], name: typeof x['name'] === 'string' ? x['name'] : x['device_id'] }]
        : [],
    );
  }
  /** When a wrong-code lockout ends (429 LOCKED_OUT: details.locked_until, else now + retry_after_seconds), in ms. */
  lockedUntil(now: number = Date.now()): number | undefined {
    const u = this.details['locked_until'];
    const t = typeof u === 'string' ? Date.parse(u) : NaN;
    if (!Number.isNaN(t)) return t;
    const r = this.retryAfterSeconds;
    return r === undefined ? undefined : now + r * 1000;
  }
}

type Fetch = typeof fetch;

export interface ClientOptions {
  getToken: () => string | null;
  onUnauthorized?: (e: ApiError) => void;
  fetchImpl?: Fetch;
  base?: string;
}

export async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; trace_id?: unknown } } | null)
    ?.error;
  if (err && typeof err.message === 'string') {
    return new ApiError(
      res.status,
      typeof err.code === 'string' ? err.code : 'ERROR',
      err.message,
      err.details && typeof err.details === 'object' ? (err.details as JsonObject) : {},
      typeof err.trace_id === 'string' ? err.trace_id : undefined,
    );
  }
  return new ApiError(res.status, 'HTTP_' + res.status, `The server answered ${res.status} ${res.statusText}`.trim());
}

export function createClient(opts: ClientOptions) {
  const f: Fetch = opts.fetchImpl ?? ((...a) => fetch(...a));
  const base = opts.base ?? '';

  async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = opts.getToken();
    if (auth && token) headers['authorization'] = `Bearer ${token}`;
    let res: Response;
    try {
      res = await f(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'Cannot reach HomeGuard. Check your connection and try again.');
    }
    if (!res.ok) {
      const e = await parseError(res);
      if (e.isAuth && auth) opts.onUnauthorized?.(e);
      throw e;
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    const ct = res.headers.get('content-type') ?? '';
    return (ct.includes('json') ? JSON.parse(text) : text) as T;
  }

  const q = (params: Record<string, string | number | undefined | null>) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
    const str = s.toString();
    return str ? `?${str}` : '';
  };

  return {
    request,
    demoAccounts: () => request<{ accounts: DemoAccount[]; password?: string }>('GET', '/auth/demo', undefined, false),
    login: (email: string, password: string) =>
      request<LoginResponse>('POST', '/auth/login', { email, password }, false),
    logout: () => request<void>('POST', '/auth/logout'),
    me: () => request<User>('GET', '/users/me'),
    // Service tokens: n8n and scripts call the API as the person who issued them.
    tokens: () => request<{ tokens: ServiceToken[] }>('GET', '/auth/tokens'),
    createToken: (body: { name: string; days: number }) => request<IssuedToken>('POST', '/auth/tokens', body),
    revokeToken: (id: string) => request<void>('DELETE', `/auth/tokens/${encodeURIComponent(id)}`),
    users: () => request<{ users: User[] }>('GET', '/users'),
    devices: (params: { user_id?: string; type?: string } = {}) =>
      request<{ devices: Device[] }>('GET', '/devices' + q(params)),
    device: (id: string) => request<Device>('GET', `/devices/${encodeURIComponent(id)}`),
    patchDevice: (id: string, patch: Partial<Pick<Device, 'name' | 'model' | 'firmware_version' | 'location'>> & {
      config?: JsonObject;
    }) => request<Device>('PATCH', `/devices/${encodeURIComponent(id)}`, patch),
    issueKey: (id: string) =>
      request<{ device_id: string; device_key: string }>('POST', `/devices/${encodeURIComponent(id)}/key`),
    command: (id: string, command: string, parameters: JsonObject = {}) =>
      request<{ command_id: string; device_id: string; command: string; status: string }>(
        'POST',
        `/devices/${encodeURIComponent(id)}/command`,
        { command, parameters },
      ),
    events: (params: {
      device_id?: string;
      event_type?: string;
      from?: string;
      to?: string;
      limit?: number;
      cursor?: string | null;
      user_id?: string;
    } = {}) => request<EventPage>('GET', '/events' + q(params)),
    readings: (id: string, params: { type: string; from?: string; to?: string; resolution?: 'raw' | 'hour' }) =>
      request<ReadingsRaw>('GET', `/devices/${encodeURIComponent(id)}/readings` + q(params)),
    scenarios: () => request<{ scenarios: Scenario[] }>('GET', '/demo/scenarios'),
    startScenario: (name: string, body: { user?: string; speed?: number }) =>
      request<ScenarioStatus>('POST', `/demo/scenarios/${encodeURIComponent(name)}/start`, body),
    stopScenario: (name: string) =>
      request<ScenarioStatus>('POST', `/demo/scenarios/${encodeURIComponent(name)}/stop`),
    scenarioStatus: (name: string) =>
      request<ScenarioStatus>('GET', `/demo/scenarios/${encodeURIComponent(name)}/status`),
    demoTime: () => request<DemoTime>('GET', '/demo/time'),
    setDemoTime: (body: { time?: string; advance?: string; reset?: boolean; speed?: number }) =>
      request<DemoTime>('POST', '/demo/time', body),
    readiness: async (): Promise<Readiness> => {
      try {
        return await request<Readiness>('GET', '/health/readiness', undefined, false);
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) return { status: 'not ready', checks: e.details as Record<string, string> };
        throw e;
      }
    },
    metrics: () => request<string>('GET', '/metrics', undefined, false),
    // The alarm and the home (an admin passes user_id to act on another home).
    alarm: (user_id?: string) => request<AlarmView>('GET', '/home/alarm' + q({ user_id })),
    arm: (body: { mode: ArmMode; bypass?: string[]; force?: boolean }, user_id?: string) =>
      request<AlarmView>('POST', '/home/alarm/arm' + q({ user_id }), { bypass: [], force: false, ...body }),
    disarm: (code: string, user_id?: string) => request<AlarmView>('POST', '/home/alarm/disarm' + q({ user_id }), { code }),
    panic: (user_id?: string) => request<AlarmView>('POST', '/home/alarm/panic' + q({ user_id }), {}),
    setMode: (body: { mode: HomeMode; until?: string; code?: string }, user_id?: string) =>
      request<AlarmView>('POST', '/home/mode' + q({ user_id }), body),
    alarmHistory: (params: { limit?: number; before?: string | null; user_id?: string } = {}) =>
      request<AlarmHistoryPage>('GET', '/home/alarm/history' + q(params)),
    home: (user_id?: string) => request<HomeInfo>('GET', '/home' + q({ user_id })),
    patchHome: (patch: HomePatch, user_id?: string) => request<HomeInfo>('PATCH', '/home' + q({ user_id }), patch),
    codes: (user_id?: string) => request<{ codes: AlarmCode[] }>('GET', '/home/codes' + q({ user_id })),
    addCode: (body: NewCode, user_id?: string) => request<AlarmCode>('POST', '/home/codes' + q({ user_id }), body),
    deleteCode: (id: string, user_id?: string) =>
      request<void>('DELETE', `/home/codes/${encodeURIComponent(id)}` + q({ user_id })),
    guests: (user_id?: string) => request<{ guests: Guest[] }>('GET', '/home/guests' + q({ user_id })),
    addGuest: (body: NewGuest, user_id?: string) => request<Guest>('POST', '/home/guests' + q({ user_id }), body),
    deleteGuest: (id: string, user_id?: string) =>
      request<void>('DELETE', `/home/guests/${encodeURIComponent(id)}` + q({ user_id })),
    pets: (user_id?: string) => request<{ pets: Pet[] }>('GET', '/home/pets' + q({ user_id })),
    addPet: (body: NewPet, user_id?: string) => request<Pet>('POST', '/home/pets' + q({ user_id }), body),
    deletePet: (id: string, user_id?: string) =>
      request<void>('DELETE', `/home/pets/${encodeURIComponent(id)}` + q({ user_id })),
    contacts: (user_id?: string) => request<{ contacts: Contact[] }>('GET', '/home/contacts' + q({ user_id })),
    addContact: (body: NewContact, user_id?: string) =>
      request<Contact>('POST', '/home/contacts' + q({ user_id }), body),
    deleteContact: (id: string, user_id?: string) =>
      request<void>('DELETE', `/home/contacts/${encodeURIComponent(id)}` + q({ user_id })),
    /** Admins only (403 otherwise): it holds signals, such as duress, the household never sees. */
    monitoringReports: (params: { user_id?: string; before?: string | null; limit?: number } = {}) =>
      request<MonitoringPage>('GET', '/monitoring/reports' + q(params)),
    // The security response: decisions and incidents (an admin reads every home's, or one by user_id).
    decisions: (params: { outcome?: DecisionOutcome; before?: string | null; limit?: number; user_id?: string } = {}) =>
      request<DecisionPage>('GET', '/security/decisions' + q(params)),
    incidents: (params: { status?: IncidentStatus; before?: string | null; limit?: number; user_id?: string } = {}) =>
      request<IncidentPage>('GET', '/incidents' + q(params)),
    incident: (id: string) => request<Incident>('GET', `/incidents/${encodeURIComponent(id)}`),
    acknowledgeIncident: (id: string) => request<IncidentSummary>('POST', `/incidents/${encodeURIComponent(id)}/acknowledge`),
    // The link of an alarm's e-mail (/ack?token=...): its signed token is the credential. Sent without the
    // session's bearer token, and its 401 (a link not valid or expired) leaves the session alone.
    ackLink: (token: string) => request<AckLinkView>('GET', '/incidents/acknowledge' + q({ token }), undefined, false),
    acknowledgeByLink: (token: string) => request<AckLinkView>('POST', '/incidents/acknowledge', { token }, false),
    resolveIncident: (id: string, body: IncidentResolution) =>
      request<IncidentSummary>('POST', `/incidents/${encodeURIComponent(id)}/resolve`, body),
    /** The incident's report as text (Markdown or a whole HTML page). */
    incidentReport: (id: string, format: 'md' | 'html') =>
      request<string>('GET', `/incidents/${encodeURIComponent(id)}/report` + q({ format })),
    /** The signed-in household's playbooks. */
    playbooks: () => request<PlaybooksView>('GET', '/security/playbooks'),
    /** Any of its available steps, each once, in the order they run (none is allowed); 400 names `steps[N]`. */
    setPlaybook: (kind: PlaybookKind, steps: PlaybookStep[]) =>
      request<PlaybooksView>('PUT', `/security/playbooks/${encodeURIComponent(kind)}`, { steps }),
    /** The signed-in household's wellness check (off, with its defaults, when never set). */
    wellness: () => request<WellnessView>('GET', '/security/wellness'),
    /** Sends exactly its four fields (the server refuses any other); 400 names `hours`, `awake_from` or `awake_until`. */
    setWellness: ({ enabled, hours, awake_from, awake_until }: WellnessInput) =>
      request<WellnessView>('PUT', '/security/wellness', { enabled, hours, awake_from, awake_until }),
    // Automations (an admin passes user_id to list or create another home's) and notifications.
    automations: (user_id?: string) =>
      request<{ automations: Automation[]; count: number }>('GET', '/automations' + q({ user_id })),
    automation: (id: string) => request<Automation>('GET', `/automations/${encodeURIComponent(id)}`),
    addAutomation: (body: NewAutomation, user_id?: string) =>
      request<Automation>('POST', '/automations' + q({ user_id }), body),
    patchAutomation: (id: string, patch: Partial<NewAutomation>) =>
      request<Automation>('PATCH', `/automations/${encodeURIComponent(id)}`, patch),
    deleteAutomation: (id: string) => request<void>('DELETE', `/automations/${encodeURIComponent(id)}`),
    setAutomationEnabled: (id: string, enabled: boolean) =>
      request<Automation>('POST', `/automations/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`),
    automationRuns: (id: string, params: { limit?: number; before?: string | null } = {}) =>
      request<RunPage>('GET', `/automations/${encodeURIComponent(id)}/runs` + q(params)),
    notifications: (params: { unread?: boolean; before?: string | null; limit?: number } = {}) =>
      request<NotificationPage>(
        'GET',
        '/notifications' + q({ unread: params.unread ? 'true' : undefined, before: params.before, limit: params.limit }),
      ),
    markNotificationRead: (id: string) => request<void>('POST', `/notifications/${encodeURIComponent(id)}/read`),
    notificationSettings: () => request<NotificationSettings>('GET', '/notifications/settings'),
    /** Sends exactly the three preferences (the server refuses any other field). */
    setNotificationSettings: ({ email, webhook_url, quiet_hours }: NotificationPreferences) =>
      request<NotificationSettings>('PUT', '/notifications/settings', {
        email,
        webhook_url,
        quiet_hours: quiet_hours && { start: quiet_hours.start, end: quiet_hours.end },
      }),
  };
}

export type Client = ReturnType<typeof createClient>;

/** The wrong-code lockout in words: "Too many wrong codes; try again in 15 min". */
export function lockoutText(until: number, now: number = Date.now()): string {
  const min = Math.max(1, Math.ceil((until - now) / 60000));
  return `Too many wrong codes; try again in ${min} min`;
}

/** Words for an error, for the user. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'RATE_LIMITED' && e.retryAfterSeconds !== undefined) {
      return `${e.message.replace(/;?\s*try again in \d+ ?s\.?$/i, '')}. Try again in ${e.retryAfterSeconds} s.`.replace(
        /\.\./g,
        '.',
      );
    }
    if (e.code === 'LOCKED_OUT') {
      const until = e.lockedUntil();
      if (until !== undefined) return lockoutText(until);
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/** Prometheus text to samples. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}
