import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { errorText, type Device, type HomeEvent, type Json, type JsonObject } from '../api';
import { Check, Input, Select, useForm } from '../components/form';
import { deviceMap, Empty, ErrorNote, EventList, Loading, OnlineBadge, Outcome, RelTime } from '../components/ui';
import { battery, commandLabel, COMMANDS, describeEvent, humanize, lastSeen, tileState, TYPE_ICON, TYPE_LABEL } from '../format';
import { useEventFeed, useLoad } from '../hooks';
import { useApi } from '../session';
import { useStream } from '../stream';

import { Icon } from '../components/Icon';

const Chart = lazy(() => import('../components/Chart'));

const CHOICES: Record<string, string[]> = {
  volume: ['off', 'low', 'medium', 'high'],
  sensitivity: ['low', 'medium', 'high'],
  unit: ['F', 'C'],
  resolution: ['720p', '1080p', '2k', '4k'],
};

export default function DeviceDetail() {
  const { id = '' } = useParams();
  const api = useApi();
  const dev = useLoad(() => api.device(id), [id]);
  const { set } = dev;
  useStream((m) => {
    if (m.type === 'state' && m.device_id === id) set((d) => d && { ...d, state: { ...d.state, ...m.state }, online: m.online });
  });
  if (dev.loading && !dev.data) return <Loading what="device" />;
  if (dev.error || !dev.data) {
    return (
      <section>
        <h1>Device</h1>
        <ErrorNote error={dev.error ?? new Error('Device not found')} onRetry={dev.reload} />
        <Link to="/">Back to the dashboard</Link>
      </section>
    );
  }
  const d = dev.data;
  return <DeviceView device={d} onChange={(nd) => set(() => nd)} />;
}

function DeviceView({ device: d, onChange }: { device: Device; onChange: (d: Device) => void }) {
  const ts = tileState(d);
  const b = battery(d);
  const feed = useEventFeed({ device_id: d.device_id }, 20);
  return (
    <div className="detail">
      <p>
        <Link to="/">← Dashboard</Link>
      </p>
      <h1>
        <Icon name={TYPE_ICON[d.type]} />{' '}
        {d.name}
      </h1>
      <p className="muted">
        {TYPE_LABEL[d.type]} · {d.location.zone}, floor {d.location.floor} · {d.model} · firmware {d.firmware_version}
      </p>
      <section aria-labelledby="state-h" className="card">
        <h2 id="state-h">State</h2>
        <p className={`big-state tone-${ts.tone}`} data-testid="detail-state">
          <Icon name={ts.icon} />{' '}
          {ts.label}
          {ts.detail ? <span className="tile-detail"> · {ts.detail}</span> : null}
        </p>
        <p>
          <OnlineBadge device={d} /> {b !== undefined && <span className="badge">Battery {b}%</span>}{' '}
          <RelTime iso={lastSeen(d)} prefix="Last seen " />
        </p>
        <details>
          <summary>All state fields</summary>
          <dl className="kv">
            {Object.entries(d.state).map(([k, v]) => (
              <div key={k}>
                <dt>{humanize(k)}</dt>
                <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
              </div>
            ))}
          </dl>
        </details>
      </section>
      <Commands device={d} />
      <section aria-labelledby="chart-h" className="card">
        <h2 id="chart-h">{d.type === 'thermostat' ? 'Temperature, last 6 hours' : 'Events per hour, last 24 hours'}</h2>
        <Suspense fallback={<Loading what="chart" />}>
          <Chart device={d} />
        </Suspense>
      </section>
      <section aria-labelledby="events-h" className="card">
        <div className="section-head">
          <h2 id="events-h">Recent events</h2>
          <Link to={`/events?device_id=${d.device_id}`}>View all</Link>
        </div>
        {feed.loading && <Loading what="events" />}
        <ErrorNote error={feed.error} />
        {!feed.loading && feed.events.length === 0 && <Empty>No events from this device yet.</Empty>}
        <EventList events={feed.events} devices={deviceMap([d])} label={`Recent events of ${d.name}`} />
      </section>
      <ConfigForm device={d} onSaved={onChange} />
      <KeySection device={d} />
    </div>
  );
}

