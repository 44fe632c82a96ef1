import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, type AckLinkView, type IncidentSummary } from '../api';
import { Icon } from '../components/Icon';
import { ErrorNote, Loading, RelTime } from '../components/ui';
import { exactTime } from '../format';
import { isWellness, kindLook, ongoingWords, severityLabel, statusLook } from '../incidentText';
import { useApi } from '../session';
import { Chip } from './securityParts';

/** An answer that trying again will not change (a link not valid, expired, an incident closed): no retry. */
const isFinal = (e: unknown) => e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429;

function Page({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="ack" tabIndex={-1} data-testid="ack-page">
      <p className="ack-brand">
        <Icon name="shield" /> HomeGuard
      </p>
      <h1>{title}</h1>
      {children}
    </main>
  );
}

/** Where to go from here: the incident (or the incidents) in the app, which asks to log in as usual. */
function OpenApp({ id }: { id?: string }) {
  return (
    <p className="ack-next">
      <Link to={id ? `/incidents/${encodeURIComponent(id)}` : '/incidents'} className="btn btn-link" data-testid="ack-open">
        Open HomeGuard
      </Link>
    </p>
  );
}

function Facts({ i }: { i: IncidentSummary }) {
  const kind = kindLook(i.kind);
  const ongoing = ongoingWords(i.kind);
  return (
    <>
      <p className="incident-state" data-testid="ack-state">
        <Chip look={statusLook(i.status)} testId="ack-status" data={i.status} />{' '}
        <span className={`badge${i.severity === 'critical' || i.severity === 'high' ? ' badge-alert' : ''}`}>{severityLabel(i.severity)}</span>
      </p>
      <dl className="kv ack-facts" data-testid="ack-facts">
        <div>
          <dt>What</dt>
          <dd data-testid="ack-kind">
            <Icon name={kind.icon} /> {kind.label}
          </dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd data-testid="ack-opened">
            <RelTime iso={i.opened_at} /> · {exactTime(i.opened_at)}
          </dd>
        </div>
        <div>
          <dt>{ongoing.term}</dt>
          <dd data-testid="ack-ongoing">
            {i.ended_at ? (
              <>
                {ongoing.endedAt}
                <RelTime iso={i.ended_at} />
              </>
            ) : (
              <strong>{ongoing.still}</strong>
            )}
          </dd>
        </div>
      </dl>
    </>
  );
}

/**
 * `/ack?token=...`: the link of an alarm's e-mail. Public (no session needed, none used): shows what the link
 * acknowledges and for whom, and acknowledges it. The token goes to the API only, never stored or linked.
 */
export default function Ack() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const api = useApi();
  const [view, setView] = useState<AckLinkView | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [n, setN] = useState(0);
  const [acking, setAcking] = useState(false);
  const [ackError, setAckError] = useState<unknown>(null);
  /** Who acknowledged with this page, once done. */
  const [doneBy, setDoneBy] = useState<string | null>(null);
  /** The POST answered for good (expired, closed meanwhile): no button any more. */
  const [over, setOver] = useState(false);
  const result = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    setView(null);
    setLoadError(null);
    setDoneBy(null);
    setAckError(null);
    setOver(false);
    if (!token) return;
    let live = true;
    setLoading(true);
    // Not useLoad: it drops 401 answers (the session's business), and here a 401 is the link's answer.
    api
      .ackLink(token)
      .then((v) => live && setView(v))
      .catch((e: unknown) => live && setLoadError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [api, token, n]);

  useEffect(() => {
    if (doneBy) result.current?.focus();
  }, [doneBy]);

  async function acknowledge() {
    setAcking(true);
    setAckError(null);
    try {
      const v = await api.acknowledgeByLink(token);
      setView(v);
      setDoneBy(v.by || v.incident.acknowledged_by || 'you');
    } catch (e) {
      setAckError(e);
      if (isFinal(e)) setOver(true);
    } finally {
      setAcking(false);
    }
  }

  if (!token) {
    return (
      <Page title="Acknowledge an alarm">
        <p className="note note-error" role="alert" data-testid="ack-no-token">
          <span aria-hidden="true">⚠ </span>
          This link is incomplete: it has no token. Open the link from the alarm's e-mail again, or open HomeGuard to acknowledge.
        </p>
        <OpenApp />
      </Page>
    );
  }

  if (!view) {
    return (
      <Page title="Acknowledge an alarm">
        {loading && <Loading what="the alarm" />}
        <ErrorNote error={loadError} onRetry={isFinal(loadError) ? undefined : () => setN((x) => x + 1)} />
        {!!loadError && <OpenApp />}
      </Page>
    );
  }

  const i = view.incident;
  const closed = i.status === 'resolved' || i.status === 'false_alarm';
  // The wellness check asks whether all is well: no alarm to have seen.
  const wellness = isWellness(i.kind);
  return (
    <Page title={i.title}>
      <Facts i={i} />
      <div role="status" aria-live="polite" data-testid="ack-result">
        {doneBy && (
          <p className="note note-ok" ref={result} tabIndex={-1}>
            <span aria-hidden="true">✓ </span>
            Acknowledged by {doneBy}. HomeGuard stops telling further people.
          </p>
        )}
      </div>
      {!doneBy && i.status === 'open' && !over && (
        <section className="card" aria-labelledby="ack-h">
          <h2 id="ack-h">{wellness ? 'Is all well at home?' : 'Have you seen it?'}</h2>
          <p data-testid="ack-as">
            Acknowledging as <strong>{view.by}</strong>.
          </p>
          <p className="muted">
            {wellness
              ? 'Nothing has moved at home for a while. Acknowledging tells the household all is well, and HomeGuard stops telling further people (the emergency contacts).'
              : 'It tells the household someone is on it, and HomeGuard stops telling further people.'}
          </p>
          <button type="button" className="btn btn-primary btn-big" disabled={acking} onClick={() => void acknowledge()}>
            {acking ? 'Acknowledging…' : wellness ? 'All is well — acknowledge' : "I've seen it — acknowledge"}
          </button>
        </section>
      )}
      <ErrorNote error={ackError} />
      {!doneBy && i.status === 'acknowledged' && (
        <p className="note" data-testid="ack-already">
          <Icon name="check" /> Already acknowledged{i.acknowledged_by ? ` by ${i.acknowledged_by}` : ''}: someone is on it. Nothing more to do
          here.
        </p>
      )}
      {closed && (
        <p className="note" data-testid="ack-closed">
          <Icon name="check" /> This incident is closed{i.status === 'false_alarm' ? ' as a false alarm' : ': resolved'}. Nothing to acknowledge.
        </p>
      )}
      {(doneBy || over || i.status !== 'open') && <OpenApp id={i.id} />}
    </Page>
  );
}
