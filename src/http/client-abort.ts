import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAbort } from '../upstream/cancel-signal.js';

/** A cancel signal that fires when the client goes away before the answer is complete, aborting the upstream call. */
export function abortWhenClientLeaves(request: FastifyRequest, reply: FastifyReply): ClientAbort {
  const controller = new ClientAbort();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  };
  reply.raw.once('close', onClose);
  request.raw.once('aborted', onClose);
  return controller;
}
