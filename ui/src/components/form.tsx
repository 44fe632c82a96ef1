import { useCallback, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError, errorText } from '../api';
import { Outcome } from './ui';

/**
 * A form's server-side errors: the one the server names by `details.field`
 * shown next to that field (when the form has it), any other above the button.
 */
export function useFieldErrors(fields: readonly string[], alias: (field: string) => string = (f) => f) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const clear = useCallback(() => {
    setErrors({});
    setFormError(null);
  }, []);
  const fail = (e: unknown) => {
    if (e instanceof ApiError && e.field) {
      const f = alias(e.field);
      const reason = typeof e.details['reason'] === 'string' ? e.details['reason'] : e.message;
      if (fields.includes(f)) {
        setErrors({ [f]: reason });
        setFormError(e.message);
        return;
      }
    }
    setErrors({});
    setFormError(errorText(e));
  };
  const err = (path: string) =>
    errors[path] ? (
      <span id={`err-${path}`} className="field-error" data-testid="field-error">
        <span aria-hidden="true">⚠ </span>
        {errors[path]}
      </span>
    ) : null;
  const a11y = (path: string, hint?: string) => ({
    'aria-invalid': errors[path] ? true : undefined,
    'aria-describedby': [errors[path] ? `err-${path}` : '', hint ?? ''].filter(Boolean).join(' ') || undefined,
  });
  const hasFieldError = Object.keys(errors).length > 0;
  /** The error not tied to a field (role alert), and for a field error its whole message for screen readers. */
  const summary = (
    <>
      {formError && !hasFieldError && (
        <p className="note note-error" role="alert">
          <span aria-hidden="true">⚠ </span>
          {formError}
        </p>
      )}
      {hasFieldError && (
        <p className="sr-only" role="alert">
          {formError}
        </p>
      )}
    </>
  );
  return { errors, formError, clear, fail, err, a11y, summary };
}

/** "Saved." after a successful save, announced politely. */
export function Saved({ show, text = 'Saved.' }: { show: boolean; text?: string }) {
  return (
    <div role="status" aria-live="polite">
      {show && <Outcome ok>{text}</Outcome>}
    </div>
  );
}

export type FieldErrors = ReturnType<typeof useFieldErrors>;
type A11y = ReturnType<FieldErrors['a11y']>;

/** A check made before asking the server, shaped like the server's answer so it shows by its field. */
export const localError = (field: string, label: string, reason: string) =>
  new ApiError(400, 'VALIDATION_ERROR', `${label}: ${reason}`, { field, reason });

/**
 * A form that saves: its field errors, `busy` while it saves and `done`, what the last save said.
 * `submit(save)` is the form's onSubmit: it clears both, then `save` refuses at once with an ApiError
 * (a check made before asking the server), is done at once with a string (nothing to send),
 * or saves with a promise of the text to show ("Saved." when it gives none).
 */
export function useForm(fields: readonly string[], alias?: (field: string) => string) {
  const f = useFieldErrors(fields, alias);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const submit = (save: () => ApiError | string | Promise<string | void>) => async (e: FormEvent) => {
    e.preventDefault();
    f.clear();
    setDone(null);
    const r = save();
    if (r instanceof ApiError) return f.fail(r);
    if (typeof r === 'string') return setDone(r);
    setBusy(true);
    try {
      const text = await r;
      setDone(typeof text === 'string' ? text : 'Saved.');
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  return { ...f, busy, done, submit };
}
export type Form = ReturnType<typeof useForm>;

type FieldProps = { id: string; label: string; path: string; f: FieldErrors; hint?: string; hintId?: string };

/**
 * A field with its label (after the control for a `check`box), its hint and its server error;
 * `children` gets the control's aria attributes.
 */
export function Field({
  id,
  label,
  path,
  f,
  hint,
  hintId = `${id}-hint`,
  check = false,
  children,
}: FieldProps & { check?: boolean; children: (a11y: A11y) => ReactNode }) {
  const tag = <label htmlFor={id}>{label}</label>;
  return (
    <div className={check ? 'field field-check' : 'field'}>
      {!check && tag}
      {children(f.a11y(path, hint ? hintId : undefined))}
      {check && tag}
      {hint && (
        <span id={hintId} className="hint">
          {hint}
        </span>
      )}
      {f.err(path)}
    </div>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange'> & { value: string; onChange: (v: string) => void };

/** An input in a Field, handing on its text. */
export function Input({ id, label, path, f, hint, hintId, onChange, ...input }: FieldProps & InputProps) {
  return (
    <Field id={id} label={label} path={path} f={f} hint={hint} hintId={hintId}>
      {(a) => <input id={id} {...input} onChange={(e) => onChange(e.target.value)} {...a} />}
    </Field>
  );
}

/** A checkbox in a Field, handing on whether it is ticked. */
export function Check({ checked, onChange, ...field }: FieldProps & { checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <Field {...field} check>
      {(a) => <input id={field.id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} {...a} />}
    </Field>
  );
}

/** A select in a Field, its options as [value, text], handing on the value chosen. */
export function Select<V extends string>({
  options,
  value,
  onChange,
  ...field
}: FieldProps & { options: readonly (readonly [V, string])[]; value: V; onChange: (v: V) => void }) {
  return (
    <Field {...field}>
      {(a) => (
        <select id={field.id} value={value} onChange={(e) => onChange(e.target.value as V)} {...a}>
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A form's end: its error, what its last save said and its button ("Saving…" meanwhile). */
export function FormEnd({ form, label, busyLabel = 'Saving…', button = true }: { form: Form; label: string; busyLabel?: string; button?: boolean }) {
  return (
    <>
      {form.summary}
      <Saved show={!!form.done} text={form.done ?? ''} />
      {button && (
        <button type="submit" className="btn btn-primary" disabled={form.busy}>
          {form.busy ? busyLabel : label}
        </button>
      )}
    </>
  );
}

/** A card holding one form, the form labelled by the card's heading. */
export function FormCard({
  id,
  title,
  form,
  onSubmit,
  label,
  busyLabel,
  intro,
  children,
}: {
  id: string;
  title: string;
  form: Form;
  onSubmit: (e: FormEvent) => void;
  label: string;
  busyLabel?: string;
  intro?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id}>{title}</h2>
      {intro}
      <form onSubmit={onSubmit} noValidate className="cfg" aria-labelledby={id}>
        {children}
        <FormEnd form={form} label={label} busyLabel={busyLabel} />
      </form>
    </section>
  );
}
