// Test support: the server end of a graphql-transport-ws socket, as little as graphql-ws's
// client needs (it acknowledges connection_init and records what it received).

export type Msg = { type: string; id?: string; payload?: { variables?: Record<string, unknown> } };

/** A server end of graphql-transport-ws, as little as the client needs. */
export class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static sockets: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  protocol = "graphql-transport-ws";
  received: Msg[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    public url: string,
    public protocols: string | string[],
  ) {
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    }, 0);
  }

  send(data: string) {
    const message = JSON.parse(data) as Msg;
    this.received.push(message);
    if (message.type === "connection_init") this.reply({ type: "connection_ack" });
  }

  reply(message: Msg | Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  close(code = 1000, reason = "") {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: code === 1000 });
  }

  subscribed(): Msg[] {
    return this.received.filter((m) => m.type === "subscribe");
  }
}
