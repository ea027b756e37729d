/** Tokens one request used, in OpenAI's terms. */
export interface Usage {
  readonly prompt: number;
  readonly completion: number;
  readonly total: number;
  /**
   * Further fields of OpenAI's usage object a translating provider reports (prompt_tokens_details,
   * Anthropic's cache token counts), passed to the client as they are; never summed.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

const PROMPT = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION = /"completion_tokens"\s*:\s*(\d+)/;
const TOTAL = /"total_tokens"\s*:\s*(\d+)/;

/**
 * Usage of an OpenAI JSON body, read off the raw bytes after its last `"usage"` key: passthrough
 * answers are forwarded as they are and never parsed whole for this.
 */
export function usageOf(body: Buffer): Usage | undefined {
  const at = body.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const tail = body.toString("latin1", at, Math.min(body.length, at + 600));
  const p = PROMPT.exec(tail);
  const c = COMPLETION.exec(tail);
  const t = TOTAL.exec(tail);
  if (!p && !t) return undefined;
  const prompt = p ? Number(p[1]) : 0;
  const completion = c ? Number(c[1]) : 0;
  return { prompt, completion, total: t ? Number(t[1]) : prompt + completion };
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * Where an OpenAI stream carries usage: a chunk whose `usage` is an object (with
 * `stream_options.include_usage` every other chunk says `"usage":null`). Cheap for the chunks that
 * do not: one byte search each.
 */
export function hasUsageObject(buf: Buffer): boolean {
  let at = buf.indexOf(USAGE_KEY);
  while (at >= 0) {
    let i = at + USAGE_KEY.length;
    while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x3a)) i++;
    if (buf[i] === 0x7b) return true; // "{"
    at = buf.indexOf(USAGE_KEY, i);
  }
  return false;
}

export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  return { prompt: a.prompt + b.prompt, completion: a.completion + b.completion, total: a.total + b.total };
}

/** OpenAI's `usage` object for a Usage. */
export function usageJson(u: Usage): Record<string, unknown> {
  const base = { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.total };
  return u.details ? { ...base, ...u.details } : base;
}
