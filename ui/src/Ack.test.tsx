import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AckLinkView, IncidentSummary } from './api';
import { App } from './App';
import Ack from './pages/Ack';
import { errBody, fakeServer, json, renderApp } from './test-utils';

const TOKEN = 'eyJpbmNpZGVudCI6ImluYzEifQ.c2lnbmVk-_x';
const incident = (over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id: 'inc1',
  user_id: 'u2',
  kind: 'burglary',
  severity: 'critical',
  status: 'open',
  title: 'Intrusion: Back Window Sensor',
  opened_at: new Date(Date.now() - 3 * 60000).toISOString(),
  updated_at: new Date().toISOString(),
  ended_at: null,
  acknowledged_by: null,
  events: 6,
  ...over,
});
const view = (over: Partial<IncidentSummary> = {}): AckLinkView => ({ incident: incident(over), by: 'Sarah' });

const { calls, answers } = fakeServer();
const setup = (path = `/ack?token=${TOKEN}`) =>
  renderApp(
    <Routes>
      <Route path="/ack" element={<Ack />} />
      <Route path="/login" element={<p>login screen</p>} />
    </Routes>,
    { path },
  );
const loggedOut = () => sessionStorage.clear();
/** The headers of every request made. */
const headers = () => vi.mocked(fetch).mock.calls.map(([, init]) => (init?.headers ?? {}) as Record<string, string>);
const button = () => screen.queryByRole('button', { name: "I've seen it — acknowledge" });
/** The token is in the page's URL only: not stored, not in any link. */
function tokenNowhereElse() {
  for (const s of [localStorage, sessionStorage]) for (let k = 0; k < s.length; k++) expect(s.getItem(s.key(k)!)).not.toContain(TOKEN);
  for (const a of document.querySelectorAll('a')) expect(a.getAttribute('href')).not.toContain(TOKEN);
}

