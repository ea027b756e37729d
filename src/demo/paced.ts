import type { ServerResponse } from "node:http";

/** How a fake upstream writes a stream: every event at once, paced, or cut after some. */
export interface Pace {
  /** Destroy the connection after this many events (an upstream dying mid-stream). */
  cutAfterChunks?: number;
  /** Wait between events. */
  chunkIntervalMs?: number;
  /** A write per event even unpaced (as a model streams); else one write for the lot. */
  eachEvent?: boolean;
}

/** Write `events` as `pace` says; stops quietly once the client has gone. */
export function writePaced(res: ServerResponse, events: readonly string[], pace: Pace): void {
  if (pace.cutAfterChunks === undefined && !pace.chunkIntervalMs && !pace.eachEvent) {
    res.end(events.join(""));
    return;
  }
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (pace.cutAfterChunks !== undefined && i >= pace.cutAfterChunks) {
      res.socket?.destroy();
      return;
    }
    if (i >= events.length) {
      res.end();
      return;
    }
    res.write(events[i++]);
    if (pace.chunkIntervalMs) setTimeout(tick, pace.chunkIntervalMs);
    else tick();
  };
  tick();
}
