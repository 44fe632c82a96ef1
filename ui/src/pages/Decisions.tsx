import { useId } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Decision, DecisionOutcome } from '../api';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { usePaged } from '../hooks';
import { keyFacts, OUTCOME_FILTERS, outcomeLook, sentence, signalWords, stateWords } from '../incidentText';
import { useApi } from '../session';
import { Chip, useHomeNames, useRefreshOnAlarm } from './securityParts';

export const PAGE_SIZE = 50;

function DecisionRow({ d, home }: { d: Decision; home?: string }) {
  const look = outcomeLook(d.outcome, d.reasons);
  const facts = keyFacts(d.facts);
  const n = d.reasons.length;
  return (
    <li className={`decision decision-${d.outcome}`} data-testid="decision" data-id={d.id} data-outcome={d.outcome}>
      <span className="dec-time">
        <RelTime iso={d.at} />
      </span>
      <span className="dec-device">
        {d.device_name}
        {home && <span className="muted small"> · {home}</span>}
      </span>
      <span className="dec-summary" data-testid="decision-summary">
        {d.summary}
      </span>
      <span className="dec-outcome">
        <Chip look={look} testId="decision-outcome" data={d.outcome} />
      </span>
      <details className="dec-why">
        <summary>
          Why ({n === 1 ? '1 reason' : `${n} reasons`})<span className="sr-only">: {d.summary}</span>
        </summary>
        <ul className="reasons" aria-label="Reasons" data-testid="reasons">
          {d.reasons.map((r, i) => (
            <li key={`${r.code}-${i}`} data-code={r.code}>
              {sentence(stateWords(r.text))}
            </li>
          ))}
        </ul>
        <dl className="kv dec-facts" data-testid="decision-facts">
          {facts.map(([term, words]) => (
            <div key={term}>
              <dt>{term}</dt>
              <dd>{words}</dd>
            </div>
          ))}
          {typeof d.signal === 'number' && (
            <div>
              <dt>Contact ID</dt>
              <dd>{signalWords(d.signal)}</dd>
            </div>
          )}
        </dl>
      </details>
    </li>
  );
}

/** `/security`: what the security response made of each event and why, newest first, by outcome. */
export default function Decisions() {
  const api = useApi();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const raw = params.get('outcome') ?? '';
  const outcome = (OUTCOME_FILTERS.some(([v]) => v === raw) ? raw : '') as DecisionOutcome | '';
  const homeOf = useHomeNames();
  const list = usePaged({
    key: outcome,
    fetchPage: (before) => api.decisions({ outcome: outcome || undefined, before, limit: PAGE_SIZE }),
    rows: (p) => p.decisions,
    id: (d) => d.id,
    time: (d) => d.at,
  });
  useRefreshOnAlarm(list.reload);
  const filterWords = OUTCOME_FILTERS.find(([v]) => v === outcome)?.[1] ?? 'All';

  return (
    <div className="decisions">
      <h1>Security decisions</h1>
      <p className="muted">
        What HomeGuard made of each sensor event, and why: an alarm, a verified alarm, held back (a pet, say), a trouble
        with the system, or only logged. Alarms open an <Link to="/incidents">incident</Link>.
      </p>
      <section className="card" aria-labelledby={`${id}-h`}>
        <h2 id={`${id}-h`} className="sr-only">
          Decision log
        </h2>
        <div className="filters">
          <div className="field">
            <label htmlFor="dec-outcome">Outcome</label>
            <select
              id="dec-outcome"
              value={outcome}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                if (e.target.value) next.set('outcome', e.target.value);
                else next.delete('outcome');
                setParams(next, { replace: true });
              }}
            >
              {OUTCOME_FILTERS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="btn" onClick={list.reload} disabled={list.loading}>
            {list.loading && list.items.length ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        {list.loading && !list.items.length && <Loading what="decisions" />}
        <ErrorNote error={list.error} onRetry={list.reload} />
        <p className="sr-only" aria-live="polite">
          {list.loading ? '' : `${list.items.length} decisions shown`}
        </p>
        {!list.loading && !list.error && list.items.length === 0 && (
          <Empty>
            {outcome
              ? `No decisions with the outcome ${filterWords.toLowerCase()}.`
              : 'No decisions yet: every door, window, motion and camera event is judged here as it comes.'}
          </Empty>
        )}
        {list.items.length > 0 && (
          <>
            <div className="decisions-head" aria-hidden="true">
              <span>Time</span>
              <span>Device</span>
              <span>What it meant</span>
              <span>Outcome</span>
            </div>
            <ol className="decision-list" aria-label="Decisions, newest first" data-testid="decisions">
              {list.items.map((d) => (
                <DecisionRow key={d.id} d={d} home={homeOf(d.user_id)} />
              ))}
            </ol>
          </>
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
