/**
 * One upstream call through undici's dispatch API, without the body stream undici's request() makes: the call's
 * URL, headers, body and timeouts go out, the client's cancel signal aborts it, and the answer arrives in four
 * callbacks. Both readers of answers (the whole-text one in forward.ts, the pulled-chunk one in stream-source.ts)
 * are built on it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { CancelSignal } from './cancel-signal.js';
import type { UpstreamCall } from './forward.js';

/** What a reader does with the answer. onError is called at most once, and never after onEnd. */
export interface AnswerHandlers {
  onStart(status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer, controller: Dispatcher.DispatchController): void;
  onEnd(): void;
  /** A transport error, a timeout or the client's abort (the raw error; callers map it to the catalogue). */
  onError(error: unknown): void;
}

/** Starts the call; returns a function that aborts it (for a reader that stops early). */
export function dispatchUpstream(call: UpstreamCall, handlers: AnswerHandlers): (reason: Error) => void {
  const pathStart = call.url.indexOf('/', call.url.indexOf('//') + 2);
  const origin = pathStart === -1 ? call.url : call.url.slice(0, pathStart);
  const path = pathStart === -1 ? '/' : call.url.slice(pathStart);
  let controller: Dispatcher.DispatchController | undefined;
  let done = false;
  const onAbort = () => controller?.abort(abortReason(call.signal));
  const end = (error?: unknown) => {
    if (done) return;
    done = true;
    call.signal.removeEventListener('abort', onAbort);
    if (error === undefined) handlers.onEnd();
    else handlers.onError(error);
  };
  if (call.signal.aborted) {
    end(abortReason(call.signal));
    return () => undefined;
  }
  call.signal.addEventListener('abort', onAbort, { once: true });
  try {
    call.dispatcher.dispatch(
      { origin, path, method: call.method, headers: call.headers, body: call.body ?? null, headersTimeout: call.timeouts.firstByteMs, bodyTimeout: call.timeouts.idleMs },
      {
        onRequestStart(requestController) {
          controller = requestController;
          if (call.signal.aborted) requestController.abort(abortReason(call.signal));
        },
        onResponseStart(_controller, statusCode, headers) {
          handlers.onStart(statusCode, headers);
        },
        onResponseData(dataController, chunk) {
          handlers.onData(chunk, dataController);
        },
        onResponseEnd() {
          end();
        },
        onResponseError(_controller, error) {
          end(error);
        },
      },
    );
  } catch (error) {
    end(error);
  }
  return (reason) => {
    if (!done) controller?.abort(reason);
  };
}

function abortReason(signal: CancelSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new undiciErrors.RequestAbortedError();
}
