/**
 * The hub frames the text messages of one event-loop turn itself, into one buffer per
 * connection. Each frame must be byte for byte what ws would have written for that text.
 */
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { textFrames } from '../../src/ws/hub.js';

const require = createRequire(import.meta.url);
// ws's own framing (server side: unmasked), the reference.
const { Sender } = require('ws') as {
  Sender: {
    frame(
      data: Buffer,
      o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
};

const wsFrame = (text: string) =>
  Buffer.concat(
    Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }),
  );

test('each frame equals what ws writes, at every length encoding and for multi-byte text', () => {
  const texts = [
    '',
    'a',
    'x'.repeat(125),
    'x'.repeat(126),
    'y'.repeat(65535),
    'z'.repeat(65536),
    '{"orderLinkId":"é✓ 日本"}',
    `${'€'.repeat(42)}`, // 126 bytes in UTF-8 from 42 characters
  ];
  for (const t of texts) expect(textFrames([t]).equals(wsFrame(t)), `length ${t.length}`).toBe(true);
  expect(textFrames(texts).equals(Buffer.concat(texts.map(wsFrame)))).toBe(true);
});
