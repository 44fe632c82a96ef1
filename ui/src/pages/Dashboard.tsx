import { Link } from 'react-router';
import { battery, LOW_BATTERY, tileState } from '../format';
import { AlarmPanel } from '../components/AlarmPanel';
import { deviceMap, DeviceTile, Empty, ErrorNote, EventList, Loading } from '../components/ui';
import { useDevices, useEventFeed, useLoad } from '../hooks';
import { useApi, useSession } from '../session';
import type { Device, Readiness } from '../api';

export function systemStatus(devices: Device[], readiness: Readiness | undefined) {
  const offline = devices.filter((d) => !d.online);
  const low = devices.filter((d) => {
    const b = battery(d);
    return b !== undefined && b <= LOW_BATTERY;
  });
  const alerts = devices.filter((d) => tileState(d).tone === 'alert');
  const parts: string[] = [];
  if (alerts.length) parts.push(`${alerts.length} alarm${alerts.length > 1 ? 's' : ''}: ${alerts.map((d) => d.name).join(', ')}`);
  parts.push(offline.length ? `${offline.length} of ${devices.length} devices offline` : `All ${devices.length} devices online`);
  parts.push(low.length ? `${low.length} low batter${low.length > 1 ? 'ies' : 'y'}` : 'No low batteries');
  if (readiness) parts.push(readiness.status === 'ready' ? 'Platform ready' : 'Platform degraded');
  const tone = alerts.length ? 'alert' : offline.length || low.length || (readiness && readiness.status !== 'ready') ? 'warn' : 'ok';
  return { text: parts.join(' · '), tone } as const;
}

function groupByHome(ds: Device[]): [string, Device[]][] {
  const m = new Map<string, Device[]>();
  for (const d of ds) m.set(d.user_id, [...(m.get(d.user_id) ?? []), d]);
  return [...m.entries()];
}

export function Dashboard() {
  const api = useApi();
  const { user } = useSession();
  const devices = useDevices();
  const readiness = useLoad(() => api.readiness(), []);
  const feed = useEventFeed({}, 20);
  const admin = user?.role === 'admin';
  const users = useLoad(() => (admin ? api.users().then((r) => r.users) : Promise.resolve([])), [admin]);
  const list = devices.data ?? [];
  const status = devices.data ? systemStatus(list, readiness.data) : null;
  return (
    <div className="dash">
      <h1>{user?.role === 'admin' ? 'Every home' : 'My home'}</h1>
      {status && (
        <p className={`status-line tone-${status.tone}`} data-testid="system-status" role="status">
          <span aria-hidden="true">{status.tone === 'ok' ? '✓ ' : '⚠ '}</span>
          {status.text}
        </p>
      )}
      {!admin && <AlarmPanel />}
      <div className="dash-grid">
        <section aria-labelledby="devices-h">
          <h2 id="devices-h">Devices</h2>
          {devices.loading && !devices.data && <Loading what="devices" />}
          <ErrorNote error={devices.error} onRetry={devices.reload} />
          {devices.data && list.length === 0 && <Empty>No devices in this home yet.</Empty>}
          {list.length > 0 && !admin && (
            <ul className="tiles" data-testid="tiles">
              {list.map((d) => (
                <DeviceTile key={d.device_id} device={d} />
              ))}
            </ul>
          )}
          {list.length > 0 &&
            admin &&
            groupByHome(list).map(([uid, ds]) => {
              const owner = users.data?.find((u) => u.id === uid);
              return (
                <section key={uid} aria-label={`Home of ${owner?.name ?? uid}`} className="home-group">
                  <h3>
                    Home of {owner ? `${owner.name} (${owner.email})` : uid} · {ds.length} devices
                  </h3>
                  <ul className="tiles">
                    {ds.map((d) => (
                      <DeviceTile key={d.device_id} device={d} />
                    ))}
                  </ul>
                </section>
              );
            })}
        </section>
        <section aria-labelledby="feed-h" className="dash-feed">
          <div className="section-head">
            <h2 id="feed-h">Live events</h2>
            <Link to="/events">View all</Link>
          </div>
          {feed.loading && <Loading what="events" />}
          <ErrorNote error={feed.error} />
          {!feed.loading && feed.events.length === 0 && <Empty>Nothing has happened yet. New events appear here as they arrive.</Empty>}
          <EventList events={feed.events.slice(0, 20)} devices={deviceMap(devices.data)} label="Latest events, newest first" />
        </section>
      </div>
    </div>
  );
}
