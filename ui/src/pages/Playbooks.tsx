import { useRef, useState } from 'react';
import { Link } from 'react-router';
import type { Playbook, PlaybookKind, PlaybookStep, PlaybooksView, WellnessView } from '../api';
import { Check, FormEnd, Input, localError, useForm } from '../components/form';
import { Icon, type IconName } from '../components/Icon';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { exactTime, humanize } from '../format';
import { useLoad } from '../hooks';
import { useApi, useSession } from '../session';

/** The steps each playbook takes unless the household changed them (the server has no "reset": these are sent). */
export const PLAYBOOK_DEFAULTS: Record<PlaybookKind, PlaybookStep[]> = {
  fire: ['unlock_doors', 'hvac_off', 'notify_contacts'],
  break_in: ['record_cameras', 'lock_doors'],
};

const PLAYBOOK: Record<PlaybookKind, { name: string; short: string; icon: IconName; when: string }> = {
  fire: { name: 'Fire', short: 'fire', icon: 'smoke', when: 'On a fire alarm (a smoke detector), HomeGuard on its own:' },
  break_in: {
    name: 'Break-in (and panic)',
    short: 'break-in',
    icon: 'shield_off',
    when: 'On an intrusion alarm or a panic, HomeGuard on its own:',
  },
};
const lookOf = (kind: string) =>
  PLAYBOOK[kind as PlaybookKind] ?? { name: humanize(kind), short: humanize(kind).toLowerCase(), icon: 'alert' as IconName, when: 'HomeGuard on its own:' };

/** `/security/playbooks`: what HomeGuard does on its own when an emergency opens an incident, per playbook. */
export default function Playbooks() {
  const api = useApi();
  const { user } = useSession();
  const member = user?.role !== 'admin';
  const playbooks = useLoad(() => (member ? api.playbooks() : Promise.resolve(undefined)), [member]);
  // notify_contacts e-mails the home's emergency contacts: say so when there is none.
  const contacts = useLoad(() => (member ? api.contacts().then((r) => r.contacts) : Promise.resolve(undefined)), [member]);
  const wellness = useLoad(() => (member ? api.wellness() : Promise.resolve(undefined)), [member]);
  return (
    <div className="playbooks">
      <h1>Playbooks</h1>
      <p className="muted">
        What HomeGuard does on its own when an alarm opens an incident. Each step goes through the same checks as your own
        commands, and what became of it is written in the incident's timeline (under <Link to="/incidents">Incidents</Link>).
        Below them, the wellness check: who is asked when nothing moves at home for too long.
      </p>
      {!member ? (
        <Empty>Each household chooses its own playbooks, signed in as themselves.</Empty>
      ) : (
        <>
          {playbooks.loading && !playbooks.data && <Loading what="playbooks" />}
          {!playbooks.data && <ErrorNote error={playbooks.error} onRetry={playbooks.reload} />}
          {playbooks.data?.playbooks.map((p) => (
            <PlaybookCard key={p.kind} initial={p} noContacts={contacts.data?.length === 0} onSaved={(v) => playbooks.set(() => v)} />
          ))}
          <section className="card wellness" aria-labelledby="wellness-h" data-testid="wellness">
            <h2 id="wellness-h">
              <Icon name="motion" /> Wellness check
            </h2>
            {wellness.loading && !wellness.data && <Loading what="the wellness check" />}
            {!wellness.data && <ErrorNote error={wellness.error} onRetry={wellness.reload} />}
            {wellness.data && (
              <WellnessForm initial={wellness.data} noContacts={contacts.data?.length === 0} onSaved={(v) => wellness.set(() => v)} />
            )}
          </section>
        </>
      )}
    </div>
  );
}

