import { describe, expect, it } from "vitest";
import { type SimEvent, Simulator } from "./simulator.js";

/** Records every event; `deathsOf` counts distinct (node, incarnation) death declarations. */
function record(sim: Simulator): SimEvent[] {
  const log: SimEvent[] = [];
  sim.onEvent((e) => log.push(e));
  return log;
}

function everyoneSees(sim: Simulator, name: string, state: string, except: string[] = []): boolean {
  return sim
    .nodes()
    .filter((m) => m.name !== name && !except.includes(m.name))
    .every((m) => m.member(name)?.state === state);
}

describe("Simulator: joining", () => {
  it("converges a 10-node cluster within a few seconds and tells everyone about everyone", async () => {
    const sim = new Simulator({ seed: 10 });
    const log = record(sim);
    await sim.addCluster(10);
    expect(sim.runUntil(() => sim.converged(), 10_000)).toBe(true);
    expect(sim.now).toBeLessThan(3_000);
    for (const m of sim.nodes()) {
      const joined = new Set(
        log.filter((e) => e.observer === m.name && e.event === "join").map((e) => e.member.name),
      );
      expect(joined.size).toBe(9);
      expect(joined.has(m.name)).toBe(false);
    }
  });

  it("converges a 100-node cluster", async () => {
    const sim = new Simulator({ seed: 100 });
    await sim.addCluster(100);
    expect(sim.runUntil(() => sim.converged(), 30_000, 500)).toBe(true);
  });

  it("converges a 1000-node cluster", async () => {
    const sim = new Simulator({ seed: 1000 });
    await sim.addCluster(1000, { staggerMs: 10 });
    expect(sim.runUntil(() => sim.converged(), 60_000, 1000)).toBe(true);
  }, 120_000);

  it("replays identically from the same seed", async () => {
    const run = async (): Promise<string[]> => {
      const sim = new Simulator({ seed: 42, loss: 0.05 });
      const log = record(sim);
      await sim.addCluster(8);
      sim.run(5_000);
      sim.kill("n3");
      sim.run(20_000);
      return log.map((e) => `${e.at} ${e.observer} ${e.event} ${e.member.name}@${e.member.incarnation}`);
    };
    const a = await run();
    expect(a.length).toBeGreaterThan(50);
    expect(await run()).toEqual(a);
  });
});

