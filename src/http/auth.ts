/**
 * REST authentication exactly as Bybit checks it, in this order: headers present (10001),
 * timestamp window (10002), key known (10003), signature (10004), permission (10005).
 * @see ../shared/reference/bybit-v5-facts.md §3
 */
import {
  DEFAULT_RECV_WINDOW,
  hmacHex,
  restPreSign,
  signatureMatches,
  withinRecvWindow,
} from '../auth/signing.js';
import type { Account } from '../core/accounts/account.js';
import { errors } from '../core/errors.js';
import type { Access } from './route.js';

export interface AuthInput {
  apiKey: string | undefined;
  timestamp: string | undefined;
  sign: string | undefined;
  recvWindow: string | undefined;
  /** Raw query (GET) or raw body (POST), exactly as received. */
  payload: string;
  access: Exclude<Access, 'public'>;
  serverTime: number;
  /**
   * When set, a timestamp inside the window around this wall-clock time is accepted too (the
   * daemon's clock may be virtual: manual, sped up or started in the past). @see docs/websocket.md
   */
  wallTime?: number;
  lookup: (apiKey: string) => Account | undefined;
  /** HTTP status for 10003 (200 by default, 401 when configured). */
  invalidKeyHttpStatus: number;
}

const MAX_ECHO = 512;

export function authenticate(input: AuthInput): Account {
  const { apiKey, timestamp, sign } = input;
  if (!apiKey || !timestamp || !sign)
    throw errors.signParamsMissing(timestamp ?? '', apiKey ?? '', sign ?? '');
  if (!/^\d{1,16}$/.test(timestamp)) {
    throw errors.param(
      `X-BAPI-TIMESTAMP must be the current time in milliseconds (digits only), got "${timestamp.slice(0, 40)}"`,
    );
  }
  const recvText = input.recvWindow ?? String(DEFAULT_RECV_WINDOW);
  if (!/^\d{1,9}$/.test(recvText) || Number.parseInt(recvText, 10) <= 0) {
    throw errors.param(
      `X-BAPI-RECV-WINDOW must be a positive number of milliseconds, got "${recvText.slice(0, 40)}"`,
    );
  }
  const recvWindow = Number.parseInt(recvText, 10);
  const ts = Number.parseInt(timestamp, 10);
  const inWindow =
    withinRecvWindow(ts, input.serverTime, recvWindow) ||
    (input.wallTime !== undefined && withinRecvWindow(ts, input.wallTime, recvWindow));
  if (!inWindow) {
    throw errors.timestampWindow(timestamp, input.serverTime, recvWindow);
  }
  const account = input.lookup(apiKey);
  if (!account) throw errors.invalidApiKey(input.invalidKeyHttpStatus);
  const preSign = restPreSign(timestamp, apiKey, recvText, input.payload);
  if (!signatureMatches(hmacHex(account.apiSecret, preSign), sign)) {
    throw errors.invalidSign(preSign.length > MAX_ECHO ? `${preSign.slice(0, MAX_ECHO)}...` : preSign);
  }
  if (input.access === 'write' && !account.canTrade) throw errors.permissionDenied();
  return account;
}