describe('/ack, the link of an alarm e-mail', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('loads and shows the incident and for whom, without a session and without going to /login', async () => {
    loggedOut();
    answers['GET /incidents/acknowledge'] = [json(200, view())];
    window.history.replaceState(null, '', `/ack?token=${TOKEN}`);
    render(<App />);
    await screen.findByRole('heading', { level: 1, name: 'Intrusion: Back Window Sensor' });
    expect(window.location.pathname).toBe('/ack');
    expect(screen.getByTestId('ack-status').textContent).toContain('Open');
    expect(screen.getByTestId('ack-state').textContent).toContain('Critical severity');
    expect(screen.getByTestId('ack-kind').textContent).toContain('Intrusion');
    expect(screen.getByTestId('ack-opened').textContent).toMatch(/^3 min ago · /);
    expect(screen.getByTestId('ack-as').textContent).toBe('Acknowledging as Sarah.');
    expect(button()).not.toBeNull();
    expect(screen.queryByRole('link', { name: 'Open HomeGuard' })).toBeNull();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET /incidents/acknowledge?token=${encodeURIComponent(TOKEN)}`]);
    expect(headers().every((h) => !('authorization' in h))).toBe(true);
    await waitFor(() => expect(document.title).toBe('Acknowledge alarm - HomeGuard'));
    tokenNowhereElse();
  });

  it('acknowledges with the token alone (no bearer token even when logged in); the session stays', async () => {
    answers['GET /incidents/acknowledge'] = [json(200, view())];
    answers['POST /incidents/acknowledge'] = [json(200, view({ status: 'acknowledged', acknowledged_by: 'Sarah' }))];
    setup();
    fireEvent.click(await screen.findByRole('button', { name: "I've seen it — acknowledge" }));
    const result = await screen.findByText('Acknowledged by Sarah. HomeGuard stops telling further people.', { exact: false });
    expect(screen.getByTestId('ack-result').getAttribute('role')).toBe('status');
    expect(screen.getByTestId('ack-result').textContent).toBe('✓ Acknowledged by Sarah. HomeGuard stops telling further people.');
    await waitFor(() => expect(document.activeElement).toBe(result));
    expect(button()).toBeNull();
    expect(screen.queryByTestId('ack-already')).toBeNull();
    expect(screen.getByTestId('ack-status').textContent).toContain('Acknowledged');
    expect(screen.getByRole('link', { name: 'Open HomeGuard' }).getAttribute('href')).toBe('/incidents/inc1');
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/incidents/acknowledge');
    expect(post.body).toEqual({ token: TOKEN });
    expect(headers()).toHaveLength(2);
    expect(headers().every((h) => !('authorization' in h))).toBe(true);
    expect(sessionStorage.getItem('homeguard.session')).toContain('"token":"tok"');
    tokenNowhereElse();
  });

  it('says when it is acknowledged already, and by whom: no button', async () => {
    loggedOut();
    answers['GET /incidents/acknowledge'] = [json(200, view({ status: 'acknowledged', acknowledged_by: 'John Smith' }))];
    setup();
    const already = await screen.findByTestId('ack-already');
    expect(already.textContent).toContain('Already acknowledged by John Smith');
    expect(button()).toBeNull();
    expect(screen.queryByTestId('ack-as')).toBeNull();
    expect(screen.getByRole('link', { name: 'Open HomeGuard' }).getAttribute('href')).toBe('/incidents/inc1');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('says a resolved incident or a false alarm is closed: no button', async () => {
    loggedOut();
    answers['GET /incidents/acknowledge'] = [json(200, view({ status: 'false_alarm' }))];
    setup();
    expect((await screen.findByTestId('ack-closed')).textContent).toContain('This incident is closed as a false alarm.');
    expect(screen.getByTestId('ack-status').textContent).toContain('False alarm');
    expect(button()).toBeNull();
  });

  it('an expired link: the message of the error body as an alert; a logged-in session is not ended', async () => {
    answers['GET /incidents/acknowledge'] = [json(401, errBody('TOKEN_EXPIRED', 'This link has expired; open HomeGuard to acknowledge'))];
    setup();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This link has expired; open HomeGuard to acknowledge');
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    expect(button()).toBeNull();
    expect(screen.getByRole('link', { name: 'Open HomeGuard' }).getAttribute('href')).toBe('/incidents');
    expect(screen.queryByText('login screen')).toBeNull();
    expect(sessionStorage.getItem('homeguard.session')).toContain('"token":"tok"');
    expect(headers().every((h) => !('authorization' in h))).toBe(true);
    tokenNowhereElse();
  });

  it('a link not valid, logged in through the whole app: stays on /ack, the session kept', async () => {
    answers['GET /incidents/acknowledge'] = [json(401, errBody('UNAUTHORIZED', 'This link is not valid'))];
    window.history.replaceState(null, '', '/ack?token=forged');
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('This link is not valid');
    expect(window.location.pathname).toBe('/ack');
    expect(sessionStorage.getItem('homeguard.session')).toContain('"token":"tok"');
  });

  it('closed meanwhile: the 409 of the acknowledgement in words, and the button goes', async () => {
    loggedOut();
    answers['GET /incidents/acknowledge'] = [json(200, view())];
    answers['POST /incidents/acknowledge'] = [json(409, errBody('CONFLICT', 'The incident is resolved already'))];
    setup();
    fireEvent.click(await screen.findByRole('button', { name: "I've seen it — acknowledge" }));
    expect((await screen.findByRole('alert')).textContent).toContain('The incident is resolved already');
    expect(button()).toBeNull();
    expect(screen.queryByTestId('ack-result')!.textContent).toBe('');
    expect(screen.getByRole('link', { name: 'Open HomeGuard' }).getAttribute('href')).toBe('/incidents/inc1');
  });

  it("a wellness check's link asks whether all is well, in plain words, and acknowledges as such", async () => {
    loggedOut();
    const quiet = { kind: 'wellness', severity: 'high', title: 'No activity: nothing for 5 h 12 min' } as const;
    answers['GET /incidents/acknowledge'] = [json(200, view(quiet))];
    answers['POST /incidents/acknowledge'] = [json(200, view({ ...quiet, status: 'acknowledged', acknowledged_by: 'Sarah' }))];
    setup();
    await screen.findByRole('heading', { level: 1, name: 'No activity: nothing for 5 h 12 min' });
    expect(screen.getByTestId('ack-kind').textContent).toContain('Wellness check');
    expect(screen.getByTestId('ack-state').textContent).toContain('High severity');
    expect(screen.getByTestId('ack-facts').textContent).not.toContain('Alarm');
    expect(screen.getByTestId('ack-ongoing').textContent).toBe('None yet');
    expect(screen.getByRole('heading', { level: 2, name: 'Is all well at home?' })).toBeTruthy();
    expect(button()).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'All is well — acknowledge' }));
    await screen.findByText('Acknowledged by Sarah. HomeGuard stops telling further people.', { exact: false });
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ token: TOKEN });
  });

  it('no token: a clear message, and no request', async () => {
    loggedOut();
    setup('/ack');
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('This link is incomplete: it has no token.');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Acknowledge an alarm');
    expect(screen.getByRole('link', { name: 'Open HomeGuard' }).getAttribute('href')).toBe('/incidents');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0);
  });
});
