import { ProxyError } from '../errors.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';
import { tokenUsageFromChat, tokenUsageFromResponses, type TokenUsage } from '../metrics/usage.js';
import { maskSecret } from '../redact.js';

const DONE_MARK = 'data: [DONE]';

/** The terminal events of a Responses stream: one of them must arrive for the stream to count as finished. */
export const RESPONSES_END_MARKS = ['"response.completed"', '"response.incomplete"', '"response.failed"'] as const;

/** A blank line ends an SSE frame; lines may end in \n, \r\n or \r. */
const FRAME_ENDS = ['\n\n', '\r\n\r\n', '\r\r', '\n\r\n', '\r\n\n'];

/**
 * The longest frame held while waiting for its end (a Responses `response.completed` repeats the whole answer, so
 * this is generous); a broken upstream that never ends a frame ends the stream instead of filling memory.
 */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The offset just past the last complete frame in `text` (latin1, so offsets are byte offsets), or 0. */
function lastFrameEnd(text: string): number {
  let end = 0;
  for (const mark of FRAME_ENDS) {
    const at = text.lastIndexOf(mark);
    if (at !== -1) end = Math.max(end, at + mark.length);
  }
  return end;
}

/** A `data:` line whose payload cannot start JSON (nor `[DONE]`): the frame is garbage, not an OpenAI event. */
const NOT_JSON_DATA = /(?:^|[\r\n])data: ?[^{[\]}\s]/;
const AFTER_FRAME_END = /(?<=\n\n|\r\r|\r\n\r\n|\n\r\n|\r\n\n)/;

/**
 * Whole frames without the garbage ones (a proxy's error text, binary noise), as the OAuth path skips them too: an
 * OpenAI client would fail on the first with a parse error instead of getting our error event. Only frames whose
 * data line cannot start JSON are looked at closely, so good frames pass with one regex test per chunk.
 */
function withoutGarbageFrames(ready: Buffer, latin1: string): Buffer {
  if (!NOT_JSON_DATA.test(latin1)) return ready;
  return Buffer.from(latin1.split(AFTER_FRAME_END).filter((frame) => !NOT_JSON_DATA.test(frame)).join(''), 'latin1');
}

/** `frames` with every occurrence of the credential's own secrets masked (only when one is there: a byte search). */
function withoutSecrets(frames: Buffer, secrets: readonly Buffer[]): Buffer {
  if (!secrets.some((secret) => frames.includes(secret))) return frames;
  let text = frames.toString('utf8');
  for (const secret of secrets.map((bytes) => bytes.toString('utf8'))) text = text.split(secret).join(maskSecret(secret));
  return Buffer.from(text, 'utf8');
}

/** Finds `usage` in the complete `data:` lines of some frames (the last chunk of an include_usage stream holds it). */
function readUsageLines(text: string, onUsage: (usage: TokenUsage) => void): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {') || !line.includes('"usage"')) continue;
    try {
      const parsed = JSON.parse(line.slice(6)) as { usage?: unknown; response?: { usage?: unknown } };
      const usage = parsed.response?.usage ? tokenUsageFromResponses(parsed.response.usage) : tokenUsageFromChat(parsed.usage);
      if (usage) onUsage(usage);
    } catch {
      // Not JSON after all; this answer's usage is then not counted.
    }
  }
}

/**
 * Yields an OpenAI-compatible upstream's SSE bytes unchanged, whole frames at a time (an unfinished frame is held
 * until its blank line arrives), garbage frames left out and the credential's own key masked if the upstream echoes
 * it. A stream that breaks, or ends without `data: [DONE]`, throws so the client gets an SSE error frame instead of
 * a stream that looks finished; the unfinished frame is then dropped, so the error frame never runs into half a
 * frame.
 */
