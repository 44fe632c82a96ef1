import { useState, type ReactNode } from 'react';
import { ApiError, type AlarmCode, type Client, type Contact, type Guest, type NewCode, type NewContact, type NewGuest, type NewPet, type Pet } from '../api';
import { Check, FormCard, Input, localError, Saved, Select, useForm, type FieldErrors } from '../components/form';
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

/**
 * One of the home's lists (`id` names its heading `${id}-h` and its list), each item with its delete
 * button, and below it the form that adds to it.
 */
function ListSection<T extends Item, New>({
  id,
  title,
  intro,
  empty,
  load,
  add,
  remove,
  sort,
  render,
  name,
  action = 'Delete',
  form,
}: {
  id: string;
  title: string;
  intro: string;
  empty: string;
  load: (api: Client, uid: string | undefined) => Promise<T[]>;
  add: (api: Client, body: New, uid: string | undefined) => Promise<T>;
  remove: (api: Client, id: string, uid: string | undefined) => Promise<void>;
  sort?: (a: T, b: T) => number;
  render: (it: T) => ReactNode;
  name: (it: T) => string;
  action?: string;
  /** The form, given how to add to the list (on the server, then on screen). */
  form: (add: (body: New) => Promise<T>) => ReactNode;
}) {
  const api = useApi();
  const uid = useHomeScope();
  const list = useLoad(() => load(api, uid), [uid]);
  const rm = useRemove(list, (x) => remove(api, x, uid));
  const items = sort ? [...(list.data ?? [])].sort(sort) : (list.data ?? []);
  return (
    <>
      <section aria-labelledby={`${id}-h`} className="card">
        <h2 id={`${id}-h`}>{title}</h2>
        <p className="muted">{intro}</p>
        {list.loading && !list.data && <Loading what={id} />}
        <ErrorNote error={list.error} onRetry={list.reload} />
        {list.data && list.data.length === 0 && <Empty>{empty}</Empty>}
        <ul className="items" aria-label={title} data-testid={id}>
          {items.map((it) => (
            <li key={it.id} className="item" data-id={it.id}>
              <div className="item-body">{render(it)}</div>
              <button
                type="button"
                className="btn btn-small"
                aria-label={`${action} ${name(it)}`}
                disabled={rm.busyId === it.id}
                onClick={() => void rm.run(it, name(it))}
              >
                {action}
              </button>
            </li>
          ))}
        </ul>
        <ErrorNote error={rm.error} />
        <Saved show={!!rm.done} text={rm.done ?? ''} />
      </section>
      {form((body) =>
        add(api, body, uid).then((it) => {
          list.set((old) => [...(old ?? []), it]);
          return it;
        }),
      )}
    </>
  );
}

/** A code's field: digits only, 8 at the most, never shown. */
function CodeInput({ id, f, hint, value, onChange }: { id: string; f: FieldErrors; hint: string; value: string; onChange: (v: string) => void }) {
  return (
    <Input
      id={id}
      label="Code"
      path="code"
      f={f}
      hint={hint}
      type="password"
      inputMode="numeric"
      autoComplete="new-password"
      maxLength={8}
      value={value}
      onChange={(v) => onChange(v.replace(/\D/g, ''))}
    />
  );
}

// Codes

const CODE_KINDS: [AlarmCode['kind'], string][] = [
  ['member', 'Member'],
  ['duress', 'Duress'],
];

const permissionText = (c: AlarmCode) =>
  [c.permissions.disarm ? 'can disarm' : 'cannot disarm', c.permissions.change_mode ? 'can change the mode' : 'cannot change the mode'].join(', ');

export function Codes() {
  return (
    <ListSection
      id="codes"
      title="Codes"
      intro="Codes disarm the alarm and change the mode. A code is never shown again once saved."
      empty="No codes yet: add one to be able to disarm."
      load={(api, uid) => api.codes(uid).then((r) => r.codes)}
      add={(api, body: NewCode, uid) => api.addCode(body, uid)}
      remove={(api, id, uid) => api.deleteCode(id, uid)}
      name={(c) => `the code of ${c.name}`}
      render={(c) => (
        <>
          <strong>{c.name}</strong> <span className="tag">{c.kind === 'duress' ? 'Duress' : 'Member'}</span>
          <span className="item-detail">
            {permissionText(c).replace(/^./, (x) => x.toUpperCase())} · <RelTime iso={c.created_at} prefix="Added " />
          </span>
        </>
      )}
      form={(add) => <CodeForm add={add} />}
    />
  );
}

