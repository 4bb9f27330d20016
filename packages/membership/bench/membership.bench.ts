/**
 * Membership benchmark: the protocol in the deterministic simulator at N = 10, 100, 1000,
 * set beside memberlist's formulas, and failure detection over real UDP on loopback.
 *
 *   pnpm --filter @plz-cache/membership bench            (all, ~3-5 min)
 *   BENCH_QUICK=1 pnpm --filter @plz-cache/membership bench   (N = 10, 100 only)
 *
 * Prints tables and writes bench-results/membership.json.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_GOSSIP_INTERVAL_MS,
  DEFAULT_GOSSIP_NODES,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_RETRANSMIT_MULT,
  DEFAULT_SUSPICION_MAX_TIMEOUT_MULT,
  DEFAULT_SUSPICION_MULT,
  type SimNodeOptions,
  Simulator,
} from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";
const SIZES = quick ? [10, 100] : [10, 100, 1000];
const LOSSES = [0.01, 0.05, 0.1];

const log10 = Math.log10;
const memberlist = (n: number) => {
  const min = DEFAULT_SUSPICION_MULT * Math.max(1, log10(Math.max(1, n))) * DEFAULT_PROBE_INTERVAL_MS;
  return {
    suspicionMinMs: min,
    suspicionMaxMs: min * DEFAULT_SUSPICION_MAX_TIMEOUT_MULT,
    retransmits: DEFAULT_RETRANSMIT_MULT * Math.ceil(log10(n + 1)),
    // Push-style epidemic with fanout f reaches n nodes in about log_f(n) + ln(n)/f rounds.
    disseminationRounds: Math.log(n) / Math.log(DEFAULT_GOSSIP_NODES) + Math.log(n) / DEFAULT_GOSSIP_NODES,
  };
};

/** memberlist's pushPullScale of the 30 s default interval. */
const pushPullWindow = (n: number): number =>
  n <= 32 ? 30_000 : 30_000 * (Math.ceil(Math.log2(n) - Math.log2(32)) + 1);

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r1 = (x: number): number => Math.round(x * 10) / 10;

async function cluster(n: number, seed: number, defaults: SimNodeOptions = {}): Promise<Simulator> {
  const sim = new Simulator({ seed, defaults });
  await sim.addCluster(n, { staggerMs: n >= 1000 ? 10 : 5 });
  if (!sim.runUntil(() => sim.converged(), 300_000, n >= 1000 ? 1000 : 100))
    throw new Error(`N=${n} did not converge`);
  return sim;
}

/** Virtual ms until a new node is alive at every member. */
async function joinSpread(sim: Simulator, name: string): Promise<number> {
  const seed = sim.nodes()[0]!;
  const m = await sim.addNode(name);
  const start = sim.now;
  void m.join([seed.address]);
  const others = sim.nodes().filter((x) => x !== m);
  if (!sim.runUntil(() => others.every((x) => x.member(name)?.state === "alive"), 120_000, 20))
    return Number.NaN;
  return sim.now - start;
}

/** Virtual ms from a kill to the first suspicion and to every member marking it dead. */
function killDetect(sim: Simulator, name: string): { suspectMs: number; deadMs: number } {
  let firstSuspect = Number.NaN;
  const start = sim.now;
  const off = sim.onEvent((e) => {
    if (e.member.name === name && e.event === "suspect" && Number.isNaN(firstSuspect))
      firstSuspect = e.at - start;
  });
  sim.kill(name);
  const others = sim.nodes();
  const ok = sim.runUntil(() => others.every((x) => x.member(name)?.state === "dead"), 300_000, 20);
  off();
  return { suspectMs: firstSuspect, deadMs: ok ? sim.now - start : Number.NaN };
}

/** Runs until no member has broadcasts left to send (the tail of earlier news), at most `maxMs`. */
function settle(sim: Simulator, maxMs: number): void {
  sim.runUntil(() => sim.nodes().every((m) => m.stats().queuedBroadcasts === 0), maxMs, 500);
}

/** Steady-state traffic per member per second over `ms` of virtual time. */
function load(sim: Simulator, ms: number) {
  const before = sim.nodes().map((m) => m.stats());
  sim.run(ms);
  const after = sim.nodes().map((m) => m.stats());
  let pk = 0;
  let by = 0;
  let msgs = 0;
  after.forEach((a, i) => {
    const b = before[i]!;
    pk += a.packetsOut - b.packetsOut;
    by += a.bytesOut - b.bytesOut;
    msgs += a.messagesOut - b.messagesOut;
  });
  const per = (x: number): number => x / after.length / (ms / 1000);
  return {
    packetsPerMemberPerSec: r1(per(pk)),
    bytesPerMemberPerSec: Math.round(per(by)),
    messagesPerMemberPerSec: r1(per(msgs)),
  };
}

