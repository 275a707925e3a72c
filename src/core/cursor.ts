/**
 * Opaque page cursors made of [a-z0-9] only, so no client encoding (single or double) can mangle
 * them. A cursor carries one integer (an offset, or the serial of the last row served) plus a
 * check, so a made-up cursor is refused instead of silently paging wrong.
 */
import { errors } from './errors.js';
import { hashString } from './random.js';

export function encodeCursor(n: number): string {
  return `p${n.toString(36)}x${(hashString(`cursor:${n}`) % 1296).toString(36).padStart(2, '0')}`;
}

export function decodeCursor(cursor: string): number {
  const m = /^p([0-9a-z]+)x([0-9a-z]{2})$/.exec(cursor);
  const n = m ? Number.parseInt(m[1]!, 36) : Number.NaN;
  if (!m || !Number.isSafeInteger(n) || encodeCursor(n) !== cursor) {
    throw errors.param('cursor invalid: pass the nextPageCursor of the previous page unchanged');
  }
  return n;
}

/**
 * One page of rows sorted newest first by a strictly decreasing serial. The cursor is the serial
 * of the last row served, so rows added meanwhile never shift or repeat a page.
 */
export function pageBySerial<T extends { serial: number }>(
  rows: readonly T[],
  limit: number,
  cursor: string | undefined,
): { page: T[]; nextPageCursor: string } {
  const after = cursor ? decodeCursor(cursor) : Infinity;
  const page: T[] = [];
  let more = false;
  for (const row of rows) {
    if (row.serial >= after) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(row);
  }
  const last = page[page.length - 1];
  return { page, nextPageCursor: more && last ? encodeCursor(last.serial) : '' };
}
