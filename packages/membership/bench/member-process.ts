/**
 * One membership member in its own process, for the loopback benchmark: default (LAN)
 * settings on 127.0.0.1, port 0. Prints JSON lines on stdout: `{"type":"ready","address"}`,
 * then one line per membership event, `{"type":"join"|"dead"|..., "member"}`.
 *
 *   tsx bench/member-process.ts NAME [SEED_ADDRESS]
 */
import { Membership, type MembershipEvents } from "../src/index.js";

const [name, seed] = process.argv.slice(2);
if (!name) {
  process.stderr.write("usage: member-process NAME [SEED_ADDRESS]\n");
  process.exit(2);
}
const m = new Membership({ name, bindHost: "127.0.0.1", bindPort: 0 });
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
for (const event of ["join", "suspect", "alive", "dead", "left"] as const) {
  const listener: MembershipEvents[typeof event] = (member) => say({ type: event, member: member.name });
  m.on(event, listener);
}
await m.start();
if (seed) await m.join([seed]);
say({ type: "ready", address: m.address });
process.on("SIGTERM", () => {
  void m.leave(2_000).finally(() => process.exit(0));
});
