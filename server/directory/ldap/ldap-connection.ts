import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Client, InvalidCredentialsError, ResultCodeError, type Control, type SearchOptions, type SearchResult } from 'ldapts';
import { DirectoryUnavailableError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LdapSettings } from './ldap-settings.js';
import { tlsOptionsFor } from './tls-options.js';

/** One TLS connection to a directory server, bound as the service account when opened. */
export interface LdapConnection {
  readonly url: string;
  search(base: string, options: SearchOptions): Promise<SearchResult>;
  /** Throws the server's ResultCodeError for a refused bind; the connection stays usable. */
  bind(dn: string, password: string, controls?: Control[]): Promise<void>;
  /** False once the socket closed or an operation failed below LDAP (timeout, reset). */
  readonly usable: boolean;
  close(): void;
}

/**
 * Thrown before anything was sent, because the connection had already closed: the operation
 * can be retried on another connection without the server having seen it twice.
 */
export class ConnectionLostError extends Error {
  constructor() {
    super('the LDAP connection had closed');
    this.name = 'ConnectionLostError';
  }
}

/** The service account's DN or password was refused: a config problem, not an outage. */
export class ServiceBindError extends DirectoryUnavailableError {}

type ConnectionSettings = Pick<LdapSettings, 'urls' | 'tls' | 'bindDn' | 'password' | 'connectTimeoutMs' | 'timeoutMs'>;

/**
 * Connects to the first server of `urls` that answers, in order: ldaps:// directly, ldap://
 * upgraded with StartTLS (never used in the clear), then binds as the service account. Throws
 * DirectoryUnavailableError when none could be used. A refused service account stops at once:
 * trying every server would count a failure against it on each, towards its lockout.
 */
export async function openLdapConnection(settings: ConnectionSettings, deps: { logger: Logger }): Promise<LdapConnection> {
  const failures: string[] = [];
  for (const url of settings.urls) {
    try {
      return await connect(url, settings);
    } catch (error) {
      if (error instanceof ServiceBindError) throw error;
      const reason = describeFailure(error);
      failures.push(`${url}: ${reason}`);
      deps.logger.warn({ url, reason }, 'directory server not usable; trying the next one');
    }
  }
  throw new DirectoryUnavailableError(`no directory server could be used (${failures.join('; ')})`);
}

async function connect(url: string, settings: ConnectionSettings): Promise<LdapConnection> {
  const ldaps = url.startsWith('ldaps:');
  const tls = tlsOptionsFor(url, settings.tls);
  // For ldap:// the client gets no TLS options: given some, it would speak TLS from the first byte.
  const client = new Client({ url, timeout: settings.timeoutMs, connectTimeout: settings.connectTimeoutMs, ...(ldaps ? { tlsOptions: tls } : {}) });
  let closed = false;
  let failed = false;
  const destroy = () => {
    closed = true;
    void client.unbind().catch(() => undefined);
  };
  // StartTLS's handshake has no timeout of its own, and a server may accept and never answer.
  const deadline = setTimeout(destroy, settings.connectTimeoutMs + settings.timeoutMs);
  try {
    if (!ldaps) await client.startTLS({ ...tls });
    try {
      await client.bind(settings.bindDn, settings.password);
    } catch (error) {
      if (error instanceof InvalidCredentialsError) throw new ServiceBindError(`the service account ${settings.bindDn} was refused by ${url}`, { cause: error });
      throw error;
    }
    if (closed) throw new Error('timed out');
    const socket = socketOf(client);
    // Belt and braces: whatever path led here, the socket in use is TLS with a checked certificate.
    if (!(socket instanceof TLSSocket) || (!settings.tls.insecureSkipVerify && !socket.authorized)) throw new Error('the connection is not protected by a verified TLS session');
    socket.once('close', () => (closed = true));
    if (socket.destroyed) closed = true;
  } catch (error) {
    destroy();
    throw error;
  } finally {
    clearTimeout(deadline);
  }

  /**
   * ldapts reconnects by itself when asked to send on a closed connection, and for ldap:// it
   * would reconnect without TLS: every call checks first, in the same tick as the send.
   */
  function guard(): void {
    if (closed || failed || !client.isConnected) throw new ConnectionLostError();
  }
  /**
   * Failures below LDAP (timeout, reset) retire the connection. A search the server refuses
   * (no such base, no access, an unknown matching rule) is a misconfiguration: it is an outage
   * too, logged with the server's reason. A refused bind is an answer, for the caller to read.
   */
  async function track<T>(operation: Promise<T>, kind: 'search' | 'bind'): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      if (error instanceof ResultCodeError) {
        if (kind === 'bind') throw error;
        throw new DirectoryUnavailableError(`${url}: the search was refused: ${describeFailure(error)}`, { cause: error });
      }
      failed = true;
      throw new DirectoryUnavailableError(`${url}: ${describeFailure(error)}`, { cause: error });
    }
  }

  return {
    url,
    search(base, options) {
      guard();
      return track(client.search(base, options), 'search');
    },
    bind(dn, password, controls) {
      guard();
      return track(client.bind(dn, password, controls), 'bind');
    },
    get usable() {
      return !closed && !failed && client.isConnected;
    },
    close: destroy,
  };
}

/** ldapts keeps its socket private; the close event and the TLS check need it. */
function socketOf(client: Client): Socket | undefined {
  return (client as unknown as { socket?: Socket }).socket;
}

/** A short reason for logs: never the password, never a whole stack. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.split('\n')[0]!.slice(0, 200);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
