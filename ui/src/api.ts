/**
 * Calls to the gateway's admin API. The master key lives in this module's memory only: never in
 * localStorage, sessionStorage or a cookie, so closing or reloading the tab logs out.
 */
let key: string | undefined;

export function setKey(k: string | undefined): void {
  key = k;
}

export function loggedIn(): boolean {
  return key !== undefined;
}

/** An error the gateway answered, with its envelope's message and code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export async function api<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { message?: string; code?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.message ?? `${res.status} ${res.statusText}`, e?.code);
  }
  return json as T;
}

import { GEOGRAPHIES as NAMES } from "../../src/regions/table.js";

/** The gateway's own geography table: the page offers exactly the regions the API accepts. */
export const GEOGRAPHIES = Object.entries(NAMES).map(([code, name]) => ({ code, name }));
