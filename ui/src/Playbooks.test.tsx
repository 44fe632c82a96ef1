import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Playbook, PlaybookStep, PlaybooksView, WellnessView } from './api';
import Playbooks, { PLAYBOOK_DEFAULTS } from './pages/Playbooks';
import { errBody, fakeServer, json, renderApp, signIn } from './test-utils';

const WORDS: Record<PlaybookStep, string> = {
  unlock_doors: 'Unlock the doors',
  lock_doors: 'Lock what is unlocked',
  hvac_off: 'Turn the heating and cooling off',
  record_cameras: 'Start the cameras recording',
  snapshot_cameras: 'Take a snapshot on every camera',
  notify_contacts: 'E-mail the emergency contacts',
};
const FIRE_ALWAYS = 'The household is told on every channel, and fire (110) is reported to monitoring at once, without an abort window.';
const BREAK_IN_ALWAYS = 'The household is told on every channel, and the alarm is reported to monitoring once its abort window has passed.';
const playbook = (kind: Playbook['kind'], steps: PlaybookStep[]): Playbook => {
  const available: PlaybookStep[] =
    kind === 'fire' ? ['unlock_doors', 'hvac_off', 'record_cameras', 'notify_contacts'] : ['record_cameras', 'snapshot_cameras', 'lock_doors', 'notify_contacts'];
  return { kind, steps, available: available.map((step) => ({ step, words: WORDS[step] })), always: kind === 'fire' ? FIRE_ALWAYS : BREAK_IN_ALWAYS };
};
const view = (fire: PlaybookStep[] = PLAYBOOK_DEFAULTS.fire, breakIn: PlaybookStep[] = PLAYBOOK_DEFAULTS.break_in): PlaybooksView => ({
  playbooks: [playbook('fire', fire), playbook('break_in', breakIn)],
});
const CONTACT = { id: 'c1', name: 'Ana', relation: 'sister', phone: null, email: 'ana@example.com', priority: 1, created_at: '2026-01-01T00:00:00Z' };

const wellness = (over: Partial<WellnessView> = {}): WellnessView => ({
  enabled: false,
  hours: 5,
  awake_from: '07:00',
  awake_until: '22:00',
  since: null,
  contacts_after_minutes: 15,
  ...over,
});

const { calls, answers } = fakeServer();
const setup = () => {
  // The wellness check, off as never set, unless the test says otherwise.
  answers['GET /security/wellness'] ??= [json(200, wellness())];
  return renderApp(<Playbooks />, { path: '/security/playbooks' });
};
const puts = () => calls.filter((c) => c.method === 'PUT').map((c) => [c.url, c.body]);
const card = async (kind: string) => {
  await screen.findAllByTestId('playbook');
  return screen.getAllByTestId('playbook').find((c) => c.getAttribute('data-kind') === kind)!;
};
const box = (c: HTMLElement, words: string) => within(c).getByLabelText(words) as HTMLInputElement;
const ticked = (c: HTMLElement) =>
  within(c)
    .getAllByRole('checkbox')
    .filter((b) => (b as HTMLInputElement).checked)
    .map((b) => b.closest('.field')!.querySelector('label')!.textContent);

