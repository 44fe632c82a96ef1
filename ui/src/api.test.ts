import { describe, expect, it, vi } from 'vitest';
import { ApiError, createClient, errorText, parseMetrics } from './api';
import { busStats, httpStats } from './pages/Admin';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
const errBody = (code: string, message: string, details = {}) => ({
  error: { code, message, details, trace_id: 'abc', timestamp: '2026-01-15T14:32:05.123Z' },
});

describe('API client', () => {
  it('sends the bearer token and parses JSON', async () => {
    const fetchImpl = vi.fn(async () => json(200, { devices: [] }));
    const c = createClient({ getToken: () => 'tok', fetchImpl });
    expect(await c.devices()).toEqual({ devices: [] });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/devices');
    expect((init.headers as Record<string, string>)['authorization']).toBe('Bearer tok');
  });
  it('turns the error body into an ApiError with message, field and trace id', async () => {
    const c = createClient({
      getToken: () => 't',
      fetchImpl: async () =>
        json(400, errBody('VALIDATION_ERROR', 'config.auto_lock_delay: must be a number from 0 to 3600', { field: 'config.auto_lock_delay' })),
    });
    const e = await c.patchDevice('x', { config: { auto_lock_delay: 99999 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    const a = e as ApiError;
    expect(a.code).toBe('VALIDATION_ERROR');
    expect(a.field).toBe('config.auto_lock_delay');
    expect(a.traceId).toBe('abc');
    expect(errorText(a)).toBe('config.auto_lock_delay: must be a number from 0 to 3600');
  });
  it('ends the session on 401 UNAUTHORIZED / TOKEN_EXPIRED but not on wrong credentials', async () => {
    const onUnauthorized = vi.fn();
    const c = createClient({ getToken: () => 't', onUnauthorized, fetchImpl: async () => json(401, errBody('TOKEN_EXPIRED', 'Token expired')) });
    await expect(c.me()).rejects.toThrow('Token expired');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    const c2 = createClient({
      getToken: () => null,
      onUnauthorized,
      fetchImpl: async () => json(401, errBody('INVALID_CREDENTIALS', 'Invalid email or password')),
    });
    await expect(c2.login('a@b.c', 'x')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });
  it('reads the wait of a rate-limited login', async () => {
    const c = createClient({
      getToken: () => null,
      fetchImpl: async () => json(429, errBody('RATE_LIMITED', 'Too many failed logins for this account; try again in 59 s', { retry_after_seconds: 59 })),
    });
    const e = (await c.login('a@b.c', 'x').catch((x: unknown) => x)) as ApiError;
    expect(e.retryAfterSeconds).toBe(59);
    expect(errorText(e)).toBe('Too many failed logins for this account. Try again in 59 s.');
  });
  it('words network failures and non-JSON errors', async () => {
    const c = createClient({ getToken: () => null, fetchImpl: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(c.devices()).rejects.toMatchObject({ code: 'NETWORK' });
    const c2 = createClient({ getToken: () => null, fetchImpl: async () => new Response('oops', { status: 502, statusText: 'Bad Gateway' }) });
    await expect(c2.devices()).rejects.toThrow('The server answered 502 Bad Gateway');
  });
  it('answers 204 with undefined', async () => {
    const c = createClient({ getToken: () => 't', fetchImpl: async () => new Response(null, { status: 204 }) });
    await expect(c.logout()).resolves.toBeUndefined();
  });
  it('builds event queries with filters and the cursor', async () => {
    const fetchImpl = vi.fn(async () => json(200, { events: [], count: 0, next_cursor: null }));
    const c = createClient({ getToken: () => 't', fetchImpl });
    await c.events({ device_id: 'd1', event_type: 'motion_detected', limit: 50, cursor: 'abc', from: undefined });
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe('/events?device_id=d1&event_type=motion_detected&limit=50&cursor=abc');
  });
});

describe('metrics', () => {
  const text = `# HELP x
bus_messages_handled_total{consumer="hg-fn-events",topic="device.events"} 10
bus_messages_dead_lettered_total{consumer="hg-fn-events",topic="device.events"} 1
http_requests_total{endpoint="/devices",method="GET",service="hg-fn-devices",status="200"} 97
http_requests_total{endpoint="/devices",method="GET",service="hg-fn-devices",status="500"} 3
http_requests_total{endpoint="/auth/login",method="POST",service="hg-fn-auth",status="401"} 2
`;
  it('handled and dead-lettered per consumer, HTTP error rate', () => {
    const s = parseMetrics(text);
    expect(busStats(s)).toEqual([{ consumer: 'hg-fn-events', topic: 'device.events', handled: 10, dead: 1 }]);
    expect(httpStats(s)).toEqual({ total: 102, errors: 3, client: 2, rate: 3 / 102 });
  });
});
