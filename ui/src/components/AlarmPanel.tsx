import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError, errorText, lockoutText, type AlarmView, type ArmMode, type HomeMode, type ZoneRef } from '../api';
import { alarmState, ALARM_KIND_LABEL, armModeLabel, clock, exactTime, HOME_MODE_LABEL, homeModeLabel } from '../format';
import { useLoad, useNow } from '../hooks';
import { useApi } from '../session';
import { useStream } from '../stream';
import { Icon } from './Icon';
import { ErrorNote, Loading, Outcome, RelTime } from './ui';

/** A view and when it arrived: seconds_left counts from then. */
interface Stamped {
  view: AlarmView;
  at: number;
}
const stamp = (view: AlarmView): Stamped => ({ view, at: Date.now() });

/** Seconds left to `endsAt` (ms), ticking; null when nothing counts down. */
export function useCountdown(endsAt: number | null): number | null {
  const [, tick] = useState(0);
  useEffect(() => {
    if (endsAt === null) return;
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [endsAt]);
  // Read the clock at render: a view that just arrived counts from its full seconds_left.
  return endsAt === null ? null : Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
}

/** Why the keypad is open. */
type Pad = { purpose: 'disarm' } | { purpose: 'mode'; mode: HomeMode; until?: string };

type Note = { text: string; ok: boolean } | null;

const ARM_MAIN: ArmMode[] = ['home', 'away'];
const ARM_MORE: ArmMode[] = ['night', 'vacation'];

/** The home's alarm: state in words, arm buttons, countdowns, keypad, bypass, panic. Live from the stream. */
export function AlarmPanel() {
  const api = useApi();
  const loaded = useLoad(() => api.alarm().then(stamp), []);
  const { set, reload } = loaded;
  const v = loaded.data?.view;
  const [pad, setPad] = useState<Pad | null>(null);
  const [code, setCode] = useState('');
  const [padError, setPadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [blocked, setBlocked] = useState<{ mode: ArmMode; message: string; open: ZoneRef[] } | null>(null);
  const [more, setMore] = useState(false);
  const [confirmPanic, setConfirmPanic] = useState(false);
  const [lockedUntil, setLockedUntil] = useState<number | null>(null);
  const now = useNow(10000);

  // Whether the next state change is this screen's own doing (its note stays) or someone else's.
  const own = useRef(false);
  const show = (view: AlarmView, mine = true) => {
    own.current = mine;
    set(() => stamp(view));
  };

  useStream((m) => {
    if (m.type === 'alarm') show(m.alarm, false);
    else if (m.type === 'resync') reload();
  });

  // The keypad opens by itself when a code is due: an entry delay runs, or an alarm sounds.
  const state = v?.state;
  const prevState = useRef(state);
  useEffect(() => {
    if (state && state !== prevState.current && (state === 'pending' || state === 'triggered')) {
      setPad({ purpose: 'disarm' });
      setCode('');
      setPadError(null);
    }
    if (state === 'disarmed' && pad?.purpose === 'disarm') setPad(null);
    if (prevState.current && state !== prevState.current) {
      if (state !== 'disarmed') setBlocked(null);
      if (!own.current) setNote(null);
    }
    own.current = false;
    prevState.current = state;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state]);

  // Asked to disarm from elsewhere (the incident banner's Disarm): the keypad, opened afresh (its heading focused).
  const loc = useLocation();
  const askedDisarm = (loc.state as { disarm?: unknown } | null)?.disarm;
  const [padKey, setPadKey] = useState(0);
  const handledAsk = useRef<unknown>(undefined);
  useEffect(() => {
    if (!askedDisarm || !state || handledAsk.current === askedDisarm) return;
    handledAsk.current = askedDisarm;
    if (state === 'disarmed') {
      setNote({ text: 'The alarm is disarmed already.', ok: true });
      return;
    }
    setPad({ purpose: 'disarm' });
    setCode('');
    setPadError(null);
    setPadKey((k) => k + 1);
  }, [askedDisarm, state]);

  const counting = !!v && (v.state === 'arming' || v.state === 'pending') && v.seconds_left !== null;
  const endsAt = counting && loaded.data ? loaded.data.at + (v.seconds_left ?? 0) * 1000 : null;
  const secs = useCountdown(endsAt);
  // A delay that ran out without news from the stream: ask for the state.
  useEffect(() => {
    if (secs !== 0 || endsAt === null) return;
    const t = setTimeout(reload, 1500);
    return () => clearTimeout(t);
  }, [secs, endsAt, reload]);

  const serverLock = v?.lockout_until ? Date.parse(v.lockout_until) : NaN;
  const lockEnd = Math.max(Number.isNaN(serverLock) ? 0 : serverLock, lockedUntil ?? 0);
  const locked = lockEnd > now;

  function openPad(p: Pad) {
    setPad(p);
    setCode('');
    setPadError(null);
    setNote(null);
  }

  async function arm(mode: ArmMode, bypass: string[] = []) {
    setBusy(true);
    setNote(null);
    setBlocked(null);
    try {
      const view = await api.arm({ mode, bypass });
      show(view);
      setMore(false);
      setNote({ text: `Arming ${armModeLabel(mode)}: leave before the exit delay ends.`, ok: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.openSensors.length) {
        setBlocked({ mode, message: e.message, open: e.openSensors });
      } else setNote({ text: errorText(e), ok: false });
    } finally {
      setBusy(false);
    }
  }

  async function changeMode(mode: HomeMode, until?: string, withCode?: string) {
    setBusy(true);
    setNote(null);
    try {
      const view = await api.setMode({ mode, until, code: withCode });
      show(view);
      setPad(null);
      setMore(false);
      setNote({ text: `Mode changed to ${homeModeLabel(mode)}.`, ok: true });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && e.code === 'CODE_REQUIRED' && !withCode) {
        openPad({ purpose: 'mode', mode, until });
        setPadError(null);
        return false;
      }
      if (withCode) codeFailed(e);
      else setNote({ text: errorText(e), ok: false });
      return false;
    } finally {
      setBusy(false);
    }
  }

  function codeFailed(e: unknown) {
    setCode('');
    if (e instanceof ApiError && e.code === 'LOCKED_OUT') {
      const until = e.lockedUntil() ?? Date.now() + 15 * 60000;
      setLockedUntil(until);
      setPadError(lockoutText(until));
    } else if (e instanceof ApiError && e.code === 'INVALID_CODE') {
      setPadError('Wrong code. Try again.');
    } else if (e instanceof ApiError && e.status === 403 && e.code !== 'CODE_REQUIRED') {
      setPadError(pad?.purpose === 'mode' ? 'This code may not change the mode.' : 'This code may not disarm.');
    } else setPadError(errorText(e));
  }

  async function submitCode(e: FormEvent) {
    e.preventDefault();
    if (!pad || busy || locked) return;
    if (!/^\d{4,8}$/.test(code)) {
      setPadError('Enter your 4 to 8 digit code.');
      return;
    }
    setPadError(null);
    if (pad.purpose === 'mode') {
      await changeMode(pad.mode, pad.until, code);
      return;
    }
    setBusy(true);
    try {
      const view = await api.disarm(code);
      show(view);
      setPad(null);
      setCode('');
      setBlocked(null);
      setNote({ text: 'Disarmed.', ok: true });
    } catch (err) {
      codeFailed(err);
    } finally {
      setBusy(false);
    }
  }

  async function panic() {
    setConfirmPanic(false);
    setBusy(true);
    setNote(null);
    try {
      show(await api.panic());
    } catch (e) {
      setNote({ text: errorText(e), ok: false });
    } finally {
      setBusy(false);
    }
  }

  if (!v) {
    return (
      <section aria-labelledby="alarm-h" className="card alarm" data-testid="alarm-panel">
        <h2 id="alarm-h">Alarm</h2>
        {loaded.loading && <Loading what="the alarm" />}
        <ErrorNote error={loaded.error} onRetry={reload} />
      </section>
    );
  }

  const st = alarmState(v);
  const disarmed = v.state === 'disarmed';
  const armedMode: ArmMode | null = v.state.startsWith('armed_') || v.state === 'arming' ? v.arm_mode : null;
  const armButton = (m: ArmMode) => (
    <button
      key={m}
      type="button"
      className={`btn arm-btn${armedMode === m ? ' arm-btn-on' : ''}`}
      aria-pressed={armedMode === m}
      disabled={busy || !disarmed}
      onClick={() => void arm(m)}
    >
      <Icon name="shield" /> {armModeLabel(m)}
    </button>
  );

  return (
    <section aria-labelledby="alarm-h" className={`card alarm tone-${st.tone}`} data-testid="alarm-panel" data-state={v.state}>
      <div className="section-head">
        <h2 id="alarm-h">Alarm</h2>
        <Link to="/home/history">History</Link>
      </div>
      <p className={`alarm-state big-state tone-${st.tone}`} data-testid="alarm-state" role="status" aria-live="polite">
        <Icon name={st.icon} /> {st.label}
      </p>
      <p className="muted" data-testid="alarm-mode">
        Mode: {homeModeLabel(v.mode)}
        {v.mode_until && (
          <>
            {' '}
            until <time dateTime={v.mode_until}>{exactTime(v.mode_until)}</time>
            {v.return_mode ? `, then ${homeModeLabel(v.return_mode)}` : ''}
          </>
        )}
        {v.reason ? ` · ${v.reason.charAt(0).toUpperCase()}${v.reason.slice(1)}` : ''}
      </p>

      {counting && secs !== null && (
        <div className={`countdown countdown-${v.state}`} data-testid="alarm-countdown">
          <span className="countdown-label">
            {v.state === 'pending'
              ? 'Entry delay: enter your code now. Alarm in'
              : v.arm_mode
                ? `Exit delay: leave now. Armed ${armModeLabel(v.arm_mode)} in`
                : 'Exit delay: leave now. Armed in'}
          </span>
          <span className="countdown-time" role="timer" aria-label={`${secs} seconds left`}>
            {clock(secs)}
          </span>
        </div>
      )}

      {v.state === 'triggered' && v.alarm && (
        <div className="alarm-alert" role="alert" data-testid="alarm-alarm">
          <p className="alarm-alert-title">
            <Icon name="alert" /> {ALARM_KIND_LABEL[v.alarm.kind] ?? v.alarm.kind} alarm
            {v.alarm.zone ? ` - ${v.alarm.zone.name}` : ''}
          </p>
          <p>
            <RelTime iso={v.alarm.at} prefix="Raised " /> ·{' '}
            {v.alarm.sent ? (
              <strong>Sent to monitoring</strong>
            ) : v.alarm.abort_until ? (
              <strong>Not sent yet: disarm before {exactTime(v.alarm.abort_until)} and it is not sent</strong>
            ) : (
              <strong>Not sent</strong>
            )}
            {v.siren ? ' · Siren sounding' : ''}
          </p>
        </div>
      )}
      {v.state === 'triggered' && !v.alarm && v.siren && <p className="alarm-alert">Siren sounding</p>}

      {v.settling && <p className="note">Sensors are settling after a restart; nothing triggers for a minute.</p>}
      {disarmed && v.open.length > 0 && !blocked && (
        <p className="muted" data-testid="alarm-open-now">
          <Icon name="open" /> Open now: {v.open.map((o) => o.name).join(', ')}
        </p>
      )}
      {!disarmed && v.bypassed.length > 0 && (
        <p className="muted" data-testid="alarm-bypassed">
          Bypassed: {v.bypassed.map((o) => o.name).join(', ')}
        </p>
      )}
      {locked && !pad && (
        <p className="note note-error" role="alert" data-testid="alarm-lockout">
          <span aria-hidden="true">⚠ </span>
          {lockoutText(lockEnd, now)}
        </p>
      )}

      {blocked && (
        <div className="note note-warn" role="alert" data-testid="alarm-open">
          <p>
            <span aria-hidden="true">⚠ </span>
            {blocked.message}
          </p>
          <ul>
            {blocked.open.map((o) => (
              <li key={o.device_id}>
                <Icon name="open" /> {o.name} is open
              </li>
            ))}
          </ul>
          <div className="row">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void arm(blocked.mode, blocked.open.map((o) => o.device_id))}>
              Bypass and arm
            </button>
            <button type="button" className="btn" onClick={() => setBlocked(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}

      <div className="arm-buttons" role="group" aria-label="Arm or disarm">
        <button
          type="button"
          className={`btn arm-btn${disarmed ? ' arm-btn-on' : ''}`}
          aria-pressed={disarmed}
          disabled={busy || disarmed}
          onClick={() => openPad({ purpose: 'disarm' })}
        >
          <Icon name="shield_off" /> Off
        </button>
        {ARM_MAIN.map(armButton)}
        <button
          type="button"
          className="btn arm-btn"
          aria-expanded={more}
          aria-controls={more ? 'alarm-more' : undefined}
          onClick={() => setMore((x) => !x)}
        >
          More
        </button>
      </div>
      {more && (
        <div id="alarm-more" className="alarm-more">
          <div className="arm-buttons" role="group" aria-label="More ways to arm">
            {ARM_MORE.map(armButton)}
          </div>
          <ModeForm current={v.mode} busy={busy} onSubmit={(m, until) => void changeMode(m, until)} />
        </div>
      )}

      {pad && (
        <Keypad
          key={padKey}
          title={pad.purpose === 'disarm' ? 'Enter your code to disarm' : `Enter your code to change the mode to ${homeModeLabel(pad.mode)}`}
          code={code}
          setCode={setCode}
          error={locked ? lockoutText(lockEnd, now) : padError}
          busy={busy}
          locked={locked}
          onSubmit={submitCode}
          onCancel={() => {
            setPad(null);
            setCode('');
            setPadError(null);
          }}
        />
      )}

      <div className="alarm-panic">
        {!confirmPanic ? (
          <button type="button" className="btn btn-danger" disabled={busy} onClick={() => setConfirmPanic(true)}>
            <Icon name="bell" /> Panic
          </button>
        ) : (
          <div className="note note-error" role="group" aria-labelledby="panic-q" data-testid="panic-confirm">
            <p id="panic-q">Send a panic alarm now? The siren sounds and monitoring is called at once.</p>
            <div className="row">
              <ConfirmButton onClick={() => void panic()} />
              <button type="button" className="btn" onClick={() => setConfirmPanic(false)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </div>

      <div role="status" aria-live="polite" data-testid="alarm-result">
        {note && <Outcome ok={note.ok}>{note.text}</Outcome>}
      </div>
    </section>
  );
}

function ConfirmButton({ onClick }: { onClick: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <button ref={ref} type="button" className="btn btn-danger" onClick={onClick}>
      Yes, send a panic alarm
    </button>
  );
}

function ModeForm({ current, busy, onSubmit }: { current: HomeMode; busy: boolean; onSubmit: (m: HomeMode, until?: string) => void }) {
  const [mode, setMode] = useState<HomeMode>(current);
  const [until, setUntil] = useState('');
  const timed = mode === 'vacation' || mode === 'party';
  return (
    <form
      className="mode-form"
      onSubmit={(e) => {
        e.preventDefault();
        const u = timed && until ? new Date(until) : null;
        onSubmit(mode, u && !Number.isNaN(u.getTime()) ? u.toISOString() : undefined);
      }}
    >
      <div className="field">
        <label htmlFor="alarm-mode">Home mode</label>
        <select id="alarm-mode" value={mode} onChange={(e) => setMode(e.target.value as HomeMode)}>
          {(Object.keys(HOME_MODE_LABEL) as HomeMode[]).map((m) => (
            <option key={m} value={m}>
              {HOME_MODE_LABEL[m]}
            </option>
          ))}
        </select>
      </div>
      {timed && (
        <div className="field">
          <label htmlFor="alarm-until">{mode === 'vacation' ? 'Back on (optional)' : 'Party ends (optional, default 02:00)'}</label>
          <input id="alarm-until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
      )}
      <button type="submit" className="btn" disabled={busy}>
        Change mode
      </button>
    </form>
  );
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function Keypad({
  title,
  code,
  setCode,
  error,
  busy,
  locked,
  onSubmit,
  onCancel,
}: {
  title: string;
  code: string;
  setCode: (f: (c: string) => string) => void;
  error: string | null;
  busy: boolean;
  locked: boolean;
  onSubmit: (e: FormEvent) => void;
  onCancel: () => void;
}) {
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  const press = (d: string) => setCode((c) => (c.length < 8 ? c + d : c));
  const off = busy || locked;
  return (
    <form className="keypad" aria-labelledby="pad-h" onSubmit={onSubmit} data-testid="keypad" noValidate>
      <h3 id="pad-h" tabIndex={-1} ref={head}>
        {title}
      </h3>
      <label htmlFor="pad-code">Code</label>
      <input
        id="pad-code"
        className="pad-code"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        maxLength={8}
        value={code}
        disabled={off}
        onChange={(e) => {
          const digits = e.target.value.replace(/\D/g, '').slice(0, 8);
          setCode(() => digits);
        }}
        aria-describedby="pad-hint"
        aria-invalid={error ? true : undefined}
      />
      <p id="pad-hint" className="muted small">
        {code.length ? `${code.length} digit${code.length > 1 ? 's' : ''} entered` : '4 to 8 digits'}
      </p>
      <div className="pad-keys" role="group" aria-label="Keypad">
        {KEYS.map((k) => (
          <button key={k} type="button" className="btn pad-key" disabled={off} onClick={() => press(k)}>
            {k}
          </button>
        ))}
        <button type="button" className="btn pad-key" disabled={off} onClick={() => setCode(() => '')}>
          Clear
        </button>
        <button type="button" className="btn pad-key" disabled={off} onClick={() => press('0')}>
          0
        </button>
        <button type="submit" className="btn btn-primary pad-key" disabled={off}>
          Enter
        </button>
      </div>
      {error && (
        <p className="note note-error" role="alert" data-testid="keypad-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      <button type="button" className="btn btn-small" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
