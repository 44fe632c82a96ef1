import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { usePaged, type PagedOptions } from './hooks';

interface Row {
  id: string;
  at: string;
}
interface Page {
  rows: Row[];
  next_before: string | null;
  extra?: string;
}

const row = (id: string, at: string): Row => ({ id, at });
const page = (rows: Row[], next_before: string | null = null, extra?: string): Page => ({ rows, next_before, extra });
// What the server sends now: opaque, passed back exactly as it came.
const CURSOR = '2026-12-01T02:00:00.123Z~6f1c2f0e-8d4b-4c1e-9a55-2b7c1d9e4f10';

/** A promise settled by hand, later. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Fetch = (before: string | null, key: string) => Promise<Page>;

function setup(fetch: Fetch, key = 'all', extra: Partial<PagedOptions<Page, Row>> = {}) {
  const spy = vi.fn(fetch);
  const hook = renderHook(
    ({ k }: { k: string }) =>
      usePaged({
        key: k,
        fetchPage: (before) => spy(before, k),
        rows: (p) => p.rows,
        id: (r) => r.id,
        time: (r) => r.at,
        ...extra,
      }),
    { initialProps: { k: key } },
  );
  return { spy, ...hook };
}

const ids = (rows: Row[]) => rows.map((r) => r.id);

afterEach(cleanup);

describe('usePaged', () => {
  it('fetches the first page (no before), newest first, and keeps its cursor', async () => {
    const first = later<Page>();
    const { spy, result } = setup(() => first.promise);
    expect(result.current.loading).toBe(true);
    expect(result.current.items).toEqual([]);
    expect(spy).toHaveBeenCalledWith(null, 'all');
    await act(async () => first.resolve(page([row('b', '2026-12-01T01:00:00Z'), row('c', '2026-12-01T03:00:00Z')], CURSOR)));
    expect(result.current.loading).toBe(false);
    expect(result.current.error).toBeNull();
    expect(ids(result.current.items)).toEqual(['c', 'b']);
    expect(result.current.next).toBe(CURSOR);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('serverOrder: the first page as the server lists it, what comes after put in order', async () => {
    const answers: Page[] = [page([row('b', '2026-12-01T01:00:00Z'), row('c', '2026-12-01T03:00:00Z')], CURSOR), page([row('a', '2026-12-01T00:00:00Z')], null)];
    const { result } = setup(async () => answers.shift()!, 'all', { serverOrder: true });
    await waitFor(() => expect(result.current.items).toHaveLength(2));
    expect(ids(result.current.items)).toEqual(['b', 'c']);
    await act(() => result.current.loadOlder());
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a']);
  });

  it('appends older pages with before=next_before (the cursor as is), each row once, until there are none', async () => {
    const answers: Page[] = [
      page([row('c', '2026-12-01T03:00:00Z'), row('b', '2026-12-01T02:00:00.123Z')], CURSOR),
      page([row('b', '2026-12-01T02:00:00.123Z'), row('a', '2026-12-01T01:00:00Z')], 'opaque:next/page?2'),
      page([row('z', '2026-11-30T00:00:00Z')], null),
    ];
    const { spy, result } = setup(async () => answers.shift()!);
    await waitFor(() => expect(result.current.items).toHaveLength(2));
    let done!: Promise<void>;
    act(() => {
      done = result.current.loadOlder();
    });
    expect(result.current.loadingMore).toBe(true);
    await act(async () => {
      await done;
    });
    expect(result.current.loadingMore).toBe(false);
    expect(spy.mock.calls.map((c) => c[0])).toEqual([null, CURSOR]);
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a']);
    expect(result.current.next).toBe('opaque:next/page?2');

    await act(() => result.current.loadOlder());
    expect(spy.mock.calls.map((c) => c[0])).toEqual([null, CURSOR, 'opaque:next/page?2']);
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a', 'z']);
    expect(result.current.next).toBeNull();
    // None older: nothing asked.
    await act(() => result.current.loadOlder());
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('a filter change starts empty and drops what comes late for the filter before', async () => {
    const pending: Record<'all' | 'alarm', ReturnType<typeof later<Page>>[]> = { all: [], alarm: [] };
    const { spy, result, rerender } = setup((_before, key) => {
      const p = later<Page>();
      pending[key as 'all' | 'alarm'].push(p);
      return p.promise;
    });
    await act(async () => pending.all[0]!.resolve(page([row('x', '2026-12-01T03:00:00Z')], CURSOR)));
    expect(ids(result.current.items)).toEqual(['x']);

    // Older ones asked for, and the filter changed before they come.
    let older!: Promise<void>;
    act(() => {
      older = result.current.loadOlder();
    });
    rerender({ k: 'alarm' });
    expect(result.current.items).toEqual([]);
    expect(result.current.next).toBeNull();
    expect(result.current.loading).toBe(true);
    expect(spy.mock.calls).toEqual([
      [null, 'all'],
      [CURSOR, 'all'],
      [null, 'alarm'],
    ]);

    // Back to all and on to alarm again: the first answer for alarm is outdated too.
    rerender({ k: 'all' });
    rerender({ k: 'alarm' });
    await act(async () => pending.alarm[1]!.resolve(page([row('a2', '2026-12-01T02:00:00Z')], null)));
    expect(ids(result.current.items)).toEqual(['a2']);
    expect(result.current.loading).toBe(false);

    // The late answers: the older page of all, the first pages of all and the first of alarm.
    await act(async () => {
      pending.all[1]!.resolve(page([row('old', '2026-11-01T00:00:00Z')], 'later'));
      await older;
      pending.all[2]!.resolve(page([row('y', '2026-12-01T04:00:00Z')], 'c2'));
      pending.alarm[0]!.resolve(page([row('a1', '2026-12-01T05:00:00Z')], 'c3'));
    });
    expect(ids(result.current.items)).toEqual(['a2']);
    expect(result.current.next).toBeNull();
    expect(result.current.loading).toBe(false);
  });

  it('an error is kept for display; a reload tries again and clears it', async () => {
    const answers: (() => Promise<Page>)[] = [
      () => Promise.reject(new ApiError(500, 'INTERNAL', 'store unavailable', {}, 't')),
      async () => page([row('a', '2026-12-01T01:00:00Z')], CURSOR),
      () => Promise.reject(new ApiError(503, 'UNAVAILABLE', 'try later', {}, 't')),
      async () => page([row('b', '2026-11-01T01:00:00Z')], null),
    ];
    const { result } = setup(() => answers.shift()!());
    await waitFor(() => expect(result.current.error).toBeInstanceOf(ApiError));
    expect(result.current.loading).toBe(false);
    expect(result.current.items).toEqual([]);

    act(() => result.current.reload());
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.items).toHaveLength(1));
    expect(result.current.error).toBeNull();

    // An older page failing: shown, the rows and the cursor kept to try again.
    await act(() => result.current.loadOlder());
    expect((result.current.error as ApiError).status).toBe(503);
    expect(ids(result.current.items)).toEqual(['a']);
    expect(result.current.next).toBe(CURSOR);
    await act(() => result.current.loadOlder());
    expect(ids(result.current.items)).toEqual(['a', 'b']);
    expect(result.current.next).toBeNull();
  });

  it('a lost session is left to the sign-in screen, not shown here', async () => {
    const { result } = setup(() => Promise.reject(new ApiError(401, 'TOKEN_EXPIRED', 'expired', {}, 't')));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.error).toBeNull();
  });

  it('a reload keeps the rows shown until the new first page replaces them (older ones and cursor included)', async () => {
    const answers: Page[] = [
      page([row('b', '2026-12-01T02:00:00Z')], CURSOR),
      page([row('a', '2026-12-01T01:00:00Z')], null),
      page([row('c', '2026-12-01T03:00:00Z'), row('b', '2026-12-01T02:00:00Z')], 'c2'),
    ];
    const third = later<void>();
    const { result } = setup(async () => {
      const p = answers.shift()!;
      if (!answers.length) await third.promise;
      return p;
    });
    await waitFor(() => expect(result.current.items).toHaveLength(1));
    await act(() => result.current.loadOlder());
    expect(ids(result.current.items)).toEqual(['b', 'a']);
    act(() => result.current.reload());
    expect(result.current.loading).toBe(true);
    expect(ids(result.current.items)).toEqual(['b', 'a']);
    await act(async () => third.resolve());
    expect(ids(result.current.items)).toEqual(['c', 'b']);
    expect(result.current.next).toBe('c2');
  });

  it('refreshInPlace: a reload merges the newest page in, its rows replacing theirs, older ones and cursor kept, quietly', async () => {
    const answers: Page[] = [
      page([row('b', '2026-12-01T02:00:00Z')], CURSOR),
      page([row('a', '2026-12-01T01:00:00Z')], null),
      page([row('b', '2026-12-01T02:00:00Z'), row('c', '2026-12-01T03:00:00Z')], 'newer-cursor'),
    ];
    const { result } = setup(async () => answers.shift()!, 'r1', { refreshInPlace: true });
    await waitFor(() => expect(result.current.items).toHaveLength(1));
    await act(() => result.current.loadOlder());
    const before = result.current.items[0];
    act(() => result.current.reload());
    expect(result.current.loading).toBe(false);
    await waitFor(() => expect(result.current.items).toHaveLength(3));
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a']);
    expect(result.current.items[1]).not.toBe(before);
    expect(result.current.next).toBeNull();
  });

  it('refreshInPlace: an older page asked for before a refresh still comes in (only a filter change drops it)', async () => {
    const older = later<Page>();
    const answers: (() => Promise<Page>)[] = [
      async () => page([row('b', '2026-12-01T02:00:00Z')], CURSOR),
      () => older.promise,
      async () => page([row('c', '2026-12-01T03:00:00Z')], 'ignored'),
    ];
    const { result } = setup(() => answers.shift()!(), 'r1', { refreshInPlace: true });
    await waitFor(() => expect(result.current.items).toHaveLength(1));
    let done!: Promise<void>;
    act(() => {
      done = result.current.loadOlder();
    });
    act(() => result.current.reload());
    await waitFor(() => expect(result.current.items).toHaveLength(2));
    await act(async () => {
      older.resolve(page([row('a', '2026-12-01T01:00:00Z')], null));
      await done;
    });
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a']);
    expect(result.current.next).toBeNull();
  });

  it('onPage hears each page answered for the current filter, the first one told apart; add merges rows in order', async () => {
    const answers: Page[] = [page([row('b', '2026-12-01T02:00:00Z')], CURSOR, 'p1'), page([row('a', '2026-12-01T01:00:00Z')], null, 'p2')];
    const onPage = vi.fn();
    const { result } = setup(async () => answers.shift()!, 'all', { onPage });
    await waitFor(() => expect(result.current.items).toHaveLength(1));
    await act(() => result.current.loadOlder());
    expect(onPage.mock.calls.map(([p, first]) => [(p as Page).extra, first])).toEqual([
      ['p1', true],
      ['p2', false],
    ]);
    act(() => result.current.add([row('c', '2026-12-01T03:00:00Z'), row('a', '2026-12-01T01:00:00Z')]));
    expect(ids(result.current.items)).toEqual(['c', 'b', 'a']);
  });
});
