import { useMemo, useState, type FormEvent } from 'react';
import { NavLink, Route, Routes, useSearchParams } from 'react-router';
import { ApiError, type AlarmSettings, type ArmMode, type HomeInfo, type HomePatch, type HomeZone, type ZoneType } from '../api';
import { Saved, useFieldErrors } from '../components/form';
import { Empty, ErrorNote, Loading } from '../components/ui';
import { ARM_MODE_LABEL, homeTime, TYPE_LABEL, ZONE_TYPE_LABEL } from '../format';
import { useLoad } from '../hooks';
import { useApi, useSession } from '../session';
import { AlarmHistory } from './AlarmHistory';
import { HomeScope, useHome, useHomeScope } from './homeScope';
import { Codes, Contacts, Guests, Pets } from './HomeLists';

const SECTIONS: { path: string; label: string }[] = [
  { path: '', label: 'Alarm' },
  { path: 'zones', label: 'Sensors' },
  { path: 'codes', label: 'Codes' },
  { path: 'guests', label: 'Guests' },
  { path: 'pets', label: 'Pets' },
  { path: 'contacts', label: 'Contacts' },
  { path: 'history', label: 'History' },
];

export default function HomeSettings() {
  const api = useApi();
  const { user } = useSession();
  const admin = user?.role === 'admin';
  const [params, setParams] = useSearchParams();
  const homes = useLoad(() => (admin ? api.users().then((r) => r.users.filter((u) => u.role === 'user')) : Promise.resolve([])), [admin]);
  const uid = admin ? (params.get('user_id') ?? homes.data?.[0]?.id) : undefined;
  const search = admin && uid ? `?user_id=${encodeURIComponent(uid)}` : '';
  return (
    <div className="home-settings">
      <h1>Home settings</h1>
      {admin && (
        <div className="field">
          <label htmlFor="home-of">Home of</label>
          <select
            id="home-of"
            value={uid ?? ''}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              next.set('user_id', e.target.value);
              setParams(next, { replace: true });
            }}
          >
            {(homes.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
          <ErrorNote error={homes.error} onRetry={homes.reload} />
        </div>
      )}
      <nav aria-label="Home settings sections" className="subnav">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.path}>
              <NavLink to={{ pathname: s.path ? `/home/${s.path}` : '/home', search }} end>
                {s.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      {admin && !uid ? (
        homes.loading ? <Loading what="homes" /> : <Empty>No household to configure.</Empty>
      ) : (
        <HomeScope.Provider value={uid}>
          <Routes>
            <Route index element={<AlarmSection />} />
            <Route path="zones" element={<Zones />} />
            <Route path="codes" element={<Codes />} />
            <Route path="guests" element={<Guests />} />
            <Route path="pets" element={<Pets />} />
            <Route path="contacts" element={<Contacts />} />
            <Route path="history" element={<AlarmHistory />} />
            <Route path="*" element={<Empty>There is no such section.</Empty>} />
          </Routes>
        </HomeScope.Provider>
      )}
    </div>
  );
}

type DelayKey = Exclude<keyof AlarmSettings, 'entry_delay_by_mode'>;

/** The CP-01 timers with the ranges the home may set them within. */
export const DELAYS: { key: DelayKey; label: string; unit: string; min: number; max: number; hint: string }[] = [
  { key: 'exit_delay_seconds', label: 'Exit delay', unit: 's', min: 45, max: 255, hint: 'Time to leave after arming.' },
  { key: 'entry_delay_seconds', label: 'Entry delay', unit: 's', min: 30, max: 240, hint: 'Time to disarm after an entry door opens.' },
  {
    key: 'abort_window_seconds',
    label: 'Abort window',
    unit: 's',
    min: 0,
    max: 45,
    hint: 'After the entry delay: disarm within this and no alarm is sent.',
  },
  { key: 'siren_seconds', label: 'Siren time', unit: 's', min: 60, max: 600, hint: 'How long the siren sounds.' },
  {
    key: 'cross_zone_seconds',
    label: 'Cross-zone window',
    unit: 's',
    min: 5,
    max: 120,
    hint: 'Two sensors tripping within this verify an intrusion.',
  },
  {
    key: 'swinger_limit',
    label: 'Trips before a sensor is shut down',
    unit: 'trips',
    min: 1,
    max: 6,
    hint: 'Per arming; a sensor that trips this often is ignored until disarmed.',
  },
];
const ARM_MODES = Object.keys(ARM_MODE_LABEL) as ArmMode[];
const SETTING_KEYS = new Set<string>([...DELAYS.map((d) => d.key), 'entry_delay_by_mode']);

