import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Device, HomeEvent } from '../api';
import { errorText } from '../api';
import {
  battery,
  describeEvent,
  exactTime,
  isAlertEvent,
  lastSeen,
  LOW_BATTERY,
  relativeTime,
  tileState,
  TYPE_ICON,
  TYPE_LABEL,
} from '../format';
import { useNow } from '../hooks';
import { Icon } from './Icon';

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="note note-error" role="alert">
      <span aria-hidden="true">⚠ </span>
      {errorText(error)}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** How an action went: ✓ on green or ⚠ on red. */
export function Outcome({ ok, children }: { ok: boolean; children: ReactNode }) {
  return (
    <p className={ok ? 'note note-ok' : 'note note-error'}>
      <span aria-hidden="true">{ok ? '✓ ' : '⚠ '}</span>
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function RelTime({ iso, prefix = '' }: { iso: string | null | undefined; prefix?: string }) {
  const now = useNow();
  if (!iso) return <span>{prefix}never</span>;
  return (
    <time dateTime={iso} title={exactTime(iso)} tabIndex={0} aria-label={`${prefix}${relativeTime(iso, now)}, ${exactTime(iso)}`}>
      {prefix}
      {relativeTime(iso, now)}
    </time>
  );
}

export function OnlineBadge({ device }: { device: Device }) {
  return device.online ? (
    <span className="badge badge-ok">
      <span aria-hidden="true">● </span>Online
    </span>
  ) : (
    <span className="badge badge-off">
      <span aria-hidden="true">○ </span>Offline
    </span>
  );
}

export function DeviceTile({ device }: { device: Device }) {
  const ts = tileState(device);
  const b = battery(device);
  const seen = lastSeen(device);
  return (
    <li className={`tile tone-${ts.tone}`} data-testid="tile" data-device-id={device.device_id} data-device-type={device.type}>
      <Link to={`/devices/${device.device_id}`} className="tile-link">
        <span className="tile-icon" aria-hidden="true">
          <Icon name={TYPE_ICON[device.type]} />
        </span>
        <span className="tile-name">{device.name}</span>
        <span className="tile-zone">
          {device.location.zone} · {TYPE_LABEL[device.type]}
        </span>
        <span className="tile-state" data-testid="tile-state">
          <Icon name={ts.icon} /> {ts.label}
        </span>
        {ts.detail ? <span className="tile-detail">{ts.detail}</span> : null}
      </Link>
      <span className="tile-meta">
        <OnlineBadge device={device} />
        {b !== undefined && (
          <span className={b <= LOW_BATTERY ? 'badge badge-warn' : 'badge'}>
            <Icon name={b <= LOW_BATTERY ? 'battery_low' : 'battery'} />{' '}
            Battery {b}%{b <= LOW_BATTERY ? ' (low)' : ''}
          </span>
        )}
        {!device.online && (
          <span className="tile-seen">
            <RelTime iso={seen} prefix="Last seen " />
          </span>
        )}
      </span>
    </li>
  );
}

export function EventList({
  events,
  devices,
  label,
}: {
  events: HomeEvent[];
  devices: Map<string, Device>;
  label: string;
}) {
  return (
    <ol className="feed" aria-label={label} data-testid="feed">
      {events.map((e) => {
        const d = devices.get(e.device_id);
        const alert = isAlertEvent(e.event_type);
        return (
          <li key={e.event_id} className={alert ? 'feed-item feed-alert' : 'feed-item'} data-event-id={e.event_id}>
            <span className="feed-icon" aria-hidden="true">
              {alert ? <Icon name="alert" /> : d ? <Icon name={TYPE_ICON[d.type]} /> : '•'}
            </span>
            <span className="feed-text">
              {alert && <span className="sr-only">Alert: </span>}
              {d ? <Link to={`/devices/${d.device_id}`}>{describeEvent(e, d)}</Link> : describeEvent(e, d)}
              {e.metadata['is_simulated'] === true && <span className="tag">simulated</span>}
            </span>
            <span className="feed-time">
              <RelTime iso={e.timestamp} />
            </span>
          </li>
        );
      })}
    </ol>
  );
}

export function deviceMap(ds: Device[] | undefined): Map<string, Device> {
  return new Map((ds ?? []).map((d) => [d.device_id, d]));
}
