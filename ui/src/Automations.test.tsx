import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Automation, AutomationRun, Device } from './api';
import { ruleSummary, runText } from './automationText';
import Automations from './pages/Automations';
import { errBody, fakeServer, json, renderApp, signIn } from './test-utils';

const dev = (device_id: string, name: string, type: Device['type'], zone: string): Device => ({
  device_id,
  user_id: 'u1',
  name,
  type,
  model: 'm',
  firmware_version: '1.0.0',
  location: { zone, floor: 1 },
  config: {},
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
  state: {},
  online: true,
  last_heartbeat: null,
});
const DEVICES = [dev('d1', 'Front Door Lock', 'lock', 'Front Entrance'), dev('d2', 'Living Room Motion', 'motion', 'Living Room')];

const rule = (over: Partial<Automation> = {}): Automation => ({
  automation_id: 'r1',
  user_id: 'u1',
  name: 'Night Motion Alert',
  enabled: true,
  trigger: {
    type: 'device_event',
    device_id: 'd2',
    event_type: 'motion_detected',
    conditions: { time_range: { start: '22:00', end: '06:00' }, arm_state: 'armed' },
  },
  actions: [
    { type: 'notification', channel: 'in_app', message: 'Motion at {device} at {time}', severity: 'high' },
    { type: 'webhook', url: 'http://n8n:5678/webhook/night-motion' },
  ],
  cooldown_seconds: 60,
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
  ...over,
});

const { calls, answers } = fakeServer();

const setup = (path: string) =>
  renderApp(
    <Routes>
      <Route path="/automations/*" element={<Automations />} />
    </Routes>,
    { path },
  );
const sent = (method: string, path: string) => calls.filter((c) => c.method === method && c.url.split('?')[0] === path);
const fieldOf = (input: HTMLElement) => input.closest('.field') as HTMLElement;
const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
const devices = new Map(DEVICES.map((d) => [d.device_id, d]));

describe('automations: wording', () => {
  it('sums a rule up on one line', () => {
    expect(ruleSummary(rule(), devices)).toBe('Motion at Living Room Motion, 22:00-06:00, when armed → notify, webhook');
    expect(
      ruleSummary(
        {
          trigger: { type: 'device_event', device_type: 'door', zone: 'Garage', event_type: 'door_open', conditions: { days: ['sat', 'sun'], mode: 'away' } },
          actions: [{ type: 'device_command', device_id: 'd1', command: 'lock' }, { type: 'notification', channel: 'push', message: 'x' }],
        },
        devices,
      ),
    ).toBe('Door opened at any door sensor in Garage, in Away mode, at weekends → lock Front Door Lock, notify by push');
    expect(ruleSummary({ trigger: { type: 'schedule', at: '07:00' }, actions: [{ type: 'webhook', url: 'http://x' }] }, devices)).toBe(
      'Every day at 07:00 → webhook',
    );
    expect(ruleSummary({ trigger: { type: 'alarm_signal', codes: [130] }, actions: [] }, devices)).toBe('Alarm signal 130 (burglary) → nothing');
  });
});

