import type { ServerResponse } from 'node:http';
import { runEnded, type SyncRunView } from '@portrait/core';
import { runOut, runTotals } from './run-view.js';

/** How often a followed run is read again: its row changes with every committed batch, in whichever process runs it. */
export const RUN_EVENTS_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

/** What a `progress` event says: where the run is, and its counts so far. */
export function progressOf(run: SyncRunView) {
  return { runId: run.id, status: run.status, currentStream: run.currentStream, stats: run.stats, totals: runTotals(run.stats) };
}

/**
 * Writes a run's live progress as server-sent events until it ends: a `progress` event now and
 * whenever the run's row changes (status, current stream, counts), then one `end` event with the
 * whole run, and the stream closes. The run is read from the database — it may run in a worker on
 * another machine. Stops early when the client goes away or `stop` fires (the app shutting down).
 */
export async function writeRunEvents(out: ServerResponse, read: () => Promise<SyncRunView>, first: SyncRunView, stop: AbortSignal): Promise<void> {
  let id = 0;
  const send = (event: string, data: unknown) => out.write(`event: ${event}\nid: ${++id}\ndata: ${JSON.stringify(data)}\n\n`);
  const closed = new AbortController();
  out.once('close', () => closed.abort());
  const gone = AbortSignal.any([closed.signal, stop]);
  const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  keepAlive.unref();
  try {
    let run = first;
    let last = '';
    while (!gone.aborted) {
      const progress = progressOf(run);
      const seen = JSON.stringify(progress);
      if (seen !== last) send('progress', progress);
      last = seen;
      if (runEnded(run.status)) {
        send('end', runOut(run));
        break;
      }
      await pause(RUN_EVENTS_POLL_MS, gone);
      if (!gone.aborted) run = await read();
    }
  } finally {
    clearInterval(keepAlive);
    out.end();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
