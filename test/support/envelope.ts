/** Assertions on Bybit's REST envelope, shared by the integration tests. */
import { expect } from 'vitest';
import type { Reply } from './server.js';

/** HTTP 200, retCode 10001, a message naming what was wrong, empty result and retExtInfo. */
export function expectParamError(r: Reply, mentions: RegExp): void {
  expect(r.status).toBe(200);
  expect(r.body.retCode, r.text).toBe(10001);
  expect(r.body.retMsg).toMatch(mentions);
  expect(r.body.result).toEqual({});
  expect(r.body.retExtInfo).toEqual({});
}
