import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Decision } from './api';
import { keyFacts, outcomeLook } from './incidentText';
import Decisions from './pages/Decisions';
import { errBody, fakeServer, json, renderApp } from './test-utils';

const facts: Decision['facts'] = {
  arm_state: 'armed_night',
  mode: 'sleep',
  zone_type: 'interior_follower',
  zone_armed: true,
  local_time: '02:00',
  night: true,
  pets: [{ name: 'Milo', kind: 'cat', size: 'small' }],
  cross_zone_seconds: 20,
  guests_expected: [],
};
const decision = (over: Partial<Decision> = {}): Decision => ({
  id: 'd1',
  user_id: 'u1',
  event_id: 'e1',
  event_type: 'motion_detected',
  device_id: 'hall',
  device_name: 'Hallway Motion',
  at: '2026-12-24T07:00:00Z',
  outcome: 'suppress',
  summary: 'Pet activity at Hallway Motion: not an alarm',
  reasons: [
    { code: 'arm_state', text: 'the alarm is armed_night (sleep mode), 02:00 at home' },
    { code: 'pet_registered', text: 'the household has Milo (small cat)' },
    { code: 'night', text: '02:00 at home, night' },
    { code: 'no_breach', text: 'no door, window or glass-break tripped' },
  ],
  facts,
  notify: 'low',
  ...over,
});

const { calls, answers } = fakeServer();
const setup = (path = '/security') => renderApp(<Decisions />, { path });
const rows = () => screen.queryAllByTestId('decision');
const gets = () => calls.filter((c) => c.method === 'GET' && c.url.startsWith('/security/decisions')).map((c) => c.url);

describe('security decisions', () => {
  it('lists time, device, summary and the outcome in words; the reasons and key facts open on demand', async () => {
    answers['GET /security/decisions'] = [
      json(200, {
        decisions: [
          decision(),
          decision({
            id: 'd2',
            at: '2026-12-24T07:00:05Z',
            device_name: 'Back Window Sensor',
            event_type: 'glass_break',
            outcome: 'verified_alarm',
            summary: 'Intrusion verified at Back Window Sensor',
            signal: 139,
            reasons: [{ code: 'arm_state', text: 'the alarm is triggered (away mode), 02:00 at home' }, { code: 'second_zone', text: 'Hallway Motion tripped 5 s ago (inside 20 s)' }],
            facts: { ...facts, arm_state: 'triggered', mode: 'away', breach: { name: 'Back Window Sensor', seconds_ago: 0 }, second_zone: { name: 'Hallway Motion', seconds_ago: 5 } },
          }),
        ],
        next_before: null,
      }),
    ];
    setup();
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['d2', 'd1']);
    const [verified, held] = rows() as [HTMLElement, HTMLElement];
    expect(verified.querySelector('time')!.getAttribute('datetime')).toBe('2026-12-24T07:00:05Z');
    expect(verified.textContent).toContain('Back Window Sensor');
    expect(within(verified).getByTestId('decision-summary').textContent).toBe('Intrusion verified at Back Window Sensor');
    expect(within(verified).getByTestId('decision-outcome').textContent).toContain('Verified alarm');
    expect(within(held).getByTestId('decision-outcome').textContent).toContain('Held back: pet');

    // The reasons, in words, behind a details element (closed at first).
    const details = held.querySelector('details')!;
    expect(details.open).toBe(false);
    const summary = within(held).getByText(/^Why \(4 reasons\)/);
    fireEvent.click(summary);
    expect(within(within(held).getByTestId('reasons')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'The alarm is armed night (sleep mode), 02:00 at home',
      'The household has Milo (small cat)',
      '02:00 at home, night',
      'No door, window or glass-break tripped',
    ]);
    const heldFacts = within(held).getByTestId('decision-facts').textContent!;
    expect(heldFacts).toContain('AlarmArmed Night · Sleep mode');
    expect(heldFacts).toContain('Home time02:00, night');
    expect(heldFacts).toContain('PetsMilo (small cat)');
    expect(heldFacts).not.toContain('Breach');
    const vFacts = within(verified).getByTestId('decision-facts').textContent!;
    expect(vFacts).toContain('AlarmAlarm sounding · Away mode');
    expect(vFacts).toContain('BreachBack Window Sensor, 0 s ago');
    expect(vFacts).toContain('Second zoneHallway Motion, 5 s ago (window 20 s)');
    expect(vFacts).toContain('Contact ID139 Verified burglary');
    expect(gets()).toEqual(['/security/decisions?limit=50']);
  });

  it('filters by outcome (in the URL), pages with next_before ("Show older")', async () => {
    answers['GET /security/decisions'] = [
      json(200, { decisions: [decision({ id: 'a', outcome: 'alarm', summary: 'Alarm: Back Window Sensor' })], next_before: '2026-12-24T07:00:00Z' }),
      json(200, { decisions: [decision({ id: 'old', at: '2026-12-23T07:00:00Z', outcome: 'log', summary: 'Front Door Lock: locked' })], next_before: null }),
      json(200, { decisions: [decision({ id: 't', outcome: 'trouble', summary: 'Trouble: Front Door Lock, its battery is low', signal: 384 })], next_before: null }),
    ];
    setup();
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(rows()[0]!).getByTestId('decision-outcome').textContent).toContain('Alarm');
    fireEvent.click(screen.getByRole('button', { name: 'Show older' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(rows()[1]!).getByTestId('decision-outcome').textContent).toContain('Logged');
    expect(screen.queryByRole('button', { name: 'Show older' })).toBeNull();

    const filter = screen.getByLabelText('Outcome') as HTMLSelectElement;
    expect([...filter.options].map((o) => o.textContent)).toEqual(['All', 'Alarm', 'Verified alarm', 'Held back', 'Trouble', 'Log']);
    fireEvent.change(filter, { target: { value: 'trouble' } });
    await waitFor(() => expect(rows().map((r) => r.getAttribute('data-id'))).toEqual(['t']));
    expect(within(rows()[0]!).getByTestId('decision-outcome').textContent).toContain('Trouble');
    expect(gets()).toEqual([
      '/security/decisions?limit=50',
      `/security/decisions?before=${encodeURIComponent('2026-12-24T07:00:00Z')}&limit=50`,
      '/security/decisions?outcome=trouble&limit=50',
    ]);
  });

  it('an empty filter says so; an error offers to try again', async () => {
    answers['GET /security/decisions'] = [
      json(500, errBody('INTERNAL', 'The decision store is unavailable')),
      json(200, { decisions: [], next_before: null }),
    ];
    setup('/security?outcome=suppress');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The decision store is unavailable');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findByText('No decisions with the outcome held back.');
    expect(gets()).toEqual(['/security/decisions?outcome=suppress&limit=50', '/security/decisions?outcome=suppress&limit=50']);
  });
});

describe('decision words', () => {
  it('words every outcome, a held-back one by why', () => {
    expect(outcomeLook('alarm').label).toBe('Alarm');
    expect(outcomeLook('verified_alarm').label).toBe('Verified alarm');
    expect(outcomeLook('suppress', [{ code: 'pet_registered', text: '' }]).label).toBe('Held back: pet');
    expect(outcomeLook('suppress').label).toBe('Held back');
    expect(outcomeLook('trouble').label).toBe('Trouble');
    expect(outcomeLook('log').label).toBe('Logged');
    expect(keyFacts({ ...facts, pets: [], night: false, local_time: '14:03', arm_state: 'disarmed', mode: 'home' })).toEqual([
      ['Alarm', 'Disarmed · Home mode'],
      ['Home time', '14:03'],
      ['Pets', 'None registered'],
    ]);
  });
});
