import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AppNotification } from './api';
import { Bell, NotificationsProvider } from './notifications';
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
