import { useId, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, type MonitoringReport, type ReportStatus } from '../api';
import { Icon, type IconName } from '../components/Icon';
import { Empty, ErrorNote, Loading } from '../components/ui';
import { codeWords, DURESS, qualifierWords, zoneWords } from '../contactId';
import { relativeTime } from '../format';
import { useLoad, useNow, usePaged } from '../hooks';
import { useApi } from '../session';

export const PAGE_SIZE = 50;

/** A time in the viewer's locale, with seconds: "Dec 1, 2026, 4:30:12 PM". */
export function reportTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

const attemptsText = (n: number) => (n === 1 ? '1 attempt' : `${n} attempts`);

const STATUS_LOOK: Record<ReportStatus, { label: string; icon: IconName; tone: string }> = {
  acknowledged: { label: 'Acknowledged', icon: 'check', tone: 'ok' },
  refused: { label: 'Refused', icon: 'cross', tone: 'alert' },
  failed: { label: 'Failed', icon: 'alert', tone: 'alert' },
  local: { label: 'Local', icon: 'record', tone: 'local' },
};

/** How the central station took the report, as a chip (words and icon, never colour alone). */
export function StatusChip({ r }: { r: MonitoringReport }) {
  const look = STATUS_LOOK[r.status] ?? { label: r.status, icon: 'question' as IconName, tone: 'off' };
  const bad = r.status === 'refused' || r.status === 'failed';
  return (
    <span className={`chip chip-${look.tone}`} data-testid="report-status" data-status={r.status}>
      <Icon name={look.icon} /> {look.label}
      {bad && (
        <>
          : {r.detail || 'no answer'} ({r.status === 'failed' ? 'after ' : ''}
          {attemptsText(r.attempts)})
        </>
      )}
      {r.status === 'local' && ': recorded here'}
    </span>
  );
}

function ReportItem({ r, home, now }: { r: MonitoringReport; home: string; now: number }) {
  const duress = r.code === DURESS;
  const words = codeWords(r.code);
  return (
    <li
      className={`report${duress ? ' report-duress' : ''}${r.status === 'refused' || r.status === 'failed' ? ' report-bad' : ''}`}
      data-testid="report"
      data-id={r.id}
      data-code={r.code}
      data-status={r.status}
    >
      <span className="report-time">
        <time dateTime={r.at}>{reportTime(r.at)}</time>
        <span className="muted small rel">
          <span className="rel-sep"> · </span>
          {relativeTime(r.at, now)}
        </span>
      </span>
      <span className="report-what">
        {duress && (
          <strong className="duress" data-testid="duress">
            <Icon name="alert" /> Duress, silent: never shown to the household
          </strong>
        )}
        <span className="report-code">
          <strong>
            <span className="code-num">{r.code}</span> {words}
          </strong>{' '}
          <span className="tag">{qualifierWords(r.qualifier)}</span>
        </span>
        {r.text && r.text.toLowerCase() !== words.toLowerCase() && <span className="item-detail">{r.text}</span>}
      </span>
      <span className="report-home">
        <span className="sr-only">Home: </span>
        {home}
      </span>
      <span className="report-zone">{zoneWords(r.zone)}</span>
      <span className="report-status">
        <StatusChip r={r} />
        {r.status === 'acknowledged' && (
          <span className="item-detail">
            {r.detail}
            {r.attempts > 1 ? ` (${attemptsText(r.attempts)})` : ''}
          </span>
        )}
      </span>
    </li>
  );
}

