import { useEffect, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiError, errorText, type DemoAccount } from '../api';
import { useSession } from '../session';
import { Icon } from '../components/Icon';

export function Login() {
  const { api, signIn, endedReason } = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const [accounts, setAccounts] = useState<DemoAccount[] | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [waitUntil, setWaitUntil] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let live = true;
    api
      .demoAccounts()
      .then((r) => {
        if (!live) return;
        setAccounts(r.accounts ?? []);
        if (r.accounts?.length && r.password) setPassword(r.password);
      })
      .catch(() => live && setAccounts([]));
    return () => {
      live = false;
    };
  }, [api]);

  useEffect(() => {
    if (!waitUntil) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= waitUntil) {
        setWaitUntil(null);
        setError(null);
      }
    }, 1000);
    return () => clearInterval(t);
  }, [waitUntil]);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await api.login(email.trim(), password);
      signIn(r.token, r.user, r.expires_at);
      const from = (loc.state as { from?: string } | null)?.from;
      nav(from && from !== '/login' ? from : '/', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'RATE_LIMITED') {
        const s = e.retryAfterSeconds ?? 60;
        setWaitUntil(Date.now() + s * 1000);
        setNow(Date.now());
        setError('Too many failed attempts for this account.');
      } else if (e instanceof ApiError && e.code === 'INVALID_CREDENTIALS') {
        setError('Wrong email or password.');
      } else {
        setError(errorText(e));
      }
    } finally {
      setBusy(false);
    }
  }

  const wait = waitUntil ? Math.max(0, Math.ceil((waitUntil - now) / 1000)) : 0;

  return (
    <main id="main" className="login">
      <h1>
        <Icon name="shield" /> HomeGuard
      </h1>
      <p className="muted">Log in to see your home.</p>
      {endedReason && (
        <p className="note" role="status">
          {endedReason}
        </p>
      )}
      {accounts && accounts.length > 0 && (
        <fieldset className="picker">
          <legend>Demo accounts (password {password ? 'filled in' : 'demo123'})</legend>
          <div className="picker-list">
            {accounts.map((a) => (
              <button
                key={a.email}
                type="button"
                className="btn picker-btn"
                aria-pressed={email === a.email}
                onClick={() => setEmail(a.email)}
              >
                <strong>{a.name}</strong>
                <span>
                  {a.email} · {a.role}
                </span>
              </button>
            ))}
          </div>
        </fieldset>
      )}
      <form onSubmit={submit} noValidate aria-describedby={error ? 'login-error' : undefined}>
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p id="login-error" className="note note-error" role="alert" data-testid="login-error">
            <span aria-hidden="true">⚠ </span>
            {error}
            {wait > 0 && ` Try again in ${wait} s.`}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || wait > 0 || !email || !password}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