/** Distinct false death declarations (every node stays up) over `ms`, scaled to one hour. */
function falseDeaths(sim: Simulator, loss: number, ms: number) {
  sim.setLoss(loss);
  const declared = new Set<string>();
  const off = sim.onEvent((e) => {
    if (e.event === "dead") declared.add(`${e.member.name}@${e.member.incarnation}`);
  });
  const traffic = load(sim, ms);
  off();
  sim.setLoss(0);
  sim.run(30_000); // let refutations settle before the next run
  return {
    loss,
    virtualMinutes: ms / 60_000,
    deaths: declared.size,
    perHour: r1((declared.size * 3_600_000) / ms),
    ...traffic,
  };
}

async function simulate(n: number) {
  const t0 = performance.now();
  const sim = await cluster(n, 1000 + n);
  const convergeMs = sim.now;
  const trials = n >= 1000 ? 2 : 5;
  const joins: number[] = [];
  for (let i = 0; i < trials; i++) joins.push(await joinSpread(sim, `joiner-${i}`));
  settle(sim, 120_000);
  // Long enough to include every member's periodic push-pull (30 s, scaled up past 32 nodes).
  const idle = load(sim, Math.max(60_000, pushPullWindow(n)));
  const kills: { suspectMs: number; deadMs: number }[] = [];
  for (let i = 0; i < trials; i++) {
    kills.push(killDetect(sim, `n${1 + i * Math.floor((n - 1) / trials)}`));
    sim.run(5_000);
  }
  const windowMs = n >= 1000 ? 180_000 : n >= 100 ? 600_000 : 3_600_000;
  const fp = LOSSES.map((loss) => falseDeaths(sim, loss, windowMs));
  const f = memberlist(n);
  return {
    n,
    realSeconds: r1((performance.now() - t0) / 1000),
    initialConvergeVirtualMs: convergeMs,
    join: {
      meanMs: Math.round(mean(joins)),
      maxMs: Math.round(Math.max(...joins)),
      gossipRounds: r1(mean(joins) / DEFAULT_GOSSIP_INTERVAL_MS),
      memberlistRounds: r1(f.disseminationRounds),
    },
    killedDead: {
      firstSuspectMeanMs: Math.round(mean(kills.map((k) => k.suspectMs))),
      allDeadMeanMs: Math.round(mean(kills.map((k) => k.deadMs))),
      allDeadMaxMs: Math.round(Math.max(...kills.map((k) => k.deadMs))),
      memberlistSuspicionMinMs: Math.round(f.suspicionMinMs),
      memberlistSuspicionMaxMs: Math.round(f.suspicionMaxMs),
    },
    retransmits: f.retransmits,
    idleLoad: idle,
    falsePositives: fp,
  };
}

/**
 * Lifeguard on and off, 10 nodes: false deaths in an hour at 10% loss on pure UDP (no TCP
 * fallback); and five minutes with one node handling its input 1.5 s late (CPU-starved).
 */
async function lifeguardComparison() {
  const out: Record<string, Record<string, number>> = {};
  for (const lifeguard of [true, false]) {
    const lossy = await cluster(10, 77, { lifeguard, tcpFallback: false });
    const loss = falseDeaths(lossy, 0.1, 3_600_000);
    const sim = await cluster(10, 14, { lifeguard });
    let suspicions = 0;
    let deaths = 0;
    sim.onEvent((e) => {
      if (e.member.name === "n7") return;
      if (e.event === "suspect") suspicions++;
      if (e.event === "dead") deaths++;
    });
    sim.slow("n7", 1_500);
    let peak = 0;
    for (let i = 0; i < 300; i++) {
      sim.run(1_000);
      peak = Math.max(peak, sim.node("n7").healthScore());
    }
    out[lifeguard ? "on" : "off"] = {
      falseDeathsPerHourAt10PctLossUdpOnly: loss.deaths,
      slowNodeSuspicionsOfHealthy: suspicions,
      slowNodeDeathsOfHealthy: deaths,
      slowNodeProbes: sim.node("n7").stats().probes,
      slowNodePeakHealthScore: peak,
    };
  }
  return out;
}

interface MemberProcess {
  name: string;
  proc: ChildProcess;
  address: string;
  joined: Set<string>;
  deadAt: Map<string, number>;
}

/** Starts `bench/member-process.ts` in a child process; resolves once it has joined. */
function spawnMember(name: string, seed?: string): Promise<MemberProcess> {
  const here = dirname(fileURLToPath(import.meta.url));
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "member-process.ts"), name, ...(seed ? [seed] : [])],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const member: MemberProcess = { name, proc, address: "", joined: new Set(), deadAt: new Map() };
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      const e = JSON.parse(line) as { type: string; member?: string; address?: string };
      if (e.type === "ready") {
        member.address = e.address!;
        resolve(member);
      } else if (e.type === "join") member.joined.add(e.member!);
      else if (e.type === "dead" && !member.deadAt.has(e.member!))
        member.deadAt.set(e.member!, performance.now());
    });
    proc.once("exit", (code) => reject(new Error(`member ${name} exited ${code}`)));
  });
}

/**
 * Real processes on 127.0.0.1, UDP + TCP, default (LAN) settings: SIGKILL one and time until
 * every other member has marked it dead.
 */