export async function* passThroughSse(
  credentialId: string,
  response: UpstreamResponse,
  onUsage: (usage: TokenUsage) => void = () => undefined,
  endMarks: readonly string[] = [DONE_MARK],
): AsyncGenerator<Uint8Array> {
  const longestMark = Math.max(...endMarks.map((mark) => mark.length));
  const secrets = (response.secrets ?? []).filter((secret) => secret.length > 0).map((secret) => Buffer.from(secret, 'utf8'));
  let tail = '';
  let sawDone = false;
  // The unfinished frame: its chunks, the same bytes as latin1 text, their length, and its last 3 characters (a frame
  // end may straddle chunks; kept apart so a long held text is never sliced).
  let held: Buffer[] = [];
  let heldText = '';
  let heldLength = 0;
  let heldTail = '';
  try {
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      const text = bytes.toString('latin1');
      const window = tail + text;
      if (endMarks.some((mark) => window.includes(mark))) sawDone = true;
      tail = window.slice(-longestMark);
      const found = lastFrameEnd(heldTail + text);
      if (found === 0) {
        if (heldLength + bytes.length > MAX_FRAME_BYTES) throw ProxyError.streamInterrupted(credentialId, `the upstream sent a frame longer than ${MAX_FRAME_BYTES} bytes without ending it`);
        held.push(bytes);
        heldText += text;
        heldLength += bytes.length;
        heldTail = (heldTail + text).slice(-3);
        continue;
      }
      const cut = Math.max(0, found - heldTail.length);
      const readyText = heldText + text.slice(0, cut);
      const readyBytes = held.length > 0 ? Buffer.concat([...held, bytes.subarray(0, cut)]) : bytes.subarray(0, cut);
      const ready = withoutSecrets(withoutGarbageFrames(readyBytes, readyText), secrets);
      held = cut < bytes.length ? [bytes.subarray(cut)] : [];
      heldText = text.slice(cut);
      heldLength = bytes.length - cut;
      heldTail = heldText.slice(-3);
      // Only frames that mention usage are looked into; every other byte passes untouched.
      if (readyText.includes('"usage"')) readUsageLines(ready.toString('utf8'), onUsage);
      if (ready.length > 0) yield ready;
    }
  } catch (error) {
    if (error instanceof ProxyError) throw error;
    const cause = transportError(credentialId, error);
    throw ProxyError.streamInterrupted(credentialId, cause.message);
  }
  if (!sawDone) throw ProxyError.streamInterrupted(credentialId, `the upstream closed the stream without ${endMarks.join(' or ')}`);
  if (heldLength > 0) yield withoutSecrets(Buffer.concat(held), secrets);
}

/** What a 2xx answer to a stream request must not be: an HTML page or a JSON body instead of an event stream. */
function notAnEventStream(contentType: string): string | undefined {
  if (/text\/html/i.test(contentType)) return 'an HTML page';
  if (/application\/json/i.test(contentType)) return 'a JSON body';
  return undefined;
}

/**
 * Starts a pass-through stream: reads until the first whole frame before the client is committed to a 200, so a
 * failure before any output (a reset, a stall, an HTML page) is a plain HTTP error, or a failover to another
 * credential, never a 200 stream holding only an error.
 */
export async function startPassThroughSse(
  credentialId: string,
  response: UpstreamResponse,
  onUsage: (usage: TokenUsage) => void = () => undefined,
  endMarks: readonly string[] = [DONE_MARK],
): Promise<AsyncIterable<Uint8Array>> {
  const wrong = notAnEventStream(String(response.headers['content-type'] ?? ''));
  if (wrong) {
    // An unread undici body emits an AbortError when destroyed; with no listener that would be an uncaught exception.
    response.body.on('error', () => undefined).destroy();
    throw ProxyError.upstreamError(credentialId, 502, `${response.status} with ${wrong} instead of an event stream`);
  }
  const frames = passThroughSse(credentialId, response, onUsage, endMarks);
  const first = await frames.next();
  return (async function* resumed() {
    try {
      if (first.done) return;
      yield first.value;
      yield* frames;
    } finally {
      // Also when the client leaves before the first frame went out: the upstream socket is released.
      await frames.return(undefined);
    }
  })();
}
