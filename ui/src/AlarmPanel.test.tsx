import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AlarmView } from './api';
import { AlarmPanel } from './components/AlarmPanel';
import { errBody, fakeServer, fakeWebSocket, FakeWS, json, renderApp } from './test-utils';

const view = (over: Partial<AlarmView> = {}): AlarmView => ({
  state: 'disarmed',
  mode: 'home',
  arm_mode: null,
  mode_until: null,
  return_mode: null,
  deadline: null,
  seconds_left: null,
  open: [],
  bypassed: [],
  reason: 'disarmed by John',
  alarm: null,
  siren: false,
  settling: false,
  lockout_until: null,
  ...over,
});
const arming = (over: Partial<AlarmView> = {}) =>
  view({ state: 'arming', mode: 'away', arm_mode: 'away', seconds_left: 42, deadline: '2030-01-01T00:00:42Z', reason: 'arming away: exit delay', ...over });
const armedAway = (over: Partial<AlarmView> = {}) => view({ state: 'armed_away', mode: 'away', arm_mode: 'away', reason: 'armed away by John', ...over });

const { calls, answers } = fakeServer();

const setup = () => renderApp(<AlarmPanel />);
const stateText = () => screen.getByTestId('alarm-state').textContent ?? '';
const posts = (path: string) => calls.filter((c) => c.method === 'POST' && c.url.startsWith(path));
function typeCode(code: string) {
  const pad = within(screen.getByRole('group', { name: 'Keypad' }));
  for (const d of code) fireEvent.click(pad.getByRole('button', { name: d }));
  fireEvent.click(pad.getByRole('button', { name: 'Enter' }));
}

