import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Route, Routes } from 'react-router';
import type { HomeInfo } from './api';
import HomeSettings from './pages/HomeSettings';
import { errBody, fakeServer, json, renderApp } from './test-utils';

const home = (over: Partial<HomeInfo> = {}): HomeInfo => ({
  user_id: 'u1',
  time_zone: 'America/New_York',
  local_time: '2030-01-01T09:00:00-05:00',
  settings: {
    exit_delay_seconds: 60,
    entry_delay_seconds: 30,
    entry_delay_by_mode: { night: 45 },
    abort_window_seconds: 30,
    siren_seconds: 240,
    cross_zone_seconds: 20,
    swinger_limit: 2,
  },
  home_mode_arms: false,
  party_ends_at: '02:00',
  warnings: [],
  zones: [
    { device_id: 'd1', name: 'Garage Door', device_type: 'door', zone_type: 'entry_exit', entry_delay_seconds: null, armed_at_night: false },
    { device_id: 'd2', name: 'Living Room Motion', device_type: 'motion', zone_type: 'interior_follower', entry_delay_seconds: null, armed_at_night: false },
  ],
  ...over,
});

const { calls, answers } = fakeServer();

const setup = (path: string) =>
  renderApp(
    <Routes>
      <Route path="/home/*" element={<HomeSettings />} />
    </Routes>,
    { path },
  );
const sent = (method: string, path: string) => calls.filter((c) => c.method === method && c.url.split('?')[0] === path);
const fieldOf = (input: HTMLElement) => input.closest('.field') as HTMLElement;

