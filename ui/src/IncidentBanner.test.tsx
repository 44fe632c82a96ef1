import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { AlarmView, IncidentSummary } from './api';
import { AlarmPanel } from './components/AlarmPanel';
import { ActiveIncidentsProvider, IncidentBanner, REFRESH_MS } from './incidents';
import { errBody, fakeServer, fakeWebSocket, FakeWS, json, renderApp, signIn } from './test-utils';

const incident = (over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id: 'inc1',
  user_id: 'u1',
  kind: 'burglary',
  severity: 'critical',
  status: 'open',
  title: 'Intrusion: Back Window Sensor',
  opened_at: new Date(Date.now() - 2 * 60000).toISOString(),
  updated_at: new Date().toISOString(),
  ended_at: null,
  acknowledged_by: null,
  events: 4,
  ...over,
});
const page = (incidents: IncidentSummary[]) => json(200, { incidents, next_before: null });

const { calls, answers } = fakeServer();
fakeWebSocket();

const incidentGets = () => calls.filter((c) => c.method === 'GET' && c.url.startsWith('/incidents')).map((c) => c.url);
/** The open and the acknowledged incidents, answered by the status asked for. */
function serve(open: IncidentSummary[], acked: IncidentSummary[] = []) {
  answers['GET /incidents'] = () => {
    const last = incidentGets().at(-1) ?? '';
    return page(last.includes('status=acknowledged') ? acked : open);
  };
}
function setup(path = '/events') {
  return renderApp(
    <ActiveIncidentsProvider>
      <IncidentBanner />
      <Routes>
        <Route path="/" element={<AlarmPanel />} />
        <Route path="*" element={<p>Another screen</p>} />
      </Routes>
    </ActiveIncidentsProvider>,
    { path, live: true },
  );
}
const items = () => screen.queryAllByTestId('incident-banner-item');

