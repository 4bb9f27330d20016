/** The request hash in base64url without padding, as the artifact key's `{H}` segment (spec §2). */
export function encodeHash(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("base64url");
}