type Pending = { command: string; id: string; started: number } | null;

function Commands({ device: d }: { device: Device }) {
  const api = useApi();
  const [pending, setPending] = useState<Pending>(null);
  const [result, setResult] = useState<{ text: string; ok: boolean } | null>(null);
  const [temp, setTemp] = useState(() => {
    const t = d.state['target_temperature'];
    return typeof t === 'number' ? String(t) : '70';
  });
  const [mode, setMode] = useState(() => (typeof d.state['mode'] === 'string' ? d.state['mode'] : 'heat'));
  const pendingRef = useRef<Pending>(null);
  pendingRef.current = pending;
  // The device may answer before the 202 arrives: keep its answers by command id.
  const answers = useRef(new Map<string, HomeEvent>());

  const answered = (e: HomeEvent) => {
    setPending(null);
    setResult({ text: `Device answered: ${describeEvent(e, d)}.`, ok: true });
  };
  useStream((m) => {
    if (m.type !== 'event' || m.event.device_id !== d.device_id) return;
    const cid = m.event.metadata['command_id'];
    if (typeof cid !== 'string') return;
    const p = pendingRef.current;
    if (p && cid === p.id) {
      pendingRef.current = null;
      answered(m.event);
    }
    else {
      answers.current.set(cid, m.event);
      if (answers.current.size > 50) answers.current.delete(answers.current.keys().next().value!);
    }
  });
  useEffect(() => {
    if (!pending) return;
    const t = setTimeout(() => {
      setPending(null);
      setResult({ text: `No answer from ${d.name} yet for "${commandLabel(pending.command)}". It may be offline.`, ok: false });
    }, 15000);
    return () => clearTimeout(t);
  }, [pending, d.name]);

  async function send(command: string, parameters: JsonObject = {}) {
    setResult(null);
    try {
      const r = await api.command(d.device_id, command, parameters);
      const early = answers.current.get(r.command_id);
      if (early) answered(early);
      else {
        // Set the ref now, not at the next render: the answer may arrive in between.
        const p = { command, id: r.command_id, started: Date.now() };
        pendingRef.current = p;
        setPending(p);
      }
    } catch (e) {
      setResult({ text: errorText(e), ok: false });
    }
  }

  const cmds = COMMANDS[d.type];
  return (
    <section aria-labelledby="cmd-h" className="card">
      <h2 id="cmd-h">Controls</h2>
      <div className="cmds">
        {cmds
          .filter((c) => c !== 'set_temperature' && c !== 'set_mode')
          .map((c) => (
            <button key={c} type="button" className="btn" disabled={!!pending} onClick={() => void send(c)}>
              {commandLabel(c)}
            </button>
          ))}
      </div>
      {d.type === 'thermostat' && (
        <div className="cmd-forms">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void send('set_temperature', { temperature: Number(temp) });
            }}
          >
            <label htmlFor="cmd-temp">Set temperature (50-90 °F)</label>
            <div className="row">
              <input id="cmd-temp" type="number" step="0.5" value={temp} onChange={(e) => setTemp(e.target.value)} />
              <button type="submit" className="btn" disabled={!!pending}>
                Set
              </button>
            </div>
          </form>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void send('set_mode', { mode });
            }}
          >
            <label htmlFor="cmd-mode">Mode</label>
            <div className="row">
              <select id="cmd-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
                {['heat', 'cool', 'auto', 'off'].map((m) => (
                  <option key={m} value={m}>
                    {humanize(m)}
                  </option>
                ))}
              </select>
              <button type="submit" className="btn" disabled={!!pending}>
                Set mode
              </button>
            </div>
          </form>
        </div>
      )}
      <div aria-live="polite" role="status" data-testid="command-result">
        {pending && (
          <p className="muted">
            <span className="spinner" aria-hidden="true" /> Sent "{commandLabel(pending.command)}", waiting for the device…
          </p>
        )}
        {result && <Outcome ok={result.ok}>{result.text}</Outcome>}
      </div>
    </section>
  );
}