describe('alarm panel', () => {
  it('shows the state in words, arms Away without a code and counts the exit delay down from seconds_left', async () => {
    answers['GET /home/alarm'] = [json(200, view())];
    answers['POST /home/alarm/arm'] = [json(200, arming())];
    setup();
    await waitFor(() => expect(stateText()).toContain('Disarmed'));
    expect(screen.getByTestId('alarm-mode').textContent).toContain('Mode: Home');
    expect(screen.getByRole('button', { name: 'Off' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Away' }));
    await waitFor(() => expect(stateText()).toContain('Arming Away'));
    expect(posts('/home/alarm/arm')[0]!.body).toEqual({ mode: 'away', bypass: [], force: false });
    expect(screen.queryByTestId('keypad')).toBeNull();
    const countdown = screen.getByTestId('alarm-countdown');
    expect(countdown.textContent).toContain('Exit delay');
    expect(within(countdown).getByRole('timer').textContent).toBe('0:42');
    await waitFor(() => expect(within(countdown).getByRole('timer').textContent).toBe('0:41'), { timeout: 2500 });
    expect(screen.getByRole('button', { name: 'Away' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('during the entry delay opens the keypad by itself and counts down', async () => {
    answers['GET /home/alarm'] = [json(200, armedAway({ state: 'pending', seconds_left: 30, reason: 'Garage Door opened' }))];
    setup();
    await waitFor(() => expect(stateText()).toContain('Entry delay'));
    expect(screen.getByTestId('alarm-countdown').textContent).toMatch(/Entry delay: enter your code now\. Alarm in\s*0:30/);
    await screen.findByTestId('keypad');
    expect(screen.getByRole('heading', { name: 'Enter your code to disarm' })).toBeTruthy();
  });

  it('disarms with the keypad; a wrong code says so and clears the entry', async () => {
    answers['GET /home/alarm'] = [json(200, armedAway())];
    answers['POST /home/alarm/disarm'] = [json(403, errBody('INVALID_CODE', 'Wrong code')), json(200, view())];
    setup();
    await waitFor(() => expect(stateText()).toContain('Armed Away'));
    fireEvent.click(screen.getByRole('button', { name: 'Off' }));
    const input = screen.getByLabelText('Code') as HTMLInputElement;
    expect(input.type).toBe('password');
    const pad = within(screen.getByRole('group', { name: 'Keypad' }));
    for (const d of '9999') fireEvent.click(pad.getByRole('button', { name: d }));
    expect(input.value).toBe('9999');
    expect(screen.getByText('4 digits entered')).toBeTruthy();
    fireEvent.click(pad.getByRole('button', { name: 'Clear' }));
    expect(input.value).toBe('');
    typeCode('9998');
    await waitFor(() => expect(screen.getByTestId('keypad-error').textContent).toContain('Wrong code. Try again.'));
    expect(input.value).toBe('');
    expect(stateText()).toContain('Armed Away');
    typeCode('1234');
    await waitFor(() => expect(stateText()).toContain('Disarmed'));
    expect(posts('/home/alarm/disarm').map((c) => c.body)).toEqual([{ code: '9998' }, { code: '1234' }]);
    expect(screen.queryByTestId('keypad')).toBeNull();
    expect(screen.getByTestId('alarm-result').textContent).toContain('Disarmed.');
  });

  it('lists the open sensors of a refused arming and retries with them bypassed', async () => {
    answers['GET /home/alarm'] = [json(200, view({ open: [{ device_id: 'd9', name: 'Back Door', zone_type: 'entry_exit' }] }))];
    answers['POST /home/alarm/arm'] = [
      json(409, errBody('CONFLICT', 'Cannot arm: Back Door open', { open: [{ device_id: 'd9', name: 'Back Door' }] })),
      json(200, arming({ bypassed: [{ device_id: 'd9', name: 'Back Door' }], open: [{ device_id: 'd9', name: 'Back Door' }] })),
    ];
    setup();
    await waitFor(() => expect(screen.getByTestId('alarm-open-now').textContent).toContain('Back Door'));
    fireEvent.click(screen.getByRole('button', { name: 'Away' }));
    const open = await screen.findByTestId('alarm-open');
    expect(open.textContent).toContain('Cannot arm: Back Door open');
    expect(within(open).getByRole('listitem').textContent).toContain('Back Door is open');
    fireEvent.click(within(open).getByRole('button', { name: 'Bypass and arm' }));
    await waitFor(() => expect(stateText()).toContain('Arming Away'));
    expect(posts('/home/alarm/arm').map((c) => c.body)).toEqual([
      { mode: 'away', bypass: [], force: false },
      { mode: 'away', bypass: ['d9'], force: false },
    ]);
    expect(screen.queryByTestId('alarm-open')).toBeNull();
    expect(screen.getByTestId('alarm-bypassed').textContent).toContain('Bypassed: Back Door');
  });

  it('shows the wrong-code lockout from the 429 and from the view', async () => {
    answers['GET /home/alarm'] = [json(200, armedAway())];
    const until = new Date(Date.now() + 14 * 60000 - 5000).toISOString();
    answers['POST /home/alarm/disarm'] = [
      json(429, errBody('LOCKED_OUT', 'Too many wrong codes', { retry_after_seconds: 835, locked_until: until })),
    ];
    setup();
    await waitFor(() => expect(stateText()).toContain('Armed Away'));
    fireEvent.click(screen.getByRole('button', { name: 'Off' }));
    typeCode('1111');
    await waitFor(() => expect(screen.getByTestId('keypad-error').textContent).toContain('Too many wrong codes; try again in 14 min'));
    expect((screen.getByRole('button', { name: 'Enter' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByLabelText('Code') as HTMLInputElement).value).toBe('');
    cleanup();

    answers['GET /home/alarm'] = [json(200, armedAway({ lockout_until: new Date(Date.now() + 3 * 60000).toISOString() }))];
    setup();
    await waitFor(() => expect(screen.getByTestId('alarm-lockout').textContent).toContain('Too many wrong codes; try again in 3 min'));
  });

  it('asks for a code when a mode change answers 403 CODE_REQUIRED, then sends it', async () => {
    answers['GET /home/alarm'] = [json(200, armedAway())];
    answers['POST /home/mode'] = [
      json(403, errBody('CODE_REQUIRED', 'A code is needed to change from away to home')),
      json(200, view({ mode: 'home', reason: 'mode home by John' })),
    ];
    setup();
    await waitFor(() => expect(stateText()).toContain('Armed Away'));
    fireEvent.click(screen.getByRole('button', { name: 'More' }));
    expect(screen.getByRole('button', { name: 'More' }).getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('button', { name: 'Night' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Vacation' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Home mode'), { target: { value: 'home' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change mode' }));
    await screen.findByRole('heading', { name: 'Enter your code to change the mode to Home' });
    typeCode('1234');
    await waitFor(() => expect(stateText()).toContain('Disarmed'));
    expect(posts('/home/mode').map((c) => c.body)).toEqual([{ mode: 'home' }, { mode: 'home', code: '1234' }]);
    expect(screen.queryByTestId('keypad')).toBeNull();
    expect(screen.getByTestId('alarm-result').textContent).toContain('Mode changed to Home.');
  });

  it('asks before a panic, then shows the triggered alarm prominently', async () => {
    answers['GET /home/alarm'] = [json(200, view())];
    answers['POST /home/alarm/panic'] = [
      json(200, view({ state: 'triggered', siren: true, alarm: { kind: 'panic', code: 120, zone: null, at: new Date().toISOString(), sent: true, abort_until: null } })),
    ];
    setup();
    await waitFor(() => expect(stateText()).toContain('Disarmed'));
    fireEvent.click(screen.getByRole('button', { name: 'Panic' }));
    expect(posts('/home/alarm/panic')).toHaveLength(0);
    const confirm = screen.getByTestId('panic-confirm');
    expect(confirm.textContent).toContain('Send a panic alarm now?');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('panic-confirm')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Panic' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, send a panic alarm' }));
    await waitFor(() => expect(stateText()).toContain('Panic alarm!'));
    const alarm = screen.getByTestId('alarm-alarm');
    expect(alarm.textContent).toContain('Panic alarm');
    expect(alarm.textContent).toContain('Sent to monitoring');
    expect(alarm.textContent).toContain('Siren sounding');
    await screen.findByTestId('keypad');
  });

  it('names a burglary by its zone and says when it is not sent yet', async () => {
    const at = new Date().toISOString();
    answers['GET /home/alarm'] = [
      json(200, armedAway({ state: 'triggered', alarm: { kind: 'burglary', code: 134, zone: { device_id: 'd9', name: 'Back Door' }, at, sent: false, abort_until: at } })),
    ];
    setup();
    const alarm = await screen.findByTestId('alarm-alarm');
    expect(alarm.textContent).toContain('Burglary alarm - Back Door');
    expect(alarm.textContent).toContain('Not sent yet');
  });
});

describe('alarm panel, live', () => {
  fakeWebSocket();

  it('takes the view from the alarm channel and re-fetches it after a reconnect', async () => {
    answers['GET /home/alarm'] = [json(200, view()), json(200, armedAway({ reason: 'armed away by Sarah' }))];
    answers['GET /events'] = [json(200, { events: [], count: 0, next_cursor: null })];
    renderApp(<AlarmPanel />, { live: true });
    await waitFor(() => expect(stateText()).toContain('Disarmed'));
    const ws = FakeWS.all[0]!;
    ws.server({ type: 'connected' });
    expect(JSON.parse(ws.sent[0]!).channels).toEqual(['events', 'devices', 'alarm', 'notifications']);
    ws.server({ type: 'subscribed' });
    ws.server({ type: 'alarm', alarm: arming({ seconds_left: 55 }), entries: [] });
    expect(stateText()).toContain('Arming Away');
    expect(screen.getByRole('timer').textContent).toBe('0:55');
    ws.drop(1013);
    await waitFor(() => expect(FakeWS.all).toHaveLength(2), { timeout: 2000 });
    FakeWS.all[1]!.server({ type: 'connected' });
    FakeWS.all[1]!.server({ type: 'subscribed' });
    await waitFor(() => expect(stateText()).toContain('Armed Away'));
    expect(calls.filter((c) => c.url.startsWith('/home/alarm') && c.method === 'GET')).toHaveLength(2);
  });
});
