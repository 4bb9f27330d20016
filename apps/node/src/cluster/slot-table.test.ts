import { describe, expect, it } from "vitest";
import { SlotTable } from "./slot-table.js";

describe("SlotTable", () => {
  it("gives newcomers the first free slot and refuses a name when full", () => {
    const t = new SlotTable(3);
    expect(t.assign("a", "h:1")).toBe(0);
    expect(t.assign("b", "h:2")).toBe(1);
    expect(t.assign("c", "h:3")).toBe(2);
    expect(t.assign("d", "h:4")).toBeUndefined();
  });

  it("returns the same slot to a node that rejoins under its name, with its new address", () => {
    const t = new SlotTable(3);
    t.assign("a", "h:1");
    t.assign("b", "h:2");
    expect(t.assign("b", "h:9")).toBe(1);
    expect(t.holder(1)).toEqual({ name: "b", address: "h:9" });
    expect(t.assign("c", "h:3")).toBe(2);
  });

  it("lists held slots in order with plz ranges, the last ending at 0xFFFFFFFF", () => {
    const t = new SlotTable(3);
    t.assign("a", "h:1");
    t.assign("b", "h:2");
    t.assign("c", "h:3");
    expect(t.nodes()).toEqual([
      { name: "a", address: "h:1", hashBegin: 0, hashEnd: 1431655765 },
      { name: "b", address: "h:2", hashBegin: 1431655765, hashEnd: 2863311530 },
      { name: "c", address: "h:3", hashBegin: 2863311530, hashEnd: 4294967295 },
    ]);
  });

  it("moves a name learned by gossip to its new slot and survives JSON", () => {
    const t = new SlotTable(2);
    t.set(0, { name: "x", address: "h:1" });
    expect(t.set(0, { name: "x", address: "h:1" })).toBe(false);
    t.set(1, { name: "x", address: "h:2" });
    expect(t.holder(0)).toBeUndefined();
    const u = SlotTable.fromJSON(JSON.parse(JSON.stringify(t)));
    expect(u.nodes()).toEqual(t.nodes());
  });
});
