import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type AlarmCode, type Contact, type Guest, type NewContact, type Pet } from '../api';
import { Saved, useFieldErrors } from '../components/form';
import { Icon, type IconName } from '../components/Icon';
import { Empty, ErrorNote, Loading, RelTime } from '../components/ui';
import { homeTime, isoToZoned, zonedToIso } from '../format';
import { useLoad, type Loadable } from '../hooks';
import { useApi } from '../session';
import { useHome, useHomeScope } from './homeScope';

type Item = { id: string };

/** Deleting from a list: the item leaves it when the server agrees (or no longer has it). */
function useRemove<T extends Item>(list: Loadable<T[]>, remove: (id: string) => Promise<void>) {
  const [busyId, setBusyId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  async function run(item: T, what: string) {
    setBusyId(item.id);
    setError(null);
    setDone(null);
    try {
      await remove(item.id);
      list.set((old) => old?.filter((x) => x.id !== item.id));
      setDone(`${what} removed.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) list.set((old) => old?.filter((x) => x.id !== item.id));
      else setError(e);
    } finally {
      setBusyId(null);
    }
  }
  return { busyId, error, done, run };
}

function Items<T extends Item>({
  items,
  label,
  testid,
  render,
  name,
  action = 'Delete',
  remove,
}: {
  items: T[];
  label: string;
  testid: string;
  render: (it: T) => ReactNode;
  name: (it: T) => string;
  action?: string;
  remove: ReturnType<typeof useRemove<T>>;
}) {
  return (
    <>
      <ul className="items" aria-label={label} data-testid={testid}>
        {items.map((it) => (
          <li key={it.id} className="item" data-id={it.id}>
            <div className="item-body">{render(it)}</div>
            <button
              type="button"
              className="btn btn-small"
              aria-label={`${action} ${name(it)}`}
              disabled={remove.busyId === it.id}
              onClick={() => void remove.run(it, name(it))}
            >
              {action}
            </button>
          </li>
        ))}
      </ul>
      <ErrorNote error={remove.error} />
      <Saved show={!!remove.done} text={remove.done ?? ''} />
    </>
  );
}

function ListState<T>({ list, what, empty }: { list: Loadable<T[]>; what: string; empty: string }) {
  return (
    <>
      {list.loading && !list.data && <Loading what={what} />}
      <ErrorNote error={list.error} onRetry={list.reload} />
      {list.data && list.data.length === 0 && <Empty>{empty}</Empty>}
    </>
  );
}

const append =
  <T,>(x: T) =>
  (old: T[] | undefined) => [...(old ?? []), x];

/** A text or number field with its label and its server error. */
function Field({
  id,
  label,
  path,
  f,
  hint,
  children,
}: {
  id: string;
  label: string;
  path: string;
  f: ReturnType<typeof useFieldErrors>;
  hint?: string;
  children: (a11y: ReturnType<ReturnType<typeof useFieldErrors>['a11y']>) => ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(f.a11y(path, hint ? `${id}-hint` : undefined))}
      {hint && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
      {f.err(path)}
    </div>
  );
}

// Codes

const permissionText = (c: AlarmCode) =>
  [c.permissions.disarm ? 'can disarm' : 'cannot disarm', c.permissions.change_mode ? 'can change the mode' : 'cannot change the mode'].join(', ');

export function Codes() {
  const api = useApi();
  const uid = useHomeScope();
  const list = useLoad(() => api.codes(uid).then((r) => r.codes), [uid]);
  const remove = useRemove(list, (id) => api.deleteCode(id, uid));
  return (
    <>
      <section aria-labelledby="codes-h" className="card">
        <h2 id="codes-h">Codes</h2>
        <p className="muted">Codes disarm the alarm and change the mode. A code is never shown again once saved.</p>
        <ListState list={list} what="codes" empty="No codes yet: add one to be able to disarm." />
        <Items
          items={list.data ?? []}
          label="Codes"
          testid="codes"
          name={(c) => `the code of ${c.name}`}
          remove={remove}
          render={(c) => (
            <>
              <strong>{c.name}</strong> <span className="tag">{c.kind === 'duress' ? 'Duress' : 'Member'}</span>
              <span className="item-detail">
                {permissionText(c).replace(/^./, (x) => x.toUpperCase())} · <RelTime iso={c.created_at} prefix="Added " />
              </span>
            </>
          )}
        />
      </section>
      <CodeForm onAdded={(c) => list.set(append(c))} />
    </>
  );
}

function CodeForm({ onAdded }: { onAdded: (c: AlarmCode) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [kind, setKind] = useState<AlarmCode['kind']>('member');
  const [disarm, setDisarm] = useState(true);
  const [changeMode, setChangeMode] = useState(true);
  const f = useFieldErrors(['name', 'code', 'kind', 'permissions', 'permissions.disarm', 'permissions.change_mode']);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setAdded(null);
    setBusy(true);
    try {
      const c = await api.addCode({ name: name.trim(), code, kind, permissions: { disarm, change_mode: changeMode } }, uid);
      onAdded(c);
      setAdded(`Code for ${c.name} added.`);
      setName('');
      setCode('');
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="addcode-h" className="card">
      <h2 id="addcode-h">Add a code</h2>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="addcode-h">
        <Field id="code-name" label="Name" path="name" f={f}>
          {(a) => <input id="code-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" {...a} />}
        </Field>
        <Field id="code-code" label="Code" path="code" f={f} hint="4 to 8 digits; not close to another code of the home.">
          {(a) => (
            <input
              id="code-code"
              type="password"
              inputMode="numeric"
              autoComplete="new-password"
              maxLength={8}
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
              {...a}
            />
          )}
        </Field>
        <Field id="code-kind" label="Kind" path="kind" f={f} hint="A duress code disarms as usual and silently calls for help.">
          {(a) => (
            <select id="code-kind" value={kind} onChange={(e) => setKind(e.target.value as AlarmCode['kind'])} {...a}>
              <option value="member">Member</option>
              <option value="duress">Duress</option>
            </select>
          )}
        </Field>
        <fieldset className="checks-field">
          <legend>Permissions</legend>
          <div className="field field-check">
            <input id="code-disarm" type="checkbox" checked={disarm} onChange={(e) => setDisarm(e.target.checked)} {...f.a11y('permissions.disarm')} />
            <label htmlFor="code-disarm">May disarm</label>
            {f.err('permissions.disarm')}
          </div>
          <div className="field field-check">
            <input
              id="code-mode"
              type="checkbox"
              checked={changeMode}
              onChange={(e) => setChangeMode(e.target.checked)}
              {...f.a11y('permissions.change_mode')}
            />
            <label htmlFor="code-mode">May change the mode</label>
            {f.err('permissions.change_mode')}
          </div>
          {f.err('permissions')}
        </fieldset>
        {f.summary}
        <Saved show={!!added} text={added ?? ''} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add code'}
        </button>
      </form>
    </section>
  );
}

// Guests

const GUEST_STATUS: Record<Guest['status'], { text: string; icon: IconName; tone: string }> = {
  scheduled: { text: 'Scheduled', icon: 'timer', tone: 'info' },
  active: { text: 'Active', icon: 'check', tone: 'ok' },
  expired: { text: 'Expired', icon: 'cross', tone: 'off' },
  used: { text: 'Used', icon: 'lock', tone: 'off' },
};

export function Guests() {
  const api = useApi();
  const uid = useHomeScope();
  const home = useHome();
  const list = useLoad(() => api.guests(uid).then((r) => r.guests), [uid]);
  const remove = useRemove(list, (id) => api.deleteGuest(id, uid));
  const tz = home.data?.time_zone;
  return (
    <>
      <section aria-labelledby="guests-h" className="card">
        <h2 id="guests-h">Guest codes</h2>
        <p className="muted">A guest code disarms only between its start and end{tz ? `, in the home's time (${tz})` : ''}.</p>
        <ListState list={list} what="guests" empty="No guest codes." />
        <Items
          items={list.data ?? []}
          label="Guest codes"
          testid="guests"
          name={(g) => `the guest code of ${g.name}`}
          action="Revoke"
          remove={remove}
          render={(g) => {
            const s = GUEST_STATUS[g.status] ?? { text: g.status, icon: 'question' as IconName, tone: 'info' };
            return (
              <>
                <strong>{g.name}</strong>{' '}
                <span className={`badge badge-${s.tone}`} data-testid="guest-status">
                  <Icon name={s.icon} /> {s.text}
                </span>
                {g.single_use && <span className="tag">single use</span>}
                <span className="item-detail">
                  From {homeTime(g.starts_at, tz)} to {homeTime(g.ends_at, tz)}
                  {g.used_at && (
                    <>
                      {' '}
                      · <RelTime iso={g.used_at} prefix="Used " />
                    </>
                  )}
                </span>
              </>
            );
          }}
        />
      </section>
      {(home.data || home.error) && <GuestForm tz={tz} onAdded={(g) => list.set(append(g))} />}
    </>
  );
}

function GuestForm({ tz, onAdded }: { tz: string | undefined; onAdded: (g: Guest) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [starts, setStarts] = useState('');
  const [ends, setEnds] = useState(() => isoToZoned(Date.now() + 86400_000, tz));
  const [single, setSingle] = useState(false);
  const f = useFieldErrors(['name', 'code', 'starts_at', 'ends_at', 'single_use']);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setAdded(null);
    const startsAt = starts ? zonedToIso(starts, tz) : undefined;
    const endsAt = zonedToIso(ends, tz);
    if (startsAt === null) return f.fail(new ApiError(400, 'VALIDATION_ERROR', 'Starts: enter a date and time', { field: 'starts_at', reason: 'enter a date and time' }));
    if (!endsAt) return f.fail(new ApiError(400, 'VALIDATION_ERROR', 'Ends: enter a date and time', { field: 'ends_at', reason: 'enter a date and time' }));
    setBusy(true);
    try {
      const g = await api.addGuest({ name: name.trim(), code, starts_at: startsAt, ends_at: endsAt, single_use: single }, uid);
      onAdded(g);
      setAdded(`Guest code for ${g.name} added.`);
      setName('');
      setCode('');
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }
  const zone = tz ? ` (home time)` : '';
  return (
    <section aria-labelledby="addguest-h" className="card">
      <h2 id="addguest-h">Add a guest code</h2>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="addguest-h">
        <Field id="guest-name" label="Name" path="name" f={f}>
          {(a) => <input id="guest-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" {...a} />}
        </Field>
        <Field id="guest-code" label="Code" path="code" f={f} hint="4 to 8 digits.">
          {(a) => (
            <input
              id="guest-code"
              type="password"
              inputMode="numeric"
              autoComplete="new-password"
              maxLength={8}
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
              {...a}
            />
          )}
        </Field>
        <Field id="guest-starts" label={`Starts${zone}`} path="starts_at" f={f} hint="Empty: now.">
          {(a) => <input id="guest-starts" type="datetime-local" value={starts} onChange={(e) => setStarts(e.target.value)} {...a} />}
        </Field>
        <Field id="guest-ends" label={`Ends${zone}`} path="ends_at" f={f}>
          {(a) => <input id="guest-ends" type="datetime-local" value={ends} onChange={(e) => setEnds(e.target.value)} {...a} />}
        </Field>
        <div className="field field-check">
          <input id="guest-single" type="checkbox" checked={single} onChange={(e) => setSingle(e.target.checked)} {...f.a11y('single_use')} />
          <label htmlFor="guest-single">Single use (works once)</label>
          {f.err('single_use')}
        </div>
        {f.summary}
        <Saved show={!!added} text={added ?? ''} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add guest code'}
        </button>
      </form>
    </section>
  );
}

// Pets

const PET_KIND: Record<Pet['kind'], string> = { cat: 'cat', dog: 'dog', other: 'pet' };
const PET_SIZE: Record<Pet['size'], string> = { small: 'Small', medium: 'Medium', large: 'Large' };
export const petText = (p: Pick<Pet, 'kind' | 'size'>) => `${PET_SIZE[p.size] ?? p.size} ${PET_KIND[p.kind] ?? p.kind}`;

export function Pets() {
  const api = useApi();
  const uid = useHomeScope();
  const list = useLoad(() => api.pets(uid).then((r) => r.pets), [uid]);
  const remove = useRemove(list, (id) => api.deletePet(id, uid));
  return (
    <>
      <section aria-labelledby="pets-h" className="card">
        <h2 id="pets-h">Pets</h2>
        <p className="muted">With a pet registered, a single motion at night is logged as pet activity, not an alarm.</p>
        <ListState list={list} what="pets" empty="No pets registered." />
        <Items
          items={list.data ?? []}
          label="Pets"
          testid="pets"
          name={(p) => p.name}
          remove={remove}
          render={(p) => (
            <>
              <strong>{p.name}</strong> <span className="item-detail">{petText(p)}</span>
            </>
          )}
        />
      </section>
      <PetForm onAdded={(p) => list.set(append(p))} />
    </>
  );
}

function PetForm({ onAdded }: { onAdded: (p: Pet) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Pet['kind']>('cat');
  const [size, setSize] = useState<Pet['size']>('small');
  const f = useFieldErrors(['name', 'kind', 'size']);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setAdded(null);
    setBusy(true);
    try {
      const p = await api.addPet({ name: name.trim(), kind, size }, uid);
      onAdded(p);
      setAdded(`${p.name} added.`);
      setName('');
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="addpet-h" className="card">
      <h2 id="addpet-h">Add a pet</h2>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="addpet-h">
        <Field id="pet-name" label="Name" path="name" f={f}>
          {(a) => <input id="pet-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" {...a} />}
        </Field>
        <Field id="pet-kind" label="Kind" path="kind" f={f}>
          {(a) => (
            <select id="pet-kind" value={kind} onChange={(e) => setKind(e.target.value as Pet['kind'])} {...a}>
              <option value="cat">Cat</option>
              <option value="dog">Dog</option>
              <option value="other">Other</option>
            </select>
          )}
        </Field>
        <Field id="pet-size" label="Size" path="size" f={f}>
          {(a) => (
            <select id="pet-size" value={size} onChange={(e) => setSize(e.target.value as Pet['size'])} {...a}>
              <option value="small">Small</option>
              <option value="medium">Medium</option>
              <option value="large">Large</option>
            </select>
          )}
        </Field>
        {f.summary}
        <Saved show={!!added} text={added ?? ''} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add pet'}
        </button>
      </form>
    </section>
  );
}

// Emergency contacts

const byPriority = (a: Contact, b: Contact) => (a.priority ?? 99) - (b.priority ?? 99) || a.name.localeCompare(b.name);

export function Contacts() {
  const api = useApi();
  const uid = useHomeScope();
  const list = useLoad(() => api.contacts(uid).then((r) => r.contacts), [uid]);
  const remove = useRemove(list, (id) => api.deleteContact(id, uid));
  return (
    <>
      <section aria-labelledby="contacts-h" className="card">
        <h2 id="contacts-h">Emergency contacts</h2>
        <p className="muted">Called in order of priority (1 first) when an alarm is raised.</p>
        <ListState list={list} what="contacts" empty="No emergency contacts yet." />
        <Items
          items={[...(list.data ?? [])].sort(byPriority)}
          label="Emergency contacts"
          testid="contacts"
          name={(c) => c.name}
          remove={remove}
          render={(c) => (
            <>
              <strong>{c.name}</strong>
              {c.relation ? <span className="muted"> ({c.relation})</span> : null}
              <span className="item-detail">
                {[c.phone, c.email, c.priority !== null && c.priority !== undefined ? `priority ${c.priority}` : null]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </>
          )}
        />
      </section>
      <ContactForm onAdded={(c) => list.set(append(c))} />
    </>
  );
}

function ContactForm({ onAdded }: { onAdded: (c: Contact) => void }) {
  const api = useApi();
  const uid = useHomeScope();
  const [v, setV] = useState({ name: '', relation: '', phone: '', email: '', priority: '' });
  const f = useFieldErrors(['name', 'relation', 'phone', 'email', 'priority']);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    f.clear();
    setAdded(null);
    const body: NewContact = { name: v.name.trim() };
    if (v.relation.trim()) body.relation = v.relation.trim();
    if (v.phone.trim()) body.phone = v.phone.trim();
    if (v.email.trim()) body.email = v.email.trim();
    if (v.priority.trim()) {
      const n = Number(v.priority);
      if (!Number.isInteger(n)) return f.fail(new ApiError(400, 'VALIDATION_ERROR', 'Priority: enter a whole number from 1 to 10', { field: 'priority', reason: 'enter a whole number from 1 to 10' }));
      body.priority = n;
    }
    setBusy(true);
    try {
      const c = await api.addContact(body, uid);
      onAdded(c);
      setAdded(`${c.name} added.`);
      setV({ name: '', relation: '', phone: '', email: '', priority: '' });
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  }
  const input = (k: keyof typeof v, type = 'text', extra: Record<string, string> = {}) =>
    (a: ReturnType<typeof f.a11y>) => (
      <input id={`contact-${k}`} type={type} value={v[k]} onChange={(e) => setV({ ...v, [k]: e.target.value })} {...extra} {...a} />
    );
  return (
    <section aria-labelledby="addcontact-h" className="card">
      <h2 id="addcontact-h">Add an emergency contact</h2>
      <form onSubmit={submit} noValidate className="cfg" aria-labelledby="addcontact-h">
        <Field id="contact-name" label="Name" path="name" f={f}>
          {input('name', 'text', { autoComplete: 'off' })}
        </Field>
        <Field id="contact-relation" label="Relation (optional)" path="relation" f={f}>
          {input('relation')}
        </Field>
        <Field id="contact-phone" label="Phone" path="phone" f={f} hint="A phone or an email is needed.">
          {input('phone', 'tel', { autoComplete: 'off' })}
        </Field>
        <Field id="contact-email" label="Email" path="email" f={f}>
          {input('email', 'email', { autoComplete: 'off' })}
        </Field>
        <Field id="contact-priority" label="Priority (1-10, optional)" path="priority" f={f}>
          {input('priority', 'number', { min: '1', max: '10', inputMode: 'numeric' })}
        </Field>
        {f.summary}
        <Saved show={!!added} text={added ?? ''} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add contact'}
        </button>
      </form>
    </section>
  );
}
