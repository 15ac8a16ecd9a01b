// Subscriptions that resume where they stopped.
//
// The server replays what a subscription missed when it is given `after`: an event id
// (jobStatusChanged, workflowProgress, schedulerTicks: the events with a larger id) or
// a log cursor (executionLogs: the entries after it). A ResumableSubscription keeps the
// last one it saw and puts it into the operation's variables every time the operation
// is sent: graphql-ws sends it again by itself after each reconnect (its retry loop
// serializes the same payload object anew), so a reconnect picks up at the cursor and
// nothing is missed. Events at or below the cursor are dropped, should one come twice.
// A cursor older than what the server keeps is refused with RESYNC_REQUIRED: the view
// reloads its queries (`onResync`) and the subscription starts again without a cursor.
// Any other error, or the server ending the stream, subscribes again from the cursor
// after a pause (and reloads the view if there is no cursor yet). A reconnect before
// any event (no cursor yet) reloads the view too.
// An event-id subscription started without a cursor goes live only once the server has
// registered it, after the view's first query was answered: what changed in between
// is in neither. So the view reloads once, shortly after the socket carrying the
// operation is up (`established`), and from then on the subscription keeps it true.
import { stringifyDocument } from "@urql/core";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { Client as WsClient, ExecutionResult, Sink } from "graphql-ws";
import { errorCode, type GraphQLErrorLike } from "./errors";

/** Event ids grow (they are the outbox's sequence); log cursors are only passed back. */
export type CursorKind = "eventId" | "opaque";

export class EventCursor {
  constructor(
    public last: string | null = null,
    private readonly kind: CursorKind = "eventId",
  ) {}

  /** Whether an event with this cursor is new; if so the cursor moves to it. */
  accept(cursor: string | null | undefined): boolean {
    if (cursor == null) return true;
    if (this.kind === "eventId" && this.last !== null && compareIds(cursor, this.last) <= 0) {
      return false;
    }
    this.last = cursor;
    return true;
  }

  reset(): void {
    this.last = null;
  }
}

/** Numeric event ids compared as numbers of any size (strings of digits). */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = a.replace(/^0+(?=\d)/, "");
    const y = b.replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export type Subscriber = Pick<WsClient, "subscribe">;

export interface ResumableOptions<TData, TVars> {
  client: Subscriber;
  query: TypedDocumentNode<TData, TVars>;
  /** The operation's variables but `after`, which the cursor supplies. */
  variables: Omit<TVars, "after">;
  /** The event's cursor: its eventId, or a log edge's cursor. */
  cursorOf: (data: TData) => string | null | undefined;
  onEvent: (data: TData) => void;
  /** The cursor expired: reload what the view shows. */
  onResync?: () => void;
  /** A start position (default: live from now, no replay). */
  after?: string | null;
  cursorKind?: CursorKind;
  /** Pause before subscribing again after an error or the end of the stream. */
  retryDelayMs?: number;
  /** How long after the socket is up a subscription started without a cursor reloads
   * the view once (default 500 ms for event ids; log streams replay from their first
   * entry when given no cursor, so they have no gap to close). null: never. */
  settleMs?: number | null;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class ResumableSubscription<TData, TVars> {
  readonly cursor: EventCursor;
  private dispose: (() => void) | null = null;
  private generation = 0;
  private timer: unknown = null;
  private stopped = false;
  private settle: unknown = null;
  /** Whether the reload that closes the start's gap is still to be done. */
  private unsettled: boolean;

  constructor(private readonly options: ResumableOptions<TData, TVars>) {
    this.cursor = new EventCursor(options.after ?? null, options.cursorKind ?? "eventId");
    this.unsettled = options.after == null && this.settleMs() !== null;
  }

  private settleMs(): number | null {
    const { settleMs, cursorKind } = this.options;
    if (settleMs !== undefined) return settleMs;
    return cursorKind === "opaque" ? null : 500;
  }

  start(): this {
    this.stopped = false;
    this.subscribe();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.cancelTimer();
    if (this.settle !== null) this.clear(this.settle);
    this.settle = null;
    this.dispose?.();
    this.dispose = null;
  }

  /** The socket carrying the operation is up (the first connection this subscription
   * lives through; graphql-ws sends the operation right after the ack). Started without
   * a cursor, it reloads the view once a little later, when the server has surely
   * registered it: events that came between the view's query and that are recovered. */
  established(): void {
    if (this.stopped || !this.unsettled || this.settle !== null) return;
    this.settle = this.set(() => {
      this.settle = null;
      if (this.stopped || !this.unsettled) return;
      this.unsettled = false;
      this.options.onResync?.();
    }, this.settleMs() ?? 0);
  }

  /** The socket is back (graphql-ws has sent the operation again). With a cursor the
   * server replays what was missed; without one (no event came before the socket
   * dropped) nothing can tell what changed while it was down: the view reloads. */
  reconnected(): void {
    if (!this.stopped && this.cursor.last === null) this.options.onResync?.();
  }

  /** The payload graphql-ws sends, and sends again on every reconnect: `after` is read
   * at each send, so it is always the last cursor seen. */
  payload(): { query: string; variables: Record<string, unknown> } {
    const { query, variables } = this.options;
    const cursor = this.cursor;
    return {
      query: stringifyDocument(query),
      get variables() {
        return { ...(variables as Record<string, unknown>), after: cursor.last };
      },
    };
  }

  private subscribe(): void {
    const mine = ++this.generation;
    const current = () => mine === this.generation && !this.stopped;
    const sink: Sink<ExecutionResult<TData>> = {
      next: (result) => {
        if (!current()) return;
        if (result.errors?.length) {
          this.failed(result.errors as readonly GraphQLErrorLike[]);
          return;
        }
        if (!result.data) return;
        if (!this.cursor.accept(this.options.cursorOf(result.data))) return;
        this.options.onEvent(result.data);
      },
      error: (error) => {
        if (!current()) return;
        this.failed(Array.isArray(error) ? (error as readonly GraphQLErrorLike[]) : []);
      },
      complete: () => {
        if (current()) this.later(); // the server ended it: the client wants it still
      },
    };
    this.dispose?.();
    this.dispose = this.options.client.subscribe(this.payload(), sink as Sink);
  }

  private failed(errors: readonly GraphQLErrorLike[]): void {
    if (errorCode(errors) === "RESYNC_REQUIRED") {
      this.generation += 1; // what the old operation still says is void
      this.cursor.reset();
      this.subscribe(); // first, so that nothing after the reload is missed
      this.options.onResync?.();
      return;
    }
    this.later();
  }

  private later(): void {
    this.generation += 1;
    this.dispose?.();
    this.dispose = null;
    this.cancelTimer();
    this.timer = this.set(() => {
      this.timer = null;
      if (this.stopped) return;
      this.subscribe();
      // no event came before it failed: no replay covers the pause, the view reloads
      if (this.cursor.last === null) this.options.onResync?.();
    }, this.options.retryDelayMs ?? 2_000);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clear(this.timer);
      this.timer = null;
    }
  }

  private set(fn: () => void, ms: number): unknown {
    return (this.options.setTimer ?? ((f, t) => setTimeout(f, t)))(fn, ms);
  }

  private clear(handle: unknown): void {
    (this.options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)))(handle);
  }
}
