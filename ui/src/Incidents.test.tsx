import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Incident, IncidentSummary, TimelineItem } from './api';
import Incidents from './pages/Incidents';
import { inTimeOrder } from './pages/IncidentDetail';
import { errBody, fakeServer, json, renderApp } from './test-utils';

const summary = (over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id: 'inc1',
  user_id: 'u1',
  kind: 'burglary',
  severity: 'critical',
  status: 'open',
  title: 'Intrusion: Back Window Sensor',
  opened_at: '2026-12-24T07:00:01Z',
  updated_at: '2026-12-24T07:00:04Z',
  ended_at: null,
  acknowledged_by: null,
  events: 6,
  ...over,
});

const decisionData = {
  outcome: 'alarm',
  event_id: 'e1',
  event_type: 'glass_break',
  device_id: 'win',
  signal: 131,
  reasons: [
    { code: 'arm_state', text: 'the alarm is armed_away (away mode), 02:00 at home' },
    { code: 'alarm', text: 'a door, window or glass-break tripped while armed: a breach' },
  ],
  facts: { arm_state: 'armed_away', mode: 'away', zone_type: 'perimeter_instant', zone_armed: true, local_time: '02:00', night: true, pets: [], cross_zone_seconds: 20, guests_expected: [] },
};
// Given out of order: the page puts them in time order (same instant: as given).
const TIMELINE: TimelineItem[] = [
  { id: 't5', at: '2026-12-24T07:00:04Z', kind: 'decision', text: 'Intrusion verified at Hallway Motion', data: { ...decisionData, outcome: 'verified_alarm', signal: 139, reasons: [decisionData.reasons[0]!, { code: 'second_zone', text: 'Back Window Sensor tripped 3 s ago (inside 20 s)' }] } },
  { id: 't1', at: '2026-12-24T07:00:01Z', kind: 'decision', text: 'Alarm: Back Window Sensor', data: decisionData },
  { id: 't2', at: '2026-12-24T07:00:01Z', kind: 'transition', text: 'armed_away → triggered: burglary: Back Window Sensor (perimeter)', data: { code: null, qualifier: null, zone: null, dispatch: false, to: 'triggered' } },
  { id: 't3', at: '2026-12-24T07:00:01Z', kind: 'signal', text: 'burglary: Back Window Sensor (perimeter)', data: { code: 131, qualifier: 'event', zone: 'win', dispatch: false, to: null } },
  { id: 't6', at: '2026-12-24T07:00:35Z', kind: 'signal', text: 'alarm sent to monitoring: not disarmed within the abort window', data: { code: 131, qualifier: 'event', zone: 'win', dispatch: true, to: null, monitoring: { status: 'local', attempts: 0, detail: 'no central station is configured', sent_at: '2026-12-24T07:00:35Z' } } },
  { id: 't7', at: '2026-12-24T07:00:36Z', kind: 'signal', text: 'intrusion verified: a second zone confirmed it', data: { code: 139, qualifier: 'event', zone: 'hall', dispatch: true, to: null, monitoring: { status: 'acknowledged', attempts: 1, detail: 'ACK (sequence 7)', sent_at: '2026-12-24T07:00:36Z' } } },
  { id: 't4', at: '2026-12-24T07:00:02Z', kind: 'notification', text: 'the household was told: Intrusion: Back Window Sensor', data: { severity: 'critical' } },
  { id: 't8', at: '2026-12-24T07:01:00Z', kind: 'acknowledged', text: 'acknowledged by Sarah Johnson', by: 'Sarah Johnson' },
];
const full = (over: Partial<Incident> = {}): Incident => ({
  ...summary({ status: 'acknowledged', acknowledged_by: 'Sarah Johnson' }),
  acknowledged_at: '2026-12-24T07:01:00Z',
  timeline: TIMELINE,
  path: [
    { device_id: 'win', name: 'Back Window Sensor', at: '2026-12-24T07:00:01Z' },
    { device_id: 'hall', name: 'Hallway Motion', at: '2026-12-24T07:00:04Z' },
  ],
  version: 3,
  ...over,
});

