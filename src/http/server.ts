import { createServer, maxHeaderSize, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
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
  const handler = toNodeHandler(app);
  // Node's own check answers an HTTP/1.1 request without Host (RFC 9112 §3.2: a 400) with an
  // empty body and no request id; this one makes the same check and answers in the API's shape.
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) answerWithoutHost(res);
    else void handler(req, res);
  });
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
  const { requestId, body } = invalidRequest(message);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${JSON_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const JSON_TYPE = 'application/json; charset=utf-8';

function invalidRequest(message: string): { requestId: string; body: string } {
  const requestId = newRequestId();
  return { requestId, body: JSON.stringify({ error: 'invalid_request', message, request_id: requestId } satisfies ErrorBody) };
}

/** An HTTP/1.1 request without Host: 400, and the connection closed, as Node's own check does. */
function answerWithoutHost(res: ServerResponse): void {
  const { requestId, body } = invalidRequest('missing Host header (HTTP/1.1 requires one)');
  res.writeHead(400, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, connection: 'close' });
  res.end(body);
}
