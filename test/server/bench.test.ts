// The benchmark scripts keep working as the server changes: each runs on a tiny load and reports its ratio.
// (No timing is asserted here; the figures live in docs/benchmarks.md.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const bench = async (script: string, args: string[], timeout = 80_000) =>
	(await run(tsx, [path.join(root, 'bench', script), ...args], { cwd: root, timeout })).stdout;

test.each([
	['chat-turns.ts', ['30', '3']],
	['delivery.ts', ['50', '20', '50']],
])('bench/%s runs and reports a ratio against its reference', async (script, args) => {
	const stdout = await bench(script, args);
	expect(stdout).toMatch(/\| .*\(reference\)|\| bare Fastify|\| plain signed/);
	expect(stdout).toMatch(/^ratio: \d+\.\d{3} of the reference's throughput$/m);
}, 90_000);

test('bench/delivery.ts reports commit-to-receipt p50 and p99 under a steady stream next to the plain POST latency', async () => {
	const stdout = await bench('delivery.ts', ['30', '20', '50']);
	expect(stdout).toMatch(/^\| plain signed POST, request to answer \(reference\) \| \d+\.\d \| \d+\.\d \|$/m);
	expect(stdout).toMatch(/^\| outbox relay, event committed to received \| \d+\.\d \| \d+\.\d \|$/m);
}, 90_000);

test.each(['sqlite', 'postgres'])('bench/turn-floor.ts on %s runs the floor and the agent server with the client in its own process, at 1, 10 and 50 clients', async (db) => {
	const stdout = await bench('turn-floor.ts', ['60', '--db', db]);
	expect(stdout).toContain(`turn-floor (db=${db}`);
	for (const clients of [1, 10, 50]) expect(stdout).toMatch(new RegExp(`^\\| ${clients} \\| \\d+ \\| \\d+ \\| \\d\\.\\d\\d \\|`, 'm'));
}, 90_000);

test('bench/turn-growth.ts reports later turns of one conversation against its first ten', async () => {
	const stdout = await bench('turn-growth.ts', ['100', '1']);
	expect(stdout).toMatch(/^\| turns 1-10 \(reference\) \| 10 \| [\d.]+ \| [\d.]+ \| 1\.00 \| 1\.00 \|$/m);
	expect(stdout).toMatch(/^\| turns 91-100 \| 10 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$/m);
	expect(stdout).toMatch(/^ratio: \d+\.\d{3} of the reference's p50 at turn 100$/m);
}, 90_000);

test('bench/memory-conversations.ts measures a server process on stored conversations against one on an empty database', async () => {
	const stdout = await bench('memory-conversations.ts', ['40']);
	expect(stdout).toMatch(/^\| empty database, 300 turns \(reference\) \| \d+ \| \d+ \| 1\.00 \|$/m);
	expect(stdout).toMatch(/^\| restarted on 40 conversations, a turn in each \| \d+ \| \d+ \| \d\.\d\d \|$/m);
	expect(stdout).toMatch(/^ratio: \d\.\d{3} of the reference's RSS/m);
}, 90_000);

test('bench/widget-sessions.ts holds a long poll per widget session and measures the server against no session', async () => {
	const stdout = await bench('widget-sessions.ts', ['20', '1']);
	expect(stdout).toMatch(/^\| no session \(reference\) \| \d+ \| \d+ \| 1\.00 \| \d\.\d\d \|$/m);
	expect(stdout).toMatch(/^\| 20 sessions, each holding a long poll \| \d+ \| \d+ \| \d\.\d\d \| \d\.\d\d \|$/m);
}, 90_000);

test('bench/model-prompt.ts runs a 10-turn conversation at one model call per turn and reports the stable-prefix share', async () => {
	const stdout = await bench('model-prompt.ts', []);
	expect(stdout).toMatch(/^model calls per turn: 1\.00 /m);
	const share = Number(/^ratio: (\d\.\d{3}) of the prompt tokens/m.exec(stdout)?.[1]);
	expect(share).toBeGreaterThan(0.5);
}, 90_000);

test('bench/model-calls.ts runs every bundled conversation test on the model engine and reports calls and tokens per turn', async () => {
	const stdout = await bench('model-calls.ts', []);
	expect(stdout).toMatch(/^\| lead-qualifier\.test\.yaml \| pass \| \d+ \| \d+ \| \d\.\d\d \| \d+ \| \d+ \|/m);
	expect(stdout).toMatch(/^\| \*\*all\*\* \| (\d+)\/\1 pass \|/m);
	expect(stdout).toMatch(/^model calls per turn: \d\.\d\d; tokens per turn: \d+ in, \d+ out$/m);
}, 90_000);

test('bench/live-connections.ts measures the server with open live streams against the same server with none, and the streams carry replies', async () => {
	const stdout = await bench('live-connections.ts', ['25']);
	expect(stdout).toMatch(/^\| 0 \(reference, same server, sessions made\) \| \d+\.\d \| - \|$/m);
	expect(stdout).toMatch(/^\| 25 \| \d+\.\d \| -?\d+\.\d \|$/m);
	expect(stdout).toMatch(/^replies delivered live: 20 of 20$/m);
}, 90_000);