function PlaybookCard({ initial, noContacts, onSaved }: { initial: Playbook; noContacts: boolean; onSaved: (v: PlaybooksView) => void }) {
  const api = useApi();
  const kind = initial.kind;
  const look = lookOf(kind);
  const defaults = PLAYBOOK_DEFAULTS[kind] as PlaybookStep[] | undefined;
  const [steps, setSteps] = useState<PlaybookStep[]>(initial.steps);
  // What the last save sent: the server names a refused step by its place in it (`steps[1]`).
  const sent = useRef<PlaybookStep[]>([]);
  const choice = useRef<'save' | 'defaults'>('save');
  const [restoring, setRestoring] = useState(false);
  const f = useForm(
    initial.available.map((a) => `steps.${a.step}`),
    (field) => {
      const m = /^steps\[(\d+)\]$/.exec(field);
      const step = m ? sent.current[Number(m[1])] : undefined;
      return step ? `steps.${step}` : field;
    },
  );
  const id = `pb-${kind}`;
  const words = (s: PlaybookStep) => initial.available.find((a) => a.step === s)?.words ?? humanize(s);

  const submit = f.submit(() => {
    const restore = choice.current === 'defaults' && defaults !== undefined;
    choice.current = 'save';
    setRestoring(restore);
    // In the order they are listed (the order they run), each once.
    const body = restore ? [...defaults] : initial.available.map((a) => a.step).filter((s) => steps.includes(s));
    sent.current = body;
    if (restore) setSteps(body);
    return api.setPlaybook(kind, body).then((v) => {
      const mine = v.playbooks.find((p) => p.kind === kind);
      if (mine) setSteps(mine.steps);
      onSaved(v);
      return restore ? `Defaults restored: the ${look.short} playbook is saved.` : `The ${look.short} playbook is saved.`;
    });
  });

  const contactsStep = steps.includes('notify_contacts');
  return (
    <section className="card playbook" aria-labelledby={`${id}-h`} data-testid="playbook" data-kind={kind}>
      <h2 id={`${id}-h`}>
        <Icon name={look.icon} /> {look.name}
      </h2>
      <form onSubmit={(e) => void submit(e)} noValidate className="prefs" aria-labelledby={`${id}-h`}>
        <fieldset>
          <legend>{look.when}</legend>
          <p className="hint">
            The steps ticked run in the order listed.
          </p>
          {initial.available.map((a) => (
            <Check
              key={a.step}
              id={`${id}-${a.step}`}
              label={a.words}
              path={`steps.${a.step}`}
              f={f}
              checked={steps.includes(a.step)}
              onChange={(on) => setSteps((old) => [...old.filter((s) => s !== a.step), ...(on ? [a.step] : [])])}
            />
          ))}
          {steps.length === 0 && (
            <p className="muted small" data-testid="no-steps">
              None ticked: HomeGuard takes no step of its own; what happens regardless (below) still does.
            </p>
          )}
          <div aria-live="polite">
            {contactsStep && noContacts && (
              <p className="note note-warn" data-testid="no-contacts">
                <span aria-hidden="true">⚠ </span>
                This home has no emergency contacts yet, so no one would be e-mailed.{' '}
                <Link to="/home/contacts">Add emergency contacts</Link>
              </p>
            )}
          </div>
        </fieldset>
        <p className="note" data-testid="playbook-always">
          <strong>Whatever you choose:</strong> {initial.always}
        </p>
        <div className="form-end">
          <FormEnd form={f} label="" button={false} />
          <button type="submit" className="btn btn-primary" disabled={f.busy} onClick={() => (choice.current = 'save')}>
            {f.busy && !restoring ? 'Saving…' : `Save ${look.short} playbook`}
          </button>
          {defaults && (
            <button
              type="submit"
              className="btn"
              disabled={f.busy}
              aria-describedby={`${id}-defaults`}
              onClick={() => (choice.current = 'defaults')}
            >
              {f.busy && restoring ? 'Restoring…' : 'Restore defaults'}{' '}
              <span className="sr-only">of the {look.short} playbook</span>
            </button>
          )}
          {defaults && (
            <span className="hint" id={`${id}-defaults`}>
              Defaults: {defaults.map(words).join(', ')}.
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** A time input may answer "07:00:00" where seconds are shown: the server wants HH:MM. */
const hhmm = (t: string) => t.slice(0, 5);
const WELLNESS_FIELDS = ['hours', 'awake_from', 'awake_until'] as const;

/** The wellness check, for a home where someone may need looking after: on or off, after how long, in which hours. */
function WellnessForm({ initial, noContacts, onSaved }: { initial: WellnessView; noContacts: boolean; onSaved: (v: WellnessView) => void }) {
  const api = useApi();
  const [saved, setSaved] = useState(initial);
  const [enabled, setEnabled] = useState(initial.enabled);
  const [hours, setHours] = useState(String(initial.hours));
  const [from, setFrom] = useState(initial.awake_from);
  const [until, setUntil] = useState(initial.awake_until);
  const f = useForm(WELLNESS_FIELDS);
  const minutes = saved.contacts_after_minutes;

  const submit = f.submit(() => {
    const h = Number(hours);
    if (hours.trim() === '' || !Number.isInteger(h) || h < 1 || h > 24) return localError('hours', 'Hours', 'must be a whole number from 1 to 24');
    const a = hhmm(from);
    const b = hhmm(until);
    if (!HHMM.test(a)) return localError('awake_from', 'Awake from', 'enter a time (HH:MM)');
    if (!HHMM.test(b)) return localError('awake_until', 'Awake until', 'enter a time (HH:MM)');
    return api.setWellness({ enabled, hours: h, awake_from: a, awake_until: b }).then((v) => {
      setSaved(v);
      setEnabled(v.enabled);
      setHours(String(v.hours));
      setFrom(v.awake_from);
      setUntil(v.awake_until);
      onSaved(v);
      return v.enabled ? `The wellness check is on: after ${v.hours} h without activity, from ${v.awake_from} to ${v.awake_until}.` : 'The wellness check is off.';
    });
  });

  return (
    <>
      <p>
        For a home where someone may need looking after, such as a parent living alone. When nothing moves at home (no
        motion, door or lock activity) for longer than you choose during waking hours, HomeGuard asks the household whether
        all is well, and e-mails the emergency contacts when nobody acknowledges within {minutes} min.
      </p>
      <p className="hint">
        Quiet outside the waking hours is sleep, and it is not checked while the home is in away or vacation mode or armed
        away. Quiet before it is turned on or changed does not count.
      </p>
      <p className="wellness-state" data-testid="wellness-state">
        {saved.enabled ? (
          <>
            <span className="chip chip-ok">
              <Icon name="check" /> On
            </span>
            {saved.since && (
              <>
                {' '}
                since <time dateTime={saved.since}>{exactTime(saved.since)}</time> (<RelTime iso={saved.since} />)
              </>
            )}
          </>
        ) : (
          <span className="chip chip-off">
            <Icon name="pause" /> Off
          </span>
        )}
      </p>
      <form onSubmit={(e) => void submit(e)} noValidate className="prefs" aria-labelledby="wellness-h">
        <div className="field">
          <span className="switch">
            <input
              id="wellness-on"
              type="checkbox"
              role="switch"
              checked={enabled}
              onChange={(e) => setEnabled(e.target.checked)}
              aria-describedby="wellness-on-hint"
            />
            <label htmlFor="wellness-on">Wellness check</label>
          </span>
          <span className="hint" id="wellness-on-hint" data-testid="wellness-unsaved" aria-live="polite">
            {enabled === saved.enabled ? '' : enabled ? 'Not saved yet: save to turn it on.' : 'Not saved yet: save to turn it off.'}
          </span>
        </div>
        <Input
          id="wellness-hours"
          label="Ask after this many hours without activity"
          path="hours"
          f={f}
          hint="From 1 to 24."
          type="number"
          inputMode="numeric"
          min={1}
          max={24}
          step={1}
          value={hours}
          onChange={setHours}
        />
        <fieldset>
          <legend>Waking hours (home time)</legend>
          <div className="times">
            <Input id="wellness-from" label="Awake from" path="awake_from" f={f} type="time" value={from} onChange={setFrom} />
            <Input
              id="wellness-until"
              label="Awake until"
              path="awake_until"
              f={f}
              hint="May be past midnight (10:00 to 02:00)."
              type="time"
              value={until}
              onChange={setUntil}
            />
          </div>
        </fieldset>
        <div aria-live="polite">
          {enabled && noContacts && (
            <p className="note note-warn" data-testid="wellness-no-contacts">
              <span aria-hidden="true">⚠ </span>
              This home has no emergency contacts yet, so only the household would be asked.{' '}
              <Link to="/home/contacts">Add emergency contacts</Link>
            </p>
          )}
        </div>
        <div className="form-end">
          <FormEnd form={f} label="Save wellness check" />
        </div>
      </form>
    </>
  );
}
