import { useEffect, useRef, useState } from 'react';
import { ApiError, type IssuedToken, type ServiceToken } from '../api';
import { FormEnd, Input, localError, Saved, useForm } from '../components/form';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { dayText, exactTime } from '../format';
import { useLoad } from '../hooks';
import { useApi } from '../session';

const FIELDS = ['name', 'days'] as const;
const NAME_ID = 'token-name';

/**
 * The Settings page's "Service tokens": what n8n and scripts call the API with, as the person who
 * issued them. A new token is shown once, in this component's state only, until dismissed or left.
 */
export function ServiceTokens() {
  const api = useApi();
  const list = useLoad(() => api.tokens().then((r) => r.tokens), []);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const added = (t: IssuedToken) => {
    const { token: _shownOnce, ...info } = t;
    list.set((old) => [info, ...(old ?? []).filter((x) => x.token_id !== info.token_id)]);
    setDone(null);
    setIssued(t);
  };
  const removed = (t: ServiceToken) => {
    list.set((old) => old?.filter((x) => x.token_id !== t.token_id));
    setIssued((i) => (i?.token_id === t.token_id ? null : i));
    setDone(`“${t.name}” revoked: it no longer works.`);
  };

  return (
    <section aria-labelledby="tokens-h" className="card tokens">
      <h2 id="tokens-h">Service tokens</h2>
      <p className="muted" id="tokens-intro">
        A service token lets an n8n workflow (those shipped in <code>infra/n8n</code>) or a script call the HomeGuard API as
        you, with your rights, without your password. It works until it expires or you revoke it; give each use its own
        token, so that one can be revoked alone.
      </p>
      <p className="muted" id="tokens-n8n">
        In n8n, create a <strong>Header Auth</strong> credential named <code>HomeGuard service token</code>, with name{' '}
        <code>Authorization</code> and value <code>Bearer &lt;token&gt;</code> (the word Bearer, a space, then the token).
      </p>

      {issued && (
        <NewToken
          token={issued}
          onDismiss={() => {
            setIssued(null);
            document.getElementById(NAME_ID)?.focus();
          }}
        />
      )}

      <h3 id="tokens-list-h">Your tokens</h3>
      {list.loading && !list.data && <Loading what="service tokens" />}
      <ErrorNote error={list.error} onRetry={list.reload} />
      {list.data && list.data.length === 0 && <Empty>No service tokens yet.</Empty>}
      <ul className="items" aria-labelledby="tokens-list-h" data-testid="tokens">
        {(list.data ?? []).map((t) => (
          <TokenItem key={t.token_id} token={t} onRevoked={() => removed(t)} />
        ))}
      </ul>
      <Saved show={!!done} text={done ?? ''} />

      <TokenForm onIssued={added} />
    </section>
  );
}

/** The token just issued, shown this once: copy it now. */
function NewToken({ token, onDismiss }: { token: IssuedToken; onDismiss: () => void }) {
  const [copied, setCopied] = useState<null | 'ok' | 'failed'>(null);
  const head = useRef<HTMLParagraphElement>(null);
  useEffect(() => head.current?.focus(), [token.token_id]);
  async function copy() {
    setCopied(null);
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(token.token);
      setCopied('ok');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <div className="note note-warn token-once" role="group" aria-labelledby="token-new-h" data-testid="new-token">
      <p id="token-new-h" ref={head} tabIndex={-1}>
        <span aria-hidden="true">⚠ </span>
        <strong>New token “{token.name}”. Copy it now: it will not be shown again.</strong>
      </p>
      <code className="key" id="token-new-value" data-testid="token-value" tabIndex={0} aria-label={`The token “${token.name}”`}>
        {token.token}
      </code>
      <div className="row">
        <button type="button" className="btn btn-small" aria-controls="token-new-value" onClick={() => void copy()}>
          Copy token
        </button>
        <button type="button" className="btn btn-small" onClick={onDismiss}>
          Done, hide it
        </button>
      </div>
      <p role="status" aria-live="polite">
        {copied === 'ok' && 'Token copied.'}
        {copied === 'failed' && 'Copying did not work here: select the token and copy it.'}
      </p>
      <p>
        It works until {dayText(token.expires_at)}. HomeGuard keeps only a fingerprint of it: if it is lost, revoke it and
        issue another.
      </p>
    </div>
  );
}

/** One token: its name, when it was made and when it stops; revoking asks first. */
function TokenItem({ token: t, onRevoked }: { token: ServiceToken; onRevoked: () => void }) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const revokeBtn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await api.revokeToken(t.token_id);
      onRevoked();
    } catch (e) {
      // Already gone (revoked elsewhere, or expired): it leaves the list all the same.
      if (e instanceof ApiError && e.status === 404) onRevoked();
      else {
        setError(e);
        setBusy(false);
      }
    }
  }

  return (
    <li className="item token" data-id={t.token_id} data-testid="token">
      <div className="item-body">
        <strong>{t.name}</strong>
        <span className="item-detail">
          <RelTime iso={t.created_at} prefix="Created " /> · Expires{' '}
          <time dateTime={t.expires_at} title={exactTime(t.expires_at)}>
            {dayText(t.expires_at)}
          </time>
        </span>
        <ErrorNote error={error} />
      </div>
      {confirming ? (
        <span className="confirm" role="group" aria-label={`Revoke ${t.name}?`}>
          <span>Revoke “{t.name}”? What uses it stops working at once.</span>
          <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void revoke()}>
            Yes, revoke
          </button>
          <button
            ref={cancel}
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              setTimeout(() => revokeBtn.current?.focus());
            }}
          >
            Cancel
          </button>
        </span>
      ) : (
        <button ref={revokeBtn} type="button" className="btn btn-small" aria-label={`Revoke ${t.name}`} onClick={() => setConfirming(true)}>
          Revoke
        </button>
      )}
    </li>
  );
}

/** Issuing a token: its name and how many days it works. */
function TokenForm({ onIssued }: { onIssued: (t: IssuedToken) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const f = useForm(FIELDS);
  const submit = f.submit(() => {
    const n = name.trim();
    if (!n || n.length > 64) return localError('name', 'Name', 'enter 1 to 64 characters');
    const d = Number(days);
    if (!days.trim() || !Number.isInteger(d) || d < 1 || d > 3650) return localError('days', 'Valid for', 'enter whole days from 1 to 3650');
    return api.createToken({ name: n, days: d }).then((t) => {
      setName('');
      onIssued(t);
      // The new token's box says so (and takes the focus): no second "issued" here to outlive it.
      return '';
    });
  });
  return (
    <>
      <h3 id="tokens-new-h">Issue a token</h3>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="tokens-new-h">
        <Input
          id={NAME_ID}
          label="Name"
          path="name"
          f={f}
          hint="What will use it, such as n8n or a backup script (1 to 64 characters)."
          autoComplete="off"
          maxLength={64}
          value={name}
          onChange={setName}
        />
        <Input
          id="token-days"
          label="Valid for (days)"
          path="days"
          f={f}
          hint="1 to 3650 days; 365 by default."
          type="number"
          min="1"
          max="3650"
          inputMode="numeric"
          value={days}
          onChange={setDays}
        />
        <FormEnd form={f} label="Issue token" busyLabel="Issuing…" />
      </form>
    </>
  );
}
