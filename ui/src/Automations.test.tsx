import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Automation, AutomationRun, Device } from './api';
import { durationText, ruleSummary, runText } from './automationText';
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
const DEVICES = [
  dev('d1', 'Front Door Lock', 'lock', 'Front Entrance'),
  dev('d2', 'Living Room Motion', 'motion', 'Living Room'),
  dev('d3', 'Garage Door', 'door', 'Garage'),
];

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
    expect(
      ruleSummary({ trigger: { type: 'device_offline' }, actions: [{ type: 'n8n', workflow: 'homeguard-device-offline' }, { type: 'webhook', url: 'https://x' }] }, devices),
    ).toBe('Any device goes offline → n8n homeguard-device-offline, webhook');
  });

  it('sums up held states, cron schedules, waits and the alarm actions', () => {
    expect(
      ruleSummary(
        {
          trigger: { type: 'device_state', device_id: 'd3', state: { open: true }, for_seconds: 600 },
          actions: [{ type: 'notification', channel: 'in_app', message: 'x' }, { type: 'delay', seconds: 120 }, { type: 'arm', mode: 'away', bypass_open: true }],
        },
        devices,
      ),
    ).toBe('Garage Door open for 10 min → notify, wait 2 min, arm away (bypassing open doors)');
    expect(ruleSummary({ trigger: { type: 'device_state', device_id: 'd1', state: { locked: false }, for_seconds: 5400 }, actions: [{ type: 'arm', mode: 'night' }] }, devices)).toBe(
      'Front Door Lock unlocked for 1 h 30 min → arm night',
    );
    expect(ruleSummary({ trigger: { type: 'device_state', device_id: 'd2', state: { state: 'idle' }, for_seconds: 3600 }, actions: [{ type: 'set_mode', mode: 'sleep' }] }, devices)).toBe(
      'Living Room Motion seeing no motion for 1 h → set mode sleep',
    );
    // A state the type does not name, and devices not loaded yet.
    expect(ruleSummary({ trigger: { type: 'device_state', device_id: 'd3', state: { state: 'held_open' }, for_seconds: 45 }, actions: [] }, null)).toBe(
      'a device with state "held_open" for 45 s → nothing',
    );
    expect(
      ruleSummary({ trigger: { type: 'schedule', cron: '0 9 * * mon-fri', conditions: { mode: 'away' } }, actions: [{ type: 'disarm' }, { type: 'set_mode', mode: 'vacation' }] }, devices),
    ).toBe('On cron 0 9 * * mon-fri, in Away mode → ask to disarm, set mode vacation');
    expect([30, 60, 90, 600, 3600, 5400, 86400].map(durationText)).toEqual(['30 s', '1 min', '1 min 30 s', '10 min', '1 h', '1 h 30 min', '24 h']);
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

describe('automations: n8n actions', () => {
  const NO_N8N = 'this installation has no n8n (N8N_WEBHOOK_BASE is unset); use a webhook with its full url';

  it('adds an n8n action: the shipped workflows are suggested, the body has {type: n8n, workflow}, the server refusal shows by the workflow', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    const created = rule({ name: 'Motion to n8n', actions: [{ type: 'n8n', workflow: 'homeguard-motion-night' }] });
    answers['POST /automations'] = [
      json(400, errBody('VALIDATION_ERROR', `actions[0].workflow: ${NO_N8N}`, { field: 'actions[0].workflow', reason: NO_N8N })),
      json(201, created),
    ];
    answers['GET /automations'] = [json(200, { automations: [created], count: 1 })];
    setup('/automations/new');
    change(await screen.findByLabelText('Name'), 'Motion to n8n');
    change(screen.getByLabelText('Device'), 'd2');
    // The notification the editor starts with goes; an n8n action takes its place.
    fireEvent.click(screen.getByRole('button', { name: 'Remove action 1' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add n8n workflow' }));
    const action = screen.getByTestId('action');
    expect(action.getAttribute('data-type')).toBe('n8n');
    expect(within(action).getByText('Action 1: n8n workflow')).toBeTruthy();
    const workflow = within(action).getByLabelText('Workflow') as HTMLInputElement;
    const hint = fieldOf(workflow).textContent!;
    for (const w of ['homeguard-motion-night', 'homeguard-device-offline', 'homeguard-agent-actions']) expect(hint).toContain(w);
    const suggested = document.getElementById(workflow.getAttribute('list')!)!;
    expect([...suggested.querySelectorAll('option')].map((o) => o.getAttribute('value'))).toEqual([
      'homeguard-motion-night',
      'homeguard-device-offline',
      'homeguard-agent-actions',
    ]);

    // Not a path: refused before asking.
    change(workflow, '/webhook/x');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    expect(within(fieldOf(workflow)).getByTestId('field-error').textContent).toContain('letters, digits, - _ /');
    expect(sent('POST', '/automations')).toHaveLength(0);

    change(workflow, ' homeguard-motion-night ');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await waitFor(() => expect(within(fieldOf(workflow)).getByTestId('field-error').textContent).toBe(`⚠ ${NO_N8N}`));
    expect(workflow.getAttribute('aria-invalid')).toBe('true');
    expect(workflow.getAttribute('aria-describedby')).toContain('err-actions[0].workflow');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect((sent('POST', '/automations')[0]!.body as { actions: unknown[] }).actions).toEqual([{ type: 'n8n', workflow: 'homeguard-motion-night' }]);

    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await screen.findByText('Motion to n8n created.');
    await waitFor(() => expect(screen.getByTestId('rule-summary').textContent).toBe('Motion at Living Room Motion, 22:00-06:00, when armed → n8n homeguard-motion-night'));
  });

  it('edits a rule with an n8n action: the workflow is kept as it was, and sent back as it is', async () => {
    const n8nRule = rule({ actions: [{ type: 'n8n', workflow: 'team/homeguard-agent-actions' }, { type: 'webhook', url: 'https://hooks.example.com/x' }] });
    answers['GET /automations/r1'] = [json(200, n8nRule)];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['PATCH /automations/r1'] = [json(200, n8nRule)];
    answers['GET /automations'] = [json(200, { automations: [n8nRule], count: 1 })];
    setup('/automations/r1');
    const workflow = (await screen.findByLabelText('Workflow')) as HTMLInputElement;
    expect(workflow.value).toBe('team/homeguard-agent-actions');
    expect(fieldOf(screen.getByLabelText('URL')).textContent).toContain('http or https');
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await screen.findByText('Night Motion Alert saved.');
    expect((sent('PATCH', '/automations/r1')[0]!.body as { actions: unknown[] }).actions).toEqual([
      { type: 'n8n', workflow: 'team/homeguard-agent-actions' },
      { type: 'webhook', url: 'https://hooks.example.com/x' },
    ]);
  });
});

describe('automations: held states, cron and alarm actions', () => {
  it('creates a device_state rule: the states follow the device, minutes become seconds, a wait then an arming', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['GET /home'] = [json(200, { time_zone: 'America/New_York' })];
    const created = rule({
      name: 'Garage left open',
      trigger: { type: 'device_state', device_id: 'd3', state: { open: true }, for_seconds: 600, conditions: {} },
      actions: [{ type: 'delay', seconds: 120 }, { type: 'arm', mode: 'away', bypass_open: true }],
    });
    answers['POST /automations'] = [
      json(400, errBody('VALIDATION_ERROR', 'trigger.for_seconds: must be from 10 s to 7 days (604800)', { field: 'trigger.for_seconds', reason: 'must be from 10 s to 7 days (604800)' })),
      json(201, created),
    ];
    answers['GET /automations'] = [json(200, { automations: [created], count: 1 })];
    setup('/automations/new');
    change(await screen.findByLabelText('Name'), 'Garage left open');
    change(screen.getByLabelText('Trigger'), 'device_state');
    const device = screen.getByLabelText('Device') as HTMLSelectElement;
    expect(device.value).toBe('');
    expect([...device.options].map((o) => o.textContent)).toEqual(['Choose a device', 'Front Door Lock (Front Entrance)', 'Living Room Motion (Living Room)', 'Garage Door (Garage)']);
    const state = () => screen.getByLabelText('State') as HTMLSelectElement;
    change(device, 'd1');
    expect([...state().options].map((o) => [o.value, o.textContent])).toEqual([
      ['{"locked":false}', 'unlocked'],
      ['{"locked":true}', 'locked'],
      ['{"state":"jammed"}', 'jammed'],
      ['{"offline":true}', 'offline'],
    ]);
    change(device, 'd2');
    expect([...state().options].map((o) => o.value)).toEqual(['{"state":"motion"}', '{"state":"idle"}', '{"armed":true}', '{"armed":false}', '{"offline":true}']);
    change(device, 'd3');
    expect([...state().options].map((o) => [o.value, o.textContent]).slice(0, 2)).toEqual([
      ['{"open":true}', 'open'],
      ['{"open":false}', 'closed'],
    ]);
    expect(state().value).toBe('{"open":true}');
    const minutes = screen.getByLabelText('For (minutes)') as HTMLInputElement;
    expect(minutes.value).toBe('10');
    expect(fieldOf(minutes).textContent).toContain('7 days');

    // The notification the editor starts with goes; a wait and an arming take its place.
    fireEvent.click(screen.getByRole('button', { name: 'Remove action 1' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add wait' }));
    // A wait alone: it must come before another action.
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    const wait = within(screen.getByTestId('action')).getByLabelText('Wait') as HTMLInputElement;
    expect(within(fieldOf(wait)).getByTestId('field-error').textContent).toContain('must come before another action');
    expect(sent('POST', '/automations')).toHaveLength(0);
    change(wait, '2');
    fireEvent.click(screen.getByRole('button', { name: 'Add arming' }));
    const arm = screen.getAllByTestId('action')[1]!;
    expect(within(arm).getByText('Action 2: Arm the alarm')).toBeTruthy();
    change(within(arm).getByLabelText('Arm mode'), 'away');
    fireEvent.click(within(arm).getByLabelText('Bypass open doors and windows'));
    change(minutes, '0.1');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    expect(within(fieldOf(minutes)).getByTestId('field-error').textContent).toContain('from 1 to 10080');
    expect(sent('POST', '/automations')).toHaveLength(0);

    change(minutes, '10');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    // The server's refusal shows by the minutes.
    await waitFor(() => expect(within(fieldOf(minutes)).getByTestId('field-error').textContent).toBe('⚠ must be from 10 s to 7 days (604800)'));
    expect(minutes.getAttribute('aria-invalid')).toBe('true');
    expect(sent('POST', '/automations')[0]!.body).toEqual({
      name: 'Garage left open',
      enabled: true,
      trigger: { type: 'device_state', device_id: 'd3', state: { open: true }, for_seconds: 600, conditions: {} },
      actions: [
        { type: 'delay', seconds: 120 },
        { type: 'arm', mode: 'away', bypass_open: true },
      ],
      cooldown_seconds: 60,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await screen.findByText('Garage left open created.');
    await waitFor(() => expect(screen.getByTestId('rule-summary').textContent).toBe('Garage Door open for 10 min → wait 2 min, arm away (bypassing open doors)'));
  });

  it('a cron schedule is sent without `at`, and the server’s trigger.cron refusal shows by the cron field', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['GET /home'] = [json(200, { time_zone: 'America/New_York' })];
    const reason = 'is not a cron expression: Invalid value for minutes: 61';
    answers['POST /automations'] = [json(400, errBody('VALIDATION_ERROR', `trigger.cron: ${reason}`, { field: 'trigger.cron' }))];
    setup('/automations/new');
    change(await screen.findByLabelText('Name'), 'Weekday mornings');
    change(screen.getByLabelText('Trigger'), 'schedule');
    expect((screen.getByLabelText(/^At/) as HTMLInputElement).value).toBe('07:00');
    const runs = screen.getByLabelText('Runs') as HTMLSelectElement;
    expect([...runs.options].map((o) => o.textContent)).toEqual(['Every day at', 'Cron expression']);
    change(runs, 'cron');
    expect(screen.queryByLabelText(/^At/)).toBeNull();
    const cron = screen.getByLabelText('Cron expression (home time, America/New_York)') as HTMLInputElement;
    const hint = fieldOf(cron).textContent!;
    expect(hint).toContain('minute hour day month weekday');
    expect(hint).toContain('0 9 * * mon-fri');
    // Four fields: refused before asking.
    change(cron, '0 9 * *');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    expect(within(fieldOf(cron)).getByTestId('field-error').textContent).toContain('enter 5 fields');
    expect(sent('POST', '/automations')).toHaveLength(0);

    change(cron, '  61   * * * * ');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await waitFor(() => expect(within(fieldOf(cron)).getByTestId('field-error').textContent).toBe(`⚠ ${reason}`));
    expect(cron.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect(sent('POST', '/automations')[0]!.body).toEqual({
      name: 'Weekday mornings',
      enabled: true,
      trigger: { type: 'schedule', cron: '61 * * * *', conditions: {} },
      actions: [{ type: 'notification', channel: 'in_app', message: '{device}: {event} at {time}', severity: 'normal' }],
      cooldown_seconds: 60,
    });
  });

  it('set mode says it goes upward only, disarm that it only asks; a wait refused by the server shows by its place', async () => {
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['POST /automations'] = [
      json(400, errBody('VALIDATION_ERROR', 'actions[1].seconds: a delay must come before another action', { field: 'actions[1].seconds', reason: 'a delay must come before another action' })),
    ];
    setup('/automations/new');
    change(await screen.findByLabelText('Name'), 'Bedtime');
    fireEvent.click(screen.getByRole('button', { name: 'Add wait' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add mode change' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add disarm request' }));
    const [, wait, mode, disarm] = screen.getAllByTestId('action');
    const seconds = within(wait!).getByLabelText('Wait') as HTMLInputElement;
    change(seconds, '90');
    change(within(wait!).getByLabelText('In'), 's');
    const home = within(mode!).getByLabelText('Home mode') as HTMLSelectElement;
    expect([...home.options].map((o) => o.value)).toEqual(['home', 'party', 'sleep', 'away', 'vacation']);
    expect(fieldOf(home).textContent).toContain("lowering the mode needs the owner's code, which a rule never has");
    expect(fieldOf(home).textContent).toContain('recorded as failed');
    change(home, 'sleep');
    expect(disarm!.textContent).toContain('never disarms the alarm by itself');
    expect(disarm!.textContent).toContain('“Disarm the alarm?”');
    expect(disarm!.textContent).toContain('with their code');
    expect(disarm!.getAttribute('aria-describedby')).toBe('act-3-disarm-help');
    fireEvent.click(screen.getByRole('button', { name: 'Create automation' }));
    await waitFor(() => expect(within(fieldOf(seconds)).getByTestId('field-error').textContent).toBe('⚠ a delay must come before another action'));
    expect(seconds.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect((sent('POST', '/automations')[0]!.body as { actions: unknown[] }).actions).toEqual([
      { type: 'notification', channel: 'in_app', message: '{device}: {event} at {time}', severity: 'normal' },
      { type: 'delay', seconds: 90 },
      { type: 'set_mode', mode: 'sleep' },
      { type: 'disarm' },
    ]);
  });

  it('edits such a rule: every field as saved, and sent back as it was', async () => {
    const saved = rule({
      trigger: { type: 'device_state', device_id: 'd1', state: { locked: false }, for_seconds: 90, conditions: { arm_state: 'disarmed' } },
      actions: [
        { type: 'delay', seconds: 45 },
        { type: 'arm', mode: 'night', bypass_open: false },
        { type: 'delay', seconds: 300 },
        { type: 'set_mode', mode: 'vacation' },
        { type: 'disarm' },
      ],
    });
    answers['GET /automations/r1'] = [json(200, saved)];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['PATCH /automations/r1'] = [json(200, saved)];
    answers['GET /automations'] = [json(200, { automations: [saved], count: 1 })];
    setup('/automations/r1');
    await screen.findByLabelText('Name');
    expect((screen.getByLabelText('Trigger') as HTMLSelectElement).value).toBe('device_state');
    expect((screen.getByLabelText('Device') as HTMLSelectElement).value).toBe('d1');
    expect((screen.getByLabelText('State') as HTMLSelectElement).value).toBe('{"locked":false}');
    expect((screen.getByLabelText('For (minutes)') as HTMLInputElement).value).toBe('1.5');
    const actions = screen.getAllByTestId('action');
    expect(actions.map((a) => a.getAttribute('data-type'))).toEqual(['delay', 'arm', 'delay', 'set_mode', 'disarm']);
    expect((within(actions[0]!).getByLabelText('Wait') as HTMLInputElement).value).toBe('45');
    expect((within(actions[0]!).getByLabelText('In') as HTMLSelectElement).value).toBe('s');
    expect((within(actions[2]!).getByLabelText('Wait') as HTMLInputElement).value).toBe('5');
    expect((within(actions[2]!).getByLabelText('In') as HTMLSelectElement).value).toBe('min');
    expect((within(actions[1]!).getByLabelText('Arm mode') as HTMLSelectElement).value).toBe('night');
    expect((within(actions[1]!).getByLabelText('Bypass open doors and windows') as HTMLInputElement).checked).toBe(false);
    expect((within(actions[3]!).getByLabelText('Home mode') as HTMLSelectElement).value).toBe('vacation');
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await screen.findByText('Night Motion Alert saved.');
    const body = sent('PATCH', '/automations/r1')[0]!.body as { trigger: unknown; actions: unknown };
    expect(body.trigger).toEqual(saved.trigger);
    expect(body.actions).toEqual(saved.actions);
  });

  it('edits a cron rule and a state its device type does not name, keeping both', async () => {
    const cronRule = rule({ trigger: { type: 'schedule', cron: '*/15 22-23 * * sat,sun', conditions: {} } });
    answers['GET /automations/r1'] = [json(200, cronRule)];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['PATCH /automations/r1'] = [json(200, cronRule)];
    answers['GET /automations'] = [json(200, { automations: [cronRule], count: 1 })];
    setup('/automations/r1');
    await screen.findByLabelText('Name');
    expect((screen.getByLabelText('Runs') as HTMLSelectElement).value).toBe('cron');
    expect((screen.getByLabelText(/^Cron expression/) as HTMLInputElement).value).toBe('*/15 22-23 * * sat,sun');
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await screen.findByText('Night Motion Alert saved.');
    expect((sent('PATCH', '/automations/r1')[0]!.body as { trigger: unknown }).trigger).toEqual({ type: 'schedule', cron: '*/15 22-23 * * sat,sun', conditions: {} });
    cleanup();

    // A state made through the API, not in the type's list: offered first, in its own words, and kept.
    const heldOpen = rule({ trigger: { type: 'device_state', device_id: 'd3', state: { state: 'held_open' }, for_seconds: 1200, conditions: {} } });
    answers['GET /automations/r1'] = [json(200, heldOpen)];
    answers['PATCH /automations/r1'] = [json(200, heldOpen)];
    setup('/automations/r1');
    await screen.findByLabelText('Name');
    const state = screen.getByLabelText('State') as HTMLSelectElement;
    expect(state.value).toBe('{"state":"held_open"}');
    expect([...state.options].map((o) => o.textContent)).toEqual(['with state "held_open"', 'open', 'closed', 'armed', 'disarmed', 'offline']);
    fireEvent.click(screen.getByRole('button', { name: 'Save automation' }));
    await screen.findByText('Night Motion Alert saved.');
    expect((sent('PATCH', '/automations/r1')[1]!.body as { trigger: unknown }).trigger).toEqual(heldOpen.trigger);
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

  const waiting: AutomationRun = {
    run_id: 'x4',
    trigger: {
      type: 'device_state',
      key: 'held:e9',
      at: '2030-01-01T04:30:00Z',
      since: '2030-01-01T04:20:00Z',
      for_seconds: 600,
      event_type: 'door_open',
      device_id: 'd3',
      device: 'Garage Door',
    },
    at: '2030-01-01T04:30:00Z',
    conditions: [],
    status: 'waiting',
    actions: [
      { action: 'notification', status: 'done', detail: 'notification n1 sent' },
      { action: 'delay', status: 'waiting', detail: 'until 23:32:10' },
      { action: 'arm', status: 'pending', detail: '' },
    ],
    resume_at: '2030-01-01T04:32:10Z',
  };

  it('words a waiting firing of a held state', () => {
    expect(runText(waiting, now)).toBe(
      'Waiting, fired 2 min ago: Garage Door stayed open for 10 min — no conditions → notification done, waiting until 23:32:10, arm not run yet',
    );
    const resumed: AutomationRun = {
      ...waiting,
      status: 'done',
      actions: [waiting.actions[0]!, { action: 'delay', status: 'done', detail: 'waited 120 s' }, { action: 'arm', status: 'done', detail: 'arming away: the alarm is arming' }],
    };
    expect(runText(resumed, now)).toBe('Fired 2 min ago: Garage Door stayed open for 10 min — no conditions → notification done, wait done, arm done');
    const refused: AutomationRun = {
      ...done,
      status: 'failed',
      conditions: [],
      actions: [{ action: 'set_mode', status: 'failed', detail: "home mode home refused: from sleep to home needs the owner's code, which a rule never has" }],
    };
    expect(runText(refused, now)).toContain("→ set mode failed (home mode home refused: from sleep to home needs the owner's code, which a rule never has)");
  });

  it('shows a waiting firing in the history', async () => {
    answers['GET /automations/r1'] = [json(200, rule({ trigger: { type: 'device_state', device_id: 'd3', state: { open: true }, for_seconds: 600 } }))];
    answers['GET /devices'] = [json(200, { devices: DEVICES })];
    answers['GET /automations/r1/runs'] = [json(200, { runs: [waiting, done], next_before: null })];
    setup('/automations/r1/runs');
    const list = await screen.findByTestId('runs');
    await waitFor(() => expect(within(list).getAllByTestId('run')).toHaveLength(2));
    const first = within(list).getAllByTestId('run')[0]!;
    expect(first.getAttribute('data-status')).toBe('waiting');
    expect(first.textContent).toMatch(/^Waiting, fired .+: Garage Door stayed open for 10 min — no conditions → notification done, waiting until 23:32:10, arm not run yet$/);
    await waitFor(() => expect(screen.getByTestId('rule-summary').textContent).toBe('Garage Door open for 10 min → notify, webhook'));
  });

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
