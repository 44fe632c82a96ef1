import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AlarmHistoryEntry, AlarmView, AppNotification, HomeEvent, JsonObject } from './api';
import { useSession } from './session';

export type StreamMessage =
  | { type: 'event'; event: HomeEvent; caughtUp?: boolean }
  | { type: 'state'; device_id: string; state: JsonObject; online: boolean; timestamp: string }
  /** The home's alarm changed: its whole view, and the history entries the change added. */
  | { type: 'alarm'; alarm: AlarmView; entries: AlarmHistoryEntry[] }
  /** A new notification for the signed-in user. */
  | { type: 'notification'; notification: AppNotification }
  /** How one of them is delivered changed (e-mail delivered or failed, held ones released): it as it now is. */
  | { type: 'notification_updated'; notification: AppNotification }
  /** Reconnected after a gap: refetch anything derived from state. */
  | { type: 'resync' };

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

type Listener = (m: StreamMessage) => void;

interface StreamValue {
  status: StreamStatus;
  subscribe: (l: Listener) => () => void;
}

const Ctx = createContext<StreamValue | null>(null);

/** Back-off for the n-th reconnect attempt (ms): 0.5 s, 1 s, 2 s ... 30 s, with jitter. */
export function backoff(attempt: number): number {
  const base = Math.min(30000, 500 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The channels always asked for, and those a host may not have (dropped when it refuses them). */
const BASE_CHANNELS = ['events', 'devices'];

/** The channel a refusal names ("channels: unknown channel 'alarm' (...)"), if any. */
export function refusedChannel(message: unknown): string | undefined {
  return typeof message === 'string' ? /unknown channel '([^']+)'/.exec(message)?.[1] : undefined;
}

/** One live connection to GET /events/stream for the signed-in user: events, device state, the alarm, notifications. */
export function StreamProvider({ children }: { children: ReactNode }) {
  const { token, user, api, signOut } = useSession();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const listeners = useRef(new Set<Listener>());
  const [value] = useState<StreamValue>(() => ({
    status: 'connecting',
    subscribe: (l: Listener) => {
      listeners.current.add(l);
      return () => listeners.current.delete(l);
    },
  }));

  useEffect(() => {
    if (!token) return;
    let ws: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastSeen: string | null = null; // newest event timestamp seen
    const seen: string[] = [];
    const seenSet = new Set<string>();
    let everConnected = false;
    // A household member hears their home's alarm; an admin watches every home's devices instead.
    // Everyone hears their own notifications. A host without one of these channels refuses the
    // whole subscription: ask again without the one it names (without all of them if it names none).
    let optional = user?.role !== 'admin' ? ['alarm', 'notifications'] : ['notifications'];
    let subscribed = false;
    const subscribe = () => ws?.send(JSON.stringify({ action: 'subscribe', channels: [...BASE_CHANNELS, ...optional] }));

    const emit = (m: StreamMessage) => {
      for (const l of listeners.current) {
        try {
          l(m);
        } catch (e) {
          console.error(e);
        }
      }
    };
    const emitEvent = (event: HomeEvent, caughtUp = false) => {
      if (seenSet.has(event.event_id)) return;
      seenSet.add(event.event_id);
      seen.push(event.event_id);
      if (seen.length > 2000) seenSet.delete(seen.shift()!);
      if (!lastSeen || event.timestamp > lastSeen) lastSeen = event.timestamp;
      emit({ type: 'event', event, caughtUp });
    };

    const catchUp = async () => {
      const from = lastSeen;
      emit({ type: 'resync' });
      if (!from) return;
      try {
        const page = await api.events({ from, limit: 500 });
        for (const e of [...page.events].reverse()) emitEvent(e, true);
      } catch {
        /* the next reconnect tries again */
      }
    };

    const connect = () => {
      if (stopped) return;
      setStatus(everConnected ? 'reconnecting' : 'connecting');
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      ws = new WebSocket(`${proto}//${location.host}/events/stream?token=${encodeURIComponent(token)}`);
      ws.onmessage = (ev) => {
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(String(ev.data)) as Record<string, unknown>;
        } catch {
          return;
        }
        if (m.type === 'connected') {
          subscribed = false;
          subscribe();
        } else if (m.type === 'error' && !subscribed && optional.length) {
          const refused = refusedChannel(m.message);
          optional = refused && optional.includes(refused) ? optional.filter((c) => c !== refused) : [];
          subscribe();
        } else if (m.type === 'subscribed') {
          subscribed = true;
          attempt = 0;
          setStatus('live');
          if (everConnected) void catchUp();
          everConnected = true;
        } else if (m.type === 'device_event') {
          emitEvent({
            event_id: String(m.event_id),
            device_id: String(m.device_id),
            user_id: String(m.user_id),
            event_type: String(m.event_type),
            timestamp: String(m.timestamp),
            payload: (m.data ?? {}) as JsonObject,
            metadata: (m.metadata ?? {}) as JsonObject,
          });
        } else if (m.type === 'device_state') {
          emit({
            type: 'state',
            device_id: String(m.device_id),
            state: (m.state ?? {}) as JsonObject,
            online: m.online === true,
            timestamp: String(m.timestamp),
          });
        } else if (m.type === 'alarm' && m.alarm && typeof m.alarm === 'object') {
          emit({
            type: 'alarm',
            alarm: m.alarm as AlarmView,
            entries: Array.isArray(m.entries) ? (m.entries as AlarmHistoryEntry[]) : [],
          });
        } else if (m.type === 'notification' && m.notification && typeof m.notification === 'object') {
          emit({ type: 'notification', notification: m.notification as AppNotification });
        } else if (m.type === 'notification_updated' && m.notification && typeof m.notification === 'object') {
          emit({ type: 'notification_updated', notification: m.notification as AppNotification });
        }
      };
      ws.onclose = (ev) => {
        ws = null;
        if (stopped) return;
        if (ev.code === 1008) {
          void signOut('Your session ended. Please log in again.');
          return;
        }
        setStatus('reconnecting');
        timer = setTimeout(connect, backoff(attempt++));
      };
      ws.onerror = () => {
        /* onclose follows and reconnects */
      };
    };
    // Catch-up baseline: events after the moment we started listening.
    lastSeen = new Date().toISOString();
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (ws) {
        ws.onclose = null;
        ws.onmessage = null;
        ws.close(1000);
      }
    };
  }, [token, user?.role, api, signOut]);

  const v = useRef(value);
  v.current = { ...value, status };
  return <Ctx.Provider value={v.current}>{children}</Ctx.Provider>;
}

/** Calls `handler` for every live message (the latest handler, without resubscribing). */
export function useStream(handler: Listener): StreamStatus {
  const ctx = useContext(Ctx);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!ctx) return;
    return ctx.subscribe((m) => ref.current(m));
  }, [ctx?.subscribe]); // eslint-disable-line react-hooks/exhaustive-deps
  return ctx?.status ?? 'offline';
}
