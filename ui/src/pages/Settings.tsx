import { useState } from 'react';
import type { NotificationSettings } from '../api';
import { Check, FormEnd, Input, localError, useForm } from '../components/form';
import { ErrorNote, Loading } from '../components/ui';
import { useLoad } from '../hooks';
import { useApi, useSession } from '../session';
import { ServiceTokens } from './ServiceTokens';

/** `/settings`: the signed-in person's own settings (how notifications reach them, their service tokens). */
export default function Settings() {
  const api = useApi();
  const { user } = useSession();
  const member = user?.role !== 'admin';
  const settings = useLoad(() => api.notificationSettings(), []);
  // Quiet hours are in the home's time: name its zone when there is one (an admin has none).
  const home = useLoad(() => (member ? api.home().catch(() => undefined) : Promise.resolve(undefined)), [member]);
  return (
    <div className="settings">
      <h1>Settings</h1>
      <p className="muted">
        How HomeGuard reaches you{user ? `, ${user.name}` : ''}, and the tokens your workflows call it with. The home's alarm, sensors and codes are under Home settings.
      </p>
      {settings.loading && !settings.data && <Loading what="notification settings" />}
      {!settings.data && <ErrorNote error={settings.error} onRetry={settings.reload} />}
      {settings.data && (
        <NotificationSettingsForm
          initial={settings.data}
          timeZone={home.data?.time_zone}
          onSaved={(s) => settings.set(() => s)}
        />
      )}
      <ServiceTokens />
    </div>
  );
}

const FIELDS = ['email', 'webhook_url', 'quiet_hours', 'quiet_hours.start', 'quiet_hours.end'] as const;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** A time input may answer "22:00:00" where seconds are shown: the server wants HH:MM. */
const hhmm = (t: string) => t.slice(0, 5);

function NotificationSettingsForm({
  initial,
  timeZone,
  onSaved,
}: {
  initial: NotificationSettings;
  timeZone: string | undefined;
  onSaved: (s: NotificationSettings) => void;
}) {
  const api = useApi();
  const [email, setEmail] = useState(initial.email);
  const [url, setUrl] = useState(initial.webhook_url ?? '');
  const [quiet, setQuiet] = useState(initial.quiet_hours != null);
  const [start, setStart] = useState(initial.quiet_hours?.start ?? '22:00');
  const [end, setEnd] = useState(initial.quiet_hours?.end ?? '07:00');
  const f = useForm(FIELDS);

  const submit = f.submit(() => {
    const from = hhmm(start);
    const to = hhmm(end);
    if (quiet && !HHMM.test(from)) return localError('quiet_hours.start', 'Quiet hours start', 'enter a time (HH:MM)');
    if (quiet && !HHMM.test(to)) return localError('quiet_hours.end', 'Quiet hours end', 'enter a time (HH:MM)');
    const hook = url.trim();
    return api
      .setNotificationSettings({ email, webhook_url: hook === '' ? null : hook, quiet_hours: quiet ? { start: from, end: to } : null })
      .then((s) => {
        setEmail(s.email);
        setUrl(s.webhook_url ?? '');
        setQuiet(s.quiet_hours != null);
        if (s.quiet_hours) {
          setStart(s.quiet_hours.start);
          setEnd(s.quiet_hours.end);
        }
        onSaved(s);
        return 'Notification settings saved.';
      });
  });

  const zone = timeZone ? ` (${timeZone})` : '';
  return (
    <section aria-labelledby="notif-set-h" className="card">
      <h2 id="notif-set-h">Notifications</h2>
      <p className="muted" id="notif-set-intro">
        Every notification shows in the app. High-priority and critical ones (alarms, fire, duress) also go to every channel
        you set up here; the others go to the channels their automation asks for.
      </p>
      <form onSubmit={submit} noValidate className="prefs" aria-labelledby="notif-set-h">
        <fieldset>
          <legend>E-mail</legend>
          <Check
            id="ns-email"
            label="E-mail notifications"
            path="email"
            f={f}
            hint={`To ${initial.email_address}, your account's address.`}
            checked={email}
            onChange={setEmail}
          />
          {!initial.email_available && (
            <p className="note note-warn" data-testid="email-unavailable">
              <span aria-hidden="true">⚠ </span>
              This installation cannot send e-mail (no mail relay is set up). Your choice is kept and applies once it can.
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>Webhook</legend>
          <Input
            id="ns-webhook"
            label="Webhook URL (optional)"
            path="webhook_url"
            f={f}
            hint="HomeGuard POSTs each notification here as JSON (n8n, a chat bridge). Leave it empty for none."
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://n8n.example.com/webhook/homeguard"
            value={url}
            onChange={setUrl}
          />
          <Secret secret={initial.webhook_secret} />
        </fieldset>

        <fieldset>
          <legend>Quiet hours</legend>
          <Check
            id="ns-quiet"
            label="Quiet hours"
            path="quiet_hours"
            f={f}
            hintId="ns-quiet-help"
            hint={`In the home's local time${zone}. During quiet hours, e-mails and webhooks of low and normal priority wait until the quiet hours end; high-priority and critical ones (alarms, fire, duress) are never held. The app shows every notification at once.`}
            checked={quiet}
            onChange={setQuiet}
          />
          {quiet && (
            <div className="times">
              <Input
                id="ns-quiet-start"
                label="Start (home time)"
                path="quiet_hours.start"
                f={f}
                type="time"
                value={start}
                onChange={setStart}
              />
              <Input id="ns-quiet-end" label="End (home time)" path="quiet_hours.end" f={f} type="time" value={end} onChange={setEnd} />
            </div>
          )}
        </fieldset>

        <div className="form-end">
          <FormEnd form={f} label="Save notification settings" />
        </div>
      </form>
    </section>
  );
}

/** The webhook signing secret: hidden until shown, copied without being shown. */
function Secret({ secret }: { secret: string }) {
  const [shown, setShown] = useState(false);
  const [copied, setCopied] = useState<null | 'ok' | 'failed'>(null);
  async function copy() {
    setCopied(null);
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopied('ok');
    } catch {
      // Where the browser refuses, show it to be copied by hand.
      setShown(true);
      setCopied('failed');
    }
  }
  return (
    <div className="field secret">
      <span className="label">Webhook signing secret</span>
      <code className="key" id="ns-secret" data-testid="webhook-secret">
        {shown ? (
          secret
        ) : (
          <>
            <span aria-hidden="true">{'•'.repeat(24)}</span>
            <span className="sr-only">Hidden</span>
          </>
        )}
      </code>
      <span className="row">
        <button
          type="button"
          className="btn btn-small"
          aria-controls="ns-secret"
          aria-label={shown ? 'Hide secret' : 'Show secret'}
          onClick={() => setShown((s) => !s)}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
        <button type="button" className="btn btn-small" aria-label="Copy secret" onClick={() => void copy()}>
          Copy
        </button>
      </span>
      <span role="status" aria-live="polite" className="hint">
        {copied === 'ok' && 'Secret copied.'}
        {copied === 'failed' && 'Copying did not work here: select the secret and copy it.'}
      </span>
      <span className="hint">
        Each webhook carries <code>X-HomeGuard-Signature: sha256=…</code>, the hex HMAC-SHA256 of the request body keyed
        with this secret: check it to know the request came from HomeGuard. Keep the secret private.
      </span>
    </div>
  );
}
