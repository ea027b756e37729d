import { readFileSync } from "node:fs";
import type { JWT } from "google-auth-library";
import { errorMessage } from "../../errors.js";
import type { AttemptFailure } from "../../upstream/errors.js";
import { AttemptRefused } from "../contract.js";

/** The scope LiteLLM asks for: Vertex AI accepts it for every model it serves. */
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** Where google-auth-library sends the JWT assertion; a key's own token_uri replaces it (tests, sovereign clouds). */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly project_id?: string;
  readonly token_uri?: string;
}

/**
 * `vertex_credentials` as LiteLLM takes it: the key's JSON itself, or a path to the key file.
 * Throws with a message that names what is wrong, never the key.
 */
export function readServiceAccount(credentials: string): ServiceAccountKey {
  const text = credentials.trimStart().startsWith("{") ? credentials : readFileSync(credentials, "utf8");
  let v: Partial<ServiceAccountKey> & { type?: string };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new Error("vertex_credentials is not valid JSON (expected a service-account key or a path to one)");
  }
  if (typeof v.client_email !== "string" || typeof v.private_key !== "string")
    throw new Error(
      "vertex_credentials is not a service-account key (client_email and private_key are required)",
    );
  return v as ServiceAccountKey;
}

/**
 * OAuth access tokens for one service account, fetched and refreshed by google-auth-library's JWT
 * client (it caches the token and refreshes it five minutes before expiry). One per credentials
 * string, shared by every deployment that uses it.
 */
export class TokenSource {
  private client: Promise<JWT> | undefined;

  constructor(readonly key: ServiceAccountKey) {}

  /** A valid access token, or AttemptRefused: the deployment's credentials did not get one. */
  async token(what: string): Promise<string> {
    try {
      this.client ??= makeClient(this.key);
      const t = await (await this.client).getAccessToken();
      if (!t.token) throw new Error("the token endpoint answered without an access token");
      return t.token;
    } catch (err) {
      throw new AttemptRefused(tokenFailure(err, what));
    }
  }
}

/** Loaded on first use: a gateway without vertex_ai/ deployments never initialises the library. */
async function makeClient(key: ServiceAccountKey): Promise<JWT> {
  const { JWT } = await import("google-auth-library");
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [SCOPE],
  });
  const tokenUrl = key.token_uri;
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      // The attempt loop owns retries; the library's own three would stall an attempt on a dead endpoint.
      config.retry = false;
      if (config.retryConfig) config.retryConfig.retry = 0;
      if (tokenUrl && tokenUrl !== GOOGLE_TOKEN_URL && String(config.url) === GOOGLE_TOKEN_URL)
        config.url = new URL(tokenUrl);
      return config;
    },
  });
  return client;
}

const sources = new Map<string, TokenSource>();

/** The token source for these credentials (one per distinct credentials string, made on first use). */
export function tokenSourceFor(credentials: string): TokenSource {
  let s = sources.get(credentials);
  if (!s) {
    s = new TokenSource(readServiceAccount(credentials));
    sources.set(credentials, s);
  }
  return s;
}

/**
 * A token that could not be had is the deployment's problem, not the client's nor the gateway's: its
 * key was refused (auth: cooled like a 401), or the token endpoint failed or was unreachable
 * (transient: retried and cooled like the upstream itself failing).
 */
export function tokenFailure(err: unknown, what: string): AttemptFailure {
  const status = (err as { response?: { status?: unknown } } | null)?.response?.status;
  const why = tokenWhy(err);
  const base = {
    message: errorMessage("upstream_credentials_failed", { what, why }),
    type: "auth_error",
    code: "upstream_credentials_failed",
    param: null,
    retryAfterMs: undefined,
    passHeaders: undefined,
  };
  if (typeof status === "number" && status >= 400 && status < 500 && status !== 429)
    return { ...base, kind: "auth", status: 401 };
  if (typeof status === "number")
    return { ...base, kind: status === 429 ? "rate_limit" : "server", status: 502, type: "api_error" };
  return { ...base, kind: "connection", status: 502, type: "api_error", local: true };
}

function tokenWhy(err: unknown): string {
  const data = (err as { response?: { data?: unknown } } | null)?.response?.data as
    | { error?: unknown; error_description?: unknown }
    | undefined;
  if (data && typeof data.error === "string")
    return typeof data.error_description === "string"
      ? `${data.error}: ${data.error_description}`
      : data.error;
  const status = (err as { response?: { status?: unknown } } | null)?.response?.status;
  if (typeof status === "number") return `token endpoint answered ${status}`;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? `token endpoint unreachable (${code})` : "token endpoint unreachable";
}