/** Admins only: every alarm signal reported to the monitoring center (GET /monitoring/reports), newest first. */
export default function Monitoring() {
  const api = useApi();
  const now = useNow();
  const id = useId();
  const users = useLoad(() => api.users().then((r) => r.users), []);
  const [uid, setUid] = useState('');
  const [receiver, setReceiver] = useState<string | null | undefined>(undefined);
  const [updated, setUpdated] = useState<string | null>(null);
  const list = usePaged({
    key: uid,
    fetchPage: (before) => api.monitoringReports({ user_id: uid || undefined, before, limit: PAGE_SIZE }),
    rows: (p) => p.reports,
    id: (r) => r.id,
    time: (r) => r.at,
    onPage: (p, first) => {
      if (!first) return;
      setReceiver(p.receiver);
      setUpdated(new Date().toISOString());
    },
  });
  const { items: reports, next, loading, loadingMore, error, reload: refresh } = list;

  const forbidden = error instanceof ApiError && error.status === 403;
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  const homeOf = (r: MonitoringReport) => names.get(r.user_id) ?? `Home ${r.user_id.slice(0, 8)}`;

  return (
    <div className="monitoring">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/admin">Admin</Link> <span aria-hidden="true">›</span> Monitoring
      </nav>
      <h1>Monitoring</h1>
      <p className="muted">
        Alarm signals reported to the monitoring center (central station) over SIA DC-09 with Contact ID codes. Only
        administrators see this screen: it includes duress signals the household must never see.
      </p>
      {forbidden ? (
        <div className="note note-error" role="alert" data-testid="monitoring-forbidden">
          <span aria-hidden="true">⚠ </span>
          Not allowed: only administrators can read the monitoring reports.
        </div>
      ) : (
        <>
          <section className="card" aria-labelledby={`${id}-rcv`}>
            <h2 id={`${id}-rcv`}>Monitoring center</h2>
            {receiver === undefined && loading && <Loading what="monitoring center" />}
            {receiver === null && (
              <p className="note" data-testid="receiver">
                <Icon name="idle" /> No monitoring center is configured (MONITORING_DC09); alarms are recorded here.
              </p>
            )}
            {receiver && (
              <p data-testid="receiver" data-receiver={receiver}>
                <Icon name="online" /> Reporting to the central station at <code>{receiver}</code> (SIA DC-09).
              </p>
            )}
          </section>
          <section className="card" aria-labelledby={`${id}-rep`}>
            <h2 id={`${id}-rep`}>Reports</h2>
            <div className="filters">
              <div className="field">
                <label htmlFor="mon-home">Home</label>
                <select id="mon-home" value={uid} onChange={(e) => setUid(e.target.value)}>
                  <option value="">All homes</option>
                  {(users.data ?? []).map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.name} ({u.email})
                    </option>
                  ))}
                </select>
              </div>
              <button type="button" className="btn" onClick={refresh} disabled={loading}>
                {loading && reports.length ? 'Refreshing…' : 'Refresh'}
              </button>
              <span className="muted small" role="status" aria-live="polite" data-testid="updated">
                {updated && !loading ? `Updated ${reportTime(updated)}` : ''}
              </span>
            </div>
            <ErrorNote error={users.error && !(users.error instanceof ApiError && users.error.status === 403) ? users.error : null} />
            {loading && !reports.length && <Loading what="reports" />}
            <ErrorNote error={error} onRetry={refresh} />
            {!loading && !error && reports.length === 0 && (
              <Empty>
                {uid
                  ? 'No reports for this home yet.'
                  : 'No reports yet: alarm signals (burglary, fire, panic, duress…) appear here once reported.'}
              </Empty>
            )}
            {reports.length > 0 && (
              <div className="reports-head" aria-hidden="true">
                <span>Time</span>
                <span>Signal</span>
                <span>Home</span>
                <span>Zone</span>
                <span>Status</span>
              </div>
            )}
            {reports.length > 0 && (
              <ol className="reports" aria-label="Reports to the monitoring center, newest first" data-testid="reports">
                {reports.map((r) => (
                  <ReportItem key={r.id} r={r} home={homeOf(r)} now={now} />
                ))}
              </ol>
            )}
            {next && !loading && (
              <button type="button" className="btn" onClick={() => void list.loadOlder()} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load older'}
              </button>
            )}
          </section>
        </>
      )}
    </div>
  );
}