/** A field the server names, as the form names it ("exit_delay_seconds" -> "settings.exit_delay_seconds"). */
export const settingsField = (f: string) => (SETTING_KEYS.has(f.split('.')[0] ?? '') ? `settings.${f}` : f);

function AlarmSection() {
  const home = useHome();
  if (home.loading && !home.data) return <Loading what="home settings" />;
  if (!home.data) return <ErrorNote error={home.error ?? new Error('No home')} onRetry={home.reload} />;
  const h = home.data;
  const saved = (nh: HomeInfo) => home.set(() => nh);
  return (
    <>
      <Warnings warnings={h.warnings} />
      <DelaysForm key={`d-${h.user_id}`} home={h} onSaved={saved} />
      <HomeForm key={`h-${h.user_id}`} home={h} onSaved={saved} />
    </>
  );
}

function Warnings({ warnings }: { warnings: string[] }) {
  return (
    <div role="status" aria-live="polite" data-testid="home-warnings">
      {warnings.length > 0 && (
        <div className="note note-warn">
          <p>
            <span aria-hidden="true">⚠ </span>
            <strong>Worth a look:</strong>
          </p>
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w.charAt(0).toUpperCase() + w.slice(1)}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

const num = (raw: string): number | null => (raw.trim() === '' || Number.isNaN(Number(raw)) ? null : Number(raw));

function DelaysForm({ home, onSaved }: { home: HomeInfo; onSaved: (h: HomeInfo) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(DELAYS.map((d) => [d.key, String(home.settings[d.key] ?? '')])),
  );
  const [byMode, setByMode] = useState<Record<string, string>>(() =>
    Object.fromEntries(ARM_MODES.map((m) => [m, home.settings.entry_delay_by_mode?.[m]?.toString() ?? ''])),
  );
  const paths = useMemo(
    () => [...DELAYS.map((d) => `settings.${d.key}`), ...ARM_MODES.map((m) => `settings.entry_delay_by_mode.${m}`)],
    [],
  );
  const f = useFieldErrors(paths, settingsField);
  const [ok, setOk] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setOk(false);
    const settings: Partial<AlarmSettings> = {};
    for (const d of DELAYS) {
      const n = num(values[d.key] ?? '');
      if (n === null) {
        f.fail(localError(`settings.${d.key}`, d.label, `enter a number from ${d.min} to ${d.max}`));
        return;
      }
      settings[d.key] = n;
    }
    const modes: Partial<Record<ArmMode, number>> = {};
    for (const m of ARM_MODES) {
      const raw = byMode[m] ?? '';
      if (raw.trim() === '') continue;
      const n = num(raw);
      if (n === null) {
        f.fail(localError(`settings.entry_delay_by_mode.${m}`, `Entry delay (${ARM_MODE_LABEL[m]})`, 'enter a number, or leave it empty'));
        return;
      }
      modes[m] = n;
    }
    settings.entry_delay_by_mode = modes;
    setBusy(true);
    try {
      onSaved(await api.patchHome({ settings }, uid));
      setOk(true);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="delays-h" className="card">
      <h2 id="delays-h">Alarm delays</h2>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="delays-h">
        {DELAYS.map((d) => {
          const path = `settings.${d.key}`;
          const id = `set-${d.key}`;
          return (
            <div className="field" key={d.key}>
              <label htmlFor={id}>
                {d.label} ({d.unit})
              </label>
              <input
                id={id}
                type="number"
                inputMode="numeric"
                min={d.min}
                max={d.max}
                value={values[d.key] ?? ''}
                onChange={(e) => setValues({ ...values, [d.key]: e.target.value })}
                {...f.a11y(path, `hint-${d.key}`)}
              />
              <span id={`hint-${d.key}`} className="hint">
                {d.min}-{d.max} {d.unit}. {d.hint}
              </span>
              {f.err(path)}
            </div>
          );
        })}
        <fieldset className="by-mode">
          <legend>Entry delay per arm mode (s, 30-240; empty: the entry delay above)</legend>
          {ARM_MODES.map((m) => {
            const path = `settings.entry_delay_by_mode.${m}`;
            return (
              <div className="field" key={m}>
                <label htmlFor={`set-entry-${m}`}>{ARM_MODE_LABEL[m]}</label>
                <input
                  id={`set-entry-${m}`}
                  type="number"
                  inputMode="numeric"
                  min={30}
                  max={240}
                  placeholder={values['entry_delay_seconds'] ?? ''}
                  value={byMode[m] ?? ''}
                  onChange={(e) => setByMode({ ...byMode, [m]: e.target.value })}
                  {...f.a11y(path)}
                />
                {f.err(path)}
              </div>
            );
          })}
        </fieldset>
        {f.summary}
        <Saved show={ok} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save alarm delays'}
        </button>
      </form>
    </section>
  );
}

/** A check made before asking the server, shaped like the server's answer so it shows by its field. */
const localError = (field: string, label: string, reason: string) =>
  new ApiError(400, 'VALIDATION_ERROR', `${label}: ${reason}`, { field, reason });

function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  if (!zones.includes(current)) zones = [current, ...zones];
  if (!zones.includes('UTC')) zones.push('UTC');
  return zones;
}

function HomeForm({ home, onSaved }: { home: HomeInfo; onSaved: (h: HomeInfo) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [tz, setTz] = useState(home.time_zone);
  const [party, setParty] = useState(home.party_ends_at);
  const [arms, setArms] = useState(home.home_mode_arms);
  const f = useFieldErrors(['time_zone', 'party_ends_at', 'home_mode_arms']);
  const [ok, setOk] = useState(false);
  const [busy, setBusy] = useState(false);
  const zones = useMemo(() => timeZones(home.time_zone), [home.time_zone]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setOk(false);
    const patch: HomePatch = {};
    if (tz !== home.time_zone) patch.time_zone = tz;
    if (party !== home.party_ends_at) patch.party_ends_at = party;
    if (arms !== home.home_mode_arms) patch.home_mode_arms = arms;
    setBusy(true);
    try {
      onSaved(Object.keys(patch).length ? await api.patchHome(patch, uid) : home);
      setOk(true);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="homeform-h" className="card">
      <h2 id="homeform-h">Time zone and modes</h2>
      <p className="muted" data-testid="home-local-time">
        Home time now: {homeTime(home.local_time, home.time_zone)} ({home.time_zone})
      </p>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="homeform-h">
        <div className="field">
          <label htmlFor="home-tz">Time zone</label>
          <select id="home-tz" value={tz} onChange={(e) => setTz(e.target.value)} {...f.a11y('time_zone')}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          {f.err('time_zone')}
        </div>
        <div className="field">
          <label htmlFor="home-party">Party mode ends at (home time)</label>
          <input id="home-party" type="time" value={party} onChange={(e) => setParty(e.target.value)} {...f.a11y('party_ends_at')} />
          {f.err('party_ends_at')}
        </div>
        <div className="field field-check">
          <input id="home-arms" type="checkbox" checked={arms} onChange={(e) => setArms(e.target.checked)} {...f.a11y('home_mode_arms', 'home-arms-hint')} />
          <label htmlFor="home-arms">Home mode arms the alarm (Armed Home)</label>
          <span id="home-arms-hint" className="hint">
            Off: Home mode leaves the alarm disarmed.
          </span>
          {f.err('home_mode_arms')}
        </div>
        {f.summary}
        <Saved show={ok} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save time zone and modes'}
        </button>
      </form>
    </section>
  );
}

const ZONE_TYPES = Object.keys(ZONE_TYPE_LABEL) as ZoneType[];
type ZoneEdit = { zone_type: ZoneType; entry_delay_seconds: string; armed_at_night: boolean };
const zoneEdit = (z: HomeZone): ZoneEdit => ({
  zone_type: z.zone_type,
  entry_delay_seconds: z.entry_delay_seconds === null ? '' : String(z.entry_delay_seconds),
  armed_at_night: z.armed_at_night,
});

function Zones() {
  const home = useHome();
  if (home.loading && !home.data) return <Loading what="sensors" />;
  if (!home.data) return <ErrorNote error={home.error ?? new Error('No home')} onRetry={home.reload} />;
  return <ZonesForm key={home.data.user_id} home={home.data} onSaved={(h) => home.set(() => h)} />;
}

function ZonesForm({ home, onSaved }: { home: HomeInfo; onSaved: (h: HomeInfo) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [edits, setEdits] = useState<Record<string, ZoneEdit>>(() => Object.fromEntries(home.zones.map((z) => [z.device_id, zoneEdit(z)])));
  const paths = useMemo(
    () => home.zones.flatMap((z) => ['zone_type', 'entry_delay_seconds', 'armed_at_night'].map((k) => `zones.${z.device_id}.${k}`)),
    [home.zones],
  );
  const f = useFieldErrors(paths);
  const [ok, setOk] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setOk(false);
    const zones: NonNullable<HomePatch['zones']> = {};
    for (const z of home.zones) {
      const ed = edits[z.device_id];
      if (!ed) continue;
      const before = zoneEdit(z);
      const change: NonNullable<HomePatch['zones']>[string] = {};
      if (ed.zone_type !== before.zone_type) change.zone_type = ed.zone_type;
      if (ed.entry_delay_seconds !== before.entry_delay_seconds) {
        const raw = ed.entry_delay_seconds.trim();
        change.entry_delay_seconds = raw === '' ? null : Number(raw);
        if (raw !== '' && Number.isNaN(Number(raw))) {
          f.fail(localError(`zones.${z.device_id}.entry_delay_seconds`, z.name, 'enter a number of seconds, or leave it empty'));
          return;
        }
      }
      if (ed.armed_at_night !== before.armed_at_night) change.armed_at_night = ed.armed_at_night;
      if (Object.keys(change).length) zones[z.device_id] = change;
    }
    if (!Object.keys(zones).length) {
      setOk(true);
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.patchHome({ zones }, uid));
      setOk(true);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }

  const put = (id: string, p: Partial<ZoneEdit>) => setEdits((old) => ({ ...old, [id]: { ...old[id]!, ...p } }));
  return (
    <section aria-labelledby="zones-h" className="card">
      <h2 id="zones-h">Sensors and zone types</h2>
      <p className="muted">How each sensor counts when the home is armed.</p>
      {home.zones.length === 0 && <Empty>No sensors in this home yet.</Empty>}
      <form onSubmit={submit} noValidate aria-labelledby="zones-h">
        <ul className="zones" data-testid="zones">
          {home.zones.map((z) => {
            const ed = edits[z.device_id] ?? zoneEdit(z);
            const p = (k: string) => `zones.${z.device_id}.${k}`;
            return (
              <li key={z.device_id} className="zone" data-device-id={z.device_id}>
                <h3>
                  {z.name} <span className="muted small">{TYPE_LABEL[z.device_type] ?? z.device_type}</span>
                </h3>
                <div className="zone-fields">
                  <div className="field">
                    <label htmlFor={`zt-${z.device_id}`}>Zone type</label>
                    <select
                      id={`zt-${z.device_id}`}
                      value={ed.zone_type}
                      onChange={(e) => put(z.device_id, { zone_type: e.target.value as ZoneType })}
                      {...f.a11y(p('zone_type'))}
                    >
                      {ZONE_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {ZONE_TYPE_LABEL[t]}
                        </option>
                      ))}
                    </select>
                    {f.err(p('zone_type'))}
                  </div>
                  {ed.zone_type === 'entry_exit' && (
                    <div className="field">
                      <label htmlFor={`zd-${z.device_id}`}>Own entry delay (s)</label>
                      <input
                        id={`zd-${z.device_id}`}
                        type="number"
                        inputMode="numeric"
                        placeholder="Home's"
                        value={ed.entry_delay_seconds}
                        onChange={(e) => put(z.device_id, { entry_delay_seconds: e.target.value })}
                        {...f.a11y(p('entry_delay_seconds'))}
                      />
                      {f.err(p('entry_delay_seconds'))}
                    </div>
                  )}
                  {ed.zone_type === 'interior_follower' && (
                    <div className="field field-check">
                      <input
                        id={`zn-${z.device_id}`}
                        type="checkbox"
                        checked={ed.armed_at_night}
                        onChange={(e) => put(z.device_id, { armed_at_night: e.target.checked })}
                        {...f.a11y(p('armed_at_night'))}
                      />
                      <label htmlFor={`zn-${z.device_id}`}>Armed at night</label>
                      {f.err(p('armed_at_night'))}
                    </div>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
        {f.summary}
        <Saved show={ok} />
        {home.zones.length > 0 && (
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save sensors'}
          </button>
        )}
      </form>
    </section>
  );
}
