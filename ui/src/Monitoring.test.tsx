import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MonitoringPage, MonitoringReport } from './api';
import { codeWords, qualifierWords, zoneWords } from './contactId';
import Monitoring, { reportTime } from './pages/Monitoring';
import { errBody, fakeServer, json, renderApp, signIn } from './test-utils';

const JOHN = '11111111-1111-4111-8111-111111111111';
const SARAH = '22222222-2222-4222-8222-222222222222';
const USERS = [
  { id: 'a0', email: 'admin@demo.com', name: 'Admin User', role: 'admin' },
  { id: JOHN, email: 'john@demo.com', name: 'John Smith', role: 'user' },
  { id: SARAH, email: 'sarah@demo.com', name: 'Sarah Johnson', role: 'user' },
];

let seq = 0;
const report = (over: Partial<MonitoringReport> = {}): MonitoringReport => ({
  id: `r${++seq}`,
  user_id: JOHN,
  code: 134,
  qualifier: 1,
  zone: 3,
  text: 'burglary - Front Door',
  at: '2026-12-01T16:30:00Z',
  sent_at: '2026-12-01T16:30:01Z',
  status: 'acknowledged',
  attempts: 1,
  detail: 'ACK (sequence 7)',
  ...over,
});
const page = (over: Partial<MonitoringPage> = {}): MonitoringPage => ({
  receiver: 'cms.example.com:12000',
  reports: [],
  next_before: null,
  ...over,
});

const { calls, answers } = fakeServer();
const reportCalls = () => calls.filter((c) => c.method === 'GET' && c.url.startsWith('/monitoring/reports')).map((c) => c.url);
const setup = () => renderApp(<Monitoring />, { path: '/admin/monitoring' });
const rows = () => screen.getAllByTestId('report');

beforeEach(() => {
  signIn({ id: 'a0', email: 'admin@demo.com', name: 'Admin User', role: 'admin' });
  answers['GET /users'] = [json(200, { users: USERS })];
});

