import type { AlarmHistoryEntry } from '../api';
import { Icon, type IconName } from '../components/Icon';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { describeAlarmEntry, stateLabel } from '../format';
import { usePaged } from '../hooks';
import { useApi } from '../session';
import { useStream } from '../stream';
import { useHomeScope } from './homeScope';

/** Alarms (Contact ID 1xx) and the exit alarm stand out. */
export const isAlarmEntry = (e: Pick<AlarmHistoryEntry, 'code'>) => e.code !== null && ((e.code >= 100 && e.code < 200) || e.code === 374);

function entryIcon(e: AlarmHistoryEntry): IconName {
  if (isAlarmEntry(e)) return 'alert';
  if (e.kind === 'transition') return e.to === 'disarmed' ? 'shield_off' : e.to === 'arming' || e.to === 'pending' ? 'timer' : 'shield';
  return 'bell';
}

/** GET /home/alarm/history, newest first, with what the live stream adds on top. */
export function AlarmHistory() {
  const api = useApi();
  const uid = useHomeScope();
  const list = usePaged({
    key: uid ?? '',
    fetchPage: (before) => api.alarmHistory({ limit: 50, before, user_id: uid }),
    rows: (p) => p.entries,
    id: (e) => e.id,
    time: (e) => e.at,
    serverOrder: true,
  });
  const { items: entries, next, loading, loadingMore, error, reload } = list;

  useStream((m) => {
    if (m.type === 'alarm' && !uid) list.add(m.entries);
    else if (m.type === 'resync') reload();
  });

  return (
    <section aria-labelledby="history-h" className="card">
      <h2 id="history-h">Alarm history</h2>
      {loading && !entries.length && <Loading what="alarm history" />}
      <ErrorNote error={error} onRetry={reload} />
      {!loading && !error && entries.length === 0 && <Empty>Nothing has happened yet: arming, disarming and alarms appear here.</Empty>}
      <ol className="feed" aria-label="Alarm history, newest first" data-testid="alarm-history">
        {entries.map((e) => {
          const alarm = isAlarmEntry(e);
          return (
            <li key={e.id} className={alarm ? 'feed-item feed-alert' : 'feed-item'} data-entry-id={e.id}>
              <span className="feed-icon" aria-hidden="true">
                <Icon name={entryIcon(e)} />
              </span>
              <span className="feed-text">
                {alarm && <span className="sr-only">Alarm: </span>}
                {alarm ? <strong>{describeAlarmEntry(e)}</strong> : describeAlarmEntry(e)}
                {e.kind === 'transition' && e.from && e.to && (
                  <span className="item-detail">
                    From {stateLabel(e.from)} to {stateLabel(e.to)}
                  </span>
                )}
              </span>
              <span className="feed-time">
                <RelTime iso={e.at} />
              </span>
            </li>
          );
        })}
      </ol>
      {next && (
        <button type="button" className="btn" onClick={() => void list.loadOlder()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load older'}
        </button>
      )}
    </section>
  );
}
