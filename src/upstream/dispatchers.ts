import { Agent, buildConnector, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';

export interface DispatcherOptions {
  connectTimeoutMs: number;
}

/**
 * One undici dispatcher per proxy URL (plus the direct one), reused across requests so connections are kept alive.
 * Every call a credential makes (chat, models, health check, refresh, login exchange) goes through `forProxy`.
 */
export class DispatcherRegistry {
  private readonly byProxy = new Map<string, Dispatcher>();

  constructor(
    private readonly direct: Dispatcher,
    private readonly options: DispatcherOptions,
  ) {}

  /** The dispatcher for a credential's proxy_url, or the direct one. */
  forProxy(proxyUrl: string | undefined): Dispatcher {
    if (!proxyUrl) return this.direct;
    let dispatcher = this.byProxy.get(proxyUrl);
    if (!dispatcher) {
      dispatcher = createProxyDispatcher(proxyUrl, this.options);
      this.byProxy.set(proxyUrl, dispatcher);
    }
    return dispatcher;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.byProxy.values()].map((dispatcher) => dispatcher.close()));
    this.byProxy.clear();
  }
}

/**
 * http(s) proxies: undici's ProxyAgent (CONNECT tunnels; Basic proxy auth from the URL's user:password). socks5:
 * its Socks5ProxyAgent. The connect timeout covers the connection to the proxy and the TLS handshake through it.
 */
function createProxyDispatcher(proxyUrl: string, options: DispatcherOptions): Dispatcher {
  const timeout = options.connectTimeoutMs;
  const protocol = new URL(proxyUrl).protocol;
  if (protocol === 'socks5:' || protocol === 'socks:') {
    // Not proxyTls: Socks5ProxyAgent reads its presence as "the proxy speaks TLS".
    return new Socks5ProxyAgent(proxyUrl, { connect: buildConnector({ timeout }) });
  }
  return new ProxyAgent({ uri: proxyUrl, proxyTls: { timeout }, requestTls: { timeout } });
}

/** The direct (no proxy) keep-alive agent. */
export function createDirectAgent(options: DispatcherOptions): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: 512, connect: { timeout: options.connectTimeoutMs } });
}