describe('incident banner', () => {
  it('shows an open incident on any screen: kind icon and words, since when, an alert, acknowledge, disarm and a link', async () => {
    serve([incident()]);
    setup();
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(incidentGets()).toEqual(['/incidents?status=open&limit=20', '/incidents?status=acknowledged&limit=20']);
    const item = items()[0]!;
    const alert = within(item).getByRole('alert');
    expect(alert.textContent).toContain('Intrusion: Back Window Sensor');
    expect(alert.textContent).toContain('Open, not acknowledged');
    expect(alert.querySelector('svg')).toBeTruthy();
    const opened = item.querySelector('time')!;
    expect(opened.textContent).toBe('Opened 2 min ago');
    expect(opened.getAttribute('title')).toBeTruthy();
    expect(within(item).getByRole('button', { name: 'Acknowledge Intrusion: Back Window Sensor' })).toBeTruthy();
    expect(within(item).getByRole('link', { name: 'View incident: Intrusion: Back Window Sensor' }).getAttribute('href')).toBe('/incidents/inc1');
    expect(screen.getByRole('button', { name: 'Disarm' })).toBeTruthy();
    expect(screen.getByText('Another screen')).toBeTruthy();
  });

  it('acknowledges: the incident stays, acknowledged by whom, no longer an alert', async () => {
    let acked = false;
    answers['GET /incidents'] = () => {
      const last = incidentGets().at(-1) ?? '';
      if (last.includes('status=acknowledged')) return page(acked ? [incident({ status: 'acknowledged', acknowledged_by: 'Sarah Johnson' })] : []);
      return page(acked ? [] : [incident()]);
    };
    answers['POST /incidents/inc1/acknowledge'] = () => {
      acked = true;
      return json(200, incident({ status: 'acknowledged', acknowledged_by: 'Sarah Johnson' }));
    };
    setup();
    fireEvent.click(await screen.findByRole('button', { name: /^Acknowledge/ }));
    await waitFor(() => expect(items()[0]!.getAttribute('data-status')).toBe('acknowledged'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/incidents/inc1/acknowledge']);
    const item = items()[0]!;
    expect(within(item).queryByRole('alert')).toBeNull();
    expect(within(item).getByTestId('incident-banner-status').textContent).toContain('Acknowledged');
    expect(item.textContent).toContain('Acknowledged by Sarah Johnson');
    expect(within(item).queryByRole('button', { name: /^Acknowledge/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Disarm' })).toBeTruthy();
  });

  it('says why an acknowledgement failed', async () => {
    serve([incident()]);
    answers['POST /incidents/inc1/acknowledge'] = [json(409, errBody('CONFLICT', 'The incident is resolved already'))];
    setup();
    fireEvent.click(await screen.findByRole('button', { name: /^Acknowledge/ }));
    const note = await within(items()[0]!).findByText(/resolved already/);
    expect(note.closest('[role=alert]')).toBeTruthy();
  });

  it('hides when there is none, and for an incident whose alarm ended; a live alarm change brings a new one', async () => {
    let open: IncidentSummary[] = [incident({ id: 'old', ended_at: new Date().toISOString() })];
    answers['GET /incidents'] = () => page((incidentGets().at(-1) ?? '').includes('status=open') ? open : []);
    setup();
    await waitFor(() => expect(incidentGets()).toHaveLength(2));
    expect(screen.queryByTestId('incident-banner')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Disarm' })).toBeNull();

    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    ws.server({ type: 'subscribed' });
    open = [incident({ id: 'new', title: 'Fire: Kitchen Smoke Detector', kind: 'fire', opened_at: new Date().toISOString() })];
    ws.server({ type: 'alarm', alarm: { state: 'triggered' }, entries: [] });
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(items()[0]!.getAttribute('data-id')).toBe('new');
    expect(within(items()[0]!).getByRole('alert').textContent).toContain('Fire: Kitchen Smoke Detector');
    expect(items()[0]!.querySelector('time')!.textContent).toBe('Opened just now');

    // Disarmed: the alarm ended, the banner goes.
    open = [incident({ id: 'new', ended_at: new Date().toISOString() })];
    ws.server({ type: 'alarm', alarm: { state: 'disarmed' }, entries: [] });
    await waitFor(() => expect(screen.queryByTestId('incident-banner')).toBeNull());
  });

  it('asks again every 15 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let open: IncidentSummary[] = [];
      answers['GET /incidents'] = () => page((incidentGets().at(-1) ?? '').includes('status=open') ? open : []);
      setup();
      await waitFor(() => expect(incidentGets()).toHaveLength(2));
      open = [incident()];
      await act(async () => {
        vi.advanceTimersByTime(REFRESH_MS);
      });
      await waitFor(() => expect(items()).toHaveLength(1));
      expect(incidentGets()).toHaveLength(4);
      expect(REFRESH_MS).toBe(15000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows nothing to an admin (no home of their own) and asks for nothing', async () => {
    signIn({ id: 'a0', email: 'admin@demo.com', name: 'Admin User', role: 'admin' });
    serve([incident()]);
    setup();
    await screen.findByText('Another screen');
    await new Promise((r) => setTimeout(r, 50));
    expect(incidentGets()).toEqual([]);
    expect(screen.queryByTestId('incident-banner')).toBeNull();
  });

  it('Disarm opens the alarm panel’s own keypad on the dashboard', async () => {
    serve([incident({ status: 'acknowledged', acknowledged_by: 'Sarah Johnson' })]);
    const triggered: Partial<AlarmView> = {
      state: 'triggered',
      mode: 'away',
      arm_mode: 'away',
      open: [],
      bypassed: [],
      reason: 'burglary: Back Window Sensor',
      alarm: { kind: 'burglary', code: 131, zone: { device_id: 'd1', name: 'Back Window Sensor' }, at: new Date().toISOString(), sent: false, abort_until: null },
      siren: true,
    };
    answers['GET /home/alarm'] = [json(200, { deadline: null, seconds_left: null, mode_until: null, return_mode: null, settling: false, lockout_until: null, ...triggered })];
    answers['POST /home/alarm/disarm'] = [json(200, { ...triggered, state: 'disarmed', alarm: null, siren: false, reason: 'disarmed by Sarah' })];
    setup();
    fireEvent.click(await screen.findByRole('button', { name: 'Disarm' }));
    const pad = await screen.findByTestId('keypad');
    expect(screen.getByTestId('alarm-panel')).toBeTruthy();
    expect(screen.queryByText('Another screen')).toBeNull();
    const heading = within(pad).getByRole('heading', { name: 'Enter your code to disarm' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(screen.getAllByTestId('keypad')).toHaveLength(1);
    const keys = within(screen.getByRole('group', { name: 'Keypad' }));
    for (const d of '2580') fireEvent.click(keys.getByRole('button', { name: d }));
    fireEvent.click(keys.getByRole('button', { name: 'Enter' }));
    await waitFor(() => expect(screen.getByTestId('alarm-state').textContent).toContain('Disarmed'));
    expect(calls.find((c) => c.method === 'POST' && c.url === '/home/alarm/disarm')!.body).toEqual({ code: '2580' });
  });

  it('a wellness incident asks whether all is well, acknowledges as "All is well", and offers no disarm (it is no alarm)', async () => {
    const quiet = incident({ id: 'w1', kind: 'wellness', severity: 'high', title: 'No activity: nothing for 5 h 12 min' });
    let acked = false;
    answers['GET /incidents'] = () => {
      const last = incidentGets().at(-1) ?? '';
      if (last.includes('status=acknowledged')) return page(acked ? [{ ...quiet, status: 'acknowledged', acknowledged_by: 'John' }] : []);
      return page(acked ? [] : [quiet]);
    };
    answers['POST /incidents/w1/acknowledge'] = () => {
      acked = true;
      return json(200, { ...quiet, status: 'acknowledged', acknowledged_by: 'John' });
    };
    setup();
    await waitFor(() => expect(items()).toHaveLength(1));
    const item = items()[0]!;
    expect(within(item).getByRole('alert').textContent).toContain('No activity: nothing for 5 h 12 min');
    expect(item.querySelector('.ib-what svg')).toBeTruthy();
    expect(within(item).getByTestId('incident-banner-ask').textContent).toContain('is everyone all right?');
    expect(screen.queryByRole('button', { name: 'Disarm' })).toBeNull();
    expect(screen.getByTestId('incident-banner').textContent).not.toContain('Disarm');
    const ack = within(item).getByRole('button', { name: 'All is well — acknowledge: No activity: nothing for 5 h 12 min' });
    expect(ack.textContent).toBe('All is well — acknowledge');
    fireEvent.click(ack);
    await waitFor(() => expect(items()[0]!.getAttribute('data-status')).toBe('acknowledged'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/incidents/w1/acknowledge']);
    expect(items()[0]!.textContent).toContain('Acknowledged by John');
    expect(within(items()[0]!).queryByTestId('incident-banner-ask')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Disarm' })).toBeNull();
  });

  it('with an alarm and a wellness incident going on, Disarm is offered (for the alarm)', async () => {
    serve([incident(), incident({ id: 'w1', kind: 'wellness', severity: 'high', title: 'No activity: nothing for 6 h', opened_at: new Date(Date.now() - 60 * 60000).toISOString() })]);
    setup();
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(screen.getAllByRole('button', { name: 'Disarm' })).toHaveLength(1);
    expect(within(items()[0]!).getByRole('button', { name: 'Acknowledge Intrusion: Back Window Sensor' })).toBeTruthy();
    expect(within(items()[1]!).getByRole('button', { name: /^All is well — acknowledge/ })).toBeTruthy();
  });
});
