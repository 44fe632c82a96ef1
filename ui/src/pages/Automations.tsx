import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, Route, Routes, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import {
  ApiError,
  type ActionType,
  type ArmMode,
  type Automation,
  type AutomationAction,
  type AutomationRun,
  type AutomationTrigger,
  type Conditions,
  type Device,
  type DeviceType,
  type HomeMode,
  type JsonObject,
  type NewAutomation,
  type NotificationChannel,
  type Severity,
  type TriggerType,
  type Weekday,
} from '../api';
import {
  CHANNEL_LABEL,
  conditionTexts,
  DAYS,
  HELD_STATES,
  heldStateText,
  N8N_WORKFLOWS,
  ruleSummary,
  runActionsText,
  runConditionsText,
  runTriggerText,
  runVerb,
  SEVERITY_LABEL,
  stateKey,
} from '../automationText';
import { Check, FormEnd, Input, localError, Saved, Select, useForm, type Form } from '../components/form';
import { Icon, type IconName } from '../components/Icon';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { ALL_EVENT_TYPES, ARM_MODE_LABEL, COMMANDS, EVENT_TYPES, HOME_MODE_LABEL, humanize, TYPE_LABEL } from '../format';
import { useLoad, usePaged } from '../hooks';
import { useApi, useSession } from '../session';
import { useStream } from '../stream';

/** `/automations`: the home's rules, the editor (`new`, `:id`) and each rule's firings (`:id/runs`). */
export default function Automations() {
  return (
    <Routes>
      <Route index element={<RuleList />} />
      <Route path="new" element={<RuleEditor />} />
      <Route path=":id" element={<RuleEditor />} />
      <Route path=":id/runs" element={<RuleRuns />} />
      <Route path="*" element={<Empty>There is no such automation screen.</Empty>} />
    </Routes>
  );
}

/** The home the screens act on: the member's own, or for an admin the one `?user_id=` names (the first home by default). */
function useScope() {
  const api = useApi();
  const { user } = useSession();
  const admin = user?.role === 'admin';
  const [params, setParams] = useSearchParams();
  const homes = useLoad(() => (admin ? api.users().then((r) => r.users.filter((u) => u.role === 'user')) : Promise.resolve([])), [admin]);
  const uid = admin ? (params.get('user_id') ?? homes.data?.[0]?.id) : undefined;
  const search = admin && uid ? `?user_id=${encodeURIComponent(uid)}` : '';
  const pick = (id: string) => {
    const next = new URLSearchParams(params);
    next.set('user_id', id);
    setParams(next, { replace: true });
  };
  return { admin, homes, uid, search, pick, ready: !admin || !!uid };
}

const useDeviceList = (uid: string | undefined, enabled = true) => {
  const api = useApi();
  return useLoad(() => (enabled ? api.devices(uid ? { user_id: uid } : {}).then((r) => r.devices) : Promise.resolve([])), [uid, enabled]);
};
const byId = (ds: Device[] | undefined) => new Map((ds ?? []).map((d) => [d.device_id, d]));

// The list

