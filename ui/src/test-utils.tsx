import { act, cleanup, render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, vi } from 'vitest';
import type { User } from './api';
import { SessionProvider } from './session';
import { StreamProvider } from './stream';

export function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const errBody = (code: string, message: string, details = {}) => ({
  error: { code, message, details, trace_id: 'abc', timestamp: '2026-01-15T14:32:05.123Z' },
});

/** A stored session, as after a sign-in (token "tok"). */
export function signIn(user: User = { id: 'u1', email: 'john@demo.com', name: 'John', role: 'user' }) {
  sessionStorage.setItem('homeguard.session', JSON.stringify({ token: 'tok', user, expires_at: '2999-01-01T00:00:00Z' }));
}

export type Call = { method: string; url: string; body: unknown };

/**
 * For every test of the file: a signed-in session and a fake server. `answers` holds the answers per
 * "METHOD /path", given in turn, the last one repeating (or made by a function); `calls` every request.
 */
export function fakeServer() {
  const calls: Call[] = [];
  const answers: Record<string, Response[] | (() => Response)> = {};
  beforeEach(() => {
    calls.length = 0;
    for (const k of Object.keys(answers)) delete answers[k];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        const method = init.method ?? 'GET';
        const path = String(url).split('?')[0]!;
        calls.push({ method, url: String(url), body: init.body ? JSON.parse(String(init.body)) : undefined });
        const a = answers[`${method} ${path}`];
        if (!a) return json(404, errBody('NOT_FOUND', `no mock for ${method} ${path}`));
        if (typeof a === 'function') return a();
        return (a.length > 1 ? a.shift() : a[0]!.clone())!;
      }),
    );
    signIn();
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });
  return { calls, answers };
}

/** A WebSocket the test plays the server of; `FakeWS.all` holds every one opened, newest last. */
export class FakeWS {
  static all: FakeWS[] = [];
  sent: string[] = [];
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeWS.all.push(this);
  }
  send(s: string) {
    this.sent.push(s);
  }
  close() {}
  server(m: object) {
    act(() => this.onmessage?.({ data: JSON.stringify(m) }));
  }
  drop(code: number) {
    act(() => this.onclose?.({ code }));
  }
}

/** For every test of the enclosing block: FakeWS as the WebSocket. */
export function fakeWebSocket() {
  beforeEach(() => {
    FakeWS.all = [];
    vi.stubGlobal('WebSocket', FakeWS);
  });
  afterEach(() => vi.unstubAllGlobals());
}

/** Renders `ui` as the app does: in the session, at `path`, with the live stream when `live`. */
export function renderApp(ui: ReactNode, { path = '/', live = false }: { path?: string; live?: boolean } = {}) {
  const routed = <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>;
  return render(<SessionProvider>{live ? <StreamProvider>{routed}</StreamProvider> : routed}</SessionProvider>);
}
