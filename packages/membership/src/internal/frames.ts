/** TCP framing: a u32 big-endian length, then that many bytes. One frame each way. */

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** Accumulates chunks until one whole frame is in. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  declaredLength = -1;

  constructor(private readonly maxBytes: number) {}

  /** Returns the frame once complete, "oversized" if it is over the limit, else undefined. */
  push(chunk: Buffer): Uint8Array | "oversized" | undefined {
    this.chunks.push(chunk);
    this.have += chunk.length;
    if (this.declaredLength < 0) {
      if (this.have < 4) return undefined;
      const head = Buffer.concat(this.chunks);
      this.chunks = [head];
      this.declaredLength = head.readUInt32BE(0);
      if (this.declaredLength > this.maxBytes) return "oversized";
    }
    if (this.have < 4 + this.declaredLength) return undefined;
    const all = Buffer.concat(this.chunks);
    // Bytes past the frame are ignored: one request and one reply per connection.
    return all.subarray(4, 4 + this.declaredLength);
  }
}
