/**
 * Minimal byte writer and strict reader for the wire codec. The reader throws
 * {@link DecodeError} on anything out of bounds; callers catch it at the receive path.
 */

export class DecodeError extends Error {
  override readonly name = "DecodeError";
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

const MAX_INTERNED = 64;
const MAX_INTERN_ENTRIES = 1 << 16;
/** Short ASCII strings seen recently, by a hash of their bytes. */
let interned = new Map<number, string>();

function latin1(buf: Uint8Array, start: number, n: number): string {
  return String.fromCharCode.apply(null, buf.subarray(start, start + n) as unknown as number[]);
}

/**
 * Returns the same string object for the same short ASCII bytes. Gossip repeats a few
 * names and addresses millions of times; reusing one (already hashed) string makes the map
 * lookups that follow cheap and spares the garbage collector.
 */
function intern(buf: Uint8Array, start: number, n: number): string {
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < start + n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const hit = interned.get(h);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const s = latin1(buf, start, n);
  if (interned.size >= MAX_INTERN_ENTRIES) interned = new Map();
  interned.set(h, s);
  return s;
}

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initial = 128) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.length++] = (v >>> 24) & 0xff;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = v & 0xff;
  }

  /** Unsigned LEB128, up to 32 bits. */
  varint(v: number): void {
    let n = v >>> 0;
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.length++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.length++] = n;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A varint byte length followed by the UTF-8 bytes. */
  str(s: string): void {
    const n = s.length;
    let ascii = n < 128;
    if (ascii) {
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
    }
    if (ascii) {
      this.ensure(1 + n);
      this.buf[this.length++] = n;
      for (let i = 0; i < n; i++) this.buf[this.length++] = s.charCodeAt(i);
      return;
    }
    const encoded = utf8Encoder.encode(s);
    this.varint(encoded.length);
    this.bytes(encoded);
  }

  finish(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  pos = 0;
  /** Reads stop here; {@link ByteReader.limitTo} narrows it for one nested message. */
  limit: number;

  constructor(private readonly buf: Uint8Array) {
    this.limit = buf.length;
  }

  get remaining(): number {
    return this.limit - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw new DecodeError("truncated");
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    const v = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }

  varint(): number {
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      if (i === 4 && b > 0x0f) throw new DecodeError("varint overflow");
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw new DecodeError("non-minimal varint");
        return result;
      }
    }
    throw new DecodeError("varint too long");
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A string written by {@link ByteWriter.str}, at most `maxBytes` long and valid UTF-8. */
  str(maxBytes: number): string {
    const n = this.varint();
    if (n > maxBytes) throw new DecodeError("string too long");
    this.need(n);
    const start = this.pos;
    this.pos += n;
    let ascii = true;
    for (let i = start; i < start + n; i++) {
      if (this.buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return n <= MAX_INTERNED ? intern(this.buf, start, n) : latin1(this.buf, start, n);
    try {
      return utf8Decoder.decode(this.buf.subarray(start, start + n));
    } catch {
      throw new DecodeError("invalid utf-8");
    }
  }

  /** Fails unless every byte up to the limit was read. */
  end(): void {
    if (this.pos !== this.limit) throw new DecodeError("trailing bytes");
  }
}
