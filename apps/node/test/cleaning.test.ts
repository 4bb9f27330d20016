import { afterEach, describe, expect, it } from "vitest";
import { art, hashOf, type NodeProcess, removeDir, retrieveReq, startNode, storeReq } from "./harness.js";

let node: NodeProcess | undefined;
afterEach(async () => {
  if (node) {
    await node.stop();
    removeDir(node.dir);
    node = undefined;
  }
});

async function totalSize(n: NodeProcess): Promise<number> {
  const m = /Total size: (\d+) bytes/.exec((await n.http("/")).body);
  return Number(m![1]);
}

describe("cleaning", () => {
  it("cleans down to the low water mark, least recently read first", async () => {
    node = await startNode({ args: ["-l", "50K", "-i", "100K", "-f", "1s"] });
    const client = node.client();
    const body = Buffer.alloc(10_000, 7);
    // 100 KB: at, not over, the high water mark.
    for (let i = 0; i < 10; i++) await storeReq(client, hashOf(i), [art("c", "t", `f${i}`, body)]);
    // Read the first three so they are the most recently read.
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++)
      expect((await retrieveReq(client, hashOf(i), [art("c", "t", `f${i}`)])).success).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(await totalSize(node)).toBe(100_000);
    await storeReq(client, hashOf(10), [art("c", "t", "f10", body)]);
    // 110 KB is over the 100 KB high water mark: within a clean interval it is cut to <= 50 KB,
    // removing f3..f8 (least recently read) and keeping f0..f2 (read) and f9, f10.
    const deadline = Date.now() + 5000;
    while ((await totalSize(node)) > 50_000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await totalSize(node)).toBeLessThanOrEqual(50_000);
    for (let i = 0; i < 3; i++)
      expect((await retrieveReq(client, hashOf(i), [art("c", "t", `f${i}`)])).success).toBe(true);
    expect((await retrieveReq(client, hashOf(10), [art("c", "t", "f10")])).success).toBe(true);
    for (let i = 3; i < 9; i++)
      expect((await retrieveReq(client, hashOf(i), [art("c", "t", `f${i}`)])).success).toBe(false);
  });

  it("removes artifacts not read within max_artifact_age", async () => {
    node = await startNode({ args: ["-m", "1s", "-f", "1s"] });
    const client = node.client();
    await storeReq(client, hashOf(1), [art("age", "t", "old", "x")]);
    await new Promise((r) => setTimeout(r, 3500));
    expect((await retrieveReq(client, hashOf(1), [art("age", "t", "old")])).success).toBe(false);
  });
});