describe("Simulator: failure detection", () => {
  it("declares a killed node dead at every member", async () => {
    const sim = new Simulator({ seed: 11 });
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    sim.kill("n4");
    const start = sim.now;
    expect(sim.runUntil(() => everyoneSees(sim, "n4", "dead"), 60_000)).toBe(true);
    // First probe within ~1-2 periods, then the Lifeguard timer shrinks to the 4 s minimum.
    expect(sim.now - start).toBeLessThan(12_000);
  });

  it("lets a suspected node that is alive refute with a higher incarnation", async () => {
    const sim = new Simulator({ seed: 12 });
    const log = record(sim);
    await sim.addCluster(6);
    sim.runUntil(() => sim.converged(), 10_000);
    const before = sim.node("n2").localMember().incarnation;
    // Cut n2 off long enough to fail probes, not long enough to be declared dead.
    sim.partition(["n2"], ["n0", "n1", "n3", "n4", "n5"]);
    expect(sim.runUntil(() => log.some((e) => e.event === "suspect" && e.member.name === "n2"), 10_000)).toBe(
      true,
    );
    sim.heal();
    expect(sim.runUntil(() => sim.converged(), 20_000)).toBe(true);
    expect(sim.node("n2").localMember().incarnation).toBeGreaterThan(before);
    expect(sim.node("n2").stats().refutations).toBeGreaterThan(0);
    expect(log.some((e) => e.event === "alive" && e.member.name === "n2")).toBe(true);
    expect(log.some((e) => e.event === "dead" && e.member.name === "n2")).toBe(false);
  });

  it("does not let a paused node get healthy nodes declared dead", async () => {
    const sim = new Simulator({ seed: 13 });
    const log = record(sim);
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    // n7 freezes for 2.5 s every 5 s, for two minutes (GC pauses, CPU starvation).
    for (let i = 0; i < 24; i++) {
      sim.pause("n7", 2_500);
      sim.run(5_000);
    }
    sim.run(10_000);
    const falseDeaths = log.filter((e) => e.event === "dead");
    expect(falseDeaths).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  async function slowNodeRun(lifeguard: boolean) {
    const sim = new Simulator({ seed: 14, defaults: { lifeguard } });
    const log = record(sim);
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    // n7 handles every packet 1.5 s late (CPU starved) for five minutes; its timers keep time.
    sim.slow("n7", 1_500);
    let peak = 0;
    for (let i = 0; i < 300; i++) {
      sim.run(1_000);
      peak = Math.max(peak, sim.node("n7").healthScore());
    }
    const aboutHealthy = log.filter((e) => e.member.name !== "n7");
    return {
      peak,
      probes: sim.node("n7").stats().probes,
      suspicions: aboutHealthy.filter((e) => e.event === "suspect").length,
      deaths: aboutHealthy.filter((e) => e.event === "dead").length,
    };
  }

  it("keeps a slow node from accusing healthy ones: its health score rises and it probes less", async () => {
    const on = await slowNodeRun(true);
    const off = await slowNodeRun(false);
    expect(on.deaths).toBe(0);
    expect(on.peak).toBe(7);
    expect(off.peak).toBe(0);
    expect(on.probes).toBeLessThan(off.probes / 3);
    expect(on.suspicions * 10).toBeLessThan(off.suspicions);
  }, 30_000);
});

describe("Simulator: loss", () => {
  async function falseDeathsPerHour(loss: number, lifeguard: boolean, tcpFallback: boolean): Promise<number> {
    const sim = new Simulator({ seed: 20, defaults: { lifeguard, tcpFallback } });
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    sim.setLoss(loss);
    const declared = new Set<string>();
    sim.onEvent((e) => {
      if (e.event === "dead") declared.add(`${e.member.name}@${e.member.incarnation}`);
    });
    sim.run(3_600_000);
    return declared.size;
  }

  it("declares no one dead in an hour at 10% loss with Lifeguard", async () => {
    expect(await falseDeathsPerHour(0.1, true, true)).toBe(0);
  }, 30_000);

  it("without the TCP fallback, Lifeguard is what prevents false deaths at 10% loss", async () => {
    const on = await falseDeathsPerHour(0.1, true, false);
    const off = await falseDeathsPerHour(0.1, false, false);
    expect(on).toBe(0);
    expect(off).toBeGreaterThan(0);
  }, 30_000);
});

describe("Simulator: partitions, restarts, leaving, reaping", () => {
  it("heals a partition after it is lifted", async () => {
    const sim = new Simulator({ seed: 30 });
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    const left = ["n0", "n1", "n2", "n3", "n4"];
    const right = ["n5", "n6", "n7", "n8", "n9"];
    sim.partition(left, right);
    sim.run(120_000);
    expect(sim.converged(left)).toBe(true);
    expect(sim.converged(right)).toBe(true);
    expect(sim.node("n0").member("n9")?.state).toBe("dead");
    sim.heal();
    expect(sim.runUntil(() => sim.converged(), 300_000, 1_000)).toBe(true);
  });

  it("takes a node restarted under its name on a new port as a newer incarnation", async () => {
    const sim = new Simulator({ seed: 31 });
    const log = record(sim);
    await sim.addCluster(8);
    sim.runUntil(() => sim.converged(), 10_000);
    const old = sim.node("n3").localMember();
    sim.kill("n3");
    sim.runUntil(() => everyoneSees(sim, "n3", "dead"), 60_000);
    const fresh = await sim.restart("n3");
    void fresh.join([sim.node("n0").address]);
    expect(sim.runUntil(() => sim.converged(), 30_000)).toBe(true);
    expect(fresh.address).not.toBe(old.address);
    for (const m of sim.nodes()) {
      const seen = m.member("n3")!;
      expect(seen.address).toBe(fresh.address);
      expect(seen.incarnation).toBeGreaterThan(old.incarnation);
    }
    expect(
      log.filter((e) => e.event === "join" && e.member.name === "n3" && e.member.address === fresh.address),
    ).toHaveLength(7);
  });

  it("updates the address of a node that restarts before anyone noticed it was gone", async () => {
    const sim = new Simulator({ seed: 32 });
    const log = record(sim);
    await sim.addCluster(8);
    sim.runUntil(() => sim.converged(), 10_000);
    sim.kill("n5");
    const fresh = await sim.restart("n5", { port: 9000 });
    void fresh.join([sim.node("n1").address]);
    expect(
      sim.runUntil(() => sim.nodes().every((m) => m.member("n5")?.address === fresh.address), 30_000),
    ).toBe(true);
    expect(sim.converged()).toBe(true);
    for (const m of sim.nodes()) expect(m.member("n5")!.address).toBe(fresh.address);
    expect(log.some((e) => e.event === "update" && e.member.name === "n5")).toBe(true);
    expect(log.some((e) => e.event === "dead" && e.member.name === "n5")).toBe(false);
  });

  it("marks a node that leaves as left, never as dead", async () => {
    const sim = new Simulator({ seed: 33 });
    const log = record(sim);
    await sim.addCluster(10);
    sim.runUntil(() => sim.converged(), 10_000);
    const leaving = sim.node("n6");
    const done = leaving.leave();
    sim.run(5_000);
    await done;
    await leaving.close();
    sim.run(60_000);
    expect(everyoneSees(sim, "n6", "left", ["n6"])).toBe(true);
    const aboutN6 = log.filter((e) => e.member.name === "n6" && e.event !== "join");
    expect(aboutN6.map((e) => e.event)).toEqual(Array(9).fill("left"));
  });

  it("reaps dead and left members after deadReapMs", async () => {
    const sim = new Simulator({ seed: 34, defaults: { deadReapMs: 20_000 } });
    const log = record(sim);
    await sim.addCluster(6);
    sim.runUntil(() => sim.converged(), 10_000);
    sim.kill("n1");
    const leaver = sim.node("n2");
    const leaving = leaver.leave();
    sim.run(5_000);
    await leaving;
    await leaver.close();
    sim.runUntil(() => everyoneSees(sim, "n1", "dead"), 60_000);
    expect(sim.node("n0").members()).toHaveLength(6);
    sim.run(30_000);
    for (const m of sim.nodes()) {
      expect(
        m
          .members()
          .map((x) => x.name)
          .sort(),
      ).toEqual(["n0", "n3", "n4", "n5"]);
    }
    expect(log.filter((e) => e.event === "reap").length).toBe(8);
  });

  it("disseminates metadata changes with a higher incarnation", async () => {
    const sim = new Simulator({ seed: 35 });
    const log = record(sim);
    await sim.addCluster(10, { meta: { grpc: "x:1" } });
    sim.runUntil(() => sim.converged(), 10_000);
    const n2 = sim.node("n2");
    const inc = n2.localMember().incarnation;
    n2.setMeta({ grpc: "10.0.0.2:7677", mode: "fixed" });
    expect(n2.localMember().incarnation).toBe(inc + 1);
    expect(sim.runUntil(() => sim.nodes().every((m) => m.member("n2")?.meta.mode === "fixed"), 5_000)).toBe(
      true,
    );
    expect(log.filter((e) => e.event === "update" && e.member.name === "n2")).toHaveLength(9);
  });
});