describe('automations: list', () => {
  it('lists each rule with its summary; the switch disables and enables it; delete asks first', async () => {
    answers['GET /automations'] = [json(200, { automations: [rule()], count: 1 })];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['POST /automations/r1/disable'] = [json(200, rule({ enabled: false }))];
    answers['POST /automations/r1/enable'] = [json(200, rule())];
    answers['DELETE /automations/r1'] = [new Response(null, { status: 204 })];
    setup('/automations');
    const item = await screen.findByTestId('rule');
    await waitFor(() =>
      expect(within(item).getByTestId('rule-summary').textContent).toBe('Motion at Living Room Motion, 22:00-06:00, when armed → notify, webhook'),
    );
    const sw = within(item).getByRole('switch', { name: 'Night Motion Alert Enabled' }) as HTMLInputElement;
    expect(sw.checked).toBe(true);
    fireEvent.click(sw);
    await waitFor(() => expect(sw.checked).toBe(false));
    expect(sent('POST', '/automations/r1/disable')).toHaveLength(1);
    expect(item.textContent).toContain('Off: it does not fire');
    fireEvent.click(sw);
    await waitFor(() => expect(sw.checked).toBe(true));
    expect(sent('POST', '/automations/r1/enable')).toHaveLength(1);

    fireEvent.click(within(item).getByRole('button', { name: 'Delete Night Motion Alert' }));
    const confirm = within(item).getByRole('group', { name: 'Delete Night Motion Alert?' });
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(sent('DELETE', '/automations/r1')).toHaveLength(0);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, delete' }));
    await screen.findByText('Night Motion Alert deleted.');
    expect(sent('DELETE', '/automations/r1')).toHaveLength(1);
    expect(screen.queryByTestId('rule')).toBeNull();
  });
});

describe('automations: an admin', () => {
  it('picks the home, lists its rules and creates one there', async () => {
    signIn({ id: 'a1', email: 'admin@demo.com', name: 'Admin', role: 'admin' });
    answers['GET /users'] = [
      json(200, {
        users: [
          { id: 'a1', email: 'admin@demo.com', name: 'Admin', role: 'admin' },
          { id: 'u1', email: 'john@demo.com', name: 'John', role: 'user' },
          { id: 'u2', email: 'sarah@demo.com', name: 'Sarah', role: 'user' },
        ],
      }),
    ];
    answers['GET /automations'] = [json(200, { automations: [rule()], count: 1 })];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['POST /automations'] = [json(201, rule({ automation_id: 'r2', name: 'Sarah rule', user_id: 'u2' }))];
    setup('/automations');
    await screen.findByTestId('rule');
    expect(calls.some((c) => c.url === '/automations?user_id=u1')).toBe(true);
    expect(calls.some((c) => c.url === '/devices?user_id=u1')).toBe(true);
    change(screen.getByLabelText('Home of'), 'u2');
    await waitFor(() => expect(calls.some((c) => c.url === '/automations?user_id=u2')).toBe(true));
    fireEvent.click(screen.getByRole('link', { name: 'New automation' }));
    change(await screen.findByLabelText('Name'), 'Sarah rule');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await screen.findByText('Sarah rule created.');
    expect(sent('POST', '/automations')[0]!.url).toBe('/automations?user_id=u2');
  });
});

