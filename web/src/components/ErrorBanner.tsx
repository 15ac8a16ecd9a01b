// An error in words, announced to screen readers.
import type { CombinedError } from "@urql/core";
import { describeError } from "../lib/errors";

export function ErrorBanner({ error }: { error: CombinedError | Error | string | null | undefined }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      {describeError(error)}
    </div>
  );
}
