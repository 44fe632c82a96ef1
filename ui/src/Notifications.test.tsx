import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { AppNotification } from './api';
import { Bell, deliveryText, NotificationsProvider, useNotifications } from './notifications';
import Notifications from './pages/Notifications';
import { fakeServer, fakeWebSocket, FakeWS, json, renderApp } from './test-utils';

const note = (id: string, over: Partial<AppNotification> = {}): AppNotification => ({
  id,
  user_id: 'u1',
  title: 'Night Motion Alert',
  body: 'Motion at Living Room Motion at 23:30',
  severity: 'normal',
  source: 'rule',
  source_id: 'r1',
  channels: [],
  created_at: new Date(Date.now() - 5 * 60000).toISOString(),
  read_at: null,
  deliveries: [],
  ...over,
});

const { calls, answers } = fakeServer();
fakeWebSocket();

const bell = () => screen.getByTestId('bell');

describe('notification bell', () => {
  it('counts the unread, goes up with a live notification and down when one is read', async () => {
    answers['GET /notifications'] = [
      json(200, { notifications: [note('n1'), note('n0', { title: 'Old', created_at: new Date(Date.now() - 3600_000).toISOString(), read_at: '2030-01-01T00:00:00Z' })], unread: 1, next_before: null }),
    ];
    answers['POST /notifications/n2/read'] = [new Response(null, { status: 204 })];
    renderApp(
      <NotificationsProvider>
        <Bell />
      </NotificationsProvider>,
      { live: true },
    );
    await waitFor(() => expect(screen.getByRole('button', { name: 'Notifications, 1 unread' })).toBeTruthy());
    expect(calls[0]!.url).toBe('/notifications?limit=20');
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    expect(JSON.parse(ws.sent[0]!).channels).toContain('notifications');
    ws.server({ type: 'subscribed' });
    const live = note('n2', { title: 'Smoke!', body: 'Smoke at Hallway', severity: 'critical', created_at: new Date().toISOString() });
    ws.server({ type: 'notification', notification: live });
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 2 unread');
    expect(screen.getByRole('status').textContent).toBe('New notification: Smoke!. Smoke at Hallway');
    // The same one again (a resent message) counts once.
    ws.server({ type: 'notification', notification: live });
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 2 unread');

    expect(bell().getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(bell());
    expect(bell().getAttribute('aria-expanded')).toBe('true');
    const pop = screen.getByRole('region', { name: /Notifications/ });
    const items = within(pop).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('data-id'))).toEqual(['n2', 'n1', 'n0']);
    expect(items[0]!.textContent).toContain('Critical');
    expect(items[0]!.textContent).toContain('Smoke at Hallway');
    expect(items[0]!.textContent).toContain('just now');
    expect(items[1]!.textContent).toContain('5 min ago');
    expect(items[1]!.textContent).toContain('Normal');
    expect(within(items[2]!).queryByRole('button')).toBeNull();
    expect(items[2]!.textContent).toContain('Read');

    fireEvent.click(within(items[0]!).getByRole('button'));
    await waitFor(() => expect(bell().getAttribute('aria-label')).toBe('Notifications, 1 unread'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/notifications/n2/read']);
    expect(within(items[0]!).queryByRole('button')).toBeNull();
    expect(items[0]!.textContent).toContain('Read');
  });

  it('the notifications screen lists them and marks one read on click', async () => {
    answers['GET /notifications'] = [json(200, { notifications: [note('n1', { severity: 'high' })], unread: 1, next_before: null })];
    answers['POST /notifications/n1/read'] = [new Response(null, { status: 204 })];
    renderApp(
      <NotificationsProvider>
        <Bell />
        <Notifications />
      </NotificationsProvider>,
    );
    const list = await screen.findByTestId('notifications');
    await waitFor(() => expect(list.textContent).toContain('High priority'));
    expect(screen.getByTestId('unread-count').textContent).toBe('1 unread. Select one to mark it as read.');
    fireEvent.click(within(list).getByRole('button', { name: /Night Motion Alert/ }));
    await waitFor(() => expect(screen.getByTestId('unread-count').textContent).toBe('Nothing unread.'));
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 0 unread');
  });
});

describe('notification deliveries', () => {
  const at = '2030-01-01T03:00:00Z';
  const withDeliveries = note('n1', {
    severity: 'normal',
    channels: ['email', 'webhook'],
    deliveries: [
      { channel: 'in_app', status: 'delivered', attempts: 0, detail: 'stored and pushed live', at },
      { channel: 'email', status: 'held', attempts: 0, detail: 'quiet hours: held until 07:00', at },
      { channel: 'webhook', status: 'failed', attempts: 3, detail: 'HTTP 502 from n8n.example.com', at },
    ],
    next_delivery_at: '2030-01-01T12:00:00Z',
  });
  const delivered = note('n0', {
    title: 'Front door',
    read_at: '2030-01-01T00:00:00Z',
    created_at: new Date(Date.now() - 3600_000).toISOString(),
    deliveries: [
      { channel: 'in_app', status: 'delivered', attempts: 0, detail: 'stored and pushed live', at },
      { channel: 'webhook', status: 'delivered', attempts: 1, detail: 'HTTP 200', at },
      { channel: 'email', status: 'skipped', attempts: 0, detail: 'e-mail is turned off in the notification settings', at },
    ],
  });

  it('the notifications screen shows a chip per channel (held, failed with attempts, delivered, skipped), the app implicit', async () => {
    answers['GET /notifications'] = [json(200, { notifications: [withDeliveries, delivered, note('n2', { read_at: at })], unread: 1, next_before: null })];
    renderApp(
      <NotificationsProvider>
        <Bell />
        <Notifications />
      </NotificationsProvider>,
    );
    const list = await screen.findByTestId('notifications');
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(3));
    const [first, second, third] = within(list).getAllByRole('listitem');
    const chips = (li: HTMLElement) => within(li).queryAllByTestId('delivery').map((c) => c.textContent!.trim());
    expect(chips(first!)).toEqual(['E-mail: held until 07:00 (quiet hours)', 'Webhook: failed — HTTP 502 from n8n.example.com (3 attempts)']);
    expect(within(first!).getAllByTestId('delivery').map((c) => c.getAttribute('data-status'))).toEqual(['held', 'failed']);
    expect(chips(second!)).toEqual(['Webhook: delivered', 'E-mail: skipped — e-mail is turned off in the notification settings']);
    // Only the app's own delivery: nothing to show.
    expect(within(third!).queryByTestId('deliveries')).toBeNull();
    // The unread one stays one button (that marks it read), its deliveries in its name.
    expect(within(first!).getByRole('button').textContent).toContain('E-mail: held until 07:00');
    expect(screen.getByRole('link', { name: 'notification settings' }).getAttribute('href')).toBe('/settings');
    // The bell keeps to the gist.
    expect(within(screen.getByTestId('bell-list')).queryAllByTestId('delivery')).toHaveLength(0);
  });

  it('words each status', () => {
    const d = (status: AppNotification['deliveries'][number]['status'], detail = '', attempts = 0, channel = 'email') => ({ channel, status, detail, attempts, at });
    expect(deliveryText(d('held', 'quiet hours: held until 07:00'))).toBe('E-mail: held until 07:00 (quiet hours)');
    expect(deliveryText(d('held', 'later'))).toBe('E-mail: held — later');
    expect(deliveryText(d('failed', 'e-mail is not configured (SMTP_URL is unset)'))).toBe('E-mail: failed — e-mail is not configured (SMTP_URL is unset)');
    expect(deliveryText(d('failed', 'timeout', 1, 'webhook'))).toBe('Webhook: failed — timeout (1 attempt)');
    expect(deliveryText(d('delivered', 'HTTP 200', 1, 'webhook'))).toBe('Webhook: delivered');
    expect(deliveryText(d('delivered', '', 2, 'webhook'))).toBe('Webhook: delivered after 2 attempts');
    expect(deliveryText(d('pending'))).toBe('E-mail: sending');
    expect(deliveryText(d('pending', 'quiet hours are over'))).toBe('E-mail: sending — quiet hours are over');
    expect(deliveryText(d('pending', '', 2))).toBe('E-mail: retrying (2 attempts)');
    expect(deliveryText(d('skipped', 'not a channel this platform delivers on', 0, 'sms'))).toBe('Sms: skipped — not a channel this platform delivers on');
  });

  it('opening the screen again fetches the deliveries afresh', async () => {
    const pending = note('n1', { deliveries: [{ channel: 'email', status: 'pending', attempts: 0, detail: '', at }] });
    const sent = note('n1', { deliveries: [{ channel: 'email', status: 'delivered', attempts: 1, detail: '250 OK', at }] });
    answers['GET /notifications'] = [json(200, { notifications: [pending], unread: 1, next_before: null }), json(200, { notifications: [sent], unread: 1, next_before: null })];
    function Harness() {
      const [open, setOpen] = useState(false);
      return (
        <NotificationsProvider>
          <Bell />
          <button type="button" onClick={() => setOpen(true)}>
            All notifications
          </button>
          {open && <Notifications />}
        </NotificationsProvider>
      );
    }
    renderApp(<Harness />);
    await waitFor(() => expect(bell().getAttribute('aria-label')).toBe('Notifications, 1 unread'));
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'All notifications' }));
    await waitFor(() => expect(screen.getByTestId('delivery').textContent).toContain('E-mail: delivered'));
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2);
  });

  it('a live notification_updated moves a listed notification’s deliveries on, in place, leaving its read state and the count alone', async () => {
    const held = note('n1', {
      channels: ['email'],
      deliveries: [
        { channel: 'in_app', status: 'delivered', attempts: 0, detail: 'stored and pushed live', at },
        { channel: 'email', status: 'held', attempts: 0, detail: 'quiet hours: held until 07:00', at },
      ],
      next_delivery_at: '2030-01-01T12:00:00Z',
    });
    const old = note('n0', {
      title: 'Front door',
      read_at: at,
      created_at: new Date(Date.now() - 3600_000).toISOString(),
      deliveries: [{ channel: 'email', status: 'pending', attempts: 0, detail: '', at }],
    });
    answers['GET /notifications'] = [json(200, { notifications: [held, old], unread: 1, next_before: null })];
    function Due() {
      const nf = useNotifications();
      return <p data-testid="due">{nf.items.map((n) => `${n.id}:${n.next_delivery_at ?? 'none'}:${n.read_at ? 'read' : 'unread'}`).join(' ')}</p>;
    }
    renderApp(
      <NotificationsProvider>
        <Bell />
        <Notifications />
        <Due />
      </NotificationsProvider>,
      { live: true },
    );
    const list = await screen.findByTestId('notifications');
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(2));
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'subscribed' });
    const chips = (id: string) => within(list.querySelector(`[data-id="${id}"]`) as HTMLElement).queryAllByTestId('delivery').map((c) => c.textContent!.trim());
    expect(chips('n1')).toEqual(['E-mail: held until 07:00 (quiet hours)']);

    // The held e-mail released and delivered; the message says read (it may be stale): only the deliveries count.
    const later = '2030-01-01T12:00:05Z';
    ws.server({
      type: 'notification_updated',
      notification: {
        ...held,
        title: 'Changed title',
        read_at: later,
        deliveries: [held.deliveries[0], { channel: 'email', status: 'delivered', attempts: 1, detail: '250 OK', at: later }],
        next_delivery_at: null,
      },
    });
    expect(chips('n1')).toEqual(['E-mail: delivered']);
    expect(screen.getByTestId('due').textContent).toBe('n1:none:unread n0:none:read');
    expect(within(list).getAllByRole('listitem').map((li) => li.getAttribute('data-id'))).toEqual(['n1', 'n0']);
    expect(list.textContent).not.toContain('Changed title');
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 1 unread');
    expect(screen.getByTestId('unread-count').textContent).toBe('1 unread. Select one to mark it as read.');
    // Not announced as a new one.
    expect(screen.getByRole('status').textContent).toBe('');

    // A read one stays read; its failed e-mail shows, with a retry due.
    ws.server({
      type: 'notification_updated',
      notification: { ...old, read_at: null, deliveries: [{ channel: 'email', status: 'failed', attempts: 2, detail: 'relay refused', at: later }], next_delivery_at: '2030-01-01T12:05:00Z' },
    });
    expect(chips('n0')).toEqual(['E-mail: failed — relay refused (2 attempts)']);
    expect(screen.getByTestId('due').textContent).toBe('n1:none:unread n0:2030-01-01T12:05:00Z:read');
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 1 unread');

    // One not in the list is not added.
    ws.server({ type: 'notification_updated', notification: note('n9', { title: 'Elsewhere', deliveries: [{ channel: 'email', status: 'delivered', attempts: 1, detail: '', at }] }) });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(list.textContent).not.toContain('Elsewhere');
    expect(bell().getAttribute('aria-label')).toBe('Notifications, 1 unread');
  });
});
