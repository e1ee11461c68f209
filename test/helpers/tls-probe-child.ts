/**
 * One probe in a process of its own, for test/probe-tls.test.ts: Node reads NODE_EXTRA_CA_CERTS
 * only at start-up, so a probe that trusts the test certificate runs here. argv[2] is the
 * provider section (JSON); the ProbeResult is printed as JSON.
 */
import { systemClock } from '../../src/lib/clock.ts';
import { runProbe } from '../../src/probe/run.ts';
import { toLoopback } from './loopback-lookup.ts';
import { probeTarget } from './probe-target.ts';

const result = await runProbe(probeTarget(JSON.parse(process.argv[2]!)), { clock: systemClock, lookup: toLoopback });
process.stdout.write(JSON.stringify(result));
