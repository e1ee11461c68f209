import type { LookupFunction } from 'node:net';

/**
 * A DNS lookup that answers 127.0.0.1 for every name, so a test can probe a real provider-style
 * host name (an Azure resource, `localhost` for the TLS certificate) on the local fake without a
 * resolver (localhost may resolve to ::1 first, where nothing listens).
 */
export const toLoopback: LookupFunction = (_host, options, callback) =>
  (options as { all?: boolean }).all
    ? (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }])
    : (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4);