describe('automations: editor', () => {
  it('creates a rule: event types follow the device, the body is the rule, an action field error shows by that action', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['GET /home'] = [json(200, { time_zone: 'America/New_York' })];
    answers['POST /automations'] = [
      json(400, errBody('VALIDATION_ERROR', 'actions[1].url: must be an http(s) URL', { field: 'actions[1].url', reason: 'must be an http(s) URL' })),
      json(201, rule()),
    ];
    answers['GET /automations'] = [json(200, { automations: [rule()], count: 1 })];
    setup('/automations/new');
    const name = await screen.findByLabelText('Name');
    change(name, 'Night Motion Alert');
    change(screen.getByLabelText('Device'), 'd2');
    const event = screen.getByLabelText('Event') as HTMLSelectElement;
    const options = [...event.options].map((o) => o.value);
    expect(options).toContain('motion_detected');
    expect(options).not.toContain('door_open');
    change(event, 'motion_detected');
    expect(screen.queryByLabelText('Device type')).toBeNull();
    change(screen.getByLabelText('From'), '22:00');
    change(screen.getByLabelText('To'), '06:00');
    expect(fieldOf(screen.getByLabelText('From')).textContent).toContain('America/New_York');
    change(screen.getByLabelText('Alarm state'), 'armed');
    fireEvent.click(screen.getByLabelText('Sat'));
    fireEvent.click(screen.getByLabelText('Sun'));
    change(screen.getByLabelText('Message'), 'Motion at {device} at {time}');
    change(screen.getByLabelText('Severity'), 'high');
    fireEvent.click(screen.getByRole('button', { name: 'Add webhook' }));
    const actions = screen.getAllByTestId('action');
    expect(actions).toHaveLength(2);
    const url = within(actions[1]!).getByLabelText('URL');
    change(url, 'ftp://n8n/hook');
    change(screen.getByLabelText('Cooldown (seconds)'), '120');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));

    await waitFor(() => expect(within(fieldOf(url)).getByTestId('field-error').textContent).toContain('must be an http(s) URL'));
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect(sent('POST', '/automations')[0]!.body).toEqual({
      name: 'Night Motion Alert',
      enabled: true,
      trigger: {
        type: 'device_event',
        device_id: 'd2',
        event_type: 'motion_detected',
        conditions: { time_range: { start: '22:00', end: '06:00' }, arm_state: 'armed', days: ['sat', 'sun'] },
      },
      actions: [
        { type: 'notification', channel: 'in_app', message: 'Motion at {device} at {time}', severity: 'high' },
        { type: 'webhook', url: 'ftp://n8n/hook' },
      ],
      cooldown_seconds: 120,
    });

    change(url, 'http://n8n:5678/webhook/night-motion');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await screen.findByText('Night Motion Alert created.');
    expect((sent('POST', '/automations')[1]!.body as { actions: { url?: string }[] }).actions[1]!.url).toBe('http://n8n:5678/webhook/night-motion');
    await waitFor(() => expect(screen.getByTestId('rule-summary').textContent).toContain('Motion at Living Room Motion'));
  });

  it('checks what it can before sending, and shows a trigger error by its field', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['POST /automations'] = [
      json(400, errBody('VALIDATION_ERROR', 'trigger.conditions.time_range.start: must be a time such as 22:00', { field: 'trigger.conditions.time_range.start', reason: 'must be a time such as 22:00' })),
    ];
    setup('/automations/new');
    const name = await screen.findByLabelText('Name');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    expect(within(fieldOf(name)).getByTestId('field-error').textContent).toContain('enter a name');
    change(name, 'Door at night');
    change(screen.getByLabelText('From'), '22:00');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    expect(within(fieldOf(screen.getByLabelText('To'))).getByTestId('field-error').textContent).toContain('enter both times');
    expect(sent('POST', '/automations')).toHaveLength(0);
    change(screen.getByLabelText('To'), '06:00');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await waitFor(() => expect(within(fieldOf(screen.getByLabelText('From'))).getByTestId('field-error').textContent).toContain('must be a time such as 22:00'));
  });

  it('edits a rule with PATCH; a device command refused by the server shows by its command, without the field name', async () => {
    const lockRule = rule({ actions: [{ type: 'device_command', device_id: 'd1', command: 'lock', parameters: {} }] });
    answers['GET /automations/r1'] = [json(200, lockRule)];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['PATCH /automations/r1'] = [
      json(400, errBody('VALIDATION_ERROR', "actions[0].command: command: a lock device does not accept 'unlock'", { field: 'actions[0].command' })),
      json(200, { ...lockRule, name: 'Lock at night' }),
    ];
    answers['GET /automations'] = [json(200, { automations: [{ ...lockRule, name: 'Lock at night' }], count: 1 })];
    setup('/automations/r1');
    const name = (await screen.findByLabelText('Name')) as HTMLInputElement;
    expect(name.value).toBe('Night Motion Alert');
    expect((screen.getByLabelText('From') as HTMLInputElement).value).toBe('22:00');
    expect((screen.getByLabelText('Alarm state') as HTMLSelectElement).value).toBe('armed');
    const action = screen.getByTestId('action');
    const command = within(action).getByLabelText('Command') as HTMLSelectElement;
    expect([...command.options].map((o) => o.value)).toEqual(['lock', 'unlock']);
    change(command, 'unlock');
    change(name, 'Lock at night');
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await waitFor(() => expect(within(fieldOf(command)).getByTestId('field-error').textContent).toBe("⚠ a lock device does not accept 'unlock'"));
    expect(sent('PATCH', '/automations/r1')[0]!.body).toMatchObject({
      name: 'Lock at night',
      actions: [{ type: 'device_command', device_id: 'd1', command: 'unlock', parameters: {} }],
      trigger: { type: 'device_event', device_id: 'd2', event_type: 'motion_detected' },
      cooldown_seconds: 60,
    });
    change(command, 'lock');
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await screen.findByText('Lock at night saved.');
    expect(sent('POST', '/automations')).toHaveLength(0);
  });
});

