import { describe, expect, it, vi } from 'vitest';
import { ApiError, createClient, errorText, lockoutText, parseMetrics } from './api';
import { busStats, httpStats } from './pages/Admin';
import { errBody, json } from './test-utils';

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
  it("the alarm e-mail's link: the token alone, no bearer token, and its 401 leaves the session alone", async () => {
    const onUnauthorized = vi.fn();
    const fetchImpl = vi.fn(async () => json(401, errBody('TOKEN_EXPIRED', 'This link has expired; open HomeGuard to acknowledge')));
    const c = createClient({ getToken: () => 'tok', onUnauthorized, fetchImpl });
    await expect(c.ackLink('a.b+c/d')).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    await expect(c.acknowledgeByLink('a.b+c/d')).rejects.toThrow('This link has expired; open HomeGuard to acknowledge');
    expect(onUnauthorized).not.toHaveBeenCalled();
    const [[getUrl, get], [postUrl, post]] = fetchImpl.mock.calls as unknown as [[string, RequestInit], [string, RequestInit]];
    expect(getUrl).toBe('/incidents/acknowledge?token=a.b%2Bc%2Fd');
    expect(postUrl).toBe('/incidents/acknowledge');
    expect(post.method).toBe('POST');
    expect(JSON.parse(String(post.body))).toEqual({ token: 'a.b+c/d' });
    for (const init of [get, post]) expect((init.headers as Record<string, string>)['authorization']).toBeUndefined();
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

describe('alarm API', () => {
  it('arm sends the mode with an empty bypass; a 409 names the open sensors', async () => {
    const fetchImpl = vi.fn(async () =>
      json(409, errBody('CONFLICT', 'Cannot arm: Back Door open', { open: [{ device_id: 'd9', name: 'Back Door' }, { bad: 1 }] })),
    );
    const c = createClient({ getToken: () => 't', fetchImpl });
    const e = (await c.arm({ mode: 'away' }).catch((x: unknown) => x)) as ApiError;
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/home/alarm/arm');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ mode: 'away', bypass: [], force: false });
    expect(e.status).toBe(409);
    expect(errorText(e)).toBe('Cannot arm: Back Door open');
    expect(e.openSensors).toEqual([{ device_id: 'd9', name: 'Back Door' }]);
  });
  it('a lockout reads locked_until, else retry_after_seconds, and words it in minutes', async () => {
    const until = '2030-01-01T00:14:00Z';
    const c = createClient({
      getToken: () => 't',
      fetchImpl: async () => json(429, errBody('LOCKED_OUT', 'Too many wrong codes', { retry_after_seconds: 840, locked_until: until })),
    });
    const e = (await c.disarm('1111').catch((x: unknown) => x)) as ApiError;
    expect(e.lockedUntil()).toBe(Date.parse(until));
    const e2 = new ApiError(429, 'LOCKED_OUT', 'Too many wrong codes', { retry_after_seconds: 90 });
    expect(e2.lockedUntil(1000)).toBe(91000);
    expect(errorText(e2)).toBe('Too many wrong codes; try again in 2 min');
    expect(lockoutText(Date.parse(until), Date.parse('2030-01-01T00:00:00Z'))).toBe('Too many wrong codes; try again in 14 min');
  });
  it('an admin acts on another home with user_id; deletes by id', async () => {
    const fetchImpl = vi.fn(async () => new Response(null, { status: 204 }));
    const c = createClient({ getToken: () => 't', fetchImpl });
    await c.deletePet('p 1', 'u2');
    await c.alarmHistory({ limit: 50, before: '2030-01-01T00:00:00Z' });
    const urls = fetchImpl.mock.calls.map((x) => (x as unknown as [string])[0]);
    expect(urls).toEqual(['/home/pets/p%201?user_id=u2', '/home/alarm/history?limit=50&before=2030-01-01T00%3A00%3A00Z']);
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

describe('API client: automations and notifications', () => {
  it('builds the paths and queries', async () => {
    const fetchImpl = vi.fn(async () => json(200, {}));
    const c = createClient({ getToken: () => 'tok', fetchImpl });
    await c.automations();
    await c.automations('u2');
    await c.setAutomationEnabled('r 1', false);
    await c.setAutomationEnabled('r1', true);
    await c.automationRuns('r1', { limit: 20, before: '2030-01-01T00:00:00Z' });
    await c.notifications({ unread: true, limit: 5 });
    await c.notifications({ unread: false });
    await c.markNotificationRead('n1');
    const got = (fetchImpl.mock.calls as unknown as [string, RequestInit][]).map(([url, init]) => `${init.method} ${url}`);
    expect(got).toEqual([
      'GET /automations',
      'GET /automations?user_id=u2',
      'POST /automations/r%201/disable',
      'POST /automations/r1/enable',
      'GET /automations/r1/runs?limit=20&before=2030-01-01T00%3A00%3A00Z',
      'GET /notifications?unread=true&limit=5',
      'GET /notifications',
      'POST /notifications/n1/read',
    ]);
  });
});