describe('playbooks', () => {
  it('loads each playbook: its name in words, a checkbox per step it may take, what happens regardless, the defaults', async () => {
    answers['GET /security/playbooks'] = [json(200, view(['unlock_doors', 'notify_contacts'], ['record_cameras', 'lock_doors']))];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    setup();
    expect(screen.getByText(/Loading playbooks/).closest('[role=status]')).toBeTruthy();
    const fire = await card('fire');
    const breakIn = await card('break_in');
    expect(within(fire).getByRole('heading', { level: 2 }).textContent).toContain('Fire');
    expect(within(breakIn).getByRole('heading', { level: 2 }).textContent).toContain('Break-in (and panic)');
    expect(within(fire).getAllByRole('checkbox')).toHaveLength(4);
    expect(ticked(fire)).toEqual(['Unlock the doors', 'E-mail the emergency contacts']);
    expect(ticked(breakIn)).toEqual(['Start the cameras recording', 'Lock what is unlocked']);
    expect(box(breakIn, 'Take a snapshot on every camera').checked).toBe(false);
    // Fire may not lock anyone in: it has no such box.
    expect(within(fire).queryByLabelText('Lock what is unlocked')).toBeNull();
    expect(within(fire).getByTestId('playbook-always').textContent).toBe(`Whatever you choose: ${FIRE_ALWAYS}`);
    expect(within(breakIn).getByTestId('playbook-always').textContent).toContain(BREAK_IN_ALWAYS);
    expect(fire.textContent).toContain('Defaults: Unlock the doors, Turn the heating and cooling off, E-mail the emergency contacts.');
    expect(within(fire).getByRole('button', { name: 'Restore defaults of the fire playbook' })).toBeTruthy();
    expect(within(breakIn).getByRole('button', { name: 'Save break-in playbook' })).toBeTruthy();
    // Ana is an emergency contact: nothing to warn of.
    expect(screen.queryByTestId('no-contacts')).toBeNull();
    expect(puts()).toEqual([]);
  });

  it('saves the steps ticked, in the order listed, with a saved confirmation; the other playbook is left as it is', async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['PUT /security/playbooks/break_in'] = [json(200, view(PLAYBOOK_DEFAULTS.fire, ['record_cameras', 'snapshot_cameras']))];
    setup();
    const breakIn = await card('break_in');
    const fire = await card('fire');
    fireEvent.click(box(fire, 'Start the cameras recording'));
    fireEvent.click(box(breakIn, 'Lock what is unlocked'));
    fireEvent.click(box(breakIn, 'Take a snapshot on every camera'));
    expect(box(breakIn, 'Lock what is unlocked').checked).toBe(false);
    fireEvent.click(within(breakIn).getByRole('button', { name: 'Save break-in playbook' }));
    expect(within(breakIn).getByRole('button', { name: 'Saving…' })).toBeTruthy();
    await waitFor(() => expect(within(breakIn).getByRole('status').textContent).toContain('The break-in playbook is saved.'));
    expect(puts()).toEqual([['/security/playbooks/break_in', { steps: ['record_cameras', 'snapshot_cameras'] }]]);
    expect(ticked(breakIn)).toEqual(['Start the cameras recording', 'Take a snapshot on every camera']);
    // The fire playbook keeps its unsaved change, and says nothing.
    expect(box(fire, 'Start the cameras recording').checked).toBe(true);
    expect(within(fire).getByRole('status').textContent).toBe('');

    // None at all is a choice too.
    answers['PUT /security/playbooks/break_in'] = [json(200, view(PLAYBOOK_DEFAULTS.fire, []))];
    fireEvent.click(box(breakIn, 'Start the cameras recording'));
    fireEvent.click(box(breakIn, 'Take a snapshot on every camera'));
    expect(within(breakIn).getByTestId('no-steps').textContent).toContain('None ticked');
    fireEvent.click(within(breakIn).getByRole('button', { name: 'Save break-in playbook' }));
    await waitFor(() => expect(puts()).toHaveLength(2));
    expect(puts()[1]).toEqual(['/security/playbooks/break_in', { steps: [] }]);
  });

  it("shows the server's field error by the step it names (steps[N] of what was sent); another error above the buttons", async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['PUT /security/playbooks/fire'] = [
      json(400, errBody('VALIDATION_ERROR', 'steps[2]: the fire playbook cannot start the cameras recording', { field: 'steps[2]', reason: 'the fire playbook cannot start the cameras recording' })),
      json(400, errBody('VALIDATION_ERROR', "kind: unknown playbook 'fire' (fire, break_in)", { field: 'kind', reason: "unknown playbook 'fire' (fire, break_in)" })),
    ];
    setup();
    const fire = await card('fire');
    const record = box(fire, 'Start the cameras recording');
    fireEvent.click(record);
    fireEvent.click(within(fire).getByRole('button', { name: 'Save fire playbook' }));
    // Sent: unlock_doors, hvac_off, record_cameras, notify_contacts: steps[2] is the cameras.
    const err = await within(fire).findByTestId('field-error');
    expect(err.textContent).toContain('the fire playbook cannot start the cameras recording');
    expect(record.closest('.field')!.contains(err)).toBe(true);
    expect(record.getAttribute('aria-invalid')).toBe('true');
    expect(record.getAttribute('aria-describedby')).toContain(err.id);
    expect(box(fire, 'Turn the heating and cooling off').getAttribute('aria-invalid')).toBeNull();
    expect(within(fire).getByRole('alert').textContent).toContain('steps[2]: the fire playbook cannot start the cameras recording');
    expect(within(fire).getByRole('status').textContent).toBe('');
    expect(puts()[0]).toEqual(['/security/playbooks/fire', { steps: ['unlock_doors', 'hvac_off', 'record_cameras', 'notify_contacts'] }]);

    fireEvent.click(within(fire).getByRole('button', { name: 'Save fire playbook' }));
    await within(fire).findByText("kind: unknown playbook 'fire' (fire, break_in)");
    expect(within(fire).queryByTestId('field-error')).toBeNull();
    expect(record.getAttribute('aria-invalid')).toBeNull();
  });

  it('restores the defaults: sends them, ticks them, and says so', async () => {
    answers['GET /security/playbooks'] = [json(200, view(['hvac_off'], []))];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['PUT /security/playbooks/break_in'] = [json(200, view(['hvac_off'], PLAYBOOK_DEFAULTS.break_in))];
    answers['PUT /security/playbooks/fire'] = [json(200, view(PLAYBOOK_DEFAULTS.fire, PLAYBOOK_DEFAULTS.break_in))];
    setup();
    const breakIn = await card('break_in');
    const fire = await card('fire');
    expect(ticked(breakIn)).toEqual([]);
    // Whatever is ticked meanwhile, the defaults go.
    fireEvent.click(box(breakIn, 'E-mail the emergency contacts'));
    fireEvent.click(within(breakIn).getByRole('button', { name: 'Restore defaults of the break-in playbook' }));
    await waitFor(() => expect(within(breakIn).getByRole('status').textContent).toContain('Defaults restored: the break-in playbook is saved.'));
    expect(puts()).toEqual([['/security/playbooks/break_in', { steps: ['record_cameras', 'lock_doors'] }]]);
    expect(ticked(breakIn)).toEqual(['Start the cameras recording', 'Lock what is unlocked']);
    expect(ticked(fire)).toEqual(['Turn the heating and cooling off']);

    fireEvent.click(within(fire).getByRole('button', { name: 'Restore defaults of the fire playbook' }));
    await waitFor(() => expect(within(fire).getByRole('status').textContent).toContain('Defaults restored: the fire playbook is saved.'));
    expect(puts()[1]).toEqual(['/security/playbooks/fire', { steps: ['unlock_doors', 'hvac_off', 'notify_contacts'] }]);
    expect(ticked(fire)).toEqual(['Unlock the doors', 'Turn the heating and cooling off', 'E-mail the emergency contacts']);
    // A plain save afterwards is a save again, not a restore.
    answers['PUT /security/playbooks/fire'] = [json(200, view(['unlock_doors', 'notify_contacts'], PLAYBOOK_DEFAULTS.break_in))];
    fireEvent.click(box(fire, 'Turn the heating and cooling off'));
    fireEvent.click(within(fire).getByRole('button', { name: 'Save fire playbook' }));
    await waitFor(() => expect(within(fire).getByRole('status').textContent).toContain('The fire playbook is saved.'));
    expect(puts()[2]).toEqual(['/security/playbooks/fire', { steps: ['unlock_doors', 'notify_contacts'] }]);
  });

  it('says so when e-mailing the emergency contacts is ticked and the home has none, with a link to add them', async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [] })];
    setup();
    const fire = await card('fire');
    const breakIn = await card('break_in');
    // Fire e-mails them by default.
    const notice = await within(fire).findByTestId('no-contacts');
    expect(notice.textContent).toContain('This home has no emergency contacts yet');
    expect(within(notice).getByRole('link', { name: 'Add emergency contacts' }).getAttribute('href')).toBe('/home/contacts');
    expect(within(breakIn).queryByTestId('no-contacts')).toBeNull();
    fireEvent.click(box(breakIn, 'E-mail the emergency contacts'));
    expect(within(breakIn).getByTestId('no-contacts')).toBeTruthy();
    fireEvent.click(box(fire, 'E-mail the emergency contacts'));
    expect(within(fire).queryByTestId('no-contacts')).toBeNull();
    expect(screen.getAllByTestId('no-contacts')).toHaveLength(1);
  });

  it('shows a loading failure with a way to try again', async () => {
    answers['GET /security/playbooks'] = [json(503, errBody('SERVICE_UNAVAILABLE', 'The store is unavailable')), json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    setup();
    await screen.findByText('The store is unavailable');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await card('fire');
    expect(screen.queryByText('The store is unavailable')).toBeNull();
  });

  it('an admin has no home of their own: nothing is asked', async () => {
    signIn({ id: 'a1', email: 'admin@demo.com', name: 'Admin User', role: 'admin' });
    setup();
    await screen.findByText('Each household chooses its own playbooks, signed in as themselves.');
    expect(calls).toEqual([]);
  });
});

