import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type Device, type HomeEvent } from './api';
import { useApi } from './session';
import { useStream, type StreamStatus } from './stream';

/** The current time, ticking every `ms`. */
export function useNow(ms = 30000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export interface Loadable<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (f: (old: T | undefined) => T | undefined) => void;
}

/** Loads once (and on `deps` change); errors kept for display. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loadable<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    setLoading(true);
    fnRef
      .current()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.isAuth) return;
        setError(e);
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload, set: setData };
}

/** The caller's devices, kept current from the live stream. */
export function useDevices(params: { user_id?: string } = {}): Loadable<Device[]> & { status: StreamStatus } {
  const api = useApi();
  const l = useLoad(() => api.devices(params).then((r) => r.devices), [params.user_id]);
  const { set, reload } = l;
  const status = useStream((m) => {
    if (m.type === 'state') {
      set((ds) =>
        ds?.map((d) =>
          d.device_id === m.device_id ? { ...d, state: { ...d.state, ...m.state }, online: m.online } : d,
        ),
      );
    } else if (m.type === 'resync') {
      reload();
    }
  });
  return { ...l, status };
}

/** A live feed: the first page of GET /events, live arrivals on top, "load more" below. */
export function useEventFeed(filter: { device_id?: string; event_type?: string; from?: string; to?: string }, limit = 50) {
  const api = useApi();
  const [events, setEvents] = useState<HomeEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const key = JSON.stringify(filter);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setEvents([]);
    api
      .events({ ...filter, limit })
      .then((p) => {
        if (!live) return;
        setEvents(p.events);
        setCursor(p.next_cursor);
        setError(null);
      })
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, limit, api]);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const p = await api.events({ ...filter, limit, cursor });
      setEvents((old) => {
        const ids = new Set(old.map((e) => e.event_id));
        return [...old, ...p.events.filter((e) => !ids.has(e.event_id))];
      });
      setCursor(p.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cursor, key, limit, api]);

  useStream((m) => {
    if (m.type !== 'event') return;
    const e = m.event;
    if (filter.device_id && e.device_id !== filter.device_id) return;
    if (filter.event_type && e.event_type !== filter.event_type) return;
    if (filter.from && e.timestamp < filter.from) return;
    if (filter.to && e.timestamp > filter.to) return;
    setEvents((old) => {
      if (old.some((o) => o.event_id === e.event_id)) return old;
      const next = [e, ...old];
      next.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
      return next;
    });
  });

  return { events, loading, loadingMore, error, hasMore: !!cursor, loadMore };
}
