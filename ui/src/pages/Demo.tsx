import { useEffect, useState } from 'react';
import { errorText, type ScenarioStatus, type VerdictCheck } from '../api';
import { Empty, ErrorNote, Loading } from '../components/ui';
import { exactTime, humanize } from '../format';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const CHECK_TEXT: Record<VerdictCheck['status'], { icon: string; text: string }> = {
  pass: { icon: '✓', text: 'Pass' },
  fail: { icon: '✗', text: 'Fail' },
  unverifiable: { icon: '?', text: 'Unverifiable' },
};

export function describeExpectation(x: Record<string, unknown>): string {
  return Object.entries(x)
    .map(([k, v]) => `${humanize(k)}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}

export default function Demo() {
  const api = useApi();
  const scenarios = useLoad(() => api.scenarios(), []);
  const users = useLoad(() => api.users().then((r) => r.users.filter((u) => u.role === 'user')), []);
  const [user, setUser] = useState('');
  const [speed, setSpeed] = useState('10');
  const [active, setActive] = useState<string | null>(null);
  const [status, setStatus] = useState<ScenarioStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!active) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    let polls = 0;
    const poll = async () => {
      try {
        const s = await api.scenarioStatus(active);
        if (!live) return;
        setStatus(s);
        // Poll while it runs, and while it verifies (until the verdict is there).
        if (!s.verdict && polls++ < 900) timer = setTimeout(() => void poll(), 1000);
        else scenarios.reload();
      } catch (e) {
        if (live) setError(errorText(e));
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active, api]);

  async function start(name: string) {
    setError(null);
    setStatus(null);
    const sp = Number(speed);
    try {
      const s = await api.startScenario(name, { user: user || undefined, speed: Number.isFinite(sp) && sp > 0 ? sp : undefined });
      setStatus(s);
      setActive(null);
      setTimeout(() => setActive(name), 0);
    } catch (e) {
      setError(errorText(e));
    }
  }
  async function stop() {
    if (!status) return;
    try {
      const s = await api.stopScenario(status.scenario);
      setStatus(s);
    } catch (e) {
      setError(errorText(e));
    }
  }

  const running = status?.status === 'running';
  const busy = !!status && !status.verdict;
  return (
    <div>
      <h1>Demo</h1>
      <section className="card" aria-labelledby="run-opts-h">
        <h2 id="run-opts-h">Run options</h2>
        <div className="filters">
          <div className="field">
            <label htmlFor="demo-user">Home</label>
            <select id="demo-user" value={user} onChange={(e) => setUser(e.target.value)}>
              <option value="">Default (john@demo.com)</option>
              {(users.data ?? []).map((u) => (
                <option key={u.id} value={u.email}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="demo-speed">Speed (times real time)</label>
            <input id="demo-speed" type="number" min="0.1" step="any" value={speed} onChange={(e) => setSpeed(e.target.value)} />
          </div>
        </div>
      </section>
      {error && (
        <p className="note note-error" role="alert">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      {status && (
        <section className="card run" aria-labelledby="run-h" data-testid="scenario-run">
          <h2 id="run-h">
            {humanize(status.scenario)}: {status.status}
          </h2>
          <p role="status" aria-live="polite" data-testid="scenario-progress">
            <span aria-hidden="true">{running ? '▶ ' : '■ '}</span>
            {status.progress} · {status.events_injected} events injected · step {status.steps_done} of {status.steps_total} · home{' '}
            {status.user} · speed {status.speed}×
          </p>
          <progress max={status.duration_seconds || 1} value={Math.min(status.elapsed_seconds, status.duration_seconds)} aria-label="Scenario progress">
            {status.progress}
          </progress>
          {running && (
            <p>
              <button type="button" className="btn btn-danger" onClick={() => void stop()}>
                Stop
              </button>
            </p>
          )}
          {Object.keys(status.devices).length > 0 && (
            <details>
              <summary>Devices used ({Object.keys(status.devices).length})</summary>
              <ul>
                {Object.entries(status.devices).map(([role, d]) => (
                  <li key={role}>
                    {humanize(role)}: {d.name}
                    {d.created ? ' (created for this run)' : ''}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {status.verdict && (
            <div data-testid="verdict">
              <h3>
                Verdict: {status.verdict.passed ? '✓ passed' : '✗ not passed'} ({status.verdict.passed_checks} pass,{' '}
                {status.verdict.failed_checks} fail, {status.verdict.unverifiable_checks} unverifiable)
              </h3>
              <ul className="checks">
                {status.verdict.checks.map((c, i) => (
                  <li key={i} className={`check check-${c.status}`}>
                    <span className="check-status">
                      <span aria-hidden="true">{CHECK_TEXT[c.status].icon} </span>
                      {CHECK_TEXT[c.status].text}
                    </span>
                    <span className="check-exp">{describeExpectation(c.expectation)}</span>
                    <span className="check-ev">
                      {c.evidence}
                      {c.needs ? ` (needs ${c.needs})` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </section>
      )}
      <section aria-labelledby="sc-h">
        <h2 id="sc-h">Scenarios</h2>
        {scenarios.loading && !scenarios.data && <Loading what="scenarios" />}
        <ErrorNote error={scenarios.error} onRetry={scenarios.reload} />
        {scenarios.data && scenarios.data.scenarios.length === 0 && <Empty>No scenarios are loaded.</Empty>}
        <ul className="scenarios">
          {(scenarios.data?.scenarios ?? []).map((s) => (
            <li key={s.name} className="card scenario" data-scenario={s.name}>
              <h3>{humanize(s.name)}</h3>
              <p>{s.description}</p>
              <p className="muted">
                {s.duration} · {s.steps} steps · {s.expectations} expectations
                {s.running ? ' · running now' : ''}
              </p>
              {s.lacks.length > 0 && <p className="muted small">This build lacks: {s.lacks.join('; ')}.</p>}
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => void start(s.name)}
                disabled={busy}
                aria-label={`Start ${humanize(s.name)}`}
              >
                Start
              </button>
            </li>
          ))}
        </ul>
      </section>
      <Clock />
    </div>
  );
}

function Clock() {
  const api = useApi();
  const t = useLoad(() => api.demoTime(), []);
  const [time, setTime] = useState('');
  const [speed, setSpeed] = useState('');
  const [error, setError] = useState<string | null>(null);
  async function post(body: Parameters<typeof api.setDemoTime>[0]) {
    setError(null);
    try {
      const r = await api.setDemoTime(body);
      t.set(() => r);
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <section className="card" aria-labelledby="clock-h">
      <h2 id="clock-h">Simulated clock</h2>
      {t.loading && !t.data && <Loading what="clock" />}
      <ErrorNote error={t.error} />
      {t.data && (
        <p data-testid="clock">
          Home time {exactTime(t.data.now)} · {t.data.simulated ? `simulated, ${t.data.speed}× speed, offset ${Math.round(t.data.offset_seconds)} s` : 'real time'}
        </p>
      )}
      <div className="filters">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (time) void post({ time: new Date(time).toISOString() });
          }}
        >
          <label htmlFor="clock-time">Set time</label>
          <div className="row">
            <input id="clock-time" type="datetime-local" value={time} onChange={(e) => setTime(e.target.value)} />
            <button className="btn" type="submit">
              Set
            </button>
          </div>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(speed);
            if (n > 0) void post({ speed: n });
          }}
        >
          <label htmlFor="clock-speed">Clock speed</label>
          <div className="row">
            <input id="clock-speed" type="number" min="0.1" step="any" value={speed} onChange={(e) => setSpeed(e.target.value)} />
            <button className="btn" type="submit">
              Set speed
            </button>
          </div>
        </form>
        <div>
          <button className="btn" type="button" onClick={() => void post({ reset: true })}>
            Reset to real time
          </button>
        </div>
      </div>
      {error && (
        <p className="note note-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