describe('wellness check', () => {
  const section = () => screen.findByTestId('wellness');
  const field = (label: string) => within(screen.getByTestId('wellness')).getByLabelText(label) as HTMLInputElement;
  const onSwitch = () => within(screen.getByTestId('wellness')).getByRole('switch', { name: 'Wellness check' }) as HTMLInputElement;
  const save = () => fireEvent.click(within(screen.getByTestId('wellness')).getByRole('button', { name: 'Save wellness check' }));
  const wellnessPuts = () => puts().filter(([url]) => url === '/security/wellness');

  it('loads the check: on since when, its hours and waking hours, and what happens in one sentence', async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['GET /security/wellness'] = [json(200, wellness({ enabled: true, hours: 6, awake_from: '08:30', awake_until: '01:00', since: '2026-12-01T09:00:00Z' }))];
    setup();
    const w = await section();
    expect(within(w).getByRole('heading', { level: 2 }).textContent).toContain('Wellness check');
    await waitFor(() => expect(onSwitch().checked).toBe(true));
    expect(field('Ask after this many hours without activity').value).toBe('6');
    expect(field('Awake from').value).toBe('08:30');
    expect(field('Awake until').value).toBe('01:00');
    expect(w.textContent).toContain(
      'HomeGuard asks the household whether all is well, and e-mails the emergency contacts when nobody acknowledges within 15 min.',
    );
    const state = within(w).getByTestId('wellness-state');
    expect(state.textContent).toMatch(/^\W*On since /);
    expect(state.querySelector('time')!.getAttribute('datetime')).toBe('2026-12-01T09:00:00Z');
    // Ana is an emergency contact: nothing to warn of.
    expect(within(w).queryByTestId('wellness-no-contacts')).toBeNull();
    expect(wellnessPuts()).toEqual([]);
  });

  it('turns it on with 6 hours and saves exactly its four fields; says so; the switch says when it is not saved yet', async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['PUT /security/wellness'] = [
      json(200, wellness({ enabled: true, hours: 6, since: new Date().toISOString() })),
      json(200, wellness({ enabled: false, hours: 6, since: new Date().toISOString() })),
    ];
    setup();
    await section();
    await waitFor(() => expect(onSwitch().checked).toBe(false));
    expect(within(screen.getByTestId('wellness')).getByTestId('wellness-state').textContent).toContain('Off');
    fireEvent.click(onSwitch());
    expect(onSwitch().checked).toBe(true);
    expect(screen.getByTestId('wellness-unsaved').textContent).toBe('Not saved yet: save to turn it on.');
    fireEvent.change(field('Ask after this many hours without activity'), { target: { value: '6' } });
    save();
    const w = screen.getByTestId('wellness');
    await waitFor(() => expect(within(w).getByRole('status').textContent).toContain('The wellness check is on: after 6 h without activity, from 07:00 to 22:00.'));
    expect(wellnessPuts()).toEqual([['/security/wellness', { enabled: true, hours: 6, awake_from: '07:00', awake_until: '22:00' }]]);
    expect(within(w).getByTestId('wellness-state').textContent).toMatch(/On since .*just now/);
    expect(screen.getByTestId('wellness-unsaved').textContent).toBe('');
    // The playbooks are not saved with it.
    expect(puts().filter(([url]) => String(url).startsWith('/security/playbooks'))).toEqual([]);

    // And off again.
    fireEvent.click(onSwitch());
    expect(screen.getByTestId('wellness-unsaved').textContent).toBe('Not saved yet: save to turn it off.');
    save();
    await waitFor(() => expect(within(w).getByRole('status').textContent).toContain('The wellness check is off.'));
    expect(wellnessPuts()[1]).toEqual(['/security/wellness', { enabled: false, hours: 6, awake_from: '07:00', awake_until: '22:00' }]);
    expect(onSwitch().checked).toBe(false);
    expect(within(w).getByTestId('wellness-state').textContent).toContain('Off');
  });

  it("shows the server's field error next to the field it names, and refuses hours out of range before asking", async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['PUT /security/wellness'] = [
      json(400, errBody('VALIDATION_ERROR', 'awake_until: must differ from awake_from', { field: 'awake_until', reason: 'must differ from awake_from' })),
      json(400, errBody('VALIDATION_ERROR', 'hours: must be from 1 to 24', { field: 'hours', reason: 'must be from 1 to 24' })),
    ];
    setup();
    await section();
    const w = screen.getByTestId('wellness');
    await waitFor(() => expect(field('Awake until').value).toBe('22:00'));
    fireEvent.click(onSwitch());
    fireEvent.change(field('Awake until'), { target: { value: '07:00' } });
    save();
    const err = await within(w).findByTestId('field-error');
    expect(err.textContent).toContain('must differ from awake_from');
    const until = field('Awake until');
    expect(until.closest('.field')!.contains(err)).toBe(true);
    expect(until.getAttribute('aria-invalid')).toBe('true');
    expect(until.getAttribute('aria-describedby')).toContain(err.id);
    expect(field('Awake from').getAttribute('aria-invalid')).toBeNull();
    expect(within(w).getByRole('alert').textContent).toContain('awake_until: must differ from awake_from');
    expect(wellnessPuts()).toEqual([['/security/wellness', { enabled: true, hours: 5, awake_from: '07:00', awake_until: '07:00' }]]);
    // Still off: nothing was saved.
    expect(within(w).getByTestId('wellness-state').textContent).toContain('Off');

    // 25 hours: refused here, by its field, without asking.
    fireEvent.change(field('Awake until'), { target: { value: '22:00' } });
    const hours = field('Ask after this many hours without activity');
    fireEvent.change(hours, { target: { value: '25' } });
    save();
    await waitFor(() => expect(hours.getAttribute('aria-invalid')).toBe('true'));
    expect(hours.closest('.field')!.querySelector('[data-testid=field-error]')!.textContent).toContain('must be a whole number from 1 to 24');
    expect(until.getAttribute('aria-invalid')).toBeNull();
    expect(wellnessPuts()).toHaveLength(1);

    // The server's own hours error goes by the same field.
    fireEvent.change(hours, { target: { value: '3' } });
    save();
    await waitFor(() => expect(wellnessPuts()).toHaveLength(2));
    await waitFor(() => expect(hours.closest('.field')!.querySelector('[data-testid=field-error]')!.textContent).toContain('must be from 1 to 24'));
  });

  it('hints to add emergency contacts when it is on and the home has none', async () => {
    answers['GET /security/playbooks'] = [json(200, view([], []))];
    answers['GET /home/contacts'] = [json(200, { contacts: [] })];
    setup();
    await section();
    await waitFor(() => expect(onSwitch().checked).toBe(false));
    expect(screen.queryByTestId('wellness-no-contacts')).toBeNull();
    fireEvent.click(onSwitch());
    const hint = await screen.findByTestId('wellness-no-contacts');
    expect(hint.textContent).toContain('no emergency contacts yet');
    expect(within(hint).getByRole('link', { name: 'Add emergency contacts' }).getAttribute('href')).toBe('/home/contacts');
    // The playbooks' own notice is for their e-mail step (none ticked here).
    expect(screen.queryByTestId('no-contacts')).toBeNull();
  });

  it('shows its own loading failure with a way to try again, the playbooks unaffected', async () => {
    answers['GET /security/playbooks'] = [json(200, view())];
    answers['GET /home/contacts'] = [json(200, { contacts: [CONTACT] })];
    answers['GET /security/wellness'] = [json(503, errBody('SERVICE_UNAVAILABLE', 'The store is unavailable')), json(200, wellness({ enabled: true, since: '2026-12-01T09:00:00Z' }))];
    setup();
    const w = await section();
    await within(w).findByText('The store is unavailable');
    await card('fire');
    fireEvent.click(within(w).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(onSwitch().checked).toBe(true));
    expect(within(w).queryByText('The store is unavailable')).toBeNull();
  });
});
