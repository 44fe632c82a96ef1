import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  ApiError,
  type DecisionItemData,
  type Incident,
  type IncidentResolution,
  type SignalItemData,
  type TimelineItem,
} from '../api';
import { Field, useForm } from '../components/form';
import { Icon } from '../components/Icon';
import { ErrorNote, Loading, Outcome, RelTime } from '../components/ui';
import { homeClock, homeDateTime } from '../format';
import { useLoad } from '../hooks';
import { useActiveIncidents } from '../incidents';
import {
  ACTIVITY_AGAIN,
  actionStatusLook,
  contactStatusLook,
  eventTypeWords,
  isWellness,
  kindLook,
  monitoringLook,
  ongoingWords,
  outcomeLook,
  qualifierText,
  sentence,
  severityLabel,
  signalWords,
  stateWords,
  statusLook,
  timelineLook,
} from '../incidentText';
import { useApi, useSession } from '../session';
import { useOnActiveChange } from './Incidents';
import { Chip, useRefreshOnAlarm } from './securityParts';

export const NOTE_MAX = 2000;

/** The timeline in time order; entries of the same instant as the server gave them. */
export function inTimeOrder(items: TimelineItem[]): TimelineItem[] {
  return items
    .map((x, i) => ({ x, i, t: Date.parse(x.at) }))
    .sort((a, b) => (a.t !== b.t && !Number.isNaN(a.t - b.t) ? a.t - b.t : a.i - b.i))
    .map((e) => e.x);
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const decisionData = (t: TimelineItem) => (t.kind === 'decision' && isObj(t.data) ? (t.data as unknown as DecisionItemData) : null);
const signalData = (t: TimelineItem) => (t.kind === 'signal' && isObj(t.data) ? (t.data as unknown as SignalItemData) : null);
const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
/** What became of an action (a playbook's step on a device, an escalation): its `data.status`. */
const actionStatus = (t: TimelineItem) => (t.kind === 'action' && isObj(t.data) ? str(t.data['status']) : null);
/** A camera's capture: the image or clip it says it saved, when it gives an http(s) address. */
const captureUrl = (t: TimelineItem) => {
  if (t.kind !== 'camera' || !isObj(t.data) || !isObj(t.data['payload'])) return null;
  const p = t.data['payload'];
  const url = str(p['image_url']) ?? str(p['clip_url']) ?? str(p['url']);
  return url && /^https?:\/\//i.test(url) ? url : null;
};
/** An e-mail to an emergency contact: how it went and why. */
const contactData = (t: TimelineItem) =>
  t.kind === 'notification' && isObj(t.data) && t.data['party'] === 'emergency_contacts'
    ? { status: str(t.data['status']), detail: str(t.data['detail']) }
    : null;

function Time({ iso, tz }: { iso: string; tz: string | undefined }) {
  return (
    <time dateTime={iso} title={homeDateTime(iso, tz)}>
      {homeClock(iso, tz)}
    </time>
  );
}

function TimelineEntry({ t, tz, wellness }: { t: TimelineItem; tz: string | undefined; wellness: boolean }) {
  const d = decisionData(t);
  const s = signalData(t);
  const action = actionStatus(t);
  const contact = contactData(t);
  const capture = captureUrl(t);
  const look = contact ? { label: 'Emergency contact', icon: 'bell' as const } : timelineLook(t.kind);
  const text = sentence(stateWords(eventTypeWords(t.text, d?.event_type)));
  const outcome = typeof d?.outcome === 'string' ? d.outcome : null;
  const reasons = Array.isArray(d?.reasons) ? d.reasons : [];
  // In a wellness incident, a decision with an event and no outcome is someone moving again.
  const again = wellness && !!d && !outcome && !!d.event_type;
  const by = t.by && !t.text.toLowerCase().includes(t.by.toLowerCase()) ? t.by : null;
  const q = s ? qualifierText(s.qualifier) : null;
  return (
    <li className={`tl tl-${t.kind}`} data-testid="timeline-item" data-kind={t.kind} data-at={t.at}>
      <span className="tl-time">
        <Time iso={t.at} tz={tz} />
      </span>
      <span className="tl-kind">
        <Icon name={look.icon} /> {look.label}
      </span>
      <div className="tl-body">
        <p className="tl-text">
          {text}
          {by && <span className="tl-by"> · by {by}</span>}
        </p>
        {d && (
          <>
            {(outcome || again) && (
              <p className="tl-outcome">
                {outcome ? (
                  <Chip look={outcomeLook(outcome, reasons)} testId="decision-outcome" data={outcome} />
                ) : (
                  <Chip look={ACTIVITY_AGAIN} testId="decision-outcome" data="activity" />
                )}
                {typeof d.signal === 'number' && <span className="muted small"> Contact ID {signalWords(d.signal)}</span>}
              </p>
            )}
            {reasons.length > 0 && (
              <ul className="reasons" aria-label="Reasons" data-testid="reasons">
                {reasons.map((r, i) => (
                  <li key={`${r.code}-${i}`} data-code={r.code}>
                    {sentence(stateWords(r.text))}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        {s && typeof s.code === 'number' && (
          <p className="tl-signal" data-testid="signal-code">
            <span className="sr-only">Contact ID </span>
            <strong>
              <span className="code-num">{s.code}</span> {signalWords(s.code).replace(/^\d+ /, '')}
            </strong>
            {q && <span className="tag">{q}</span>}
          </p>
        )}
        {capture && (
          <p className="tl-status">
            <a href={capture} target="_blank" rel="noopener noreferrer" data-testid="capture">
              Open what the camera saved
            </a>
          </p>
        )}
        {action && (
          <p className="tl-status">
            <Chip look={actionStatusLook(action)} testId="action-status" data={action} />
          </p>
        )}
        {contact && (
          <p className="tl-status">
            {contact.status && <Chip look={contactStatusLook(contact.status)} testId="contact-status" data={contact.status} />}
            {contact.detail && !t.text.includes(contact.detail) && <span className="muted small"> {sentence(contact.detail)}</span>}
          </p>
        )}
        {s?.monitoring && (
          <p className="tl-monitoring">
            <span className={`chip chip-${monitoringLook(s.monitoring).tone}`} data-testid="monitoring" data-status={s.monitoring.status}>
              <Icon name={monitoringLook(s.monitoring).icon} /> {monitoringLook(s.monitoring).text}
            </span>
          </p>
        )}
      </div>
    </li>
  );
}

/** Acknowledge, resolve or close as a false alarm (with a note), while the incident is not closed. */
function Handle({ inc, onDone }: { inc: Incident; onDone: (text: string) => void }) {
  const api = useApi();
  const active = useActiveIncidents();
  const form = useForm(['note']);
  const [note, setNote] = useState('');
  const [acking, setAcking] = useState(false);
  const [ackError, setAckError] = useState<unknown>(null);
  const choice = useRef<IncidentResolution['outcome']>('resolved');
  const open = inc.status === 'open';
  const wellness = isWellness(inc.kind);

  async function acknowledge() {
    setAcking(true);
    setAckError(null);
    try {
      await api.acknowledgeIncident(inc.id);
      active.reload();
      onDone(wellness ? 'Acknowledged: all is well, the household knows.' : 'Acknowledged: the household knows someone is on it.');
    } catch (e) {
      setAckError(e);
      if (e instanceof ApiError && e.status === 409) onDone('');
    } finally {
      setAcking(false);
    }
  }

  const submit = form.submit(() => {
    const outcome = choice.current;
    const body: IncidentResolution = { outcome };
    if (note.trim()) body.note = note.trim();
    return api.resolveIncident(inc.id, body).then(
      () => {
        active.reload();
        onDone(outcome === 'false_alarm' ? 'Closed as a false alarm.' : 'Resolved.');
        return '';
      },
      (e: unknown) => {
        // Closed meanwhile (elsewhere): show it as it is now.
        if (e instanceof ApiError && e.status === 409) onDone('');
        throw e;
      },
    );
  });

  return (
    <section className="card" aria-labelledby="handle-h">
      <h2 id="handle-h">Handle it</h2>
      {open && (
        <div className="handle-ack">
          <p className="muted">
            {wellness
              ? 'Nothing has moved at home for a while. If all is well, acknowledge it and HomeGuard stops there; when nobody does, it tells the emergency contacts.'
              : 'Acknowledge to tell the household someone is looking into it.'}
          </p>
          <button type="button" className="btn btn-primary" disabled={acking} onClick={() => void acknowledge()}>
            {acking ? 'Acknowledging…' : wellness ? 'All is well — acknowledge' : 'Acknowledge'}
          </button>
          <ErrorNote error={ackError} />
        </div>
      )}
      <form className="resolve-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="handle-h">
        <Field
          id="incident-note"
          label="Note (optional)"
          path="note"
          f={form}
          hint={`What happened, who checked. Up to ${NOTE_MAX} characters (${note.length} now).`}
        >
          {(a) => <textarea id="incident-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} {...a} />}
        </Field>
        {form.summary}
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={form.busy} onClick={() => (choice.current = 'resolved')}>
            <Icon name="check" /> Resolve
          </button>
          <button type="submit" className="btn" disabled={form.busy} onClick={() => (choice.current = 'false_alarm')}>
            <Icon name="cross" /> Close as false alarm
          </button>
          {form.busy && (
            <span className="muted" role="status">
              Saving…
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

/** The report, fetched with the session's token: Markdown as a download, HTML opened in a new tab. */
function Reports({ inc }: { inc: Incident }) {
  const api = useApi();
  const [busy, setBusy] = useState<'md' | 'html' | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function get(format: 'md' | 'html') {
    setBusy(format);
    setError(null);
    // Opened now, in the click, so no pop-up blocker stops it; filled when the report comes.
    const tab = format === 'html' ? window.open('', '_blank') : null;
    try {
      const text = await api.incidentReport(inc.id, format);
      const blob = new Blob([text], { type: format === 'md' ? 'text/markdown;charset=utf-8' : 'text/html;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      if (format === 'md') {
        const a = document.createElement('a');
        a.href = url;
        a.download = `incident-${inc.id}.md`;
        document.body.appendChild(a);
        a.click();
        a.remove();
      } else if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else {
        window.open(url, '_blank', 'noopener');
      }
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      tab?.close();
      setError(e);
    } finally {
      setBusy(null);
    }
  }
  return (
    <section className="card" aria-labelledby="report-h">
      <h2 id="report-h">Report</h2>
      <p className="muted">The whole incident, with its timeline and reasons, to keep or to share (with an insurer, the police).</p>
      <div className="row">
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void get('md')}>
          <Icon name="download" /> {busy === 'md' ? 'Preparing…' : 'Download report (Markdown)'}
        </button>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void get('html')}>
          <Icon name="external" /> {busy === 'html' ? 'Preparing…' : 'Open report (HTML, new tab)'}
        </button>
      </div>
      <ErrorNote error={error} />
    </section>
  );
}

function Header({ inc, tz }: { inc: Incident; tz: string | undefined }) {
  const kind = kindLook(inc.kind);
  const ongoing = ongoingWords(inc.kind);
  const closed = inc.status === 'resolved' || inc.status === 'false_alarm';
  return (
    <>
      <h1>{inc.title}</h1>
      <p className="incident-state" data-testid="incident-state">
        <Chip look={statusLook(inc.status)} testId="incident-status" data={inc.status} />{' '}
        <span className={`badge${inc.severity === 'critical' || inc.severity === 'high' ? ' badge-alert' : ''}`}>{severityLabel(inc.severity)}</span>{' '}
        <span>
          <Icon name={kind.icon} /> {kind.label}
        </span>
      </p>
      <dl className="kv incident-facts" data-testid="incident-facts">
        <div>
          <dt>Opened</dt>
          <dd>
            <RelTime iso={inc.opened_at} /> · <Time iso={inc.opened_at} tz={tz} />
          </dd>
        </div>
        <div>
          <dt>Acknowledged</dt>
          <dd data-testid="incident-acknowledged">
            {inc.acknowledged_at || inc.acknowledged_by ? (
              <>
                {inc.acknowledged_by ? `By ${inc.acknowledged_by}` : 'Yes'}
                {inc.acknowledged_at && (
                  <>
                    , <RelTime iso={inc.acknowledged_at} />
                  </>
                )}
              </>
            ) : (
              'Not yet'
            )}
          </dd>
        </div>
        <div>
          <dt>{ongoing.term}</dt>
          <dd data-testid="incident-ongoing">
            {inc.ended_at ? (
              <>
                {ongoing.endedAt}
                <RelTime iso={inc.ended_at} />
              </>
            ) : (
              <strong>{ongoing.still}</strong>
            )}
          </dd>
        </div>
        <div>
          <dt>Closed</dt>
          <dd data-testid="incident-closed">
            {closed ? (
              <>
                {inc.status === 'false_alarm' ? 'As a false alarm' : 'Resolved'}
                {inc.resolved_by ? ` by ${inc.resolved_by}` : ''}
                {inc.resolved_at && (
                  <>
                    , <RelTime iso={inc.resolved_at} />
                  </>
                )}
              </>
            ) : (
              'Not yet'
            )}
          </dd>
        </div>
        {inc.note && (
          <div className="wide">
            <dt>Note</dt>
            <dd data-testid="incident-note">{inc.note}</dd>
          </div>
        )}
      </dl>
    </>
  );
}

/** `/incidents/:id`: the incident's state, handling, report, the zones it went through and its timeline. */
export default function IncidentDetail() {
  const { id = '' } = useParams();
  const api = useApi();
  const { user } = useSession();
  const admin = user?.role === 'admin';
  const inc = useLoad(() => api.incident(id), [id]);
  const owner = inc.data?.user_id;
  // Times on the home's clock: an admin reads the incident's home.
  const home = useLoad(() => (admin && !owner ? Promise.resolve(undefined) : api.home(admin ? owner : undefined)), [admin, admin ? owner : '']);
  const tz = home.data?.time_zone;
  const [done, setDone] = useState<string | null>(null);
  useRefreshOnAlarm(inc.reload);
  useOnActiveChange(inc.reload);
  useEffect(() => setDone(null), [id]);

  const notFound = inc.error instanceof ApiError && inc.error.status === 404;
  const crumbs = (
    <nav aria-label="Breadcrumb" className="crumbs">
      <Link to="/incidents">Incidents</Link> <span aria-hidden="true">›</span> {inc.data?.title ?? 'Incident'}
    </nav>
  );
  if (!inc.data) {
    return (
      <div className="incident">
        {crumbs}
        {notFound ? (
          <>
            <h1>Incident not found</h1>
            <p>It does not exist, or it belongs to another home.</p>
          </>
        ) : (
          <>
            <h1>Incident</h1>
            {inc.loading && <Loading what="the incident" />}
            <ErrorNote error={inc.error} onRetry={inc.reload} />
          </>
        )}
      </div>
    );
  }
  const i = inc.data;
  const closed = i.status === 'resolved' || i.status === 'false_alarm';
  const timeline = inTimeOrder(i.timeline);
  // The wellness check is about nothing tripping: no motion path to show (unless the server gives one).
  const wellness = isWellness(i.kind);
  return (
    <div className="incident" data-testid="incident-page" data-status={i.status}>
      {crumbs}
      <Header inc={i} tz={tz} />
      <ErrorNote error={inc.error} onRetry={inc.reload} />
      <div role="status" aria-live="polite" data-testid="incident-result">
        {done && <Outcome ok>{done}</Outcome>}
      </div>
      {!closed && (
        <Handle
          inc={i}
          onDone={(text) => {
            setDone(text || null);
            inc.reload();
          }}
        />
      )}

      {(!wellness || i.path.length > 0) && (
        <section className="card" aria-labelledby="path-h">
          <h2 id="path-h">Motion path</h2>
          {i.path.length === 0 ? (
            <p className="empty">No sensor tripped.</p>
          ) : (
            <ol className="path" aria-label="Zones in the order they tripped" data-testid="path">
              {i.path.map((p, n) => (
                <li key={`${p.device_id}-${p.at}`} data-device-id={p.device_id}>
                  {n > 0 && (
                    <span className="path-arrow" aria-hidden="true">
                      →{' '}
                    </span>
                  )}
                  <span className="path-n" aria-hidden="true">
                    {n + 1}.
                  </span>{' '}
                  <strong>{p.name}</strong> <Time iso={p.at} tz={tz} />
                </li>
              ))}
            </ol>
          )}
        </section>
      )}

      <section className="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <p className="muted small">In time order{tz ? `, on the home's clock (${tz})` : ''}.</p>
        <ol className="timeline" aria-label="Timeline, oldest first" data-testid="timeline">
          {timeline.map((t) => (
            <TimelineEntry key={t.id} t={t} tz={tz} wellness={wellness} />
          ))}
        </ol>
      </section>

      <Reports inc={i} />
    </div>
  );
}
