import { useCallback, useState } from 'react';
import { ApiError, errorText } from '../api';

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
      {show && (
        <p className="note note-ok">
          <span aria-hidden="true">✓ </span>
          {text}
        </p>
      )}
    </div>
  );
}
