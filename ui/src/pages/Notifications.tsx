import { useEffect } from 'react';
import { Link } from 'react-router';
import { Empty, ErrorNote, Loading } from '../components/ui';
import { NotificationList, useNotifications } from '../notifications';

/** `/notifications`: every notification, newest first, how each channel delivered it, older ones on demand. */
export default function Notifications() {
  const nf = useNotifications();
  // Deliveries move on after a notification comes live (sent, held, failed): opening the
  // screen again fetches them afresh (not on the app's first load, which is fetching already).
  const { loading, reload } = nf;
  useEffect(() => {
    if (!loading) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <section aria-labelledby="notifs-h" className="card">
      <h1 id="notifs-h">Notifications</h1>
      <p className="muted" data-testid="unread-count">
        {nf.unread === 0 ? 'Nothing unread.' : `${nf.unread} unread. Select one to mark it as read.`}
      </p>
      <p className="muted small">
        E-mail, webhook and quiet hours: <Link to="/settings">notification settings</Link>.
      </p>
      {nf.loading && !nf.items.length && <Loading what="notifications" />}
      <ErrorNote error={nf.error} onRetry={nf.reload} />
      {!nf.loading && !nf.error && !nf.items.length && (
        <Empty>No notifications yet. Automations you set up send theirs here.</Empty>
      )}
      <NotificationList items={nf.items} label="Notifications, newest first" onRead={nf.markRead} deliveries />
      {nf.hasMore && (
        <button type="button" className="btn" onClick={() => void nf.loadMore()} disabled={nf.loadingMore}>
          {nf.loadingMore ? 'Loading…' : 'Load older'}
        </button>
      )}
    </section>
  );
}