const { calls, answers } = fakeServer();
const setup = (path: string) =>
  renderApp(
    <Routes>
      <Route path="/incidents/*" element={<Incidents />} />
    </Routes>,
    { path },
  );
const gets = (prefix: string) => calls.filter((c) => c.method === 'GET' && c.url.startsWith(prefix)).map((c) => c.url);
const rows = () => screen.queryAllByTestId('incident');

describe('incidents list', () => {
  it('lists title, kind, status in words, opened and who acknowledged; filters by status; shows older', async () => {
    answers['GET /incidents'] = [
      json(200, {
        incidents: [
          summary({ id: 'a', status: 'acknowledged', acknowledged_by: 'Sarah Johnson', opened_at: '2026-12-24T07:00:01Z' }),
          summary({ id: 'b', kind: 'fire', title: 'Fire: Kitchen Smoke Detector', status: 'open', opened_at: '2026-12-24T08:00:00Z' }),
        ],
        next_before: '2026-12-24T07:00:01Z',
      }),
      json(200, { incidents: [summary({ id: 'c', kind: 'panic', title: 'Panic', status: 'false_alarm', opened_at: '2026-12-20T10:00:00Z' })], next_before: null }),
      json(200, { incidents: [summary({ id: 'd', status: 'resolved', title: 'Intrusion: Garage Door', acknowledged_by: 'John' })], next_before: null }),
    ];
    setup('/incidents');
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['b', 'a']);
    const [b, a] = rows() as [HTMLElement, HTMLElement];
    expect(within(b).getByRole('link', { name: 'Fire: Kitchen Smoke Detector' }).getAttribute('href')).toBe('/incidents/b');
    expect(within(b).getByTestId('incident-kind').textContent).toContain('Fire');
    expect(within(b).getByTestId('incident-status').textContent).toContain('Open');
    expect(within(b).getByTestId('incident-ack').textContent).toBe('Not acknowledged yet');
    expect(within(b).getByTestId('incident-alarm').textContent).toBe('Alarm going on');
    expect(within(a).getByTestId('incident-kind').textContent).toContain('Intrusion');
    expect(within(a).getByTestId('incident-status').textContent).toContain('Acknowledged');
    expect(within(a).getByTestId('incident-ack').textContent).toBe('Acknowledged by Sarah Johnson');
    expect(a.textContent).toContain('Critical severity');
    expect(a.querySelector('time')!.getAttribute('datetime')).toBe('2026-12-24T07:00:01Z');
    expect(a.querySelector('time')!.textContent).toMatch(/^Opened /);

    fireEvent.click(screen.getByRole('button', { name: 'Show older' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(rows()[2]!).getByTestId('incident-status').textContent).toContain('False alarm');
    expect(screen.queryByRole('button', { name: 'Show older' })).toBeNull();

    const filter = screen.getByLabelText('Status') as HTMLSelectElement;
    expect([...filter.options].map((o) => o.textContent)).toEqual(['All', 'Open', 'Acknowledged', 'Resolved', 'False alarm']);
    fireEvent.change(filter, { target: { value: 'resolved' } });
    await waitFor(() => expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['d']));
    expect(within(rows()[0]!).getByTestId('incident-status').textContent).toContain('Resolved');
    expect(gets('/incidents')).toEqual([
      '/incidents?limit=20',
      `/incidents?before=${encodeURIComponent('2026-12-24T07:00:01Z')}&limit=20`,
      '/incidents?status=resolved&limit=20',
    ]);
  });

  it('an empty filter says so in words', async () => {
    answers['GET /incidents'] = [json(200, { incidents: [], next_before: null })];
    setup('/incidents?status=false_alarm');
    await screen.findByText('No incidents with the status false alarm.');
    expect(gets('/incidents')).toEqual(['/incidents?status=false_alarm&limit=20']);
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('false_alarm');
  });
});

