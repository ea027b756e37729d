import type { IncomingHttpHeaders } from "node:http";
import { type AttemptFailure, failureFromResponse } from "../../upstream/errors.js";

/**
 * Bedrock errors in OpenAI's terms. An HTTP error names its type in `x-amzn-ErrorType`
 * (`ThrottlingException:http://…`) and says why in `{"message"}`; inside a ConverseStream the same
 * exceptions arrive as frames (`:message-type exception`, `:exception-type throttlingException`).
 */

/** Exceptions whose HTTP status does not say how to treat them. */
const STATUS_OF: Record<string, number> = {
  throttlingexception: 429,
  servicequotaexceededexception: 429,
  modelnotreadyexception: 429,
  modeltimeoutexception: 408,
  // The model failed while answering: the deployment's trouble, retried elsewhere like a 5xx.
  modelerrorexception: 502,
  modelstreamerrorexception: 502,
  internalserverexception: 500,
  serviceunavailableexception: 503,
  validationexception: 400,
  accessdeniedexception: 403,
  resourcenotfoundexception: 404,
};

const CONTEXT =
  /input is too long|too many (input )?tokens|exceeds? the (model's )?(maximum )?context|prompt is too long/i;

function parseMessage(body: Buffer): { message: string | undefined; type: string | undefined } {
  try {
    const v = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const message = v.message ?? v.Message;
    const type = v.__type;
    return {
      message: typeof message === "string" ? message : undefined,
      type: typeof type === "string" ? type.split("#").at(-1) : undefined,
    };
  } catch {
    return { message: undefined, type: undefined };
  }
}

function build(
  status: number,
  headers: IncomingHttpHeaders,
  exception: string | undefined,
  message: string | undefined,
  what: string,
): AttemptFailure {
  const error: Record<string, string> = {};
  if (message !== undefined) error.message = `${what}: ${exception ? `${exception}: ` : ""}${message}`;
  if (status === 400 && message && CONTEXT.test(message)) error.code = "context_length_exceeded";
  // Said in OpenAI's terms, then classified like any upstream answer (kind, type and code from the status).
  return failureFromResponse(status, headers, Buffer.from(JSON.stringify({ error })), what);
}

export function mapBedrockError(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  what: string,
): AttemptFailure {
  const header = headers["x-amzn-errortype"];
  const fromHeader = (Array.isArray(header) ? header[0] : header)?.split(":")[0];
  const { message, type } = parseMessage(body);
  const exception = fromHeader || type;
  const mapped = exception ? STATUS_OF[exception.toLowerCase()] : undefined;
  // 424 (ModelErrorException) is not an HTTP status OpenAI clients know; the table says what it means.
  const effective = mapped !== undefined && (status === 424 || status === 400) ? mapped : status;
  return build(effective, headers, exception, message, what);
}

/** An exception frame inside a ConverseStream (after the 200). */
export function streamException(exception: string, data: string, what: string): AttemptFailure {
  const { message } = parseMessage(Buffer.from(data));
  const status = STATUS_OF[exception.toLowerCase()] ?? 502;
  return build(status, {}, exception, message ?? "(no message)", what);
}