type ConfigField = { key: string; path: string; label: string; value: Json };

function ConfigForm({ device: d, onSaved }: { device: Device; onSaved: (d: Device) => void }) {
  const api = useApi();
  const [name, setName] = useState(d.name);
  const [zone, setZone] = useState(d.location.zone);
  const [config, setConfig] = useState<JsonObject>(d.config);

  const fields: ConfigField[] = Object.entries(d.config)
    .filter(([, v]) => v === null || typeof v !== 'object')
    .map(([k, v]) => ({ key: k, path: `config.${k}`, label: humanize(k), value: v }));
  const f = useForm(['name', 'location.zone', ...fields.map((x) => x.path)]);

  const submit = f.submit(() =>
    api
      .patchDevice(d.device_id, { name, location: { zone, floor: d.location.floor }, config })
      .then((nd) => onSaved({ ...d, ...nd, state: d.state, online: d.online, last_heartbeat: d.last_heartbeat })),
  );
  const fieldError = Object.keys(f.errors).length > 0;

  return (
    <section aria-labelledby="cfg-h" className="card">
      <h2 id="cfg-h">Settings</h2>
      <form onSubmit={submit} noValidate className="cfg">
        <Input id="f-name" label="Name" path="name" f={f} value={name} onChange={setName} />
        <Input id="f-zone" label="Zone" path="location.zone" f={f} value={zone} onChange={setZone} />
        {fields.map((c) => {
          const id = `f-${c.key}`;
          const v = config[c.key];
          const choices = CHOICES[c.key];
          const put = (x: Json) => setConfig({ ...config, [c.key]: x });
          const at = { id, label: c.label, path: c.path, f };
          if (typeof c.value === 'boolean') return <Check key={c.key} {...at} checked={v === true} onChange={put} />;
          if (choices) return <Select key={c.key} {...at} options={choices.map((x) => [x, x] as const)} value={String(v ?? '')} onChange={put} />;
          if (typeof c.value === 'number') {
            return (
              <Input
                key={c.key}
                {...at}
                type="number"
                inputMode="decimal"
                value={String(v ?? '')}
                onChange={(raw) => {
                  const n = Number(raw);
                  put(raw === '' || Number.isNaN(n) ? raw : n);
                }}
              />
            );
          }
          return <Input key={c.key} {...at} value={String(v ?? '')} onChange={put} />;
        })}
        {f.formError && !fieldError && (
          <p className="note note-error" role="alert">
            {f.formError}
          </p>
        )}
        <div role="status" aria-live="polite">
          {fieldError && <p className="sr-only">{f.formError}</p>}
          {f.done && <Outcome ok>Saved.</Outcome>}
        </div>
        <button type="submit" className="btn btn-primary" disabled={f.busy}>
          {f.busy ? 'Saving…' : 'Save settings'}
        </button>
      </form>
    </section>
  );
}

function KeySection({ device: d }: { device: Device }) {
  const api = useApi();
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function issue() {
    setBusy(true);
    setError(null);
    try {
      const r = await api.issueKey(d.device_id);
      setKey(r.device_key);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="key-h" className="card">
      <h2 id="key-h">Ingest key</h2>
      <p className="muted">
        The device posts its events with this key. Issuing a new one stops the old key within 5 seconds. The key is shown only
        once.
      </p>
      <button type="button" className="btn" onClick={() => void issue()} disabled={busy}>
        {key ? 'Rotate key again' : 'Issue / rotate key'}
      </button>
      <ErrorNote error={error} />
      {key && (
        <div className="note note-ok" role="status">
          <p>New key (copy it now, it will not be shown again):</p>
          <code className="key" data-testid="device-key" tabIndex={0}>
            {key}
          </code>
        </div>
      )}
    </section>
  );
}