function CodeForm({ add }: { add: (c: NewCode) => Promise<AlarmCode> }) {
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [kind, setKind] = useState<AlarmCode['kind']>('member');
  const [disarm, setDisarm] = useState(true);
  const [changeMode, setChangeMode] = useState(true);
  const f = useForm(['name', 'code', 'kind', 'permissions', 'permissions.disarm', 'permissions.change_mode']);
  const submit = f.submit(async () => {
    const c = await add({ name: name.trim(), code, kind, permissions: { disarm, change_mode: changeMode } });
    setName('');
    setCode('');
    return `Code for ${c.name} added.`;
  });
  return (
    <FormCard id="addcode-h" title="Add a code" form={f} onSubmit={submit} label="Add code" busyLabel="Adding…">
      <Input id="code-name" label="Name" path="name" f={f} value={name} onChange={setName} autoComplete="off" />
      <CodeInput id="code-code" f={f} hint="4 to 8 digits; not close to another code of the home." value={code} onChange={setCode} />
      <Select
        id="code-kind"
        label="Kind"
        path="kind"
        f={f}
        hint="A duress code disarms as usual and silently calls for help."
        options={CODE_KINDS}
        value={kind}
        onChange={setKind}
      />
      <fieldset className="checks-field">
        <legend>Permissions</legend>
        <Check id="code-disarm" label="May disarm" path="permissions.disarm" f={f} checked={disarm} onChange={setDisarm} />
        <Check id="code-mode" label="May change the mode" path="permissions.change_mode" f={f} checked={changeMode} onChange={setChangeMode} />
        {f.err('permissions')}
      </fieldset>
    </FormCard>
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
  const home = useHome();
  const tz = home.data?.time_zone;
  return (
    <ListSection
      id="guests"
      title="Guest codes"
      intro={`A guest code disarms only between its start and end${tz ? `, in the home's time (${tz})` : ''}.`}
      empty="No guest codes."
      load={(api, uid) => api.guests(uid).then((r) => r.guests)}
      add={(api, body: NewGuest, uid) => api.addGuest(body, uid)}
      remove={(api, id, uid) => api.deleteGuest(id, uid)}
      name={(g) => `the guest code of ${g.name}`}
      action="Revoke"
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
      form={(add) => (home.data || home.error ? <GuestForm tz={tz} add={add} /> : null)}
    />
  );
}

function GuestForm({ tz, add }: { tz: string | undefined; add: (g: NewGuest) => Promise<Guest> }) {
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [starts, setStarts] = useState('');
  const [ends, setEnds] = useState(() => isoToZoned(Date.now() + 86400_000, tz));
  const [single, setSingle] = useState(false);
  const f = useForm(['name', 'code', 'starts_at', 'ends_at', 'single_use']);
  const submit = f.submit(() => {
    const startsAt = starts ? zonedToIso(starts, tz) : undefined;
    const endsAt = zonedToIso(ends, tz);
    if (startsAt === null) return localError('starts_at', 'Starts', 'enter a date and time');
    if (!endsAt) return localError('ends_at', 'Ends', 'enter a date and time');
    return add({ name: name.trim(), code, starts_at: startsAt, ends_at: endsAt, single_use: single }).then((g) => {
      setName('');
      setCode('');
      return `Guest code for ${g.name} added.`;
    });
  });
  const zone = tz ? ` (home time)` : '';
  return (
    <FormCard id="addguest-h" title="Add a guest code" form={f} onSubmit={submit} label="Add guest code" busyLabel="Adding…">
      <Input id="guest-name" label="Name" path="name" f={f} value={name} onChange={setName} autoComplete="off" />
      <CodeInput id="guest-code" f={f} hint="4 to 8 digits." value={code} onChange={setCode} />
      <Input id="guest-starts" label={`Starts${zone}`} path="starts_at" f={f} hint="Empty: now." type="datetime-local" value={starts} onChange={setStarts} />
      <Input id="guest-ends" label={`Ends${zone}`} path="ends_at" f={f} type="datetime-local" value={ends} onChange={setEnds} />
      <Check id="guest-single" label="Single use (works once)" path="single_use" f={f} checked={single} onChange={setSingle} />
    </FormCard>
  );
}

// Pets

const PET_KIND: Record<Pet['kind'], string> = { cat: 'cat', dog: 'dog', other: 'pet' };
const PET_SIZE: Record<Pet['size'], string> = { small: 'Small', medium: 'Medium', large: 'Large' };
const PET_KINDS: [Pet['kind'], string][] = [
  ['cat', 'Cat'],
  ['dog', 'Dog'],
  ['other', 'Other'],
];
const PET_SIZES: [Pet['size'], string][] = [
  ['small', 'Small'],
  ['medium', 'Medium'],
  ['large', 'Large'],
];
export const petText = (p: Pick<Pet, 'kind' | 'size'>) => `${PET_SIZE[p.size] ?? p.size} ${PET_KIND[p.kind] ?? p.kind}`;

export function Pets() {
  return (
    <ListSection
      id="pets"
      title="Pets"
      intro="With a pet registered, a single motion at night is logged as pet activity, not an alarm."
      empty="No pets registered."
      load={(api, uid) => api.pets(uid).then((r) => r.pets)}
      add={(api, body: NewPet, uid) => api.addPet(body, uid)}
      remove={(api, id, uid) => api.deletePet(id, uid)}
      name={(p) => p.name}
      render={(p) => (
        <>
          <strong>{p.name}</strong> <span className="item-detail">{petText(p)}</span>
        </>
      )}
      form={(add) => <PetForm add={add} />}
    />
  );
}

function PetForm({ add }: { add: (p: NewPet) => Promise<Pet> }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Pet['kind']>('cat');
  const [size, setSize] = useState<Pet['size']>('small');
  const f = useForm(['name', 'kind', 'size']);
  const submit = f.submit(async () => {
    const p = await add({ name: name.trim(), kind, size });
    setName('');
    return `${p.name} added.`;
  });
  return (
    <FormCard id="addpet-h" title="Add a pet" form={f} onSubmit={submit} label="Add pet" busyLabel="Adding…">
      <Input id="pet-name" label="Name" path="name" f={f} value={name} onChange={setName} autoComplete="off" />
      <Select id="pet-kind" label="Kind" path="kind" f={f} options={PET_KINDS} value={kind} onChange={setKind} />
      <Select id="pet-size" label="Size" path="size" f={f} options={PET_SIZES} value={size} onChange={setSize} />
    </FormCard>
  );
}

// Emergency contacts

const byPriority = (a: Contact, b: Contact) => (a.priority ?? 99) - (b.priority ?? 99) || a.name.localeCompare(b.name);

export function Contacts() {
  return (
    <ListSection
      id="contacts"
      title="Emergency contacts"
      intro="Called in order of priority (1 first) when an alarm is raised."
      empty="No emergency contacts yet."
      load={(api, uid) => api.contacts(uid).then((r) => r.contacts)}
      add={(api, body: NewContact, uid) => api.addContact(body, uid)}
      remove={(api, id, uid) => api.deleteContact(id, uid)}
      sort={byPriority}
      name={(c) => c.name}
      render={(c) => (
        <>
          <strong>{c.name}</strong>
          {c.relation ? <span className="muted"> ({c.relation})</span> : null}
          <span className="item-detail">
            {[c.phone, c.email, c.priority !== null && c.priority !== undefined ? `priority ${c.priority}` : null].filter(Boolean).join(' · ')}
          </span>
        </>
      )}
      form={(add) => <ContactForm add={add} />}
    />
  );
}

const NO_CONTACT = { name: '', relation: '', phone: '', email: '', priority: '' };

function ContactForm({ add }: { add: (c: NewContact) => Promise<Contact> }) {
  const [v, setV] = useState(NO_CONTACT);
  const f = useForm(['name', 'relation', 'phone', 'email', 'priority']);
  const submit = f.submit(() => {
    const body: NewContact = { name: v.name.trim() };
    if (v.relation.trim()) body.relation = v.relation.trim();
    if (v.phone.trim()) body.phone = v.phone.trim();
    if (v.email.trim()) body.email = v.email.trim();
    if (v.priority.trim()) {
      const n = Number(v.priority);
      if (!Number.isInteger(n)) return localError('priority', 'Priority', 'enter a whole number from 1 to 10');
      body.priority = n;
    }
    return add(body).then((c) => {
      setV(NO_CONTACT);
      return `${c.name} added.`;
    });
  });
  const field = (k: keyof typeof v) => ({ id: `contact-${k}`, path: k, f, value: v[k], onChange: (x: string) => setV({ ...v, [k]: x }) });
  return (
    <FormCard id="addcontact-h" title="Add an emergency contact" form={f} onSubmit={submit} label="Add contact" busyLabel="Adding…">
      <Input label="Name" {...field('name')} type="text" autoComplete="off" />
      <Input label="Relation (optional)" {...field('relation')} type="text" />
      <Input label="Phone" {...field('phone')} hint="A phone or an email is needed." type="tel" autoComplete="off" />
      <Input label="Email" {...field('email')} type="email" autoComplete="off" />
      <Input label="Priority (1-10, optional)" {...field('priority')} type="number" min="1" max="10" inputMode="numeric" />
    </FormCard>
  );
}
