// The server as an operator runs it: `npm start` and the `agent-bridge` command from the built dist/ with plain
// Node.js. The build itself runs once here (as `npm start` does on a fresh clone when dist/ is missing or stale).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, freePort, repoRoot } from '../e2e/support/n8n';

const BIN = path.join(repoRoot, 'agent-server', 'dist', 'main.js');
const serverVersion = JSON.parse(readFileSync(path.join(repoRoot, 'agent-server', 'package.json'), 'utf8')).version;

beforeAll(() => {
	execFileSync('node', [path.join(repoRoot, 'scripts', 'ensure-deps.js'), '--server'], { cwd: repoRoot, stdio: 'ignore' });
}, 180_000);

/** The environment of an operator's shell: no test runner or npm variables. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^npm_/i.test(k)));
	return { ...env, ...extra };
}

/** Every process below `pid` (children, grandchildren, ...), read from /proc. */
function descendants(pid: number): number[] {
	const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout;
	const pairs = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
	const found: number[] = [];
	const walk = (parent: number) => {
		for (const [child, ppid] of pairs) if (ppid === parent) found.push(child), walk(child);
	};
	walk(pid);
	return found;
}

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

test('agent-bridge --version prints the server version', () => {
	const res = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env: shellEnv() });
	expect(res.status).toBe(0);
	expect(res.stdout.trim()).toBe(serverVersion);
});

test('the build links the agent-bridge command, which runs with plain Node.js', () => {
	const linked = path.join(repoRoot, 'node_modules', '.bin', 'agent-bridge');
	const res = spawnSync(linked, ['--version'], { encoding: 'utf8', env: shellEnv() });
	expect(res.stdout.trim()).toBe(serverVersion);
	expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
});

test('a wrong setting stops the start with its name and reason, before anything listens or is written', async () => {
	const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'agent-bridge-settings-')), 'data');
	const res = spawnSync(process.execPath, [BIN, 'serve'], {
		encoding: 'utf8',
		env: shellEnv({ MODEL_BUDGET: 'abc', RATE_LIMIT_PER_MINUTE: 'fast', PORT: String(await freePort()), DATA_DIR: dataDir }),
		timeout: 30_000,
	});
	expect(res.status).toBe(1);
	expect(res.stderr).toContain('MODEL_BUDGET: must be a whole number of model calls (got "abc")');
	expect(res.stderr).toContain('RATE_LIMIT_PER_MINUTE: must be a whole number of requests (0 turns the limit off) (got "fast")');
	expect(res.stdout).toBe('');
	expect(existsSync(dataDir)).toBe(false);
});

test('SIGTERM to `npm start` stops the server and leaves no process behind', async () => {
	const port = await freePort();
	const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'agent-bridge-start-')), 'data');
	const npm = spawn('npm', ['start'], {
		cwd: repoRoot,
		env: shellEnv({ PORT: String(port), DATA_DIR: dataDir, AGENT_BRIDGE_API_KEY: 'ab_start_test_0123456789' }),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	npm.stdout.on('data', (c: Buffer) => (output += c));
	npm.stderr.on('data', (c: Buffer) => (output += c));
	const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
	let tree: number[] = [];
	try {
		await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 60_000, `the server to answer:\n${output}`);
		tree = descendants(npm.pid!);
		expect(tree.length).toBeGreaterThan(0);
		// The server writes where DATA_DIR says, whatever folder npm runs in.
		expect(existsSync(path.join(dataDir, 'agent-bridge.db'))).toBe(true);

		npm.kill('SIGTERM');
		await exited;
		await waitFor(() => tree.every((pid) => !alive(pid)), 10_000, `every process of npm start to exit (left: ${tree.filter(alive)})`);
		expect(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'answered', () => 'closed')).toBe('closed');
		expect(output).toContain('shutting down');
	} finally {
		for (const pid of [npm.pid!, ...tree, ...descendants(npm.pid!)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
	}
}, 120_000);

/** Starts the built server under `command` until it answers, returns what it printed, and stops it. */
async function firstOutput(command: string, args: string[], env: Record<string, string>): Promise<string> {
	const port = await freePort();
	const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'agent-bridge-logs-')), 'data');
	const child = spawn(command, args, {
		env: shellEnv({ ...env, PORT: String(port), DATA_DIR: dataDir, AGENT_BRIDGE_API_KEY: 'ab_logs_test_0123456789' }),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	child.stdout.on('data', (c: Buffer) => (out += c));
	child.stderr.on('data', (c: Buffer) => (out += c));
	const exited = new Promise((resolve) => child.once('exit', resolve));
	try {
		await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 30_000, `the server:\n${out}`);
		await new Promise((r) => setTimeout(r, 200));
		return out;
	} finally {
		child.kill('SIGTERM');
		await exited;
	}
}

test('logs are JSON lines when the output is not a terminal', async () => {
	const out = await firstOutput(process.execPath, [BIN, 'serve'], {});
	const lines = out.trim().split('\n');
	expect(lines.map((l) => JSON.parse(l).msg)).toContain('agent server configured');
});

test('logs are readable lines on a terminal', async () => {
	// `script` gives the server a pseudo-terminal as its output, as a person's shell does.
	const out = await firstOutput('script', ['-qec', `${process.execPath} ${BIN} serve`, '/dev/null'], {});
	expect(out).toMatch(/INFO.*agent server configured/);
	expect(out).not.toContain('{"level"');
});
