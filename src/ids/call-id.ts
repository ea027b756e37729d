import { randomFillSync } from "node:crypto";

/**
 * A request's call id: a UUID version 7 (RFC 9562) — 48 bits of Unix milliseconds, then 74 random
 * bits. It reads like LiteLLM's uuid4 call ids to any client, but ids made later sort later, so the
 * spend log's index on request_id grows at its right edge instead of at a random page: at half a
 * million stored rows a random id cost about three times as much to insert (issue 15).
 */
export function newCallId(now = Date.now()): string {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = pool;
  const i = poolAt;
  poolAt += 10;
  const ms = Math.max(0, Math.floor(now));
  const hi = Math.floor(ms / 0x1000000) % 0x1000000; // top 24 of the 48 bits
  const lo = ms % 0x1000000;
  return (
    hex6(hi) +
    hex2((lo >>> 16) & 0xff) +
    "-" +
    hex2((lo >>> 8) & 0xff) +
    hex2(lo & 0xff) +
    "-7" +
    HEX[r[i] & 0x0f] +
    hex2(r[i + 1]) +
    "-" +
    hex2(0x80 | (r[i + 2] & 0x3f)) +
    hex2(r[i + 3]) +
    "-" +
    hex2(r[i + 4]) +
    hex2(r[i + 5]) +
    hex2(r[i + 6]) +
    hex2(r[i + 7]) +
    hex2(r[i + 8]) +
    hex2(r[i + 9])
  );
}

const pool = Buffer.alloc(10 * 256);
let poolAt = pool.length;
const HEX = "0123456789abcdef";
const BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function hex2(b: number): string {
  return BYTE[b];
}

function hex6(n: number): string {
  return BYTE[(n >>> 16) & 0xff] + BYTE[(n >>> 8) & 0xff] + BYTE[n & 0xff];
}
