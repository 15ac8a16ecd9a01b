// A secret the server shows only once (an API key, an invitation token): in a read-only
// field to select or copy, until the admin says it is kept.
import { useId, useState, type ReactNode } from "react";

export function SecretOnce({
  title,
  label,
  secret,
  onDone,
  children,
}: {
  title: string;
  label: string;
  secret: string;
  onDone: () => void;
  children?: ReactNode;
}) {
  const id = useId();
  const [copied, setCopied] = useState<boolean | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (plain http, or refused): the field stays selectable
    }
  }

  return (
    <div className="card secret-once" role="region" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      {children && <p>{children}</p>}
      <label htmlFor={`${id}-secret`}>{label}</label>
      <div className="actions-row">
        <input
          id={`${id}-secret`}
          className="mono secret"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
          size={Math.min(70, secret.length + 2)}
        />
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" className="primary" onClick={onDone}>
          Done, I have kept it
        </button>
      </div>
      <p role="status" className="muted">
        {copied === true ? "Copied." : copied === false ? "Copy it by hand: the browser refused the clipboard." : ""}
      </p>
    </div>
  );
}
