import { Link } from 'react-router';
import { parseMetrics, type Sample } from '../api';
import { ErrorNote, Loading } from '../components/ui';
import { useDevices, useLoad } from '../hooks';
import { useApi } from '../session';

export function busStats(samples: Sample[]) {
  const rows = new Map<string, { consumer: string; topic: string; handled: number; dead: number }>();
  for (const s of samples) {
    if (s.name !== 'bus_messages_handled_total' && s.name !== 'bus_messages_dead_lettered_total') continue;
    const k = `${s.labels['consumer']}|${s.labels['topic']}`;
    const r = rows.get(k) ?? { consumer: s.labels['consumer'] ?? '?', topic: s.labels['topic'] ?? '?', handled: 0, dead: 0 };
    if (s.name === 'bus_messages_handled_total') r.handled += s.value;
    else r.dead += s.value;
    rows.set(k, r);
  }
  return [...rows.values()].sort((a, b) => a.consumer.localeCompare(b.consumer));
}

export function httpStats(samples: Sample[]) {
  let total = 0;
  let errors = 0;
  let client = 0;
  for (const s of samples) {
    if (s.name !== 'http_requests_total') continue;
    total += s.value;
    const st = Number(s.labels['status']);
    if (st >= 500) errors += s.value;
    else if (st >= 400) client += s.value;
  }
  return { total, errors, client, rate: total ? errors / total : 0 };
}

export default function Admin() {
  const api = useApi();
  const users = useLoad(() => api.users().then((r) => r.users), []);
  const devices = useDevices();
  const ready = useLoad(() => api.readiness(), []);
  const metrics = useLoad(() => api.metrics().then(parseMetrics), []);
  const bus = metrics.data ? busStats(metrics.data) : [];
  const http = metrics.data ? httpStats(metrics.data) : null;
  return (
    <div>
      <h1>Admin</h1>
      <section className="card" aria-labelledby="monitoring-h">
        <h2 id="monitoring-h">Monitoring center</h2>
        <p>
          Every alarm signal reported to the central station (SIA DC-09), with how it was taken, duress included:{' '}
          <Link to="/admin/monitoring">Monitoring reports</Link>
        </p>
      </section>
      <section className="card" aria-labelledby="homes-h">
        <h2 id="homes-h">Homes</h2>
        {(users.loading || devices.loading) && <Loading what="homes" />}
        <ErrorNote error={users.error ?? devices.error} />
        {users.data && devices.data && (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Homes table">
            <table data-testid="homes">
              <caption className="sr-only">Every home with its device and online counts</caption>
              <thead>
                <tr>
                  <th scope="col">Home of</th>
                  <th scope="col">Devices</th>
                  <th scope="col">Online</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => {
                  const ds = devices.data!.filter((d) => d.user_id === u.id);
                  const on = ds.filter((d) => d.online).length;
                  return (
                    <tr key={u.id}>
                      <th scope="row">
                        {u.name} <span className="muted">({u.email})</span>
                      </th>
                      <td>{ds.length}</td>
                      <td>
                        {ds.length ? (on === ds.length ? '✓ ' : '⚠ ') : ''}
                        {on} of {ds.length}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="users-h">
        <h2 id="users-h">Users</h2>
        {users.data && (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Users table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td>{u.name}</td>
                    <td>{u.email}</td>
                    <td>{u.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="health-h">
        <h2 id="health-h">System health</h2>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            ready.reload();
            metrics.reload();
          }}
        >
          Refresh
        </button>
        <ErrorNote error={ready.error ?? metrics.error} />
        {ready.data && (
          <>
            <p data-testid="readiness">
              <span aria-hidden="true">{ready.data.status === 'ready' ? '✓ ' : '⚠ '}</span>
              Readiness: {ready.data.status}
            </p>
            <ul className="checks-inline">
              {Object.entries(ready.data.checks ?? {}).map(([k, v]) => (
                <li key={k}>
                  <span aria-hidden="true">{v === 'ok' ? '✓ ' : '✗ '}</span>
                  {k}: {String(v)}
                </li>
              ))}
            </ul>
          </>
        )}
        {http && (
          <p data-testid="http-rate">
            HTTP: {http.total} requests, {http.errors} server errors ({(http.rate * 100).toFixed(2)}%), {http.client} client errors
          </p>
        )}
        {bus.length > 0 && (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Event bus consumers table">
            <table>
              <caption>Event bus consumers</caption>
              <thead>
                <tr>
                  <th scope="col">Consumer</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Handled</th>
                  <th scope="col">Dead-lettered</th>
                </tr>
              </thead>
              <tbody>
                {bus.map((r) => (
                  <tr key={r.consumer + r.topic}>
                    <td>{r.consumer}</td>
                    <td>{r.topic}</td>
                    <td>{r.handled}</td>
                    <td>
                      {r.dead > 0 ? '⚠ ' : ''}
                      {r.dead}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