describe('monitoring (admins)', () => {
  it('lists the reports newest first: time, home, code and words, zone, status as a chip; duress labelled', async () => {
    answers['GET /monitoring/reports'] = [
      json(
        200,
        page({
          reports: [
            report({ id: 'ack', at: '2026-12-01T16:30:00Z', code: 134, zone: 3, attempts: 2 }),
            report({ id: 'duress', at: '2026-12-01T16:40:00Z', user_id: SARAH, code: 121, zone: 0, text: 'duress code used', detail: 'ACK (sequence 8)' }),
            report({ id: 'refused', at: '2026-12-01T16:20:00Z', code: 110, qualifier: 3, zone: 5, status: 'refused', attempts: 1, detail: 'DUH: unknown account' }),
            report({ id: 'failed', at: '2026-12-01T16:10:00Z', code: 120, status: 'failed', attempts: 3, detail: 'connection refused' }),
            report({ id: 'local', at: '2026-12-01T16:00:00Z', code: 401, qualifier: 6, status: 'local', attempts: 0, detail: 'no central station' }),
          ],
        }),
      ),
    ];
    setup();
    await screen.findAllByTestId('report');
    expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['duress', 'ack', 'refused', 'failed', 'local']);

    const [duress, ack, refused, failed, local] = rows() as [HTMLElement, HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    // Acknowledged: green, with the receiver's answer and the attempts it took.
    expect(ack.textContent).toContain('134 Entry/exit burglary');
    expect(ack.textContent).toContain('New event');
    expect(ack.textContent).toContain('Zone 3');
    expect(ack.textContent).toContain('burglary - Front Door');
    await waitFor(() => expect(within(ack).getByText('John Smith')).toBeTruthy());
    const ackChip = within(ack).getByTestId('report-status');
    expect(ackChip.className).toContain('chip-ok');
    expect(ackChip.textContent).toContain('Acknowledged');
    expect(ack.textContent).toContain('ACK (sequence 7) (2 attempts)');
    const t = ack.querySelector('time')!;
    expect(t.getAttribute('datetime')).toBe('2026-12-01T16:30:00Z');
    expect(t.textContent).toBe(reportTime('2026-12-01T16:30:00Z'));

    // Refused and failed: red, with the detail and the attempts.
    const refusedChip = within(refused).getByTestId('report-status');
    expect(refusedChip.className).toContain('chip-alert');
    expect(refusedChip.textContent).toBe(' Refused: DUH: unknown account (1 attempt)');
    expect(refused.textContent).toContain('110 Fire');
    expect(refused.textContent).toContain('Restore');
    const failedChip = within(failed).getByTestId('report-status');
    expect(failedChip.className).toContain('chip-alert');
    expect(failedChip.textContent).toBe(' Failed: connection refused (after 3 attempts)');
    expect(failed.textContent).toContain('120 Panic');

    // Local: neutral.
    const localChip = within(local).getByTestId('report-status');
    expect(localChip.className).toContain('chip-local');
    expect(localChip.textContent).toContain('Local');
    expect(local.textContent).toContain('401 Open/close by user');
    expect(local.textContent).toContain('Status');

    // Duress stands out, in words.
    expect(within(duress).getByTestId('duress').textContent).toContain('Duress, silent: never shown to the household');
    expect(duress.className).toContain('report-duress');
    expect(duress.textContent).toContain('121 Duress');
    expect(duress.textContent).toContain('No zone');
    expect(within(duress).getByText('Sarah Johnson')).toBeTruthy();
    expect(screen.getAllByTestId('duress')).toHaveLength(1);

    expect(screen.getByTestId('receiver').textContent).toContain('Reporting to the central station at cms.example.com:12000');
    expect(reportCalls()).toEqual(['/monitoring/reports?limit=50']);
  });

  it('says plainly when no monitoring center is configured', async () => {
    answers['GET /monitoring/reports'] = [
      json(200, page({ receiver: null, reports: [report({ code: 120, zone: 0, status: 'local', attempts: 0, detail: 'recorded here' })] })),
    ];
    setup();
    const notice = await screen.findByTestId('receiver');
    expect(notice.textContent).toContain('No monitoring center is configured (MONITORING_DC09); alarms are recorded here.');
    expect(within(rows()[0]!).getByTestId('report-status').getAttribute('data-status')).toBe('local');
  });

  it('loads older reports with before=next_before, until there are none', async () => {
    answers['GET /monitoring/reports'] = [
      json(200, page({ reports: [report({ id: 'new', at: '2026-12-01T16:30:00Z' })], next_before: '2026-12-01T16:30:00Z' })),
      json(200, page({ reports: [report({ id: 'old', at: '2026-12-01T15:00:00Z', code: 137 })], next_before: null })),
    ];
    setup();
    fireEvent.click(await screen.findByRole('button', { name: 'Load older' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['new', 'old']);
    expect(rows()[1]!.textContent).toContain('137 Tamper');
    expect(reportCalls()).toEqual([
      '/monitoring/reports?limit=50',
      `/monitoring/reports?before=${encodeURIComponent('2026-12-01T16:30:00Z')}&limit=50`,
    ]);
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it('filters by home (user_id) and refreshes with the filter kept', async () => {
    answers['GET /monitoring/reports'] = [
      json(200, page({ reports: [report({ id: 'j' }), report({ id: 's', user_id: SARAH })] })),
      json(200, page({ reports: [report({ id: 's', user_id: SARAH })] })),
      json(200, page({ reports: [report({ id: 's', user_id: SARAH }), report({ id: 's2', user_id: SARAH, code: 121 })] })),
    ];
    setup();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const home = screen.getByLabelText('Home') as HTMLSelectElement;
    await waitFor(() => expect(within(home).getByRole('option', { name: 'Sarah Johnson (sarah@demo.com)' })).toBeTruthy());
    expect(within(home).getAllByRole('option')[0]!.textContent).toBe('All homes');
    fireEvent.change(home, { target: { value: SARAH } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]!.getAttribute('data-id')).toBe('s');
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(reportCalls()).toEqual([
      '/monitoring/reports?limit=50',
      `/monitoring/reports?user_id=${SARAH}&limit=50`,
      `/monitoring/reports?user_id=${SARAH}&limit=50`,
    ]);
    await screen.findByText(/^Updated /);
  });

  it('a 403 says in words that only administrators may read it', async () => {
    answers['GET /monitoring/reports'] = [json(403, errBody('FORBIDDEN', 'admin only'))];
    answers['GET /users'] = [json(403, errBody('FORBIDDEN', 'admin only'))];
    setup();
    const note = await screen.findByTestId('monitoring-forbidden');
    expect(note.getAttribute('role')).toBe('alert');
    expect(note.textContent).toContain('Not allowed: only administrators can read the monitoring reports.');
    expect(screen.queryByTestId('reports')).toBeNull();
    expect(screen.queryByLabelText('Home')).toBeNull();
  });

  it('another error offers to try again', async () => {
    answers['GET /monitoring/reports'] = [
      json(500, errBody('INTERNAL', 'The report store is unavailable')),
      json(200, page({ reports: [report()] })),
    ];
    setup();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The report store is unavailable');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('an empty log says what will appear', async () => {
    answers['GET /monitoring/reports'] = [json(200, page({ receiver: null }))];
    setup();
    await screen.findByText(/No reports yet/);
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });
});

describe('contact ID in words', () => {
  it('names every code the alarm reports, the qualifiers and zones', () => {
    const expected: Record<number, string> = {
      130: 'Burglary', 131: 'Perimeter burglary', 132: 'Interior burglary', 134: 'Entry/exit burglary', 139: 'Verified burglary',
      110: 'Fire', 111: 'Smoke', 162: 'Carbon monoxide', 120: 'Panic', 121: 'Duress', 122: 'Silent panic', 123: 'Audible panic',
      137: 'Tamper', 374: 'Exit alarm', 459: 'Recent closing', 406: 'Cancel', 401: 'Open/close by user', 441: 'Armed stay',
      570: 'Bypass', 461: 'Wrong-code lockout', 381: 'Supervision loss', 384: 'Low battery', 102: 'Inactivity',
    };
    for (const [code, words] of Object.entries(expected)) expect(codeWords(Number(code))).toBe(words);
    expect(codeWords(999)).toBe('Event 999');
    expect([1, 3, 6].map(qualifierWords)).toEqual(['New event', 'Restore', 'Status']);
    expect([0, 12].map(zoneWords)).toEqual(['No zone', 'Zone 12']);
  });
});
