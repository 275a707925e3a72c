/**
 * Bybit's REST envelope: {retCode, retMsg, result, retExtInfo, time}; errors keep the shape with a
 * non-zero retCode and an empty result. @see ../shared/reference/bybit-v5-facts.md §2.1
 */
export interface Envelope {
  retCode: number;
  retMsg: string;
  result: unknown;
  retExtInfo: unknown;
  time: number;
}

export function okEnvelope(result: unknown, time: number, retMsg = 'OK', retExtInfo: unknown = {}): Envelope {
  return { retCode: 0, retMsg, result, retExtInfo, time };
}

export function errorEnvelope(retCode: number, retMsg: string, time: number): Envelope {
  return { retCode, retMsg, result: {}, retExtInfo: {}, time };
}
