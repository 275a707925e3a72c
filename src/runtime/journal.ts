/**
 * The request journal: every REST request and WebSocket op the daemon answered, newest first, in
 * a bounded ring, so a test can ask "did the bot cancel before it re-placed?" without a proxy.
 * Secrets never enter it: params are the parsed body or query, never headers or signatures.
 */

export interface JournalEntry {
  /** Position in the journal (1, 2, ...), so clients can page with `since`-style filters. */
  seq: number;
  /** Daemon clock time of the answer (ms). */
  time: number;
  transport: 'rest' | 'ws';
  /** REST: method and path ("POST /v5/order/create"). WS: the stream path. */
  path: string;
  /** WS op (order.create, subscribe, auth, ...); "" for REST. */
  op: string;
  account: string;
  params: unknown;
  /** HTTP status for REST; 0 for WS. */
  status: number;
  retCode: number | undefined;
  /** The id of the fault that answered or swallowed the request, when one did. */
  fault?: string;
  latencyMs: number;
}

export interface JournalFilter {
  path?: string;
  account?: string;
  op?: string;
  retCode?: number;
  status?: number;
  since?: number;
  limit?: number;
}

export class Journal {
  private readonly ring: JournalEntry[] = [];
  private start = 0;
  private seq = 0;

  constructor(private readonly capacity: number) {}

  record(e: Omit<JournalEntry, 'seq'>): void {
    if (this.capacity <= 0) return;
    // One literal with every field: a spread puts the copied fields in a separate property array,
    // two more objects per entry for the garbage collector to copy while the entry lives.
    const entry: JournalEntry = {
      seq: ++this.seq,
      time: e.time,
      transport: e.transport,
      path: e.path,
      op: e.op,
      account: e.account,
      params: e.params,
      status: e.status,
      retCode: e.retCode,
      latencyMs: e.latencyMs,
    };
    if (e.fault !== undefined) entry.fault = e.fault;
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  clear(): void {
    this.ring.length = 0;
    this.start = 0;
  }

  /** Matching entries, newest first, at most `limit` (default 100). */
  query(f: JournalFilter): JournalEntry[] {
    const out: JournalEntry[] = [];
    const limit = f.limit ?? 100;
    for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.ring[(this.start + i) % this.ring.length]!;
      if (matches(e, f)) out.push(e);
    }
    return out;
  }

  count(f: JournalFilter): number {
    let n = 0;
    for (const e of this.ring) if (matches(e, f)) n++;
    return n;
  }
}

function matches(e: JournalEntry, f: JournalFilter): boolean {
  if (f.path !== undefined && !e.path.endsWith(f.path) && e.path !== f.path) return false;
  if (f.account !== undefined && e.account !== f.account) return false;
  if (f.op !== undefined && e.op !== f.op) return false;
  if (f.retCode !== undefined && e.retCode !== f.retCode) return false;
  if (f.status !== undefined && e.status !== f.status) return false;
  if (f.since !== undefined && e.time < f.since) return false;
  return true;
}
