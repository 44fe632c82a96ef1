import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError, type AppNotification, type DeliveryStatus, type NotificationDelivery, type Severity } from './api';
import { Icon, type IconName } from './components/Icon';
import { Empty, ErrorNote, Loading } from './components/ui';
import { exactTime, humanize, relativeTime } from './format';
import { newestFirst, useNow, usePaged } from './hooks';
import { useApi } from './session';
import { useStream } from './stream';

interface NotificationsValue {
  /** Newest first. */
  items: AppNotification[];
  unread: number;
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadingMore: boolean;
  /** The newest that came live (for announcing it). */
  latest: AppNotification | null;
  markRead: (id: string) => Promise<void>;
  loadMore: () => Promise<void>;
  reload: () => void;
}

const Ctx = createContext<NotificationsValue | null>(null);

const byNewest = newestFirst((x: AppNotification) => x.created_at);

/** The signed-in user's notifications (GET /notifications), kept current from the live stream. */
export function NotificationsProvider({ children, pageSize = 20 }: { children: ReactNode; pageSize?: number }) {
  const api = useApi();
  const [unread, setUnread] = useState(0);
  const [latest, setLatest] = useState<AppNotification | null>(null);
  // Those listed, known at once (a live one sent twice counts once).
  const known = useRef(new Set<string>());
  const list = usePaged({
    key: String(pageSize),
    fetchPage: (before) => api.notifications({ limit: pageSize, before }),
    rows: (p) => p.notifications,
    id: (x) => x.id,
    time: (x) => x.created_at,
    serverOrder: true,
    onPage: (p, first) => {
      if (first) known.current = new Set(p.notifications.map((x) => x.id));
      else for (const x of p.notifications) known.current.add(x.id);
      setUnread(p.unread);
    },
  });
  const { items, set: setItems, next, loading, loadingMore, error, reload, loadOlder: loadMore } = list;

  useStream((m) => {
    if (m.type === 'notification') {
      const x = m.notification;
      if (known.current.has(x.id)) return;
      known.current.add(x.id);
      setItems((old) => [x, ...old].sort(byNewest));
      if (!x.read_at) setUnread((u) => u + 1);
      setLatest(x);
    } else if (m.type === 'notification_updated') {
      // Only how it is delivered: never its read state, nor a new one (one not listed is left to its page).
      const x = m.notification;
      if (!known.current.has(x.id)) return;
      setItems((old) =>
        old.map((y) =>
          y.id === x.id
            ? {
                ...y,
                deliveries: Array.isArray(x.deliveries) ? x.deliveries : y.deliveries,
                next_delivery_at: 'next_delivery_at' in x ? (x.next_delivery_at ?? null) : y.next_delivery_at,
              }
            : y,
        ),
      );
    } else if (m.type === 'resync') {
      reload();
    }
  });

  const itemsRef = useRef(items);
  itemsRef.current = items;
  const markRead = useCallback(
    async (id: string) => {
      try {
        await api.markNotificationRead(id);
      } catch (e) {
        // Already gone: nothing to mark.
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
      // One less unread when it was unread on screen (never below none).
      const was = itemsRef.current.some((x) => x.id === id && !x.read_at);
      const at = new Date().toISOString();
      setItems((old) => old.map((x) => (x.id === id && !x.read_at ? { ...x, read_at: at } : x)));
      if (was) setUnread((u) => Math.max(0, u - 1));
    },
    [api],
  );

  const value = useMemo<NotificationsValue>(
    () => ({ items, unread, loading, error, hasMore: !!next, loadingMore, latest, markRead, loadMore, reload }),
    [items, unread, loading, error, next, loadingMore, latest, markRead, loadMore, reload],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useNotifications(): NotificationsValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useNotifications outside NotificationsProvider');
  return v;
}

const SEVERITY: Record<Severity, { text: string; icon: IconName; tone: string }> = {
  low: { text: 'Low priority', icon: 'bell', tone: 'info' },
  normal: { text: 'Normal', icon: 'bell', tone: 'info' },
  high: { text: 'High priority', icon: 'alert', tone: 'warn' },
  critical: { text: 'Critical', icon: 'alert', tone: 'alert' },
};
export const severityText = (s: Severity | string) => SEVERITY[s as Severity]?.text ?? s;

/** "Notifications, 3 unread". */
export const bellLabel = (unread: number) => `Notifications, ${unread} unread`;

const CHANNEL_LABEL: Record<string, string> = { in_app: 'In app', push: 'Push', email: 'E-mail', webhook: 'Webhook' };
const channelLabel = (c: string) => CHANNEL_LABEL[c] ?? humanize(c);
const attempts = (n: number) => (n > 0 ? ` (${n} attempt${n === 1 ? '' : 's'})` : '');
const why = (detail: string) => (detail.trim() ? ` — ${detail.trim()}` : '');

/**
 * One channel's delivery in words: "E-mail: held until 07:00 (quiet hours)", "Webhook: delivered",
 * "E-mail: failed — <why> (3 attempts)", "Webhook: skipped — <why>", "E-mail: sending".
 */
export function deliveryText(d: NotificationDelivery): string {
  const ch = channelLabel(d.channel);
  switch (d.status) {
    case 'delivered':
      return `${ch}: delivered${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}`;
    case 'held': {
      const until = /until (\d{1,2}:\d\d)/.exec(d.detail)?.[1];
      if (!until) return `${ch}: held${why(d.detail)}`;
      return `${ch}: held until ${until}${/quiet hours/i.test(d.detail) ? ' (quiet hours)' : ''}`;
    }
    case 'failed':
      return `${ch}: failed${why(d.detail)}${attempts(d.attempts)}`;
    case 'skipped':
      return `${ch}: skipped${why(d.detail)}`;
    default:
      return `${ch}: ${d.attempts > 0 ? 'retrying' : 'sending'}${why(d.detail)}${attempts(d.attempts)}`;
  }
}

const DELIVERY_LOOK: Record<DeliveryStatus, { icon: IconName; tone: string }> = {
  delivered: { icon: 'check', tone: 'ok' },
  held: { icon: 'pause', tone: 'info' },
  pending: { icon: 'timer', tone: 'plain' },
  failed: { icon: 'cross', tone: 'alert' },
  skipped: { icon: 'idle', tone: 'off' },
};

/** A notification's deliveries besides the app's own (implicit: it is what is shown), one chip each. */
export function Deliveries({ n }: { n: AppNotification }) {
  const shown = n.deliveries.filter((d) => d.channel !== 'in_app' || d.status === 'failed');
  if (!shown.length) return null;
  return (
    <span className="deliveries" data-testid="deliveries">
      {shown.map((d, i) => {
        const look = DELIVERY_LOOK[d.status] ?? DELIVERY_LOOK.pending;
        return (
          <span key={`${d.channel}-${i}`} className={`chip chip-${look.tone}`} data-channel={d.channel} data-status={d.status} data-testid="delivery">
            <Icon name={look.icon} /> {deliveryText(d)}
          </span>
        );
      })}
    </span>
  );
}

function Body({ n, now, deliveries }: { n: AppNotification; now: number; deliveries: boolean }) {
  const s = SEVERITY[n.severity] ?? SEVERITY.normal;
  return (
    <>
      <span className="notif-head">
        <span className={`badge badge-${s.tone}`} data-testid="notification-severity">
          <Icon name={s.icon} /> {s.text}
        </span>
        <strong className="notif-title">{n.title}</strong>
      </span>
      <span className="notif-body">{n.body}</span>
      <span className="notif-meta">
        <time dateTime={n.created_at} title={exactTime(n.created_at)}>
          {relativeTime(n.created_at, now)}
        </time>
        {' · '}
        {n.read_at ? 'Read' : <strong>Unread, select to mark as read</strong>}
      </span>
      {deliveries && <Deliveries n={n} />}
    </>
  );
}

/** Notifications, newest first: an unread one is a button that marks it read. */
export function NotificationList({
  items,
  label,
  onRead,
  testId = 'notifications',
  deliveries = false,
}: {
  items: AppNotification[];
  label: string;
  onRead: (id: string) => Promise<void>;
  testId?: string;
  /** Show how each channel delivered them (the notifications screen; the bell keeps to the gist). */
  deliveries?: boolean;
}) {
  // Re-rendered every 30 s, and whenever a notification comes: the time of this render, never a stale tick.
  useNow();
  const now = Date.now();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  async function read(id: string) {
    setError(null);
    setBusy(id);
    try {
      await onRead(id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }
  return (
    <>
      <ErrorNote error={error} />
      <ul className="notifs" aria-label={label} data-testid={testId}>
        {items.map((n) => (
          <li key={n.id} className={`notif notif-${n.severity}${n.read_at ? '' : ' notif-unread'}`} data-id={n.id}>
            {n.read_at ? (
              <div className="notif-box">
                <Body n={n} now={now} deliveries={deliveries} />
              </div>
            ) : (
              <button type="button" className="notif-box notif-btn" disabled={busy === n.id} onClick={() => void read(n.id)}>
                <Body n={n} now={now} deliveries={deliveries} />
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The header's bell: the unread count in words, opening the latest notifications. */
export function Bell() {
  const nf = useNotifications();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!open) return;
    heading.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);

  const shown = nf.items.slice(0, 8);
  return (
    <div className="bell" ref={box}>
      <button
        ref={button}
        type="button"
        className="btn btn-small bell-btn"
        aria-expanded={open}
        aria-controls="notif-pop"
        onClick={() => setOpen((o) => !o)}
        aria-label={bellLabel(nf.unread)}
        data-testid="bell"
      >
        <Icon name="bell" />
        <span className={nf.unread ? 'bell-count bell-count-on' : 'bell-count'}>{nf.unread}</span>
      </button>
      <span className="sr-only" role="status" aria-live="polite">
        {nf.latest ? `New notification: ${nf.latest.title}. ${nf.latest.body}` : ''}
      </span>
      <div id="notif-pop" className="bell-pop" role="region" aria-labelledby="notif-pop-h" hidden={!open}>
        <h2 id="notif-pop-h" tabIndex={-1} ref={heading}>
          Notifications <span className="muted small">({nf.unread} unread)</span>
        </h2>
        {nf.loading && !nf.items.length && <Loading what="notifications" />}
        <ErrorNote error={nf.error} onRetry={nf.reload} />
        {!nf.loading && !nf.error && !nf.items.length && <Empty>No notifications yet.</Empty>}
        <NotificationList items={shown} label="Latest notifications" onRead={nf.markRead} testId="bell-list" />
        <p className="bell-foot">
          <Link to="/notifications" onClick={() => setOpen(false)}>
            All notifications
          </Link>
        </p>
      </div>
    </div>
  );
}
