import { useMemo, useState } from 'react';
import { NavLink, Route, Routes, useSearchParams } from 'react-router';
import { type AlarmSettings, type ArmMode, type HomeInfo, type HomePatch, type HomeZone, type ZoneType } from '../api';
import { Check, FormCard, FormEnd, Input, localError, Select, useForm } from '../components/form';
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
  const f = useForm(paths, settingsField);

  const submit = f.submit(() => {
    const settings: Partial<AlarmSettings> = {};
    for (const d of DELAYS) {
      const n = num(values[d.key] ?? '');
      if (n === null) return localError(`settings.${d.key}`, d.label, `enter a number from ${d.min} to ${d.max}`);
      settings[d.key] = n;
    }
    const modes: Partial<Record<ArmMode, number>> = {};
    for (const m of ARM_MODES) {
      const raw = byMode[m] ?? '';
      if (raw.trim() === '') continue;
      const n = num(raw);
      if (n === null) return localError(`settings.entry_delay_by_mode.${m}`, `Entry delay (${ARM_MODE_LABEL[m]})`, 'enter a number, or leave it empty');
      modes[m] = n;
    }
    settings.entry_delay_by_mode = modes;
    return api.patchHome({ settings }, uid).then(onSaved);
  });

  return (
    <FormCard id="delays-h" title="Alarm delays" form={f} onSubmit={submit} label="Save alarm delays">
      {DELAYS.map((d) => (
        <Input
          key={d.key}
          id={`set-${d.key}`}
          label={`${d.label} (${d.unit})`}
          path={`settings.${d.key}`}
          f={f}
          hint={`${d.min}-${d.max} ${d.unit}. ${d.hint}`}
          hintId={`hint-${d.key}`}
          type="number"
          inputMode="numeric"
          min={d.min}
          max={d.max}
          value={values[d.key] ?? ''}
          onChange={(x) => setValues({ ...values, [d.key]: x })}
        />
      ))}
      <fieldset className="by-mode">
        <legend>Entry delay per arm mode (s, 30-240; empty: the entry delay above)</legend>
        {ARM_MODES.map((m) => (
          <Input
            key={m}
            id={`set-entry-${m}`}
            label={ARM_MODE_LABEL[m]}
            path={`settings.entry_delay_by_mode.${m}`}
            f={f}
            type="number"
            inputMode="numeric"
            min={30}
            max={240}
            placeholder={values['entry_delay_seconds'] ?? ''}
            value={byMode[m] ?? ''}
            onChange={(x) => setByMode({ ...byMode, [m]: x })}
          />
        ))}
      </fieldset>
    </FormCard>
  );
}

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
  const f = useForm(['time_zone', 'party_ends_at', 'home_mode_arms']);
  const zones = useMemo(() => timeZones(home.time_zone).map((z) => [z, z.replace(/_/g, ' ')] as const), [home.time_zone]);

  const submit = f.submit(() => {
    const patch: HomePatch = {};
    if (tz !== home.time_zone) patch.time_zone = tz;
    if (party !== home.party_ends_at) patch.party_ends_at = party;
    if (arms !== home.home_mode_arms) patch.home_mode_arms = arms;
    return (Object.keys(patch).length ? api.patchHome(patch, uid) : Promise.resolve(home)).then(onSaved);
  });

  return (
    <FormCard
      id="homeform-h"
      title="Time zone and modes"
      form={f}
      onSubmit={submit}
      label="Save time zone and modes"
      intro={
        <p className="muted" data-testid="home-local-time">
          Home time now: {homeTime(home.local_time, home.time_zone)} ({home.time_zone})
        </p>
      }
    >
      <Select id="home-tz" label="Time zone" path="time_zone" f={f} options={zones} value={tz} onChange={setTz} />
      <Input id="home-party" label="Party mode ends at (home time)" path="party_ends_at" f={f} type="time" value={party} onChange={setParty} />
      <Check
        id="home-arms"
        label="Home mode arms the alarm (Armed Home)"
        path="home_mode_arms"
        f={f}
        hint="Off: Home mode leaves the alarm disarmed."
        checked={arms}
        onChange={setArms}
      />
    </FormCard>
  );
}

const ZONE_TYPES = (Object.keys(ZONE_TYPE_LABEL) as ZoneType[]).map((t) => [t, ZONE_TYPE_LABEL[t]] as const);
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
  const f = useForm(paths);

  const submit = f.submit(() => {
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
          return localError(`zones.${z.device_id}.entry_delay_seconds`, z.name, 'enter a number of seconds, or leave it empty');
        }
      }
      if (ed.armed_at_night !== before.armed_at_night) change.armed_at_night = ed.armed_at_night;
      if (Object.keys(change).length) zones[z.device_id] = change;
    }
    if (!Object.keys(zones).length) return 'Saved.';
    return api.patchHome({ zones }, uid).then(onSaved);
  });

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
                  <Select
                    id={`zt-${z.device_id}`}
                    label="Zone type"
                    path={p('zone_type')}
                    f={f}
                    options={ZONE_TYPES}
                    value={ed.zone_type}
                    onChange={(x) => put(z.device_id, { zone_type: x })}
                  />
                  {ed.zone_type === 'entry_exit' && (
                    <Input
                      id={`zd-${z.device_id}`}
                      label="Own entry delay (s)"
                      path={p('entry_delay_seconds')}
                      f={f}
                      type="number"
                      inputMode="numeric"
                      placeholder="Home's"
                      value={ed.entry_delay_seconds}
                      onChange={(x) => put(z.device_id, { entry_delay_seconds: x })}
                    />
                  )}
                  {ed.zone_type === 'interior_follower' && (
                    <Check
                      id={`zn-${z.device_id}`}
                      label="Armed at night"
                      path={p('armed_at_night')}
                      f={f}
                      checked={ed.armed_at_night}
                      onChange={(x) => put(z.device_id, { armed_at_night: x })}
                    />
                  )}
                </div>
              </li>
            );
          })}
        </ul>
        <FormEnd form={f} label="Save sensors" button={home.zones.length > 0} />
      </form>
    </section>
  );
}
