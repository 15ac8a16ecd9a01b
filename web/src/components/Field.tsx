// A labelled form control with its help text and its error, both tied to the control
// (aria-describedby, aria-invalid) so that a screen reader says them with it.
import { cloneElement, isValidElement, type ReactElement, type ReactNode } from "react";

export function Field({
  label,
  id,
  help,
  error,
  children,
}: {
  label: string;
  /** The control's id (given to the single child element). */
  id: string;
  help?: ReactNode;
  error?: string | null;
  children: ReactElement;
}) {
  const describedBy = [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  const control = isValidElement(children)
    ? cloneElement(children as ReactElement<Record<string, unknown>>, {
        id,
        "aria-describedby": describedBy,
        "aria-invalid": error ? true : undefined,
      })
    : children;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      {help && (
        <small id={`${id}-help`} className="muted">
          {help}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="error-text" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}
