// What the incident and decision screens share (loaded with them only).
import { useEffect, useRef } from 'react';
import { Icon } from '../components/Icon';
import { useLoad } from '../hooks';
import type { Look } from '../incidentText';
import { useApi, useSession } from '../session';
import { useStream } from '../stream';

/** A state as a chip: its words and icon, the colour only besides. */
export function Chip({ look, testId, data }: { look: Look; testId?: string; data?: string }) {
  return (
    <span className={`chip chip-${look.tone}`} data-testid={testId} data-value={data}>
      <Icon name={look.icon} /> {look.label}
    </span>
  );
}

/** For an admin (who reads every home's), the name of a home's owner; nothing for a member. */
export function useHomeNames(): (userId: string) => string | undefined {
  const api = useApi();
  const { user } = useSession();
  const admin = user?.role === 'admin';
  const users = useLoad(() => (admin ? api.users().then((r) => r.users) : Promise.resolve([])), [admin]);
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  return (id) => (admin ? (names.get(id) ?? `Home ${id.slice(0, 8)}`) : undefined);
}

/**
 * Calls `refresh` on every alarm change from the live stream (and after a reconnect), and once more a
 * moment later: an alarm's news comes before what the security response records of it.
 */
export function useRefreshOnAlarm(refresh: () => void, settleMs = 1500) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useStream((m) => {
    if (m.type !== 'alarm' && m.type !== 'resync') return;
    refresh();
    clearTimeout(timer.current);
    timer.current = setTimeout(refresh, settleMs);
  });
}
