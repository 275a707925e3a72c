/**
 * Bybit request signing, shared by the REST layer and the WebSocket hub.
 * REST: hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload), where payload is the
 * raw query string (GET) or the raw body (POST), exactly as received.
 * WS: hex HMAC-SHA256(secret, "GET/realtime" + expires).
 * @see ../shared/reference/bybit-v5-facts.md §3.2, §3.3, §8.4
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEFAULT_RECV_WINDOW = 5000;
/** A request may be up to this far ahead of the server clock. */
export const FUTURE_TOLERANCE_MS = 1000;

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export function restPreSign(timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return timestamp + apiKey + recvWindow + payload;
}

export function wsPreSign(expires: string): string {
  return `GET/realtime${expires}`;
}

/** Constant-time comparison of a received hex signature with the expected one. */
export function signatureMatches(expectedHex: string, receivedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  const received = Buffer.from(receivedHex.toLowerCase(), 'utf8');
  // Compare byte lengths: a non-ASCII header can match in characters but not in bytes.
  if (received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}

/** Bybit's window rule: server_time - recv_window <= timestamp < server_time + 1000. */
export function withinRecvWindow(timestamp: number, serverTime: number, recvWindow: number): boolean {
  return serverTime - recvWindow <= timestamp && timestamp < serverTime + FUTURE_TOLERANCE_MS;
}

/** The raw query string of a request target, without '?'; a lone trailing '?' counts as empty. */
export function rawQueryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}
