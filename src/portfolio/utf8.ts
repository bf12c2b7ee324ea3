/**
 * Text and UTF-8 (docs/methods.md §4): byte lengths against the limits, lines decoded from bytes
 * with the first bad byte named, and the checks that an id or instrument is text (no U+FFFD, no
 * lone surrogate), so that ids that differ only in undecodable bytes are never merged.
 */

/** Whether s is longer than `limit` bytes in UTF-8 (linear; no encoding made for short strings). */
export function longerThan(s: string, limit: number): boolean {
  return s.length > limit || (s.length * 3 > limit && Buffer.byteLength(s, 'utf8') > limit);
}

/**
 * Why a portfolio id or instrument cannot be used as text, or undefined: a lone surrogate (no
 * UTF-8 spelling) or U+FFFD, the mark left where bytes that were not UTF-8 were decoded (by this
 * reader or by whoever made the string): two ids that differ only in such bytes would read the same,
 * so such an id is never merged with another.
 */
export function unreadableText(s: string): string | undefined {
  if (s.indexOf('\uFFFD') >= 0) return 'holds U+FFFD (bytes that were not UTF-8, decoded as text)';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const d = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return 'holds a lone UTF-16 surrogate (not text)';
    i++;
  }
  return undefined;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
export const utf8Lossy = new TextDecoder('utf-8');
export const encoder = new TextEncoder();
const latin1Decoder = new TextDecoder('latin1');

/** The text of bytes known to be ASCII. */
export function asciiText(buf: Uint8Array, s: number, e: number): string {
  return Buffer.isBuffer(buf) ? buf.toString('latin1', s, e) : latin1Decoder.decode(buf.subarray(s, e));
}

/**
 * A line's text, or, when its bytes are not valid UTF-8, the reason (naming the first bad byte and
 * its 1-based column) and the text with each bad sequence replaced by U+FFFD.
 */
export function decodeLine(buf: Uint8Array, s: number, e: number): { text: string; invalid?: string } {
  const bytes = buf.subarray(s, e);
  try {
    return { text: utf8Strict.decode(bytes) };
  } catch {
    let at = 0;
    // The first byte from which no valid sequence can be decoded.
    for (let lo = 0; lo < bytes.length;) {
      const len = utf8SequenceLength(bytes, lo);
      if (len === 0) { at = lo; break; }
      lo += len;
    }
    const hex = bytes[at].toString(16).toUpperCase().padStart(2, '0');
    return { text: utf8Lossy.decode(bytes), invalid: `not valid UTF-8 (byte 0x${hex} at column ${at + 1}); portfolio files are UTF-8` };
  }
}

/** Length of the valid UTF-8 sequence starting at b[i], or 0 when none starts there. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number, min: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0x7f >> n);
  for (let k = 1; k < n; k++) {
    const d = b[i + k];
    if ((d & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}
