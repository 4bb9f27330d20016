// The parts of npm `hashring@3.2.0` (which ships no types) that the benchmark uses.
declare module "hashring" {
  class HashRing {
    constructor(
      servers: string[] | Record<string, number>,
      algorithm?: string,
      options?: Record<string, unknown>,
    );
    get(key: string): string;
    range(key: string, size?: number, unique?: boolean): string[];
  }
  export default HashRing;
}
