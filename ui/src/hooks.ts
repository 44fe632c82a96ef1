import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
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

/** Newest first by `time` (ISO 8601 times, compared as text). */
export const newestFirst =
  <T,>(time: (x: T) => string) =>
  (a: T, b: T) =>
    time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : 0;

export interface PagedOptions<P, T> {
  /** The filter: a change starts the list afresh (empty), answers for the one before dropped. */
  key: string;
  /** A page: the newest with `before` null, then older ones with the next_before of the last (a cursor passed back as is). */
  fetchPage: (before: string | null) => Promise<P>;
  /** The rows of a page. */
  rows: (page: P) => T[];
  /** Tells the rows apart: one already listed is not listed twice. */
  id: (row: T) => string;
  /** When a row happened: the list is newest first by it. */
  time: (row: T) => string;
  /** The newest page is shown in the order the server lists it (only rows added to it are put in order). */
  serverOrder?: boolean;
  /** Each page answered for the current filter (`first`: the newest one), for what else it says besides its rows. */
  onPage?: (page: P, first: boolean) => void;
  /**
   * A reload once the list is shown (a list looked at again while its rows move on) merges the newest page into it,
   * its rows replacing theirs, without `loading` and keeping the older pages shown and their cursor.
   */
  refreshInPlace?: boolean;
}

export interface Paged<T> {
  /** Newest first. */
  items: T[];
  /** The cursor for the older ones; null when there are none. */
  next: string | null;
  /** The newest page is being fetched. */
  loading: boolean;
  loadingMore: boolean;
  error: unknown;
  /** Fetches the newest page again (the rows kept until it comes). */
  reload: () => void;
  /** Appends the next older page. */
  loadOlder: () => Promise<void>;
  /** Adds rows (from the live stream, say), those not listed yet, in order. */
  add: (rows: T[]) => void;
  set: Dispatch<SetStateAction<T[]>>;
}

function mergeRows<T>(old: T[], more: T[], id: (x: T) => string, time: (x: T) => string, replace: boolean): T[] {
  if (replace) {
    const fresh = new Set(more.map(id));
    return [...old.filter((x) => !fresh.has(id(x))), ...more].sort(newestFirst(time));
  }
  const known = new Set(old.map(id));
  return [...old, ...more.filter((x) => !known.has(id(x)))].sort(newestFirst(time));
}

/**
 * A list from the API read page by page, newest first: the first page on `key` change or reload (answers for an
 * earlier key or an earlier reload dropped), older ones with before=next_before.
 */
export function usePaged<P extends { next_before: string | null }, T>(opts: PagedOptions<P, T>): Paged<T> {
  const { key } = opts;
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const reload = useCallback(() => setN((x) => x + 1), []);
  const o = useRef(opts);
  o.current = opts;
  // The newest request of the first page; what an older page's answer must still belong to.
  const gen = useRef(0);
  const epoch = useRef(0);
  const lastKey = useRef(key);
  // Whether the rows shown start with the first page of `key` (for a refresh in place).
  const shown = useRef(false);

  useEffect(() => {
    const mine = ++gen.current;
    // A new filter starts empty; a refresh of the same keeps the rows until the answer comes.
    if (lastKey.current !== key) {
      lastKey.current = key;
      shown.current = false;
      setItems([]);
      setNext(null);
    }
    const inPlace = !!o.current.refreshInPlace && shown.current;
    if (!inPlace) {
      epoch.current++;
      setLoading(true);
    }
    o.current
      .fetchPage(null)
      .then((p) => {
        if (gen.current !== mine) return;
        const { rows, id, time, onPage, serverOrder } = o.current;
        onPage?.(p, true);
        const fresh = rows(p);
        if (inPlace) setItems((old) => mergeRows(old, fresh, id, time, true));
        else {
          setItems(serverOrder ? fresh : [...fresh].sort(newestFirst(time)));
          setNext(p.next_before);
        }
        shown.current = true;
        setError(null);
      })
      .catch((e: unknown) => {
        if (gen.current !== mine || (e instanceof ApiError && e.isAuth)) return;
        setError(e);
      })
      .finally(() => gen.current === mine && setLoading(false));
    return () => {
      gen.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, n]);

  const loadOlder = useCallback(async () => {
    if (!next) return;
    const mine = epoch.current;
    setLoadingMore(true);
    try {
      const p = await o.current.fetchPage(next);
      if (epoch.current !== mine) return;
      const { rows, id, time, onPage, refreshInPlace } = o.current;
      onPage?.(p, false);
      const more = rows(p);
      setItems((old) => mergeRows(old, more, id, time, !!refreshInPlace));
      setNext(p.next_before);
    } catch (e) {
      if (epoch.current === mine) setError(e);
    } finally {
      setLoadingMore(false);
    }
  }, [next]);

  const add = useCallback((more: T[]) => {
    const { id, time } = o.current;
    setItems((old) => mergeRows(old, more, id, time, false));
  }, []);

  return { items, next, loading, loadingMore, error, reload, loadOlder, add, set: setItems };
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