describe('home settings: alarm delays', () => {
  it('shows the ranges, shows a server validation error by its field, then saves and lists the warnings', async () => {
    answers['GET /home'] = [json(200, home())];
    answers['PATCH /home'] = [
      json(400, errBody('VALIDATION_ERROR', 'settings.exit_delay_seconds: must be from 45 to 255', { field: 'settings.exit_delay_seconds', reason: 'must be from 45 to 255' })),
      json(200, home({ settings: { ...home().settings, exit_delay_seconds: 90 }, warnings: ['entry delay plus abort window is 75 s; professional panels keep it at or under 60 s'] })),
    ];
    setup('/home');
    const exit = (await screen.findByLabelText('Exit delay (s)')) as HTMLInputElement;
    expect(exit.value).toBe('60');
    expect(fieldOf(exit).textContent).toContain('45-255 s');
    expect((screen.getByLabelText('Night') as HTMLInputElement).value).toBe('45');
    expect(screen.getByTestId('home-local-time').textContent).toContain('America/New_York');

    fireEvent.change(exit, { target: { value: '300' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save alarm delays' }));
    await waitFor(() => expect(within(fieldOf(exit)).getByTestId('field-error').textContent).toContain('must be from 45 to 255'));
    expect(exit.getAttribute('aria-invalid')).toBe('true');
    expect(exit.getAttribute('aria-describedby')).toContain('err-settings.exit_delay_seconds');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect((sent('PATCH', '/home')[0]!.body as { settings: { exit_delay_seconds: number } }).settings.exit_delay_seconds).toBe(300);

    fireEvent.change(exit, { target: { value: '90' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save alarm delays' }));
    await screen.findByText('Saved.');
    expect(screen.queryByTestId('field-error')).toBeNull();
    expect(sent('PATCH', '/home')[1]!.body).toEqual({
      settings: {
        exit_delay_seconds: 90,
        entry_delay_seconds: 30,
        abort_window_seconds: 30,
        siren_seconds: 240,
        cross_zone_seconds: 20,
        swinger_limit: 2,
        entry_delay_by_mode: { night: 45 },
      },
    });
    expect(screen.getByTestId('home-warnings').textContent).toContain('Entry delay plus abort window is 75 s');
  });

  it('puts a field the server names without the settings prefix by its input, and checks numbers first', async () => {
    answers['GET /home'] = [json(200, home())];
    answers['PATCH /home'] = [json(400, errBody('VALIDATION_ERROR', 'entry_delay_by_mode.night: must be from 30 to 240', { field: 'entry_delay_by_mode.night', reason: 'must be from 30 to 240' }))];
    setup('/home');
    const siren = (await screen.findByLabelText('Siren time (s)')) as HTMLInputElement;
    fireEvent.change(siren, { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save alarm delays' }));
    expect(within(fieldOf(siren)).getByTestId('field-error').textContent).toContain('enter a number from 60 to 600');
    expect(sent('PATCH', '/home')).toHaveLength(0);
    fireEvent.change(siren, { target: { value: '240' } });
    fireEvent.change(screen.getByLabelText('Night'), { target: { value: '20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save alarm delays' }));
    await waitFor(() => expect(within(fieldOf(screen.getByLabelText('Night'))).getByTestId('field-error').textContent).toContain('must be from 30 to 240'));
  });

  it('saves the time zone alone', async () => {
    answers['GET /home'] = [json(200, home())];
    answers['PATCH /home'] = [json(200, home({ time_zone: 'Europe/Paris' }))];
    setup('/home');
    fireEvent.change(await screen.findByLabelText('Time zone'), { target: { value: 'Europe/Paris' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save time zone and modes' }));
    await waitFor(() => expect(sent('PATCH', '/home')).toHaveLength(1));
    expect(sent('PATCH', '/home')[0]!.body).toEqual({ time_zone: 'Europe/Paris' });
  });
});

describe('home settings: sensors', () => {
  it('has a zone type select per device and sends only what changed', async () => {
    answers['GET /home'] = [json(200, home())];
    answers['PATCH /home'] = [json(200, home())];
    setup('/home/zones');
    const zones = await screen.findByTestId('zones');
    expect(within(zones).getAllByLabelText('Zone type')).toHaveLength(2);
    const garage = within(zones.querySelector('[data-device-id=d1]') as HTMLElement);
    fireEvent.change(garage.getByLabelText('Zone type'), { target: { value: 'perimeter_instant' } });
    const motion = within(zones.querySelector('[data-device-id=d2]') as HTMLElement);
    fireEvent.click(motion.getByLabelText('Armed at night'));
    fireEvent.click(screen.getByRole('button', { name: 'Save sensors' }));
    await screen.findByText('Saved.');
    expect(sent('PATCH', '/home')[0]!.body).toEqual({
      zones: { d1: { zone_type: 'perimeter_instant' }, d2: { armed_at_night: true } },
    });
  });
});

describe('home settings: lists', () => {
  it('pets: lists, adds and deletes', async () => {
    answers['GET /home/pets'] = [json(200, { pets: [{ id: 'p1', name: 'Milo', kind: 'cat', size: 'small', created_at: '2030-01-01T00:00:00Z' }] })];
    answers['POST /home/pets'] = [json(201, { id: 'p2', name: 'Rex', kind: 'dog', size: 'large', created_at: '2030-01-01T00:00:00Z' })];
    answers['DELETE /home/pets/p1'] = [new Response(null, { status: 204 })];
    setup('/home/pets');
    const list = await screen.findByTestId('pets');
    await waitFor(() => expect(list.textContent).toContain('Milo'));
    expect(list.textContent).toContain('Small cat');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Rex' } });
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'dog' } });
    fireEvent.change(screen.getByLabelText('Size'), { target: { value: 'large' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add pet' }));
    await waitFor(() => expect(list.textContent).toContain('Large dog'));
    expect(sent('POST', '/home/pets')[0]!.body).toEqual({ name: 'Rex', kind: 'dog', size: 'large' });
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Delete Milo' }));
    await waitFor(() => expect(list.textContent).not.toContain('Milo'));
    expect(sent('DELETE', '/home/pets/p1')).toHaveLength(1);
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
  });

  it('codes: a code too close to another is refused next to the code field; a good one is listed', async () => {
    answers['GET /home/codes'] = [json(200, { codes: [{ id: 'c1', name: 'John', kind: 'member', permissions: { disarm: true, change_mode: true }, created_at: '2030-01-01T00:00:00Z' }] })];
    answers['POST /home/codes'] = [
      json(409, errBody('CONFLICT', 'code: too close to another code of this home', { field: 'code', reason: 'too close to another code of this home' })),
      json(201, { id: 'c2', name: 'Nanny', kind: 'member', permissions: { disarm: true, change_mode: false }, created_at: new Date().toISOString() }),
    ];
    answers['DELETE /home/codes/c1'] = [new Response(null, { status: 204 })];
    setup('/home/codes');
    const list = await screen.findByTestId('codes');
    await waitFor(() => expect(list.textContent).toContain('John'));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Nanny' } });
    const code = screen.getByLabelText('Code') as HTMLInputElement;
    expect(code.type).toBe('password');
    fireEvent.change(code, { target: { value: '1235' } });
    fireEvent.click(screen.getByLabelText('May change the mode'));
    fireEvent.click(screen.getByRole('button', { name: 'Add code' }));
    await waitFor(() => expect(within(fieldOf(code)).getByTestId('field-error').textContent).toContain('too close to another code'));
    fireEvent.change(code, { target: { value: '5791' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add code' }));
    await waitFor(() => expect(list.textContent).toContain('Nanny'));
    expect(list.textContent).toContain('Can disarm, cannot change the mode');
    expect(sent('POST', '/home/codes')[1]!.body).toEqual({ name: 'Nanny', code: '5791', kind: 'member', permissions: { disarm: true, change_mode: false } });
    expect(screen.queryByTestId('field-error')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Delete the code of John' }));
    await waitFor(() => expect(list.textContent).not.toContain('John'));
  });

  it('guests: added with times in the home time zone, listed with their status, revoked', async () => {
    answers['GET /home'] = [json(200, home())];
    answers['GET /home/guests'] = [json(200, { guests: [] })];
    answers['POST /home/guests'] = [
      json(201, {
        id: 'g1',
        name: 'Dog walker',
        starts_at: '2030-01-01T14:00:00Z',
        ends_at: '2030-01-02T15:00:00Z',
        single_use: true,
        used_at: null,
        status: 'active',
        created_at: '2030-01-01T14:00:00Z',
      }),
    ];
    answers['DELETE /home/guests/g1'] = [new Response(null, { status: 204 })];
    setup('/home/guests');
    await screen.findByText('No guest codes.');
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Dog walker' } });
    fireEvent.change(screen.getByLabelText('Code'), { target: { value: '5791' } });
    fireEvent.change(screen.getByLabelText('Starts (home time)'), { target: { value: '2030-01-01T09:00' } });
    fireEvent.change(screen.getByLabelText('Ends (home time)'), { target: { value: '2030-01-02T10:00' } });
    fireEvent.click(screen.getByLabelText('Single use (works once)'));
    fireEvent.click(screen.getByRole('button', { name: 'Add guest code' }));
    const list = screen.getByTestId('guests');
    await waitFor(() => expect(list.textContent).toContain('Dog walker'));
    expect(within(list).getByTestId('guest-status').textContent).toContain('Active');
    expect(list.textContent).toContain('single use');
    // 09:00 in New York in January is 14:00 UTC.
    expect(sent('POST', '/home/guests')[0]!.body).toEqual({
      name: 'Dog walker',
      code: '5791',
      starts_at: '2030-01-01T14:00:00.000Z',
      ends_at: '2030-01-02T15:00:00.000Z',
      single_use: true,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Revoke the guest code of Dog walker' }));
    await waitFor(() => expect(list.textContent).not.toContain('Dog walker'));
  });

  it('contacts: a missing phone and email is shown by the field; added and deleted', async () => {
    answers['GET /home/contacts'] = [json(200, { contacts: [] })];
    answers['POST /home/contacts'] = [
      json(400, errBody('VALIDATION_ERROR', 'phone: a phone or an email is required', { field: 'phone', reason: 'a phone or an email is required' })),
      json(201, { id: 'k1', name: 'Jane Smith', relation: 'sister', phone: '+1 555 0100', email: null, priority: 1, created_at: '2030-01-01T00:00:00Z' }),
    ];
    answers['DELETE /home/contacts/k1'] = [new Response(null, { status: 204 })];
    setup('/home/contacts');
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Jane Smith' } });
    fireEvent.change(screen.getByLabelText('Relation (optional)'), { target: { value: 'sister' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add contact' }));
    const phone = screen.getByLabelText('Phone');
    await waitFor(() => expect(within(fieldOf(phone)).getByTestId('field-error').textContent).toContain('a phone or an email is required'));
    fireEvent.change(phone, { target: { value: '+1 555 0100' } });
    fireEvent.change(screen.getByLabelText('Priority (1-10, optional)'), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add contact' }));
    const list = screen.getByTestId('contacts');
    await waitFor(() => expect(list.textContent).toContain('Jane Smith (sister)'));
    expect(list.textContent).toContain('+1 555 0100 · priority 1');
    expect(sent('POST', '/home/contacts')[1]!.body).toEqual({ name: 'Jane Smith', relation: 'sister', phone: '+1 555 0100', priority: 1 });
    fireEvent.click(screen.getByRole('button', { name: 'Delete Jane Smith' }));
    await waitFor(() => expect(within(list).queryAllByRole('listitem')).toHaveLength(0));
  });
});

describe('alarm history', () => {
  it('lists entries in words with relative times, newest first, and loads older ones', async () => {
    const now = Date.now();
    const at = (minAgo: number) => new Date(now - minAgo * 60000).toISOString();
    answers['GET /home/alarm/history'] = [
      json(200, {
        entries: [
          { id: 'h3', at: at(2), kind: 'transition', code: null, text: 'disarmed by John', from: 'armed_away', to: 'disarmed', zone: null, by: 'John' },
          { id: 'h2', at: at(5), kind: 'signal', code: 134, text: 'burglary', from: null, to: null, zone: { device_id: 'd1', name: 'Garage Door' }, by: null },
        ],
        next_before: at(5),
      }),
      json(200, {
        entries: [{ id: 'h1', at: at(90), kind: 'transition', code: null, text: 'arming away: exit delay', from: 'disarmed', to: 'arming', zone: null, by: 'John' }],
        next_before: null,
      }),
    ];
    setup('/home/history');
    const list = await screen.findByTestId('alarm-history');
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(2));
    const items = within(list).getAllByRole('listitem');
    expect(items[0]!.textContent).toContain('Disarmed by John');
    expect(items[0]!.textContent).toContain('From Armed Away to Disarmed');
    expect(items[0]!.textContent).toContain('2 min ago');
    expect(items[1]!.textContent).toContain('Alarm: Burglary - Garage Door');
    expect(items[1]!.className).toContain('feed-alert');
    fireEvent.click(screen.getByRole('button', { name: 'Load older' }));
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(3));
    expect(within(list).getAllByRole('listitem')[2]!.textContent).toMatch(/Arming away: exit delay by John[\s\S]*2 h ago/);
    expect(calls.filter((c) => c.url.startsWith('/home/alarm/history'))[1]!.url).toBe(
      `/home/alarm/history?limit=50&before=${encodeURIComponent(at(5))}`,
    );
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it('sections are links of their own', async () => {
    answers['GET /home/alarm/history'] = [json(200, { entries: [], next_before: null })];
    setup('/home/history');
    const nav = screen.getByRole('navigation', { name: 'Home settings sections' });
    const hrefs = within(nav).getAllByRole('link').map((a) => a.getAttribute('href'));
    expect(hrefs).toEqual(['/home', '/home/zones', '/home/codes', '/home/guests', '/home/pets', '/home/contacts', '/home/history']);
    expect(within(nav).getByRole('link', { name: 'History' }).getAttribute('aria-current')).toBe('page');
    await screen.findByText(/Nothing has happened yet/);
  });
});
