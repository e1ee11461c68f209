import { createServer, maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { newRequestId } from './context.ts';
import type { ErrorBody } from './errors.ts';

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens with node:http; close() stops accepting and ends idle keep-alive sockets. */
export async function listen(app: H3, host: string, port: number): Promise<HttpServer> {
  const server: Server = createServer(toNodeHandler(app));
  server.keepAliveTimeout = 5000;
  server.on('clientError', answerUnreadable);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client holding a connection open must not keep us from exiting.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}

/**
 * A request Node's parser cannot read (an unknown method, a head over its limit, broken framing)
 * never reaches h3, and Node's own answer has an empty body and no request id. This one keeps the
 * API's error shape, with Node's statuses: 431 for an oversized head, 408 for a timeout, else 400.
 */
function answerUnreadable(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Bytes written after part of another answer has gone out would corrupt it (Node checks the same).
  const answering = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const [status, message]: [number, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `the request line and headers are larger than ${maxHeaderSize} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : [400, error.code === 'HPE_INVALID_METHOD' ? 'unknown HTTP method' : 'the request is not valid HTTP/1.1'];
  const requestId = newRequestId();
  const body = JSON.stringify({ error: 'invalid_request', message, request_id: requestId } satisfies ErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
