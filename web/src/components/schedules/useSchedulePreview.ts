// The next runs of an expression while it is being typed: previewSchedule, asked once
// the fields have rested for `debounceMs`, its refusal (BAD_USER_INPUT, with the field
// it is about) kept apart from the runs so the form can show it under that field.
import { useQuery } from "urql";
import { graphql } from "../../gql";
import type { ScheduleType } from "../../gql/graphql";
import { useDebouncedValue } from "../../lib/debounce";
import { previewProblem, type PreviewProblem } from "../../lib/schedules";

export const PreviewScheduleDocument = graphql(`
  query PreviewSchedule($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {
    previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count)
  }
`);

export interface SchedulePreview {
  /** The next runs of the last expression asked about (null: none asked yet). */
  runs: string[] | null;
  problem: PreviewProblem | null;
  /** The fields changed since the last answer, or it is on its way. */
  pending: boolean;
  /** The fields the runs and problem are about. */
  asked: { type: ScheduleType; expression: string; timezone: string } | null;
}

export function useSchedulePreview(
  type: ScheduleType,
  expression: string,
  timezone: string,
  { count = 5, debounceMs = 400 }: { count?: number; debounceMs?: number } = {},
): SchedulePreview {
  const typed = JSON.stringify([type, expression.trim(), timezone.trim() || "UTC"]);
  const settled = useDebouncedValue(typed, debounceMs);
  const [askedType, askedExpression, askedTimezone] = JSON.parse(settled) as [ScheduleType, string, string];
  const [{ data, error, fetching, operation }] = useQuery({
    query: PreviewScheduleDocument,
    variables: { type: askedType, expression: askedExpression, timezone: askedTimezone, count },
    pause: !askedExpression,
    requestPolicy: "cache-first", // an expression's next runs move only with time
  });
  if (!askedExpression) return { runs: null, problem: null, pending: typed !== settled, asked: null };
  // an answer to earlier fields is not shown as the answer to these
  const current =
    operation?.variables.expression === askedExpression &&
    operation.variables.type === askedType &&
    operation.variables.timezone === askedTimezone;
  const problem = current ? previewProblem(error?.graphQLErrors) : null;
  const networkProblem = current && error && !error.graphQLErrors.length;
  return {
    runs: current && !problem && data ? data.previewSchedule : null,
    problem: networkProblem ? { field: "expression", message: "The preview is unavailable (cannot reach the server)." } : problem,
    pending: typed !== settled || fetching || !current,
    asked: { type: askedType, expression: askedExpression, timezone: askedTimezone },
  };
}
