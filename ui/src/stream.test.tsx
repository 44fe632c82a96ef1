import { waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSession } from './session';
import { backoff, useStream, type StreamMessage } from './stream';
import { fakeServer, fakeWebSocket, FakeWS, json, renderApp, signIn } from './test-utils';

const ev = (id: string, ts: string) => ({
  event_id: id,
  device_id: 'd1',
  user_id: 'u1',
  event_type: 'motion_detected',
  timestamp: ts,
  payload: {},
  metadata: {},
});

const { calls, answers } = fakeServer();
fakeWebSocket();
beforeEach(() => {
  answers['GET /events'] = [json(200, { events: [ev('e3', '2030-01-01T00:00:03Z'), ev('e1', '2030-01-01T00:00:01Z')], count: 2, next_cursor: null })];
});

function Probe({ log }: { log: StreamMessage[] }) {
  const status = useStream((m) => log.push(m));
  const { user } = useSession();
  return (
    <p>
      <span data-testid="status">{status}</span>
      <span data-testid="user">{user ? 'in' : 'out'}</span>
    </p>
  );
}

function setup() {
  const log: StreamMessage[] = [];
  const r = renderApp(<Probe log={log} />, { live: true });
  return { log, r };
}

describe('live stream hook', () => {
  it('subscribes, delivers events and state, reconnects after 1013 and catches up from GET /events', async () => {
    const { log, r } = setup();
    expect(FakeWS.all).toHaveLength(1);
    const ws = FakeWS.all[0]!;
    expect(ws.url).toContain('/events/stream?token=tok');
    ws.server({ type: 'connected' });
    expect(JSON.parse(ws.sent[0]!)).toEqual({ action: 'subscribe', channels: ['events', 'devices', 'alarm', 'notifications'] });
    ws.server({ type: 'subscribed' });
    expect(r.getByTestId('status').textContent).toBe('live');
    ws.server({ type: 'device_event', event_id: 'e1', device_id: 'd1', user_id: 'u1', event_type: 'motion_detected', timestamp: '2030-01-01T00:00:01Z', data: { zone: 'x' }, metadata: {} });
    ws.server({ type: 'device_state', device_id: 'd1', state: { state: 'motion' }, online: true, timestamp: '2030-01-01T00:00:01Z' });
    expect(log.map((m) => m.type)).toEqual(['event', 'state']);
    const first = log[0] as Extract<StreamMessage, { type: 'event' }>;
    expect(first.event.payload).toEqual({ zone: 'x' });

    ws.drop(1013);
    expect(r.getByTestId('status').textContent).toBe('reconnecting');
    await waitFor(() => expect(FakeWS.all).toHaveLength(2), { timeout: 2000 });
    const ws2 = FakeWS.all[1]!;
    ws2.server({ type: 'connected' });
    ws2.server({ type: 'subscribed' });
    await waitFor(() => expect(log.filter((m) => m.type === 'event')).toHaveLength(2));
    const url = calls[0]!.url;
    expect(url).toContain('/events?from=2030-01-01T00%3A00%3A01');
    // e1 was seen live: only e3 is new; a resync tells state holders to refetch.
    expect(log.some((m) => m.type === 'resync')).toBe(true);
    const caught = log.filter((m) => m.type === 'event')[1] as Extract<StreamMessage, { type: 'event' }>;
    expect(caught.event.event_id).toBe('e3');
    expect(caught.caughtUp).toBe(true);
  });

  it('delivers alarm messages with their history entries', () => {
    const { log } = setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'subscribed' });
    const alarm = { state: 'arming', mode: 'away', arm_mode: 'away', seconds_left: 60 };
    const entry = { id: 'h1', at: '2030-01-01T00:00:00Z', kind: 'transition', code: null, text: 'arming away', from: 'disarmed', to: 'arming', zone: null, by: 'J' };
    ws.server({ type: 'alarm', alarm, entries: [entry] });
    ws.server({ type: 'alarm', alarm });
    expect(log).toEqual([
      { type: 'alarm', alarm, entries: [entry] },
      { type: 'alarm', alarm, entries: [] },
    ]);
  });

  it('delivers notifications', () => {
    const { log } = setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'subscribed' });
    const notification = { id: 'n1', title: 'Night Motion Alert', body: 'Motion', severity: 'high', read_at: null };
    ws.server({ type: 'notification', notification });
    ws.server({ type: 'notification' });
    const updated = { ...notification, deliveries: [{ channel: 'email', status: 'delivered', attempts: 1, detail: '', at: '2030-01-01T00:00:00Z' }] };
    ws.server({ type: 'notification_updated', notification: updated });
    ws.server({ type: 'notification_updated' });
    expect(log).toEqual([
      { type: 'notification', notification },
      { type: 'notification_updated', notification: updated },
    ]);
  });

  it('a host without a channel: subscribes again without the one it refuses, and goes live', () => {
    const { r } = setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'error', code: 'VALIDATION_ERROR', message: "channels: unknown channel 'notifications' (events, devices, agent, alarm)" });
    expect(JSON.parse(ws.sent[1]!)).toEqual({ action: 'subscribe', channels: ['events', 'devices', 'alarm'] });
    ws.server({ type: 'error', code: 'VALIDATION_ERROR', message: "channels: unknown channel 'alarm'" });
    expect(JSON.parse(ws.sent[2]!)).toEqual({ action: 'subscribe', channels: ['events', 'devices'] });
    ws.server({ type: 'subscribed' });
    expect(r.getByTestId('status').textContent).toBe('live');
  });

  it('a refusal that names no channel: subscribes again with the base channels only', async () => {
    setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'error', code: 'FORBIDDEN', message: 'not allowed' });
    expect(JSON.parse(ws.sent[1]!)).toEqual({ action: 'subscribe', channels: ['events', 'devices'] });
    ws.server({ type: 'error', code: 'FORBIDDEN', message: 'still not allowed' });
    expect(ws.sent).toHaveLength(2);
    ws.drop(1013);
    await waitFor(() => expect(FakeWS.all).toHaveLength(2), { timeout: 2000 });
    FakeWS.all[1]!.server({ type: 'connected' });
    expect(JSON.parse(FakeWS.all[1]!.sent[0]!).channels).toEqual(['events', 'devices']);
  });

  it('an admin watches devices and their own notifications, not a home alarm', () => {
    signIn({ id: 'a1', email: 'a@x', name: 'A', role: 'admin' });
    setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    expect(JSON.parse(ws.sent[0]!).channels).toEqual(['events', 'devices', 'notifications']);
  });

  it('ends the session on 1008', async () => {
    const { r } = setup();
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.drop(1008);
    await waitFor(() => expect(r.getByTestId('user').textContent).toBe('out'));
    expect(sessionStorage.getItem('homeguard.session')).toBeNull();
  });

  it('backs off exponentially up to 30 s', () => {
    expect(backoff(0)).toBeGreaterThanOrEqual(400);
    expect(backoff(0)).toBeLessThanOrEqual(600);
    expect(backoff(3)).toBeGreaterThanOrEqual(3200);
    expect(backoff(20)).toBeLessThanOrEqual(36000);
  });
});