describe('incident page', () => {
  it('puts the timeline in time order, words each kind, decisions and their reasons, signals and monitoring; the path in order', async () => {
    answers['GET /incidents/inc1'] = [json(200, full())];
    answers['GET /home'] = [json(200, { time_zone: 'America/New_York' })];
    setup('/incidents/inc1');
    await screen.findByRole('heading', { level: 1, name: 'Intrusion: Back Window Sensor' });
    await waitFor(() => expect(screen.getByTestId('path').textContent).toContain('02:00:01'));

    const state = screen.getByTestId('incident-state');
    expect(within(state).getByTestId('incident-status').textContent).toContain('Acknowledged');
    expect(state.textContent).toContain('Critical severity');
    expect(state.textContent).toContain('Intrusion');
    expect(screen.getByTestId('incident-acknowledged').textContent).toMatch(/^By Sarah Johnson, /);
    expect(screen.getByTestId('incident-closed').textContent).toBe('Not yet');

    // The path: numbered, in order, on the home's clock.
    const steps = within(screen.getByTestId('path')).getAllByRole('listitem');
    expect(steps.map((s) => s.textContent)).toEqual(['1. Back Window Sensor 02:00:01', '→ 2. Hallway Motion 02:00:04']);
    expect(steps[0]!.querySelector('time')!.getAttribute('datetime')).toBe('2026-12-24T07:00:01Z');

    // The timeline, oldest first (ties as the server gave them).
    const items = screen.getAllByTestId('timeline-item');
    expect(items.map((i) => i.querySelector('time')!.textContent)).toEqual(['02:00:01', '02:00:01', '02:00:01', '02:00:02', '02:00:04', '02:00:35', '02:00:36', '02:01:00']);
    expect(items.map((i) => i.getAttribute('data-kind'))).toEqual(['decision', 'transition', 'signal', 'notification', 'decision', 'signal', 'signal', 'acknowledged']);
    const [first, transition, signal, notification, verified, sent, acked, ack] = items as HTMLElement[];
    expect(first!.textContent).toContain('Decision');
    expect(first!.textContent).toContain('Alarm: Back Window Sensor');
    expect(within(first!).getByTestId('decision-outcome').textContent).toContain('Alarm');
    expect(within(within(first!).getByTestId('reasons')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'The alarm is armed away (away mode), 02:00 at home',
      'A door, window or glass-break tripped while armed: a breach',
    ]);
    expect(first!.textContent).toContain('Contact ID 131 Perimeter burglary');
    expect(transition!.textContent).toContain('Alarm state');
    expect(transition!.textContent).toContain('Armed away → triggered');
    expect(signal!.textContent).toContain('Signal');
    expect(within(signal!).getByTestId('signal-code').textContent).toContain('131 Perimeter burglary');
    expect(within(signal!).getByTestId('signal-code').textContent).toContain('New event');
    expect(within(signal!).queryByTestId('monitoring')).toBeNull();
    expect(notification!.textContent).toContain('Notification');
    expect(within(verified!).getByTestId('decision-outcome').textContent).toContain('Verified alarm');
    expect(verified!.textContent).toContain('Back Window Sensor tripped 3 s ago (inside 20 s)');
    expect(within(sent!).getByTestId('monitoring').textContent).toContain('Not sent: no central station (local)');
    expect(within(acked!).getByTestId('monitoring').textContent).toContain('Monitoring acknowledged');
    expect(within(acked!).getByTestId('signal-code').textContent).toContain('139 Verified burglary');
    expect(ack!.textContent).toContain('Acknowledged by Sarah Johnson');
    expect(gets('/home')).toEqual(['/home']);
  });

  it("words what each playbook action became and how each emergency contact's e-mail went", async () => {
    const at = (s: number) => `2026-12-24T07:00:${String(s).padStart(2, '0')}Z`;
    const timeline: TimelineItem[] = [
      { id: 'a1', at: at(2), kind: 'action', text: 'Start the cameras recording: Driveway Camera: start_recording sent', data: { step: 'record_cameras', device_id: 'cam', command: 'start_recording', command_id: 'x1', status: 'queued' } },
      { id: 'a2', at: at(3), kind: 'action', text: 'Lock what is unlocked: Front Door Lock: the lock is offline', data: { step: 'lock_doors', device_id: 'lock', command: 'lock', command_id: 'x2', status: 'failed' } },
      { id: 'a3', at: at(4), kind: 'action', text: 'Take a snapshot on every camera: no device of this home takes it', data: { step: 'snapshot_cameras', status: 'skipped' } },
      { id: 'a4', at: at(5), kind: 'action', text: 'the break-in playbook ran: Start the cameras recording, Lock what is unlocked', data: { playbook: 'break_in', steps: ['record_cameras', 'lock_doors'] } },
      { id: 'a5', at: at(40), kind: 'action', text: 'nobody acknowledged it within 5 min: the emergency contacts are told', data: { step: 'notify_contacts', status: 'escalated' } },
      { id: 'n1', at: at(41), kind: 'notification', text: 'emergency contact Ana (sister): delivered', data: { party: 'emergency_contacts', contact_id: 'c1', status: 'delivered', detail: 'accepted by the mail relay' } },
      { id: 'n2', at: at(42), kind: 'notification', text: 'emergency contact Bob: failed', data: { party: 'emergency_contacts', contact_id: 'c2', status: 'failed', detail: 'mailbox unavailable' } },
      { id: 'n3', at: at(43), kind: 'notification', text: 'emergency contact Carl: skipped', data: { party: 'emergency_contacts', contact_id: 'c3', status: 'skipped', detail: 'no e-mail address; call +1 555 0100' } },
      { id: 'n4', at: at(44), kind: 'notification', text: 'the household was told: Intrusion: Back Window Sensor', data: { severity: 'critical' } },
    ];
    answers['GET /incidents/inc1'] = [json(200, full({ status: 'open', acknowledged_by: null, acknowledged_at: null, timeline }))];
    answers['GET /home'] = [json(200, { time_zone: 'UTC' })];
    setup('/incidents/inc1');
    await screen.findByRole('heading', { level: 1, name: 'Intrusion: Back Window Sensor' });
    const items = screen.getAllByTestId('timeline-item');
    const [queued, failed, skipped, ran, escalated, delivered, bounced, noEmail, household] = items as HTMLElement[];
    const status = (el: HTMLElement, id: string) => within(el).getByTestId(id);
    expect(status(queued!, 'action-status').textContent).toContain('Command queued');
    expect(queued!.textContent).toContain('Action');
    expect(status(failed!, 'action-status').textContent).toContain('Failed');
    expect(status(failed!, 'action-status').getAttribute('data-value')).toBe('failed');
    expect(failed!.textContent).toContain('Front Door Lock: the lock is offline');
    expect(status(skipped!, 'action-status').textContent).toContain('Skipped');
    expect(within(ran!).queryByTestId('action-status')).toBeNull();
    expect(ran!.textContent).toContain('The break-in playbook ran');
    expect(status(escalated!, 'action-status').textContent).toContain('Escalated to the emergency contacts');
    // Each chip has its icon: never the colour alone.
    expect(status(escalated!, 'action-status').querySelector('svg')).toBeTruthy();

    expect(delivered!.querySelector('.tl-kind')!.textContent).toContain('Emergency contact');
    expect(status(delivered!, 'contact-status').textContent).toContain('Delivered');
    expect(delivered!.textContent).toContain('Emergency contact Ana (sister): delivered');
    expect(delivered!.textContent).toContain('Accepted by the mail relay');
    expect(status(bounced!, 'contact-status').textContent).toContain('Failed');
    expect(bounced!.textContent).toContain('Mailbox unavailable');
    expect(status(noEmail!, 'contact-status').textContent).toContain('Skipped');
    expect(noEmail!.textContent).toContain('No e-mail address; call +1 555 0100');
    // The household's own notification stays a notification.
    expect(household!.querySelector('.tl-kind')!.textContent).toContain('Notification');
    expect(within(household!).queryByTestId('contact-status')).toBeNull();
  });

  it("shows what the cameras captured, linking only an http(s) address the camera gave", async () => {
    const at = (s: number) => `2026-12-24T07:00:${String(s).padStart(2, '0')}Z`;
    const timeline: TimelineItem[] = [
      { id: 'c1', at: at(1), kind: 'camera', text: 'Driveway Camera took a snapshot', data: { device_id: 'cam', event_type: 'snapshot_taken', payload: { trigger: 'remote', image_url: 'https://cam.example/snap/1.jpg' }, command_id: 'x3' } },
      { id: 'c2', at: at(2), kind: 'camera', text: 'Driveway Camera started recording', data: { device_id: 'cam', event_type: 'recording_started', payload: { method: 'remote', url: 'javascript:alert(1)' } } },
    ];
    answers['GET /incidents/inc1'] = [json(200, full({ status: 'open', acknowledged_by: null, acknowledged_at: null, timeline }))];
    answers['GET /home'] = [json(200, { time_zone: 'UTC' })];
    setup('/incidents/inc1');
    await screen.findByRole('heading', { level: 1, name: 'Intrusion: Back Window Sensor' });
    const [snap, rec] = screen.getAllByTestId('timeline-item') as HTMLElement[];
    expect(snap!.querySelector('.tl-kind')!.textContent).toContain('Camera');
    expect(snap!.textContent).toContain('Driveway Camera took a snapshot');
    const link = within(snap!).getByTestId('capture') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('https://cam.example/snap/1.jpg');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect(rec!.textContent).toContain('Driveway Camera started recording');
    expect(within(rec!).queryByTestId('capture')).toBeNull();
  });

  it('resolves as a false alarm with a note; the server’s note error shows next to the note first', async () => {
    let closed = false;
    answers['GET /incidents/inc1'] = () =>
      json(200, closed ? full({ status: 'false_alarm', resolved_by: 'Sarah Johnson', resolved_at: '2026-12-24T07:05:00Z', note: 'Cat knocked a vase', ended_at: '2026-12-24T07:04:00Z' }) : full({ status: 'open', acknowledged_by: null, acknowledged_at: null }));
    answers['GET /home'] = [json(200, { time_zone: 'UTC' })];
    answers['POST /incidents/inc1/resolve'] = [
      json(400, errBody('VALIDATION_ERROR', 'note: must be at most 2000 characters', { field: 'note', reason: 'must be at most 2000 characters' })),
      json(200, summary({ status: 'false_alarm' })),
    ];
    answers['POST /incidents/inc1/acknowledge'] = [json(200, summary({ status: 'acknowledged' }))];
    setup('/incidents/inc1');
    const note = (await screen.findByLabelText('Note (optional)')) as HTMLTextAreaElement;
    expect(screen.getByRole('button', { name: 'Acknowledge' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Resolve' })).toBeTruthy();

    fireEvent.change(note, { target: { value: 'x'.repeat(2001) } });
    fireEvent.click(screen.getByRole('button', { name: 'Close as false alarm' }));
    const err = await screen.findByTestId('field-error');
    expect(err.textContent).toContain('must be at most 2000 characters');
    expect(note.closest('.field')!.contains(err)).toBe(true);
    expect(note.getAttribute('aria-invalid')).toBe('true');
    expect(note.getAttribute('aria-describedby')).toContain(err.id);
    expect(screen.getByTestId('incident-status').textContent).toContain('Open');

    fireEvent.change(note, { target: { value: '  Cat knocked a vase ' } });
    closed = true;
    fireEvent.click(screen.getByRole('button', { name: 'Close as false alarm' }));
    await waitFor(() => expect(screen.getByTestId('incident-status').textContent).toContain('False alarm'));
    const posts = calls.filter((c) => c.method === 'POST').map((c) => [c.url, c.body]);
    expect(posts).toEqual([
      ['/incidents/inc1/resolve', { outcome: 'false_alarm', note: 'x'.repeat(2001) }],
      ['/incidents/inc1/resolve', { outcome: 'false_alarm', note: 'Cat knocked a vase' }],
    ]);
    expect(screen.getByTestId('incident-result').textContent).toContain('Closed as a false alarm.');
    expect(screen.getByTestId('incident-closed').textContent).toMatch(/^As a false alarm by Sarah Johnson, /);
    expect(screen.getByTestId('incident-note').textContent).toBe('Cat knocked a vase');
    // Closed: nothing left to do.
    expect(screen.queryByLabelText('Note (optional)')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });

  it('resolves without a note, and acknowledges', async () => {
    answers['GET /incidents/inc1'] = [json(200, full({ status: 'open', acknowledged_by: null, acknowledged_at: null })), json(200, full())];
    answers['POST /incidents/inc1/acknowledge'] = [json(200, summary({ status: 'acknowledged', acknowledged_by: 'John' }))];
    answers['POST /incidents/inc1/resolve'] = [json(409, errBody('CONFLICT', 'The incident is resolved already'))];
    setup('/incidents/inc1');
    fireEvent.click(await screen.findByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(screen.getByTestId('incident-status').textContent).toContain('Acknowledged'));
    expect(screen.getByTestId('incident-result').textContent).toContain('Acknowledged');
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Resolve' }));
    await screen.findByText('The incident is resolved already');
    expect(calls.filter((c) => c.method === 'POST').map((c) => [c.url, c.body])).toEqual([
      ['/incidents/inc1/acknowledge', undefined],
      ['/incidents/inc1/resolve', { outcome: 'resolved' }],
    ]);
  });

  it('another home’s incident (404) is not found, in words', async () => {
    answers['GET /incidents/other'] = [json(404, errBody('NOT_FOUND', 'Incident other not found'))];
    setup('/incidents/other');
    await screen.findByRole('heading', { level: 1, name: 'Incident not found' });
    expect(screen.getByText('It does not exist, or it belongs to another home.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Incidents' }).getAttribute('href')).toBe('/incidents');
  });

  it('fetches the Markdown report with the token and offers it as a download', async () => {
    answers['GET /incidents/inc1'] = [json(200, full())];
    answers['GET /incidents/inc1/report'] = [new Response('# Intrusion: Back Window Sensor\n', { status: 200, headers: { 'content-type': 'text/markdown' } })];
    const made: Blob[] = [];
    const create = URL.createObjectURL;
    URL.createObjectURL = (b: Blob) => (made.push(b), 'blob:report');
    URL.revokeObjectURL = () => {};
    let clicked: HTMLAnchorElement | null = null;
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked = this;
    };
    try {
      setup('/incidents/inc1');
      fireEvent.click(await screen.findByRole('button', { name: 'Download report (Markdown)' }));
      await waitFor(() => expect(clicked).not.toBeNull());
      expect(clicked!.download).toBe('incident-inc1.md');
      expect(clicked!.getAttribute('href')).toBe('blob:report');
      expect(await made[0]!.text()).toBe('# Intrusion: Back Window Sensor\n');
      expect(made[0]!.type).toContain('text/markdown');
      const asked = calls.find((c) => c.url.startsWith('/incidents/inc1/report'))!;
      expect(asked.url).toBe('/incidents/inc1/report?format=md');
      const init = (fetch as unknown as { mock: { calls: [string, RequestInit][] } }).mock.calls.find(([u]) => String(u).includes('/report'))![1];
      expect((init.headers as Record<string, string>)['authorization']).toBe('Bearer tok');
    } finally {
      URL.createObjectURL = create;
      HTMLAnchorElement.prototype.click = click;
    }
  });
});

const WELLNESS_TIMELINE: TimelineItem[] = [
  {
    id: 'q1',
    at: '2026-12-01T17:47:00Z',
    kind: 'decision',
    text: 'no motion, door or lock activity for 5 h 12 min in waking hours (07:00-22:00); the last was Living Room Motion at 07:35; every motion sensor (2) kept reporting meanwhile',
    data: { outcome: 'wellness', quiet_since: '2026-12-01T12:35:00Z', hours: 5, last_activity: { device_id: 'lr', device_name: 'Living Room Motion', event_type: 'motion_detected', at: '2026-12-01T12:35:00Z' }, motion_sensors: 2, motion_sensors_reporting: 2 },
  },
  { id: 'q2', at: '2026-12-01T17:47:00Z', kind: 'notification', text: 'the household was asked: Is everyone all right at home?', data: { notification_id: 'n1', severity: 'critical' } },
  { id: 'q3', at: '2026-12-01T18:02:00Z', kind: 'action', text: 'nobody acknowledged it within 15 min: the emergency contacts are told', data: { step: 'notify_contacts', status: 'escalated' } },
  { id: 'q4', at: '2026-12-01T18:02:01Z', kind: 'notification', text: 'emergency contact Emma Clark (daughter): delivered', data: { party: 'emergency_contacts', contact_id: 'c1', status: 'delivered', detail: 'accepted by the mail relay' } },
  { id: 'q5', at: '2026-12-01T18:10:00Z', kind: 'decision', text: 'activity again: Living Room Motion (motion_detected)', data: { event_id: 'e9', device_id: 'lr', event_type: 'motion_detected' } },
];
const wellnessIncident = (over: Partial<Incident> = {}): Incident => ({
  ...summary({ id: 'w1', kind: 'wellness', severity: 'high', title: 'No activity: nothing for 5 h 12 min', opened_at: '2026-12-01T17:47:00Z', events: 5 }),
  ended_at: '2026-12-01T18:10:00Z',
  timeline: WELLNESS_TIMELINE,
  path: [],
  version: 4,
  ...over,
});

describe('a wellness incident (nothing moved for too long)', () => {
  it('is listed in plain words: the wellness check, no activity, high severity; not as an alarm', async () => {
    answers['GET /incidents'] = [
      json(200, {
        incidents: [
          summary({ id: 'w2', kind: 'wellness', severity: 'high', title: 'No activity: nothing for 6 h', opened_at: '2026-12-02T17:00:00Z' }),
          summary({ id: 'w1', kind: 'wellness', severity: 'high', title: 'No activity: nothing for 5 h 12 min', status: 'acknowledged', acknowledged_by: 'John', ended_at: '2026-12-01T18:10:00Z', opened_at: '2026-12-01T17:47:00Z' }),
        ],
        next_before: null,
      }),
    ];
    setup('/incidents');
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [going, ended] = rows() as [HTMLElement, HTMLElement];
    expect(within(going).getByRole('link', { name: 'No activity: nothing for 6 h' }).getAttribute('href')).toBe('/incidents/w2');
    expect(within(going).getByTestId('incident-kind').textContent).toContain('Wellness check');
    expect(within(going).getByTestId('incident-kind').querySelector('svg')).toBeTruthy();
    expect(going.textContent).toContain('High severity');
    expect(within(going).getByTestId('incident-alarm').textContent).toBe('Still no activity');
    expect(within(ended).getByTestId('incident-alarm').textContent).toBe('Activity again, not closed yet');
    expect(screen.getByTestId('incidents').textContent).not.toMatch(/Alarm going on|Alarm ended|Wellness\b(?! check)/);
  });

  it('its page words the quiet, the question to the household, the escalation and the activity again; no motion path; "All is well" acknowledges', async () => {
    answers['GET /incidents/w1'] = [json(200, wellnessIncident()), json(200, wellnessIncident({ status: 'acknowledged', acknowledged_by: 'John', acknowledged_at: '2026-12-01T18:12:00Z' }))];
    answers['GET /home'] = [json(200, { time_zone: 'America/New_York' })];
    answers['POST /incidents/w1/acknowledge'] = [json(200, summary({ id: 'w1', kind: 'wellness', status: 'acknowledged', acknowledged_by: 'John' }))];
    setup('/incidents/w1');
    await screen.findByRole('heading', { level: 1, name: 'No activity: nothing for 5 h 12 min' });
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')[0]!.querySelector('time')!.textContent).toBe('12:47:00'));
    const state = screen.getByTestId('incident-state');
    expect(state.textContent).toContain('Wellness check');
    expect(state.textContent).toContain('High severity');
    const facts = screen.getByTestId('incident-facts');
    expect(facts.textContent).toContain('Activity');
    expect(facts.textContent).not.toContain('Alarm');
    expect(screen.getByTestId('incident-ongoing').textContent).toMatch(/^Seen again /);
    // Nothing tripped: no motion path to show.
    expect(screen.queryByRole('heading', { name: 'Motion path' })).toBeNull();

    const [quiet, asked, escalated, contact, again] = screen.getAllByTestId('timeline-item') as HTMLElement[];
    expect(quiet!.textContent).toContain('No motion, door or lock activity for 5 h 12 min in waking hours (07:00-22:00)');
    expect(within(quiet!).getByTestId('decision-outcome').textContent).toContain('No activity');
    expect(within(quiet!).queryByTestId('reasons')).toBeNull();
    expect(asked!.textContent).toContain('Notification');
    expect(asked!.textContent).toContain('The household was asked: Is everyone all right at home?');
    expect(within(escalated!).getByTestId('action-status').textContent).toContain('Escalated to the emergency contacts');
    expect(escalated!.textContent).toContain('Nobody acknowledged it within 15 min: the emergency contacts are told');
    expect(contact!.querySelector('.tl-kind')!.textContent).toContain('Emergency contact');
    expect(within(contact!).getByTestId('contact-status').textContent).toContain('Delivered');
    expect(again!.textContent).toContain('Activity again: Living Room Motion (motion detected)');
    expect(again!.textContent).not.toContain('motion_detected');
    expect(within(again!).getByTestId('decision-outcome').textContent).toContain('Activity again');

    // Acknowledging answers the question.
    expect(screen.getByText(/If all is well, acknowledge it/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'All is well — acknowledge' }));
    await waitFor(() => expect(screen.getByTestId('incident-status').textContent).toContain('Acknowledged'));
    expect(screen.getByTestId('incident-result').textContent).toContain('Acknowledged: all is well');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/incidents/w1/acknowledge']);
  });

  it('while nobody has moved yet, says so', async () => {
    answers['GET /incidents/w1'] = [json(200, wellnessIncident({ ended_at: null, timeline: WELLNESS_TIMELINE.slice(0, 2) }))];
    answers['GET /home'] = [json(200, { time_zone: 'UTC' })];
    setup('/incidents/w1');
    await screen.findByRole('heading', { level: 1, name: 'No activity: nothing for 5 h 12 min' });
    expect(screen.getByTestId('incident-ongoing').textContent).toBe('None yet');
    expect(screen.getAllByTestId('timeline-item')).toHaveLength(2);
  });
});

describe('inTimeOrder', () => {
  it('sorts by time, keeping the given order of entries at the same instant', () => {
    const t = (id: string, at: string): TimelineItem => ({ id, at, kind: 'action', text: id });
    expect(inTimeOrder([t('c', '2026-01-01T00:00:02Z'), t('a', '2026-01-01T00:00:01Z'), t('b', '2026-01-01T00:00:01.000Z'), t('z', '2026-01-01T00:00:00.5Z')]).map((x) => x.id)).toEqual(['z', 'a', 'b', 'c']);
  });
});
