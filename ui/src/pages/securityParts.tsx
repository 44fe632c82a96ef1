// What the incident and decision screens share (loaded with them only).
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import { Icon } from '../components/Icon';
import { useLoad } from '../hooks';
import type { Look } from '../incidentText';
import { useApi, useSession } from '../session';
import { useStream } from '../stream';

/** A state as a chip: its words and icon, the colour only besides. */
export function Chip({ look, testId, data }: { look: Look; testId?: string; data?: string }) {
  return (
    <span className={`chip chip-${look.tone}`} data-testid={testId} data-value={data}>
      <Icon name={look.icon} /> {look.label}
    </span>
  );
}

/** For an admin (who reads every home's), the name of a home's owner; nothing for a member. */
export function useHomeNames(): (userId: string) => string | undefined {
  const api = useApi();
  const { user } = useSession();
  const admin = user?.role === 'admin';
  const users = useLoad(() => (admin ? api.users().then((r) => r.users) : Promise.resolve([])), [admin]);
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  return (id) => (admin ? (names.get(id) ?? `Home ${id.slice(0, 8)}`) : undefined);
}

/**
 * Calls `refresh` on every alarm change from the live stream (and after a reconnect), and once more a
 * moment later: an alarm's news comes before what the security response records of it.
 */
export function useRefreshOnAlarm(refresh: () => void, settleMs = 1500) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useStream((m) => {
    if (m.type !== 'alarm' && m.type !== 'resync') return;
    refresh();
    clearTimeout(timer.current);
    timer.current = setTimeout(refresh, settleMs);
  });
}

/** Newest first by `key`. */
export const newestFirst =
  <T,>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0;

/**
 * A list read page by page, newest first: the first page on `key` change or reload (answers for an
 * earlier key dropped), older ones with before=next_before.
 */
export function usePaged<T extends { id: string }>(
  fetchPage: (before: string | null) => Promise<{ items: T[]; next: string | null }>,
  key: string,
  order: (a: T, b: T) => number,
) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const reload = useCallback(() => setN((x) => x + 1), []);
  const gen = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const lastKey = useRef(key);

  useEffect(() => {
    const mine = ++gen.current;
    // A new filter starts empty; a refresh of the same keeps the rows until the answer comes.
    if (lastKey.current !== key) {
      lastKey.current = key;
      setItems([]);
      setNext(null);
    }
    setLoading(true);
    fetchRef
      .current(null)
      .then((p) => {
        if (gen.current !== mine) return;
        setItems([...p.items].sort(order));
        setNext(p.next);
        setError(null);
      })
      .catch((e: unknown) => {
        if (gen.current !== mine || (e instanceof ApiError && e.isAuth)) return;
        setError(e);
      })
      .finally(() => gen.current === mine && setLoading(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, n]);

  async function loadOlder() {
    if (!next) return;
    const mine = gen.current;
    setLoadingMore(true);
    try {
      const p = await fetchRef.current(next);
      if (gen.current !== mine) return;
      setItems((old) => {
        const ids = new Set(old.map((x) => x.id));
        return [...old, ...p.items.filter((x) => !ids.has(x.id))].sort(order);
      });
      setNext(p.next);
    } catch (e) {
      if (gen.current === mine) setError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  return { items, next, loading, loadingMore, error, reload, loadOlder };
}
