// The benchmark scripts keep working as the server changes: each runs on a tiny load and reports its ratio.
// (No timing is asserted here; the figures live in docs/benchmarks.md.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

test.each([
	['chat-turns.ts', ['30', '3']],
	['delivery.ts', ['50']],
])('bench/%s runs and reports a ratio against its reference', async (script, args) => {
	const { stdout } = await run(tsx, [path.join(root, 'bench', script), ...args], { cwd: root, timeout: 60_000 });
	expect(stdout).toMatch(/\| .*\(reference\)|\| bare Fastify|\| plain signed/);
	expect(stdout).toMatch(/^ratio: \d+\.\d{3} of the reference's throughput$/m);
}, 90_000);

test('bench/turn-floor.ts runs the floor and the agent server with the client in its own process, at 1, 10 and 50 clients', async () => {
	const { stdout } = await run(tsx, [path.join(root, 'bench', 'turn-floor.ts'), '60'], { cwd: root, timeout: 80_000 });
	for (const clients of [1, 10, 50]) expect(stdout).toMatch(new RegExp(`^\\| ${clients} \\| \\d+ \\| \\d+ \\| \\d\\.\\d\\d \\|`, 'm'));
}, 90_000);

test('bench/model-prompt.ts runs a 10-turn conversation at one model call per turn and reports the stable-prefix share', async () => {
	const { stdout } = await run(tsx, [path.join(root, 'bench', 'model-prompt.ts')], { cwd: root, timeout: 60_000 });
	expect(stdout).toMatch(/^model calls per turn: 1\.00 /m);
	const share = Number(/^ratio: (\d\.\d{3}) of the prompt tokens/m.exec(stdout)?.[1]);
	expect(share).toBeGreaterThan(0.5);
}, 90_000);

test('bench/live-connections.ts measures the server with open live streams against the same server with none, and the streams carry replies', async () => {
	const { stdout } = await run(tsx, [path.join(root, 'bench', 'live-connections.ts'), '25'], { cwd: root, timeout: 80_000 });
	expect(stdout).toMatch(/^\| 0 \(reference, same server, sessions made\) \| \d+\.\d \| - \|$/m);
	expect(stdout).toMatch(/^\| 25 \| \d+\.\d \| -?\d+\.\d \|$/m);
	expect(stdout).toMatch(/^replies delivered live: 20 of 20$/m);
}, 90_000);
