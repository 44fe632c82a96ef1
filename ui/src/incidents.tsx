import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError, type IncidentSummary } from './api';
import { Icon } from './components/Icon';
import { ErrorNote, RelTime } from './components/ui';
import { isWellness, kindLook, statusLook } from './incidentText';
import { useApi, useSession } from './session';
import { useStream } from './stream';

/** How often the active incidents are fetched again besides the live stream's alarm news. */
export const REFRESH_MS = 15000;
/** An alarm's news comes before the incident it opens is stored: asked again this much later. */
const SETTLE_MS = 1500;

interface ActiveIncidents {
  /** Open or acknowledged incidents whose alarm goes on (`ended_at` null), newest first. */
  items: IncidentSummary[];
  reload: () => void;
  acknowledge: (id: string) => Promise<IncidentSummary>;
}

const NONE: ActiveIncidents = { items: [], reload: () => {}, acknowledge: () => Promise.reject(new Error('no incidents here')) };
const Ctx = createContext<ActiveIncidents>(NONE);

const byNewest = (a: IncidentSummary, b: IncidentSummary) => (a.opened_at < b.opened_at ? 1 : a.opened_at > b.opened_at ? -1 : 0);
export const isActive = (i: IncidentSummary) => (i.status === 'open' || i.status === 'acknowledged') && !i.ended_at;

/**
 * A household member's active incidents (GET /incidents?status=open and ?status=acknowledged), fetched
 * again on every alarm change from the live stream and every 15 s. An admin watches no home of their own: none.
 */
export function ActiveIncidentsProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { user } = useSession();
  const member = !!user && user.role !== 'admin';
  const [items, setItems] = useState<IncidentSummary[]>([]);
  const [n, setN] = useState(0);
  const reload = useCallback(() => setN((x) => x + 1), []);
  const gen = useRef(0);

  useEffect(() => {
    if (!member) {
      setItems([]);
      return;
    }
    const mine = ++gen.current;
    Promise.all([api.incidents({ status: 'open', limit: 20 }), api.incidents({ status: 'acknowledged', limit: 20 })])
      .then(([open, acked]) => {
        if (gen.current !== mine) return;
        const seen = new Set<string>();
        const all = [...open.incidents, ...acked.incidents].filter((i) => !seen.has(i.id) && !!seen.add(i.id));
        setItems(all.filter(isActive).sort(byNewest));
      })
      .catch((e: unknown) => {
        // Kept as they were: the next refresh tries again (a lost session goes to the login).
        if (e instanceof ApiError && e.isAuth) return;
      });
  }, [api, member, n]);

  useEffect(() => {
    if (!member) return;
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [member, reload]);

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(settle.current), []);
  useStream((m) => {
    if (!member || (m.type !== 'alarm' && m.type !== 'resync')) return;
    reload();
    clearTimeout(settle.current);
    settle.current = setTimeout(reload, SETTLE_MS);
  });

  const acknowledge = useCallback(
    async (id: string) => {
      const s = await api.acknowledgeIncident(id);
      setItems((old) => old.map((i) => (i.id === id ? s : i)).filter(isActive));
      reload();
      return s;
    },
    [api, reload],
  );

  const value = useMemo(() => ({ items, reload, acknowledge }), [items, reload, acknowledge]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** The active incidents; outside the provider, none (and reload does nothing). */
export function useActiveIncidents(): ActiveIncidents {
  return useContext(Ctx);
}

function BannerItem({ i, onAck }: { i: IncidentSummary; onAck: (id: string) => Promise<unknown> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const kind = kindLook(i.kind);
  const status = statusLook(i.status);
  const open = i.status === 'open';
  // The wellness check asks whether all is well: acknowledging answers it.
  const wellness = isWellness(i.kind);
  const ackWords = wellness ? 'All is well — acknowledge' : 'Acknowledge';
  const page = `/incidents/${encodeURIComponent(i.id)}`;
  const here = useLocation().pathname === page;
  async function ack() {
    setBusy(true);
    setError(null);
    try {
      await onAck(i.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <li className={`incident-banner-item ib-${i.status}`} data-testid="incident-banner-item" data-id={i.id} data-status={i.status}>
      <p className="ib-title" role={open ? 'alert' : undefined}>
        <span className="ib-what">
          <Icon name={kind.icon} /> <strong>{i.title}</strong>
        </span>{' '}
        <span className={`chip chip-${status.tone}`} data-testid="incident-banner-status">
          <Icon name={status.icon} /> {open ? 'Open, not acknowledged' : status.label}
        </span>
      </p>
      <p className="ib-meta">
        <RelTime iso={i.opened_at} prefix="Opened " />
        {i.acknowledged_by && <> · Acknowledged by {i.acknowledged_by}</>}
      </p>
      {wellness && open && (
        <p className="ib-ask" data-testid="incident-banner-ask">
          Nothing has moved at home for a while: is everyone all right? If all is well, acknowledge it; when nobody does,
          HomeGuard tells the emergency contacts.
        </p>
      )}
      <div className="row">
        {open && (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            aria-label={busy ? undefined : wellness ? `${ackWords}: ${i.title}` : `Acknowledge ${i.title}`}
            onClick={() => void ack()}
          >
            {busy ? 'Acknowledging…' : ackWords}
          </button>
        )}
        {!here && (
          <Link className="btn btn-link" to={page}>
            View incident<span className="sr-only">: {i.title}</span>
          </Link>
        )}
      </div>
      <ErrorNote error={error} />
    </li>
  );
}

/**
 * On every screen while the household has an incident going on: what, since when, acknowledge, and disarm
 * while one of them is an alarm (the wellness check sounds none: there is nothing to disarm).
 */
export function IncidentBanner() {
  const { items, acknowledge } = useActiveIncidents();
  const navigate = useNavigate();
  if (!items.length) return null;
  const alarm = items.some((i) => !isWellness(i.kind));
  return (
    <section className="incident-banner" aria-label="Incidents going on" data-testid="incident-banner">
      <ul className="ib-list">
        {items.map((i) => (
          <BannerItem key={i.id} i={i} onAck={acknowledge} />
        ))}
      </ul>
      {alarm && (
        <button
          type="button"
          className="btn btn-danger ib-disarm"
          onClick={() => navigate('/', { state: { disarm: Date.now() } })}
        >
          <Icon name="shield_off" /> Disarm
        </button>
      )}
    </section>
  );
}
