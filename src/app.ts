import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ProxyError, toOpenAIErrorBody } from './errors.js';
import type { Runtime } from './runtime.js';
import { checkClient } from './http/client-auth.js';
import { registerProxyRoutes } from './http/proxy-routes.js';
import { answerClientError } from './http/client-error.js';
import { parseJsonBody } from './http/body.js';
import { registerHealthRoute } from './http/health-route.js';
import { registerAdminRoutes } from './admin/admin-routes.js';
import { registerUiRoute } from './admin/ui-route.js';
import { registerUsageRoute } from './http/usage-route.js';
import { recordProxiedRequest } from './metrics/record-request.js';
import type { TokenUsage } from './metrics/usage.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled in by the handlers for the one log line per request. */
    proxycast: {
      model?: string;
      credential?: string;
      upstreamModel?: string;
      /** performance.now() when the answer's headers went out. */
      firstByteAt?: number;
      tokens?: TokenUsage;
      errorCode?: string;
      errorMessage?: string;
      streamFailed?: boolean;
      /** The request body's bytes as received (JSON bodies only). */
      rawBody?: Buffer;
    };
  }
}

/** Maps Fastify's own errors (body parsing, limits) into the catalogue; anything unknown becomes a bare 500. */
function asProxyError(error: unknown, bodyLimit: number): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? '';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
    return ProxyError.invalidJson(code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the body is empty' : message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'\s*/, '') || 'parse error');
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return ProxyError.requestTooLarge(bodyLimit);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return ProxyError.invalidRequest('Unsupported Content-Type; send the body as application/json.');
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return ProxyError.invalidRequest('The Content-Length header does not match the body.');
  const status = (error as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500) return ProxyError.invalidRequest(message || 'Bad request.');
  return ProxyError.internal();
}

/** The catalogue error for a request Fastify's router refused before routing it. */
function frameworkError(code: string): ProxyError {
  if (code === 'FST_ERR_BAD_URL') return ProxyError.invalidRequest('The request path is not valid: it holds a malformed percent-encoding.');
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return new ProxyError({ status: 414, type: 'invalid_request_error', code: 'invalid_request', message: 'A segment of the request path is too long.' });
  return ProxyError.internal();
}

/** Sends a ProxyError in the OpenAI shape, with Retry-After when it has one. */
export function sendError(reply: FastifyReply, error: ProxyError): FastifyReply {
  const { status, body, retryAfterSeconds } = toOpenAIErrorBody(error);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(status).type('application/json').send(body);
}

/**
 * The logger of the one line per request. Its fields (method, path without the query, model names, credential id,
 * status, duration) hold no secret and none is named like one, so it skips the redaction pass, which cost more than
 * the rest of the line (~5 µs of ~8 per request). Every other log line is redacted as before.
 */
function requestLineLogger(logger: Runtime['deps']['logger']): Runtime['deps']['logger'] {
  return logger.child({}, { redact: { paths: [] } });
}

function logRequestLine(logger: Runtime['deps']['logger'], request: FastifyRequest, reply: FastifyReply, started: number): void {
  if (!logger.isLevelEnabled('info')) return; // not even the line's object, below info
  const info = request.proxycast;
  logger.info(
    {
      method: request.method,
      path: request.url.split('?')[0],
      model: info.model,
      upstreamModel: info.upstreamModel,
      credential: info.credential,
      status: reply.raw.statusCode,
      durationMs: Math.round(performance.now() - started),
      aborted: !reply.raw.writableFinished,
    },
    'request',
  );
}

/** The Fastify app: client checks, routes and the OpenAI-shaped error handler. Never listens; main does. */
export async function buildApp(runtime: Runtime): Promise<FastifyInstance> {
  const config = runtime.config();
  const app = Fastify({
    loggerInstance: runtime.deps.logger as FastifyBaseLogger,
    // One line per request is written by logRequestLine instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (nothing logs through request.log; our one line per request has what it needs).
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.server.body_limit_bytes,
    forceCloseConnections: true,
    // A request without Host must reach our guard (403 forbidden_host), not Node's bare 400.
    http: { requireHostHeader: false },
    return503OnClosing: false,
    // Requests Node's parser refuses (CR/LF in a header, oversized headers) get the OpenAI shape too.
    clientErrorHandler: answerClientError,
    // So do paths the router refuses before any route runs (bad percent-encoding, an over-long path segment).
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, frameworkError(error.code));
    },
  });
  app.decorateRequest('proxycast', null as unknown as FastifyRequest['proxycast']);
  // Clients such as curl -d send form content types; every body we take is JSON, so read any type as JSON.
  app.removeAllContentTypeParsers();
  const readJson = (request: FastifyRequest, body: Buffer | string, done: (error: Error | null, value?: unknown) => void) => {
    try {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const parsed = parseJsonBody(bytes);
      // Kept so an API-key upstream can get the client's own bytes instead of a re-serialised copy.
      if (request.proxycast) request.proxycast.rawBody = bytes;
      done(null, parsed);
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  // application/json by name too: Fastify finds a named type without parsing the Content-Type header in full.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, readJson);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, readJson);

  const requestLog = requestLineLogger(runtime.deps.logger);
  // A callback hook, not an async one: it runs on every request, and a promise per request is measurable.
  app.addHook('onRequest', (request, reply, done) => {
    request.proxycast = {};
    const started = performance.now();
    reply.raw.once('close', () => {
      logRequestLine(requestLog, request, reply, started);
      recordProxiedRequest(runtime, request, reply, started);
    });
    // /health answers everyone (readiness checks); the admin API and page have their own guard.
    if (request.url === '/health' || request.url.startsWith('/health?') || request.url.startsWith('/api/admin/') || request.url.startsWith('/ui')) {
      done();
      return;
    }
    try {
      checkClient(request, runtime.config().server.api_keys);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const proxyError = asProxyError(error, runtime.config().server.body_limit_bytes);
    if (request.proxycast) {
      request.proxycast.errorCode = proxyError.code;
      request.proxycast.errorMessage = proxyError.message;
    }
    if (proxyError.code === 'internal_error') runtime.deps.logger.error({ err: error }, 'internal error');
    return sendError(reply, proxyError);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, ProxyError.notFound(request.method, request.url.split('?')[0] ?? '')));

  registerHealthRoute(app, runtime);
  registerProxyRoutes(app, runtime);
  registerAdminRoutes(app, runtime);
  registerUiRoute(app, runtime);
  registerUsageRoute(app, runtime);
  return app;
}