describe('automations: firings', () => {
  const now = Date.parse('2030-01-01T04:32:00Z');
  const done: AutomationRun = {
    run_id: 'x1',
    trigger: { type: 'device_event', key: 'event:e1', at: '2030-01-01T04:30:00Z', event_type: 'motion_detected', device: 'Living Room Motion' },
    at: '2030-01-01T04:30:00Z',
    conditions: [
      { condition: 'time_range', ok: true, detail: '23:30 home time, window 22:00-06:00' },
      { condition: 'arm_state', ok: true, detail: 'the alarm is armed_away, wanted armed' },
    ],
    status: 'done',
    actions: [
      { action: 'notification', status: 'done', detail: 'notification n1 sent' },
      { action: 'webhook', status: 'done', detail: 'delivered (200) after 1 attempt(s)' },
    ],
  };
  const held: AutomationRun = {
    ...done,
    run_id: 'x2',
    at: '2030-01-01T04:30:20Z',
    status: 'cooldown',
    actions: done.actions.map((a) => ({ ...a, status: 'skipped', detail: 'held back: the rule fired 20 s before' })),
  };
  const failed: AutomationRun = {
    ...done,
    run_id: 'x3',
    status: 'failed',
    conditions: [],
    actions: [{ action: 'webhook', status: 'failed', detail: 'webhook failed after 4 attempts: answered 500' }],
  };

  it('words a firing', () => {
    expect(runText(done, now)).toBe(
      'Fired 2 min ago: Motion at Living Room Motion — time ok (23:30 home time, window 22:00-06:00), alarm ok (the alarm is armed_away, wanted armed) → notification done, webhook done',
    );
    expect(runText(held, now)).toBe(
      'Held back by the cooldown 2 min ago: Motion at Living Room Motion — time ok (23:30 home time, window 22:00-06:00), alarm ok (the alarm is armed_away, wanted armed) → nothing run (the rule fired 20 s before)',
    );
    expect(runText(failed, now)).toBe(
      'Fired, not all went well 2 min ago: Motion at Living Room Motion — no conditions → webhook failed (webhook failed after 4 attempts: answered 500)',
    );
  });

  it('lists the rule’s firings newest first, in words', async () => {
    answers['GET /automations/r1'] = [json(200, rule())];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['GET /automations/r1/runs'] = [json(200, { runs: [done, held], next_before: null })];
    setup('/automations/r1/runs');
    await screen.findByRole('heading', { level: 1, name: 'History of Night Motion Alert' });
    const list = screen.getByTestId('runs');
    await waitFor(() => expect(within(list).getAllByTestId('run')).toHaveLength(2));
    const [first, second] = within(list).getAllByTestId('run');
    expect(second!.getAttribute('data-status')).toBe('done');
    expect(second!.textContent).toMatch(/^Fired .+: Motion at Living Room Motion — time ok \(23:30 home time, window 22:00-06:00\), alarm ok .+ → notification done, webhook done$/);
    expect(first!.textContent).toContain('Held back by the cooldown');
    expect(first!.textContent).toContain('nothing run (the rule fired 20 s before)');
    expect(screen.getByTestId('rule-summary').textContent).toBe('Motion at Living Room Motion, 22:00-06:00, when armed → notify, webhook');
  });
});
