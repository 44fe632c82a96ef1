import { useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { deviceMap, Empty, ErrorNote, EventList, Loading } from '../components/ui';
import { ALL_EVENT_TYPES, EVENT_TYPES, humanize } from '../format';
import { useDevices, useEventFeed } from '../hooks';

const RANGES: { value: string; label: string; hours: number }[] = [
  { value: '', label: 'Any time', hours: 0 },
  { value: '1h', label: 'Last hour', hours: 1 },
  { value: '24h', label: 'Last 24 hours', hours: 24 },
  { value: '7d', label: 'Last 7 days', hours: 168 },
];

export default function Events() {
  const [params, setParams] = useSearchParams();
  const devices = useDevices();
  const device_id = params.get('device_id') ?? '';
  const event_type = params.get('event_type') ?? '';
  const range = params.get('range') ?? '';
  const [since] = useState(() => Date.now());
  const from = useMemo(() => {
    const r = RANGES.find((x) => x.value === range);
    return r && r.hours ? new Date(since - r.hours * 3600_000).toISOString() : undefined;
  }, [range, since]);
  const filter = useMemo(
    () => ({ device_id: device_id || undefined, event_type: event_type || undefined, from }),
    [device_id, event_type, from],
  );
  const feed = useEventFeed(filter, 50);
  const dmap = deviceMap(devices.data);
  const selected = device_id ? dmap.get(device_id) : undefined;
  const types = selected ? EVENT_TYPES[selected.type] : ALL_EVENT_TYPES;

  function update(k: string, v: string) {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  }

  return (
    <div>
      <h1>Events</h1>
      <form className="filters" onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Filter events">
        <div className="field">
          <label htmlFor="flt-device">Device</label>
          <select id="flt-device" value={device_id} onChange={(e) => update('device_id', e.target.value)}>
            <option value="">All devices</option>
            {(devices.data ?? []).map((d) => (
              <option key={d.device_id} value={d.device_id}>
                {d.name} ({d.location.zone})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="flt-type">Event type</label>
          <select id="flt-type" value={event_type} onChange={(e) => update('event_type', e.target.value)}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="flt-range">Time range</label>
          <select id="flt-range" value={range} onChange={(e) => update('range', e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {feed.loading && <Loading what="events" />}
      <ErrorNote error={feed.error} />
      {!feed.loading && feed.events.length === 0 && <Empty>No events match these filters.</Empty>}
      <p className="sr-only" aria-live="polite">
        {feed.loading ? '' : `${feed.events.length} events shown`}
      </p>
      <EventList events={feed.events} devices={dmap} label="Events, newest first" />
      {feed.hasMore && (
        <button type="button" className="btn" onClick={() => void feed.loadMore()} disabled={feed.loadingMore}>
          {feed.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
