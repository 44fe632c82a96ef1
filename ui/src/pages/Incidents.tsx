import { useEffect, useId, useRef } from 'react';
import { Link, Route, Routes, useSearchParams } from 'react-router';
import type { IncidentStatus, IncidentSummary } from '../api';
import { Icon } from '../components/Icon';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { usePaged } from '../hooks';
import { useActiveIncidents } from '../incidents';
import { kindLook, ongoingWords, severityLabel, STATUS_FILTERS, statusLook } from '../incidentText';
import { useApi } from '../session';
import IncidentDetail from './IncidentDetail';
import { Chip, useHomeNames, useRefreshOnAlarm } from './securityParts';

export const PAGE_SIZE = 20;

/** `/incidents` (the list) and `/incidents/:id` (one incident). */
export default function Incidents() {
  return (
    <Routes>
      <Route index element={<IncidentList />} />
      <Route path=":id" element={<IncidentDetail />} />
    </Routes>
  );
}

/** Reloads when the active incidents change (acknowledged from the banner, a new one), not on the first load. */
export function useOnActiveChange(reload: () => void) {
  const { items } = useActiveIncidents();
  const sig = items.map((i) => `${i.id}:${i.status}:${i.acknowledged_by ?? ''}`).join(',');
  const first = useRef(sig);
  useEffect(() => {
    if (sig === first.current) return;
    first.current = sig;
    reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sig]);
}

function IncidentRow({ i, home }: { i: IncidentSummary; home?: string }) {
  const kind = kindLook(i.kind);
  const ongoing = ongoingWords(i.kind);
  return (
    <li className={`incident-row incident-${i.status}`} data-testid="incident" data-id={i.id} data-status={i.status}>
      <div className="ir-main">
        <h3 className="ir-title">
          <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link>
        </h3>
        <p className="ir-meta">
          <span data-testid="incident-kind">
            <Icon name={kind.icon} /> {kind.label}
          </span>
          {' · '}
          {severityLabel(i.severity)}
          {' · '}
          {i.events === 1 ? '1 entry' : `${i.events} entries`}
          {(i.status === 'open' || i.status === 'acknowledged') && (
            <>
              {' · '}
              <span data-testid="incident-alarm">{i.ended_at ? ongoing.ended : <strong>{ongoing.going}</strong>}</span>
            </>
          )}
          {home && (
            <>
              {' · '}
              <span className="sr-only">Home: </span>
              {home}
            </>
          )}
        </p>
      </div>
      <div className="ir-side">
        <Chip look={statusLook(i.status)} testId="incident-status" data={i.status} />
        <span className="small">
          <RelTime iso={i.opened_at} prefix="Opened " />
        </span>
        <span className="small muted" data-testid="incident-ack">
          {i.acknowledged_by ? `Acknowledged by ${i.acknowledged_by}` : i.status === 'open' ? 'Not acknowledged yet' : 'Not acknowledged'}
        </span>
      </div>
    </li>
  );
}

/** Every incident of the home (an admin: of every home), newest first, by status, older ones on demand. */
function IncidentList() {
  const api = useApi();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const raw = params.get('status') ?? '';
  const status = (STATUS_FILTERS.some(([v]) => v === raw) ? raw : '') as IncidentStatus | '';
  const homeOf = useHomeNames();
  const list = usePaged({
    key: status,
    fetchPage: (before) => api.incidents({ status: status || undefined, before, limit: PAGE_SIZE }),
    rows: (p) => p.incidents,
    id: (i) => i.id,
    time: (i) => i.opened_at,
  });
  useRefreshOnAlarm(list.reload);
  useOnActiveChange(list.reload);

  const filterWords = STATUS_FILTERS.find(([v]) => v === status)?.[1] ?? 'All';
  return (
    <div className="incidents">
      <h1>Incidents</h1>
      <p className="muted">
        Each alarm (an intrusion, fire, panic or tamper) opens an incident, and so does the wellness check when nothing moves
        at home for too long: what happened, in order, and how it was handled.
        The reasoning behind every event is under <Link to="/security">Decisions</Link>.
      </p>
      <section className="card" aria-labelledby={`${id}-h`}>
        <h2 id={`${id}-h`} className="sr-only">
          Incident list
        </h2>
        <div className="filters">
          <div className="field">
            <label htmlFor="inc-status">Status</label>
            <select
              id="inc-status"
              value={status}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                if (e.target.value) next.set('status', e.target.value);
                else next.delete('status');
                setParams(next, { replace: true });
              }}
            >
              {STATUS_FILTERS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {list.loading && !list.items.length && <Loading what="incidents" />}
        <ErrorNote error={list.error} onRetry={list.reload} />
        <p className="sr-only" aria-live="polite">
          {list.loading ? '' : `${list.items.length} incidents shown`}
        </p>
        {!list.loading && !list.error && list.items.length === 0 && (
          <Empty>
            {status
              ? `No incidents with the status ${filterWords.toLowerCase()}.`
              : 'No incidents yet: an alarm (intrusion, fire, panic, tamper) or the wellness check opens one.'}
          </Empty>
        )}
        {list.items.length > 0 && (
          <ol className="incident-list" aria-label="Incidents, newest first" data-testid="incidents">
            {list.items.map((i) => (
              <IncidentRow key={i.id} i={i} home={homeOf(i.user_id)} />
            ))}
          </ol>
        )}
        {list.next && !list.loading && (
          <button type="button" className="btn" onClick={() => void list.loadOlder()} disabled={list.loadingMore}>
            {list.loadingMore ? 'Loading…' : 'Show older'}
          </button>
        )}
      </section>
    </div>
  );
}
