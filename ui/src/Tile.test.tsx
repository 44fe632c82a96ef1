import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRouter } from 'react-router';
import type { Device } from './api';
import { DeviceTile } from './components/ui';
import { systemStatus } from './pages/Dashboard';

afterEach(cleanup);

const base: Device = {
  device_id: 'd1',
  user_id: 'u1',
  name: 'Front Door Lock',
  type: 'lock',
  model: 'Yale',
  firmware_version: '1.2.3',
  location: { zone: 'Front Entrance', floor: 1 },
  config: {},
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  state: { state: 'locked', locked: true, battery: 15 },
  online: false,
  last_heartbeat: new Date(Date.now() - 120_000).toISOString(),
};

describe('device tile', () => {
  it('shows name, zone, state in words, low battery and last seen', () => {
    render(
      <MemoryRouter>
        <ul>
          <DeviceTile device={base} />
        </ul>
      </MemoryRouter>,
    );
    expect(screen.getByText('Front Door Lock')).toBeTruthy();
    expect(screen.getByTestId('tile-state').textContent).toContain('Locked');
    expect(screen.getByText(/Battery 15% \(low\)/)).toBeTruthy();
    expect(screen.getByText('Offline')).toBeTruthy();
    expect(screen.getByText(/Last seen 2 min ago/)).toBeTruthy();
    expect(screen.getByRole('link').getAttribute('href')).toBe('/devices/d1');
  });
  it('thermostat shows temperature and set point', () => {
    render(
      <MemoryRouter>
        <ul>
          <DeviceTile device={{ ...base, type: 'thermostat', online: true, state: { temperature: 68.5, target_temperature: 70, mode: 'heat' } }} />
        </ul>
      </MemoryRouter>,
    );
    expect(screen.getByTestId('tile-state').textContent).toContain('68.5°F');
    expect(screen.getByText(/Set to 70°F/)).toBeTruthy();
    expect(screen.getByText('Online')).toBeTruthy();
  });
});

describe('system status line', () => {
  it('counts offline devices, low batteries and readiness', () => {
    const s = systemStatus([base, { ...base, device_id: 'd2', online: true, state: { state: 'locked', battery: 90 } }], {
      status: 'ready',
      checks: {},
    });
    expect(s.text).toBe('1 of 2 devices offline · 1 low battery · Platform ready');
    expect(s.tone).toBe('warn');
  });
  it('names alarms first', () => {
    const s = systemStatus([{ ...base, type: 'smoke', name: 'Kitchen Smoke', online: true, state: { state: 'alarm', alarm: 'smoke_detected' } }], undefined);
    expect(s.text.startsWith('1 alarm: Kitchen Smoke')).toBe(true);
    expect(s.tone).toBe('alert');
  });
});