function RuleList() {
  const api = useApi();
  const scope = useScope();
  const { state } = useLocation() as { state: { saved?: string } | null };
  const list = useLoad(() => (scope.ready ? api.automations(scope.uid).then((r) => r.automations) : Promise.resolve(undefined)), [scope.uid, scope.ready]);
  const devices = useDeviceList(scope.uid, scope.ready);
  const dmap = useMemo(() => byId(devices.data), [devices.data]);
  const [done, setDone] = useState<string | null>(state?.saved ?? null);
  const navigate = useNavigate();
  const { pathname, search } = useLocation();
  // Said once: not again after a reload or on coming back.
  useEffect(() => {
    if (state?.saved) navigate({ pathname, search }, { replace: true, state: null });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  // The rules wait for the devices they name (or for their failing to load).
  const shown = list.data && (devices.data || devices.error) ? list.data : undefined;
  const rules = [...(shown ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const replace = (a: Automation) => list.set((old) => old?.map((x) => (x.automation_id === a.automation_id ? a : x)));
  const remove = (id: string) => list.set((old) => old?.filter((x) => x.automation_id !== id));

  return (
    <div className="automations">
      <div className="section-head">
        <h1>Automations</h1>
        {scope.ready && (
          <Link to={{ pathname: '/automations/new', search: scope.search }} className="btn btn-primary btn-link">
            New automation
          </Link>
        )}
      </div>
      {scope.admin && (
        <div className="field">
          <label htmlFor="auto-home">Home of</label>
          <select id="auto-home" value={scope.uid ?? ''} onChange={(e) => scope.pick(e.target.value)}>
            {(scope.homes.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
          <ErrorNote error={scope.homes.error} onRetry={scope.homes.reload} />
        </div>
      )}
      <p className="muted">A rule runs its actions when its trigger comes and every condition holds; after firing it rests for its cooldown.</p>
      <Saved show={!!done} text={done ?? ''} />
      {!shown && !list.error && <Loading what="automations" />}
      <ErrorNote error={list.error} onRetry={list.reload} />
      {shown && rules.length === 0 && <Empty>No automations yet. Start with “New automation”.</Empty>}
      <ul className="rules" aria-label="Automations" data-testid="rules">
        {rules.map((r) => (
          <RuleItem key={r.automation_id} rule={r} devices={dmap} onChange={replace} onRemoved={(name) => {
            remove(r.automation_id);
            setDone(`${name} deleted.`);
          }} />
        ))}
      </ul>
    </div>
  );
}

function RuleItem({
  rule,
  devices,
  onChange,
  onRemoved,
}: {
  rule: Automation;
  devices: Map<string, Device>;
  onChange: (a: Automation) => void;
  onRemoved: (name: string) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const del = useRef<HTMLButtonElement>(null);
  const id = rule.automation_id;
  const nameId = `rule-${id}-name`;

  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);

  async function toggle(on: boolean) {
    setBusy(true);
    setError(null);
    try {
      onChange(await api.setAutomationEnabled(id, on));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteAutomation(id);
      onRemoved(rule.name);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) onRemoved(rule.name);
      else {
        setError(e);
        setBusy(false);
      }
    }
  }

  return (
    <li className={rule.enabled ? 'rule card' : 'rule card rule-off'} data-id={id} data-testid="rule">
      <div className="rule-body">
        <h2 id={nameId} className="rule-name">
          <Link to={`/automations/${id}`}>{rule.name}</Link>
        </h2>
        <p className="rule-summary" data-testid="rule-summary">
          {ruleSummary(rule, devices)}
        </p>
        <p className="item-detail">
          {rule.enabled ? 'On' : 'Off: it does not fire'} · Cooldown {rule.cooldown_seconds} s ·{' '}
          <Link to={`/automations/${id}/runs`}>
            History<span className="sr-only"> of {rule.name}</span>
          </Link>{' '}
          ·{' '}
          <Link to={`/automations/${id}`}>
            Edit<span className="sr-only"> {rule.name}</span>
          </Link>
        </p>
      </div>
      <div className="rule-controls">
        <span className="switch">
          <input
            id={`rule-${id}-on`}
            type="checkbox"
            role="switch"
            checked={rule.enabled}
            disabled={busy}
            onChange={(e) => void toggle(e.target.checked)}
            aria-labelledby={`${nameId} rule-${id}-on-l`}
            data-testid="rule-switch"
          />
          <label id={`rule-${id}-on-l`} htmlFor={`rule-${id}-on`}>
            Enabled
          </label>
        </span>
        {confirming ? (
          <span className="confirm" role="group" aria-label={`Delete ${rule.name}?`}>
            <span>Delete “{rule.name}”?</span>
            <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void remove()}>
              Yes, delete
            </button>
            <button
              ref={cancel}
              type="button"
              className="btn btn-small"
              onClick={() => {
                setConfirming(false);
                setTimeout(() => del.current?.focus());
              }}
            >
              Cancel
            </button>
          </span>
        ) : (
          <button ref={del} type="button" className="btn btn-small" aria-label={`Delete ${rule.name}`} onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      <ErrorNote error={error} />
    </li>
  );
}

// The editor

interface ActionDraft {
  key: number;
  type: ActionType;
  channel: NotificationChannel;
  message: string;
  title: string;
  severity: Severity;
  url: string;
  /** An n8n workflow's webhook path. */
  workflow: string;
  device_id: string;
  command: string;
  temperature: string;
  hvac: string;
  /** A command's other parameters, kept as they were. */
  parameters: JsonObject;
  /** A wait: how long, in `wait_unit`s. */
  wait: string;
  wait_unit: 'min' | 's';
  arm_mode: ArmMode;
  bypass_open: boolean;
  home_mode: HomeMode;
}

export interface Draft {
  name: string;
  enabled: boolean;
  type: TriggerType;
  device_id: string;
  device_type: DeviceType | '';
  zone: string;
  event_type: string;
  /** A schedule: every day `at`, or by `cron`. */
  schedule: 'at' | 'cron';
  at: string;
  cron: string;
  /** A `device_state` trigger: the state's key (its JSON) and how long, in minutes. */
  state: string;
  for_minutes: string;
  codes: string;
  mode: HomeMode | '';
  from: string;
  to: string;
  arm_state: string;
  cmode: HomeMode | '';
  days: Weekday[];
  device_state?: Conditions['device_state'];
  actions: ActionDraft[];
  cooldown: string;
}

let nextKey = 1;
const blankAction = (type: ActionType): ActionDraft => ({
  key: nextKey++,
  type,
  channel: 'in_app',
  message: type === 'notification' ? '{device}: {event} at {time}' : '',
  title: '',
  severity: 'normal',
  url: '',
  workflow: '',
  device_id: '',
  command: '',
  temperature: '70',
  hvac: 'heat',
  parameters: {},
  wait: '1',
  wait_unit: 'min',
  arm_mode: 'away',
  bypass_open: false,
  home_mode: 'away',
});

function actionDraft(a: AutomationAction): ActionDraft {
  const d = blankAction(a.type);
  switch (a.type) {
    case 'notification':
      return { ...d, channel: a.channel, message: a.message, title: a.title ?? '', severity: a.severity ?? 'normal' };
    case 'webhook':
      return { ...d, url: a.url };
    case 'n8n':
      return { ...d, workflow: a.workflow };
    case 'device_command': {
      const p = a.parameters ?? {};
      return {
        ...d,
        device_id: a.device_id,
        command: a.command,
        temperature: typeof p['temperature'] === 'number' ? String(p['temperature']) : d.temperature,
        hvac: typeof p['mode'] === 'string' ? p['mode'] : d.hvac,
        parameters: p,
      };
    }
    case 'delay':
      return a.seconds % 60 === 0 ? { ...d, wait: String(a.seconds / 60), wait_unit: 'min' } : { ...d, wait: String(a.seconds), wait_unit: 's' };
    case 'arm':
      return { ...d, arm_mode: a.mode, bypass_open: a.bypass_open ?? false };
    case 'set_mode':
      return { ...d, home_mode: a.mode };
    case 'disarm':
      return d;
  }
}

export function toDraft(a?: Automation): Draft {
  const d: Draft = {
    name: '',
    enabled: true,
    type: 'device_event',
    device_id: '',
    device_type: '',
    zone: '',
    event_type: 'motion_detected',
    schedule: 'at',
    at: '07:00',
    cron: '',
    state: '',
    for_minutes: '10',
    codes: '',
    mode: '',
    from: '',
    to: '',
    arm_state: '',
    cmode: '',
    days: [],
    actions: [blankAction('notification')],
    cooldown: '60',
  };
  if (!a) return d;
  const t = a.trigger;
  const c = t.conditions ?? {};
  const out: Draft = {
    ...d,
    name: a.name,
    enabled: a.enabled,
    type: t.type,
    from: c.time_range?.start ?? '',
    to: c.time_range?.end ?? '',
    arm_state: c.arm_state ?? '',
    cmode: c.mode ?? '',
    days: c.days ?? [],
    device_state: c.device_state,
    actions: a.actions.map(actionDraft),
    cooldown: String(a.cooldown_seconds),
  };
  switch (t.type) {
    case 'device_event':
      return { ...out, device_id: t.device_id ?? '', device_type: t.device_type ?? '', zone: t.zone ?? '', event_type: t.event_type };
    case 'device_state':
      return { ...out, device_id: t.device_id, state: stateKey(t.state), for_minutes: String(Math.round((t.for_seconds / 60) * 100) / 100) };
    case 'device_offline':
      return { ...out, device_id: t.device_id ?? '' };
    case 'schedule':
      return t.cron !== undefined ? { ...out, schedule: 'cron', cron: t.cron } : { ...out, schedule: 'at', at: t.at ?? d.at };
    case 'alarm_signal':
      return { ...out, codes: (t.codes ?? []).join(', ') };
    case 'mode_change':
      return { ...out, mode: t.mode ?? '' };
  }
}

const COND = 'trigger.conditions';
/** An n8n webhook path: letters, digits, `-`, `_`, `/`, not starting with `/`, at most 200. */
const WORKFLOW = /^(?!\/)[A-Za-z0-9_/-]{1,200}$/;

/** The states a `device_state` trigger may wait for on `device` (and `kept`, a state it waits for already). */
function heldStates(device: Device | undefined, kept: string): [string, string][] {
  const list: [string, string][] = device ? HELD_STATES[device.type].map((h) => [stateKey(h.state), h.label]) : [];
  if (kept && !list.some(([k]) => k === kept)) {
    try {
      list.unshift([kept, heldStateText(JSON.parse(kept) as JsonObject, device?.type)]);
    } catch {
      /* not a state: not offered */
    }
  }
  return list;
}
/** The state picked, or the device's first. */
const heldState = (d: Pick<Draft, 'state'>, device: Device | undefined) => {
  const list = heldStates(device, d.state);
  return list.some(([k]) => k === d.state) ? d.state : (list[0]?.[0] ?? '');
};

/** The rule to send, or the first thing wrong with it (checked here before asking the server). */
export function toBody(d: Draft, devices: Map<string, Device>): NewAutomation | ApiError {
  const name = d.name.trim();
  if (!name) return localError('name', 'Name', 'enter a name');
  const conditions: Conditions = {};
  if (d.from || d.to) {
    if (!d.from) return localError(`${COND}.time_range.start`, 'From', 'enter both times of the window, or neither');
    if (!d.to) return localError(`${COND}.time_range.end`, 'To', 'enter both times of the window, or neither');
    conditions.time_range = { start: d.from, end: d.to };
  }
  if (d.arm_state) conditions.arm_state = d.arm_state as Conditions['arm_state'];
  if (d.cmode) conditions.mode = d.cmode;
  if (d.days.length) conditions.days = DAYS.map(([k]) => k).filter((k) => d.days.includes(k));
  if (d.device_state) conditions.device_state = d.device_state;

  let trigger: AutomationTrigger;
  switch (d.type) {
    case 'device_event':
      if (!d.event_type) return localError('trigger.event_type', 'Event', 'choose an event');
      trigger = d.device_id
        ? { type: 'device_event', device_id: d.device_id, event_type: d.event_type, conditions }
        : {
            type: 'device_event',
            ...(d.device_type ? { device_type: d.device_type } : {}),
            ...(d.zone.trim() ? { zone: d.zone.trim() } : {}),
            event_type: d.event_type,
            conditions,
          };
      break;
    case 'device_offline':
      trigger = { type: 'device_offline', ...(d.device_id ? { device_id: d.device_id } : {}), conditions };
      break;
    case 'device_state': {
      if (!d.device_id) return localError('trigger.device_id', 'Device', 'choose a device');
      const key = heldState(d, devices.get(d.device_id));
      if (!key) return localError('trigger.state', 'State', 'choose a state');
      const minutes = Number(d.for_minutes);
      const seconds = Math.round(minutes * 60);
      if (!d.for_minutes.trim() || !Number.isFinite(minutes) || seconds < 10 || seconds > 604_800)
        return localError('trigger.for_seconds', 'For', 'enter minutes from 1 to 10080 (7 days)');
      trigger = { type: 'device_state', device_id: d.device_id, state: JSON.parse(key) as JsonObject, for_seconds: seconds, conditions };
      break;
    }
    case 'schedule':
      if (d.schedule === 'cron') {
        const cron = d.cron.trim().split(/\s+/).filter(Boolean);
        if (cron.length !== 5)
          return localError('trigger.cron', 'Cron expression', 'enter 5 fields: minute hour day month weekday, such as 0 9 * * mon-fri');
        trigger = { type: 'schedule', cron: cron.join(' '), conditions };
      } else {
        if (!d.at) return localError('trigger.at', 'At', 'enter a time of day');
        trigger = { type: 'schedule', at: d.at, conditions };
      }
      break;
    case 'alarm_signal': {
      const parts = d.codes.split(/[\s,]+/).filter(Boolean);
      const codes = parts.map(Number);
      if (codes.some((c) => !Number.isInteger(c) || c < 100 || c > 999))
        return localError('trigger.codes', 'Alarm codes', 'enter Contact ID codes such as 130, 110, separated by commas');
      trigger = { type: 'alarm_signal', ...(codes.length ? { codes } : {}), conditions };
      break;
    }
    case 'mode_change':
      trigger = { type: 'mode_change', ...(d.mode ? { mode: d.mode } : {}), conditions };
      break;
  }

  if (!d.actions.length) return localError('actions', 'Actions', 'add at least one action');
  const actions: AutomationAction[] = [];
  for (const [i, a] of d.actions.entries()) {
    const f = (k: string) => `actions[${i}].${k}`;
    switch (a.type) {
      case 'notification':
        actions.push({
          type: 'notification',
          channel: a.channel,
          message: a.message,
          ...(a.title.trim() ? { title: a.title.trim() } : {}),
          severity: a.severity,
        });
        break;
      case 'webhook':
        actions.push({ type: 'webhook', url: a.url.trim() });
        break;
      case 'n8n': {
        const workflow = a.workflow.trim();
        if (!WORKFLOW.test(workflow))
          return localError(f('workflow'), 'Workflow', 'enter an n8n webhook path such as homeguard-motion-night (letters, digits, - _ /)');
        actions.push({ type: 'n8n', workflow });
        break;
      }
      case 'device_command': {
        if (!a.device_id) return localError(f('device_id'), 'Device', 'choose a device');
        const dev = devices.get(a.device_id);
        const command = a.command || (dev ? (COMMANDS[dev.type][0] ?? '') : '');
        let parameters: JsonObject = {};
        if (command === 'set_temperature') {
          const t = Number(a.temperature);
          if (!a.temperature.trim() || Number.isNaN(t)) return localError(f('parameters.temperature'), 'Temperature', 'enter a number from 50 to 90');
          parameters = { temperature: t };
        } else if (command === 'set_mode') {
          parameters = { mode: a.hvac };
        } else {
          parameters = a.parameters;
        }
        actions.push({ type: 'device_command', device_id: a.device_id, command, parameters });
        break;
      }
      case 'delay': {
        const n = Number(a.wait);
        const seconds = a.wait_unit === 'min' ? Math.round(n * 60) : n;
        if (!a.wait.trim() || !Number.isInteger(seconds) || seconds < 1 || seconds > 86_400)
          return localError(f('seconds'), 'Wait', a.wait_unit === 'min' ? 'enter minutes from 1 to 1440 (a day)' : 'enter whole seconds from 1 to 86400 (a day)');
        if (i === d.actions.length - 1) return localError(f('seconds'), 'Wait', 'a wait must come before another action: add the action it waits for');
        actions.push({ type: 'delay', seconds });
        break;
      }
      case 'arm':
        actions.push({ type: 'arm', mode: a.arm_mode, bypass_open: a.bypass_open });
        break;
      case 'set_mode':
        actions.push({ type: 'set_mode', mode: a.home_mode });
        break;
      case 'disarm':
        actions.push({ type: 'disarm' });
        break;
    }
  }
  const cooldown = Number(d.cooldown);
  if (!d.cooldown.trim() || !Number.isInteger(cooldown) || cooldown < 0)
    return localError('cooldown_seconds', 'Cooldown', 'enter whole seconds, 0 or more');
  return { name, enabled: d.enabled, trigger, actions, cooldown_seconds: cooldown };
}

/** The fields an error may name, for the rule as it is drafted. */
function fieldsOf(d: Draft): string[] {
  const f = [
    'name',
    'enabled',
    'cooldown_seconds',
    'trigger.type',
    'trigger.device_id',
    'trigger.device_type',
    'trigger.zone',
    'trigger.event_type',
    'trigger.at',
    'trigger.cron',
    'trigger.state',
    'trigger.for_seconds',
    'trigger.codes',
    'trigger.mode',
    `${COND}.time_range.start`,
    `${COND}.time_range.end`,
    `${COND}.arm_state`,
    `${COND}.mode`,
    `${COND}.days`,
    `${COND}.device_state`,
    'actions',
  ];
  d.actions.forEach((_, i) =>
    f.push(
      ...['channel', 'message', 'title', 'severity', 'url', 'workflow', 'device_id', 'command', 'parameters.temperature', 'parameters.mode', 'seconds', 'mode', 'bypass_open'].map(
        (k) => `actions[${i}].${k}`,
      ),
    ),
  );
  return f;
}

/** A field the server names, as the form names it. */
export const ruleField = (f: string) => {
  if (f === `${COND}.time_range`) return `${COND}.time_range.start`;
  if (f.startsWith(`${COND}.device_state`)) return `${COND}.device_state`;
  if (f.startsWith('trigger.state.')) return 'trigger.state';
  const m = /^(actions\[\d+\])\.parameters$/.exec(f);
  if (m) return `${m[1]}.command`;
  return f;
};

/** The server's message for a field without its name in front ("actions[0].command: command: a motion ..."). */
function withReason(e: unknown): unknown {
  if (e instanceof ApiError && e.field && typeof e.details['reason'] !== 'string') {
    const reason = e.message.replace(/^(?:[\w.[\]]+: )+/, '');
    return new ApiError(e.status, e.code, e.message, { ...e.details, reason }, e.traceId);
  }
  return e;
}

const TRIGGER_TYPES: [TriggerType, string][] = [
  ['device_event', 'A device event'],
  ['device_state', 'A device state lasts'],
  ['device_offline', 'A device goes offline'],
  ['schedule', 'A schedule'],
  ['alarm_signal', 'An alarm signal'],
  ['mode_change', 'The home changes mode'],
];
const ARM_STATES: [string, string][] = [
  ['', 'Any (no condition)'],
  ['armed', 'Armed (any mode)'],
  ['disarmed', 'Disarmed'],
  ['armed_away', 'Armed Away'],
  ['armed_home', 'Armed Home'],
  ['armed_night', 'Armed Night'],
  ['armed_vacation', 'Armed Vacation'],
  ['pending', 'Entry delay running'],
  ['triggered', 'Alarm going off'],
];
const MODES = (any: string): [HomeMode | '', string][] => [['', any], ...(Object.entries(HOME_MODE_LABEL) as [HomeMode, string][])];
const CHANNELS = Object.entries(CHANNEL_LABEL) as [NotificationChannel, string][];
const SEVERITIES = Object.entries(SEVERITY_LABEL) as [Severity, string][];
const DEVICE_TYPES = Object.entries(TYPE_LABEL) as [DeviceType, string][];
const HVAC: [string, string][] = ['heat', 'cool', 'auto', 'off'].map((m) => [m, humanize(m)]);
const ARM_MODES = Object.entries(ARM_MODE_LABEL) as [ArmMode, string][];
/** Lowest first: a rule may only move the mode up this list. */
const UPWARD_MODES: [HomeMode, string][] = (['home', 'party', 'sleep', 'away', 'vacation'] as const).map((m) => [m, HOME_MODE_LABEL[m]]);
const WAIT_UNITS: [ActionDraft['wait_unit'], string][] = [
  ['min', 'minutes'],
  ['s', 'seconds'],
];
const SCHEDULES: [Draft['schedule'], string][] = [
  ['at', 'Every day at'],
  ['cron', 'Cron expression'],
];
const ACTION_NAME: Record<ActionType, string> = {
  notification: 'Notification',
  webhook: 'Webhook',
  n8n: 'n8n workflow',
  device_command: 'Device command',
  delay: 'Wait',
  arm: 'Arm the alarm',
  set_mode: 'Set the home mode',
  disarm: 'Ask to disarm',
};
/** The buttons that add an action, in order. */
const ADD_ACTION: [ActionType, string][] = [
  ['notification', 'Add notification'],
  ['webhook', 'Add webhook'],
  ['n8n', 'Add n8n workflow'],
  ['device_command', 'Add device command'],
  ['delay', 'Add wait'],
  ['arm', 'Add arming'],
  ['set_mode', 'Add mode change'],
  ['disarm', 'Add disarm request'],
];

/** The event types a trigger may wait for, given its device or type. */
function eventTypes(d: Pick<Draft, 'device_id' | 'device_type' | 'event_type'>, devices: Map<string, Device>): string[] {
  const type = d.device_id ? devices.get(d.device_id)?.type : d.device_type || undefined;
  const list = type ? EVENT_TYPES[type] : ALL_EVENT_TYPES;
  return d.event_type && !list.includes(d.event_type) ? [d.event_type, ...list] : list;
}

function RuleEditor() {
  const api = useApi();
  const { id } = useParams();
  const scope = useScope();
  const rule = useLoad(() => (id ? api.automation(id) : Promise.resolve(undefined)), [id]);
  // An admin edits the rule's home; a new rule goes to the home picked on the list.
  const home = scope.admin ? (id ? rule.data?.user_id : scope.uid) : undefined;
  const devices = useDeviceList(home, !scope.admin || !!home);
  const homeInfo = useLoad(() => api.home(home).catch(() => undefined), [home]);
  const title = id ? `Edit ${rule.data?.name ?? 'automation'}` : 'New automation';

  let body;
  if ((id && rule.loading && !rule.data) || (devices.loading && !devices.data)) body = <Loading what="the automation" />;
  else if (id && !rule.data) body = <ErrorNote error={rule.error ?? new Error('No such automation')} onRetry={rule.reload} />;
  else
    body = (
      <RuleForm
        key={id ?? 'new'}
        id={id}
        initial={rule.data}
        devices={devices.data ?? []}
        timeZone={homeInfo.data?.time_zone}
        uid={id ? undefined : scope.uid}
        back={`/automations${scope.admin && home ? `?user_id=${encodeURIComponent(home)}` : ''}`}
      />
    );
  return (
    <div className="automations">
      <p>
        <Link to={`/automations${scope.search}`}>← All automations</Link>
        {id && (
          <>
            {' · '}
            <Link to={`/automations/${id}/runs`}>History of this automation</Link>
          </>
        )}
      </p>
      <h1>{title}</h1>
      <ErrorNote error={devices.error} onRetry={devices.reload} />
      {body}
    </div>
  );
}

function RuleForm({
  id,
  initial,
  devices,
  timeZone,
  uid,
  back,
}: {
  id?: string;
  initial?: Automation;
  devices: Device[];
  timeZone?: string;
  uid?: string;
  back: string;
}) {
  const api = useApi();
  const navigate = useNavigate();
  const [d, setD] = useState<Draft>(() => toDraft(initial));
  const dmap = useMemo(() => byId(devices), [devices]);
  const f = useForm(fieldsOf(d), ruleField);
  const set = (patch: Partial<Draft>) => setD((old) => ({ ...old, ...patch }));
  const setAction = (i: number, patch: Partial<ActionDraft>) =>
    setD((old) => ({ ...old, actions: old.actions.map((a, j) => (j === i ? { ...a, ...patch } : a)) }));
  const zones = [...new Set([...devices.map((x) => x.location.zone), ...(d.zone ? [d.zone] : [])])].sort();
  const deviceOptions: [string, string][] = devices.map((x) => [x.device_id, `${x.name} (${x.location.zone})`]);
  const events = eventTypes(d, dmap);
  const states = heldStates(dmap.get(d.device_id), d.state);
  const state = heldState(d, dmap.get(d.device_id));

  const submit = f.submit(() => {
    const body = toBody(d, dmap);
    if (body instanceof ApiError) return body;
    const saving = id ? api.patchAutomation(id, body) : api.addAutomation(body, uid);
    return saving
      .then((a) => {
        navigate(back, { state: { saved: `${a.name} ${id ? 'saved' : 'created'}${a.enabled ? '' : ' (off)'}.` } });
        return `${a.name} saved.`;
      })
      .catch((e: unknown) => {
        throw withReason(e);
      });
  });

  const home = timeZone ? `home time, ${timeZone}` : 'home time';
  return (
    <form onSubmit={submit} noValidate className="rule-form" aria-label={id ? 'Edit the automation' : 'New automation'}>
      <fieldset>
        <legend>Rule</legend>
        <div className="cfg">
          <Input id="auto-name" label="Name" path="name" f={f} value={d.name} onChange={(v) => set({ name: v })} autoComplete="off" maxLength={100} />
          <Input
            id="auto-cooldown"
            label="Cooldown (seconds)"
            path="cooldown_seconds"
            f={f}
            hint="After firing, the rule rests this long (0 to 86400)."
            type="number"
            min="0"
            max="86400"
            inputMode="numeric"
            value={d.cooldown}
            onChange={(v) => set({ cooldown: v })}
          />
          <Check id="auto-enabled" label="Enabled" path="enabled" f={f} checked={d.enabled} onChange={(v) => set({ enabled: v })} />
        </div>
      </fieldset>

      <fieldset>
        <legend>When</legend>
        <div className="cfg">
          <Select
            id="auto-type"
            label="Trigger"
            path="trigger.type"
            f={f}
            options={TRIGGER_TYPES}
            value={d.type}
            onChange={(v) => set({ type: v })}
          />
          {d.type === 'device_event' && (
            <>
              <Select
                id="auto-device"
                label="Device"
                path="trigger.device_id"
                f={f}
                options={[['', 'Any device (by type or zone)'], ...deviceOptions]}
                value={d.device_id}
                onChange={(v) => {
                  const next = { ...d, device_id: v };
                  const list = eventTypes({ ...next, event_type: '' }, dmap);
                  set({ device_id: v, event_type: list.includes(d.event_type) ? d.event_type : (list[0] ?? '') });
                }}
              />
              {!d.device_id && (
                <>
                  <Select
                    id="auto-device-type"
                    label="Device type"
                    path="trigger.device_type"
                    f={f}
                    options={[['', 'Any type'], ...DEVICE_TYPES] as [DeviceType | '', string][]}
                    value={d.device_type}
                    onChange={(v) => {
                      const list = eventTypes({ device_id: '', device_type: v, event_type: '' }, dmap);
                      set({ device_type: v, event_type: list.includes(d.event_type) ? d.event_type : (list[0] ?? '') });
                    }}
                  />
                  <Select
                    id="auto-zone"
                    label="Zone"
                    path="trigger.zone"
                    f={f}
                    options={[['', 'Any zone'], ...zones.map((z) => [z, z] as [string, string])]}
                    value={d.zone}
                    onChange={(v) => set({ zone: v })}
                  />
                </>
              )}
              <Select
                id="auto-event"
                label="Event"
                path="trigger.event_type"
                f={f}
                options={events.map((e) => [e, humanize(e)] as [string, string])}
                value={d.event_type}
                onChange={(v) => set({ event_type: v })}
              />
            </>
          )}
          {d.type === 'device_offline' && (
            <Select
              id="auto-device"
              label="Device"
              path="trigger.device_id"
              f={f}
              options={[['', 'Any device of the home'], ...deviceOptions]}
              value={d.device_id}
              onChange={(v) => set({ device_id: v })}
            />
          )}
          {d.type === 'device_state' && (
            <>
              <Select
                id="auto-device"
                label="Device"
                path="trigger.device_id"
                f={f}
                options={[['', 'Choose a device'], ...deviceOptions]}
                value={d.device_id}
                onChange={(v) => {
                  const list = heldStates(dmap.get(v), '');
                  set({ device_id: v, state: list.some(([k]) => k === d.state) ? d.state : (list[0]?.[0] ?? '') });
                }}
              />
              <Select
                id="auto-state"
                label="State"
                path="trigger.state"
                f={f}
                hint={d.device_id ? undefined : 'Choose the device first: the states follow its type.'}
                options={states.length ? states : [['', 'Choose a device first']]}
                value={state}
                onChange={(v) => set({ state: v })}
              />
              <Input
                id="auto-for"
                label="For (minutes)"
                path="trigger.for_seconds"
                f={f}
                hint="It fires once the device has stayed so this long on end (1 min to 7 days); if it leaves the state sooner, the clock starts over."
                type="number"
                min="1"
                max="10080"
                step="any"
                inputMode="decimal"
                value={d.for_minutes}
                onChange={(v) => set({ for_minutes: v })}
              />
            </>
          )}
          {d.type === 'schedule' && (
            <>
              <Select id="auto-schedule" label="Runs" path="trigger.schedule" f={f} options={SCHEDULES} value={d.schedule} onChange={(v) => set({ schedule: v })} />
              {d.schedule === 'at' ? (
                <Input id="auto-at" label={`At (${home})`} path="trigger.at" f={f} hint="Every day; pick days below." type="time" value={d.at} onChange={(v) => set({ at: v })} />
              ) : (
                <Input
                  id="auto-cron"
                  label={`Cron expression (${home})`}
                  path="trigger.cron"
                  f={f}
                  hint="5 fields: minute hour day month weekday, on the home's clock. 0 9 * * mon-fri is 09:00 on weekdays; */15 * * * * every 15 minutes."
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="0 9 * * mon-fri"
                  value={d.cron}
                  onChange={(v) => set({ cron: v })}
                />
              )}
            </>
          )}
          {d.type === 'alarm_signal' && (
            <Input
              id="auto-codes"
              label="Alarm codes (optional)"
              path="trigger.codes"
              f={f}
              hint="Contact ID codes such as 130 (burglary), 110 (fire), 120 (panic); empty: any alarm."
              inputMode="numeric"
              value={d.codes}
              onChange={(v) => set({ codes: v })}
            />
          )}
          {d.type === 'mode_change' && (
            <Select id="auto-trigger-mode" label="Into mode" path="trigger.mode" f={f} options={MODES('Any mode')} value={d.mode} onChange={(v) => set({ mode: v })} />
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Only if (optional)</legend>
        <div className="cfg">
          <Input
            id="auto-from"
            label="From"
            path={`${COND}.time_range.start`}
            f={f}
            hint={`A time window in ${home}; it may run past midnight (22:00 to 06:00).`}
            hintId="auto-window-hint"
            type="time"
            value={d.from}
            onChange={(v) => set({ from: v })}
          />
          <Input id="auto-to" label="To" path={`${COND}.time_range.end`} f={f} type="time" value={d.to} onChange={(v) => set({ to: v })} />
          <Select id="auto-arm" label="Alarm state" path={`${COND}.arm_state`} f={f} options={ARM_STATES} value={d.arm_state} onChange={(v) => set({ arm_state: v })} />
          <Select id="auto-mode" label="Home mode" path={`${COND}.mode`} f={f} options={MODES('Any mode (no condition)')} value={d.cmode} onChange={(v) => set({ cmode: v })} />
          <fieldset className="checks-field days">
            <legend>Days (none: every day)</legend>
            {DAYS.map(([k, label]) => (
              <Check
                key={k}
                id={`auto-day-${k}`}
                label={label}
                path={`${COND}.days.${k}`}
                f={f}
                checked={d.days.includes(k)}
                onChange={(on) => set({ days: on ? [...d.days, k] : d.days.filter((x) => x !== k) })}
              />
            ))}
            {f.err(`${COND}.days`)}
          </fieldset>
          {d.device_state && (
            <div className="note cond-kept">
              Also only {conditionTexts({ device_state: d.device_state }, dmap).join('')} (kept as it is).{' '}
              <button type="button" className="btn btn-small" onClick={() => set({ device_state: undefined })}>
                Remove this condition
              </button>
              {f.err(`${COND}.device_state`)}
            </div>
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Then</legend>
        <ol className="actions" aria-label="Actions, in order">
          {d.actions.map((a, i) => (
            <li key={a.key}>
              <ActionFields i={i} a={a} f={f} devices={devices} dmap={dmap} set={(p) => setAction(i, p)} remove={() => {
                  // Errors name actions by their place: they no longer fit.
                  f.clear();
                  set({ actions: d.actions.filter((_, j) => j !== i) });
                }} />
            </li>
          ))}
        </ol>
        {f.err('actions')}
        <div className="row">
          {ADD_ACTION.map(([t, label]) => (
            <button key={t} type="button" className="btn btn-small" onClick={() => set({ actions: [...d.actions, blankAction(t)] })}>
              {label}
            </button>
          ))}
        </div>
      </fieldset>

      <div className="form-end">
        <FormEnd form={f} label={id ? 'Save automation' : 'Create automation'} />
        <Link to={back} className="btn btn-link">
          Cancel
        </Link>
      </div>
    </form>
  );
}

function ActionFields({
  i,
  a,
  f,
  devices,
  dmap,
  set,
  remove,
}: {
  i: number;
  a: ActionDraft;
  f: Form;
  devices: Device[];
  dmap: Map<string, Device>;
  set: (p: Partial<ActionDraft>) => void;
  remove: () => void;
}) {
  const p = (k: string) => `actions[${i}].${k}`;
  const id = (k: string) => `act-${i}-${k}`;
  const dev = dmap.get(a.device_id);
  const commands = dev ? COMMANDS[dev.type] : [];
  const command = a.command || commands[0] || '';
  return (
    <fieldset className="action" data-testid="action" data-type={a.type} aria-describedby={a.type === 'disarm' ? id('disarm-help') : undefined}>
      <legend>
        Action {i + 1}: {ACTION_NAME[a.type]}
      </legend>
      <div className="cfg">
        {a.type === 'notification' && (
          <>
            <Select id={id('channel')} label="Channel" path={p('channel')} f={f} options={CHANNELS} value={a.channel} onChange={(v) => set({ channel: v })} />
            <Select id={id('severity')} label="Severity" path={p('severity')} f={f} options={SEVERITIES} value={a.severity} onChange={(v) => set({ severity: v })} />
            <Input id={id('title')} label="Title (optional)" path={p('title')} f={f} hint="Empty: the rule's name." value={a.title} onChange={(v) => set({ title: v })} maxLength={100} />
            <div className="wide">
              <Input
                id={id('message')}
                label="Message"
                path={p('message')}
                f={f}
                hint="Filled in: {device} {zone} {event} {time} {mode} {rule}."
                value={a.message}
                onChange={(v) => set({ message: v })}
                maxLength={500}
              />
            </div>
          </>
        )}
        {a.type === 'webhook' && (
          <div className="wide">
            <Input
              id={id('url')}
              label="URL"
              path={p('url')}
              f={f}
              hint="An http or https address (a chat bridge, another n8n); it gets a signed POST of what happened."
              type="url"
              inputMode="url"
              autoComplete="off"
              value={a.url}
              onChange={(v) => set({ url: v })}
            />
          </div>
        )}
        {a.type === 'n8n' && (
          <div className="wide">
            <Input
              id={id('workflow')}
              label="Workflow"
              path={p('workflow')}
              f={f}
              hint={`The workflow's webhook path on this installation's n8n; it gets a signed POST of what happened. Shipped: ${N8N_WORKFLOWS.join(', ')}.`}
              list={id('workflows')}
              autoComplete="off"
              spellCheck={false}
              maxLength={200}
              placeholder="homeguard-motion-night"
              value={a.workflow}
              onChange={(v) => set({ workflow: v })}
            />
            <datalist id={id('workflows')}>
              {N8N_WORKFLOWS.map((w) => (
                <option key={w} value={w} />
              ))}
            </datalist>
          </div>
        )}
        {a.type === 'device_command' && (
          <>
            <Select
              id={id('device')}
              label="Device"
              path={p('device_id')}
              f={f}
              options={[['', 'Choose a device'], ...devices.map((x) => [x.device_id, `${x.name} (${x.location.zone})`] as [string, string])]}
              value={a.device_id}
              onChange={(v) => {
                const t = dmap.get(v)?.type;
                const allowed = t ? COMMANDS[t] : [];
                const keep = allowed.includes(a.command);
                set({ device_id: v, command: keep ? a.command : (allowed[0] ?? ''), parameters: keep ? a.parameters : {} });
              }}
            />
            <Select
              id={id('command')}
              label="Command"
              path={p('command')}
              f={f}
              options={(commands.length ? commands : [command]).filter(Boolean).map((c) => [c, humanize(c)] as [string, string])}
              value={command}
              onChange={(v) => set({ command: v, parameters: {} })}
            />
            {command === 'set_temperature' && (
              <Input
                id={id('temperature')}
                label="Temperature (°F)"
                path={p('parameters.temperature')}
                f={f}
                type="number"
                min="50"
                max="90"
                step="0.5"
                value={a.temperature}
                onChange={(v) => set({ temperature: v })}
              />
            )}
            {command === 'set_mode' && (
              <Select id={id('hvac')} label="Thermostat mode" path={p('parameters.mode')} f={f} options={HVAC} value={a.hvac} onChange={(v) => set({ hvac: v })} />
            )}
          </>
        )}
        {a.type === 'delay' && (
          <>
            <Input
              id={id('wait')}
              label="Wait"
              path={p('seconds')}
              f={f}
              hint="Then the next action (up to a day). A wait must come before another action."
              type="number"
              min="1"
              max={a.wait_unit === 'min' ? '1440' : '86400'}
              step="any"
              inputMode="decimal"
              value={a.wait}
              onChange={(v) => set({ wait: v })}
            />
            <Select id={id('unit')} label="In" path={p('unit')} f={f} options={WAIT_UNITS} value={a.wait_unit} onChange={(v) => set({ wait_unit: v })} />
          </>
        )}
        {a.type === 'arm' && (
          <>
            <Select
              id={id('arm-mode')}
              label="Arm mode"
              path={p('mode')}
              f={f}
              hint="No code is needed to arm."
              options={ARM_MODES}
              value={a.arm_mode}
              onChange={(v) => set({ arm_mode: v })}
            />
            <Check
              id={id('bypass')}
              label="Bypass open doors and windows"
              path={p('bypass_open')}
              f={f}
              hint="Those open at that moment are bypassed; without this, an open one stops the arming and the firing is recorded as failed."
              checked={a.bypass_open}
              onChange={(v) => set({ bypass_open: v })}
            />
          </>
        )}
        {a.type === 'set_mode' && (
          <Select
            id={id('home-mode')}
            label="Home mode"
            path={p('mode')}
            f={f}
            hint="Upward only (Home, Party, Sleep, Away, Vacation): lowering the mode needs the owner's code, which a rule never has, so such a firing is recorded as failed, with the reason."
            options={UPWARD_MODES}
            value={a.home_mode}
            onChange={(v) => set({ home_mode: v })}
          />
        )}
        {a.type === 'disarm' && (
          <p className="note" id={id('disarm-help')}>
            A rule never disarms the alarm by itself: it sends the home’s owner a high-priority notification “Disarm the alarm?”, asking
            them to disarm it with their code.
          </p>
        )}
      </div>
      <button type="button" className="btn btn-small" onClick={remove}>
        Remove action {i + 1}
      </button>
    </fieldset>
  );
}

// The firings

const RUN_ICON: Record<AutomationRun['status'], IconName> = { done: 'check', failed: 'alert', cooldown: 'timer', running: 'play', waiting: 'pause' };

function RuleRuns() {
  const api = useApi();
  const { id = '' } = useParams();
  const rule = useLoad(() => api.automation(id), [id]);
  const { user } = useSession();
  const home = user?.role === 'admin' ? rule.data?.user_id : undefined;
  const devices = useDeviceList(home, user?.role !== 'admin' || !!home);
  const dmap = useMemo(() => byId(devices.data), [devices.data]);
  // Looked at again while its firings move on: a refresh updates the rows in place, the older ones loaded kept.
  const list = usePaged({
    key: id,
    fetchPage: (before) => api.automationRuns(id, { limit: 50, before }),
    rows: (p) => p.runs,
    id: (r) => r.run_id,
    time: (r) => r.at,
    refreshInPlace: true,
  });
  const { items: runs, next, loading, loadingMore, error, reload } = list;

  // A firing still running is looked at again shortly; so is the rule after anything happens at home.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const soon = useCallback(
    (ms: number) => {
      clearTimeout(timer.current);
      timer.current = setTimeout(reload, ms);
    },
    [reload],
  );
  useEffect(() => () => clearTimeout(timer.current), []);
  // One waiting for a delay is looked at again when the delay ends (at most a minute on).
  useEffect(() => {
    if (runs.some((r) => r.status === 'running')) soon(1000);
    else {
      const resume = runs.filter((r) => r.status === 'waiting').map((r) => (r.resume_at ? Date.parse(r.resume_at) : Date.now() + 30_000));
      if (resume.length) soon(Math.min(60_000, Math.max(5000, Math.min(...resume) - Date.now() + 1500)));
    }
  }, [runs, soon]);
  useStream((m) => {
    if (m.type === 'notification' && m.notification.source_id === id) soon(300);
    else if (m.type === 'event' || m.type === 'alarm') soon(1000);
    else if (m.type === 'resync') reload();
  });

  const r = rule.data;
  return (
    <div className="automations">
      <p>
        <Link to={`/automations${home ? `?user_id=${encodeURIComponent(home)}` : ''}`}>← All automations</Link>
        {r && (
          <>
            {' · '}
            <Link to={`/automations/${id}`}>Edit {r.name}</Link>
          </>
        )}
      </p>
      <h1>History of {r?.name ?? 'the automation'}</h1>
      <ErrorNote error={rule.error} onRetry={rule.reload} />
      {r && (
        <p className="rule-summary" data-testid="rule-summary">
          {r.enabled ? '' : 'Off. '}
          {ruleSummary(r, devices.data ? dmap : null)}
        </p>
      )}
      <section aria-labelledby="runs-h" className="card">
        <div className="section-head">
          <h2 id="runs-h">Firings, newest first</h2>
          <button type="button" className="btn btn-small" onClick={reload}>
            Refresh
          </button>
        </div>
        {loading && !runs.length && <Loading what="firings" />}
        <ErrorNote error={error} onRetry={reload} />
        {!loading && !error && runs.length === 0 && (
          <Empty>It has not fired yet. A firing is recorded when the trigger comes and every condition holds.</Empty>
        )}
        <ol className="feed" aria-label="Firings, newest first" data-testid="runs">
          {runs.map((run) => (
            <li key={run.run_id} className={run.status === 'failed' ? 'feed-item feed-alert' : 'feed-item'} data-status={run.status} data-testid="run">
              <span className="feed-icon" aria-hidden="true">
                <Icon name={RUN_ICON[run.status] ?? 'question'} />
              </span>
              <span className="feed-text">
                <strong>
                  {runVerb(run.status)} <RelTime iso={run.at} />
                </strong>
                : {runTriggerText(run.trigger)} — {runConditionsText(run)} → {runActionsText(run)}
              </span>
            </li>
          ))}
        </ol>
        {next && (
          <button type="button" className="btn" onClick={() => void list.loadOlder()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load older'}
          </button>
        )}
      </section>
    </div>
  );
}