async function loopback(trials: number, size: number) {
  const results: number[] = [];
  for (let t = 0; t < trials; t++) {
    const first = await spawnMember(`lo-${t}-0`);
    const members = [first];
    for (let i = 1; i < size; i++) members.push(await spawnMember(`lo-${t}-${i}`, first.address));
    const converge = performance.now() + 20_000;
    while (members.some((m) => m.joined.size < size - 1) && performance.now() < converge) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // Kill at a random moment of the probe cycle.
    await new Promise((r) => setTimeout(r, 2_000 + Math.random() * 1_000));
    const victim = members[size - 1]!;
    const rest = members.slice(0, -1);
    const start = performance.now();
    victim.proc.kill("SIGKILL");
    while (rest.some((m) => !m.deadAt.has(victim.name)) && performance.now() - start < 30_000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    results.push(
      Math.max(...rest.map((m) => (m.deadAt.get(victim.name) ?? Number.POSITIVE_INFINITY) - start)),
    );
    for (const m of rest) m.proc.kill("SIGKILL");
  }
  return {
    clusterSize: size,
    trials,
    meanMs: Math.round(mean(results)),
    p50Ms: Math.round(percentile(results, 50)),
    maxMs: Math.round(Math.max(...results)),
    within6s: results.filter((x) => x <= 6_000).length,
    samplesMs: results.map(Math.round),
  };
}

function table(rows: (string | number)[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padStart(widths[i]!)).join("  "));
  console.log();
}

async function main(): Promise<void> {
  const started = performance.now();
  const sims = [];
  for (const n of SIZES) {
    process.stderr.write(`simulating N=${n}...\n`);
    sims.push(await simulate(n));
  }
  process.stderr.write("lifeguard comparison...\n");
  const lifeguard = await lifeguardComparison();
  process.stderr.write("real loopback...\n");
  const real = [await loopback(quick ? 3 : 10, 10), await loopback(quick ? 3 : 10, 5)];

  console.log("\nSimulator (virtual time, LAN defaults, 1 ms +-1 ms links)");
  table([
    [
      "N",
      "join->all ms",
      "rounds",
      "ml rounds",
      "kill->suspect",
      "kill->all dead",
      "max",
      "ml susp min..max",
      "retx",
      "pkt/m/s",
      "msg/m/s",
      "B/m/s",
    ],
    ...sims.map((s) => [
      s.n,
      s.join.meanMs,
      s.join.gossipRounds,
      s.join.memberlistRounds,
      s.killedDead.firstSuspectMeanMs,
      s.killedDead.allDeadMeanMs,
      s.killedDead.allDeadMaxMs,
      `${s.killedDead.memberlistSuspicionMinMs}..${s.killedDead.memberlistSuspicionMaxMs}`,
      s.retransmits,
      s.idleLoad.packetsPerMemberPerSec,
      s.idleLoad.messagesPerMemberPerSec,
      s.idleLoad.bytesPerMemberPerSec,
    ]),
  ]);
  console.log("False deaths (distinct declarations; every node stays up)");
  table([
    ["N", "loss", "window min", "deaths", "per hour", "pkt/m/s", "B/m/s"],
    ...sims.flatMap((s) =>
      s.falsePositives.map((f) => [
        s.n,
        f.loss,
        f.virtualMinutes,
        f.deaths,
        f.perHour,
        f.packetsPerMemberPerSec,
        f.bytesPerMemberPerSec,
      ]),
    ),
  ]);
  console.log(
    "Lifeguard on/off, N=10 (loss: 1 h at 10%, UDP only; slow: 5 min with n7 handling input 1.5 s late)",
  );
  table([
    [
      "lifeguard",
      "false deaths (loss)",
      "suspicions of healthy (slow)",
      "deaths of healthy (slow)",
      "slow node probes",
      "peak health score",
    ],
    ...(["on", "off"] as const).map((k) => {
      const r = lifeguard[k]!;
      return [
        k,
        r.falseDeathsPerHourAt10PctLossUdpOnly!,
        r.slowNodeSuspicionsOfHealthy!,
        r.slowNodeDeathsOfHealthy!,
        r.slowNodeProbes!,
        r.slowNodePeakHealthScore!,
      ];
    }),
  ]);
  for (const r of real) {
    console.log(
      `Real loopback (processes, UDP+TCP, defaults, ${r.clusterSize} nodes): SIGKILL -> dead at all: mean ${r.meanMs} ms, p50 ${r.p50Ms}, max ${r.maxMs}; within 6 s: ${r.within6s}/${r.trials} (${r.samplesMs.join(", ")})`,
    );
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, "..", "bench-results");
  mkdirSync(outDir, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    quick,
    totalSeconds: r1((performance.now() - started) / 1000),
    simulator: sims,
    lifeguardComparison: lifeguard,
    loopback: real,
  };
  writeFileSync(join(outDir, "membership.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${join(outDir, "membership.json")} in ${result.totalSeconds} s`);
}

await main();
