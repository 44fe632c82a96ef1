import { describe, expect, it } from 'vitest';
import type { Device, DeviceType } from './api';
import { alarmState, clock, describeAlarmEntry, describeEvent, isoToZoned, lastSeen, relativeTime, tileState, zonedToIso } from './format';

const dev = (type: DeviceType, state: Device['state'], name = 'Front Door Lock', zone = 'Front Entrance') =>
  ({ type, state, name, location: { zone, floor: 1 } }) as Pick<Device, 'type' | 'state' | 'name' | 'location'>;

describe('event wording', () => {
  it('names motion by zone and lock changes by device', () => {
    const motion = dev('motion', {}, 'Living Room Motion', 'Living Room');
    expect(describeEvent({ event_type: 'motion_detected', payload: {} }, motion)).toBe('Motion - Living Room');
    const lock = dev('lock', {});
    expect(describeEvent({ event_type: 'unlocked', payload: {} }, lock)).toBe('Front Door Lock unlocked');
    expect(describeEvent({ event_type: 'locked', payload: {} }, lock)).toBe('Front Door Lock locked');
  });
  it('puts numbers from the payload into words', () => {
    const t = dev('thermostat', {}, 'Hallway Thermostat', 'Hallway');
    expect(describeEvent({ event_type: 'temperature_reading', payload: { temperature: 71.46 } }, t)).toBe('Hallway Thermostat: 71.5°F');
    expect(describeEvent({ event_type: 'setpoint_changed', payload: { target_temperature: 72 } }, t)).toBe('Hallway Thermostat set to 72°F');
    expect(describeEvent({ event_type: 'battery_low', payload: { battery: 12 } }, dev('lock', {}))).toBe('Front Door Lock battery low (12%)');
  });
  it('falls back without a device and for unknown types', () => {
    expect(describeEvent({ event_type: 'motion_detected', payload: { zone: 'back_yard' } })).toBe('Motion - back yard');
    expect(describeEvent({ event_type: 'something_new', payload: {} }, dev('lock', {}))).toBe('Front Door Lock: Something new');
  });
});

describe('tile state per device type', () => {
  it('lock', () => {
    expect(tileState(dev('lock', { state: 'locked', locked: true })).label).toBe('Locked');
    expect(tileState(dev('lock', { state: 'unlocked', locked: false }))).toMatchObject({ label: 'Unlocked', tone: 'warn' });
    expect(tileState(dev('lock', { state: 'jammed' })).tone).toBe('alert');
  });
  it('door', () => {
    expect(tileState(dev('door', { state: 'open', open: true })).label).toBe('Open');
    expect(tileState(dev('door', { state: 'closed', open: false })).label).toBe('Closed');
    expect(tileState(dev('door', { state: 'held_open' })).label).toBe('Held open');
  });
  it('motion', () => {
    expect(tileState(dev('motion', { state: 'motion', armed: true }))).toMatchObject({ label: 'Motion', detail: 'Armed' });
    expect(tileState(dev('motion', { state: 'idle', armed: false }))).toMatchObject({ label: 'No motion', detail: 'Disarmed' });
  });
  it('thermostat shows temperature and set point', () => {
    expect(tileState(dev('thermostat', { temperature: 70, target_temperature: 72, mode: 'heat' }))).toMatchObject({
      label: '70°F',
      detail: 'Set to 72°F · Heat',
    });
  });
  it('camera, glass break, smoke', () => {
    expect(tileState(dev('camera', { state: 'recording', recording: true })).label).toBe('Recording');
    expect(tileState(dev('glass_break', { state: 'triggered' })).tone).toBe('alert');
    expect(tileState(dev('smoke', { state: 'alarm', alarm: 'smoke_detected' })).label).toBe('Smoke alarm!');
    expect(tileState(dev('smoke', { state: 'clear' })).label).toBe('Clear');
  });
});

describe('times', () => {
  const now = Date.parse('2026-01-15T14:32:00Z');
  it('relative wording', () => {
    expect(relativeTime('2026-01-15T14:31:50Z', now)).toBe('just now');
    expect(relativeTime('2026-01-15T14:30:00Z', now)).toBe('2 min ago');
    expect(relativeTime('2026-01-15T11:32:00Z', now)).toBe('3 h ago');
    expect(relativeTime(null, now)).toBe('never');
  });
  it('last seen is the newer of heartbeat and last event', () => {
    expect(lastSeen({ last_heartbeat: '2026-01-15T14:00:00Z', state: { last_event_time: '2026-01-15T14:10:00Z' } })).toBe(
      '2026-01-15T14:10:00Z',
    );
    expect(lastSeen({ last_heartbeat: null, state: {} })).toBeNull();
  });
});

describe('alarm wording', () => {
  it('states in words', () => {
    expect(alarmState({ state: 'disarmed', arm_mode: null, alarm: null })).toMatchObject({ label: 'Disarmed', icon: 'shield_off' });
    expect(alarmState({ state: 'arming', arm_mode: 'away', alarm: null }).label).toBe('Arming Away');
    expect(alarmState({ state: 'armed_night', arm_mode: 'night', alarm: null })).toMatchObject({ label: 'Armed Night', tone: 'ok' });
    expect(alarmState({ state: 'pending', arm_mode: 'away', alarm: null }).label).toBe('Entry delay');
    const fire = { kind: 'fire' as const, code: 110, zone: null, at: '', sent: true, abort_until: null };
    expect(alarmState({ state: 'triggered', arm_mode: null, alarm: fire })).toMatchObject({ label: 'Fire alarm!', tone: 'alert' });
  });
  it('history entries', () => {
    const base = { id: 'h', at: '', kind: 'signal' as const, code: 134, from: null, to: null, zone: null, by: null };
    expect(describeAlarmEntry({ ...base, text: 'burglary', zone: { device_id: 'd', name: 'Garage Door' } })).toBe('Burglary - Garage Door');
    expect(describeAlarmEntry({ ...base, kind: 'transition', text: 'disarmed by John', by: 'John', to: 'disarmed' })).toBe('Disarmed by John');
    expect(describeAlarmEntry({ ...base, kind: 'transition', text: '', to: 'armed_away', by: 'Sarah' })).toBe('Armed Away by Sarah');
  });
  it('countdown as m:ss', () => {
    expect(clock(42)).toBe('0:42');
    expect(clock(65)).toBe('1:05');
    expect(clock(-3)).toBe('0:00');
  });
});

describe('home time zone', () => {
  it('wall time in the home to UTC, across DST', () => {
    expect(zonedToIso('2030-01-15T09:00', 'America/New_York')).toBe('2030-01-15T14:00:00.000Z');
    expect(zonedToIso('2030-07-15T09:00', 'America/New_York')).toBe('2030-07-15T13:00:00.000Z');
    expect(zonedToIso('2030-07-15T09:00', 'America/Los_Angeles')).toBe('2030-07-15T16:00:00.000Z');
    expect(zonedToIso('nope', 'America/New_York')).toBeNull();
  });
  it('UTC to wall time in the home', () => {
    expect(isoToZoned('2030-01-15T14:00:00Z', 'America/New_York')).toBe('2030-01-15T09:00');
    expect(isoToZoned('2030-07-15T16:00:00Z', 'America/Los_Angeles')).toBe('2030-07-15T09:00');
  });
});
