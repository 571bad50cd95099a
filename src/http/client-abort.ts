import type { FastifyReply } from 'fastify';
import { ClientAbort } from '../upstream/cancel-signal.js';

/** A cancel signal that fires when the client goes away before the answer is complete, aborting the upstream call. */
export function abortWhenClientLeaves(reply: FastifyReply): ClientAbort {
  const controller = new ClientAbort();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  };
  // 'close' on the response covers a client that leaves at any point (the request's 'aborted' is deprecated).
  reply.raw.on('close', onClose);
  return controller;
}
