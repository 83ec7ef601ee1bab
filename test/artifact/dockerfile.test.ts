// No container engine runs here, so this test reads the Dockerfile and carries out its steps itself, in clean
// folders (one per stage, /app mapped to it): COPY from a clean copy of the repository (what git tracks, less
// .dockerignore) or from the build stage, RUN through sh, ENV for every step, then the CMD, which must serve
// /readyz from the pruned install (no dev dependencies). Only the steps that set up the operating system are
// not run (apt-get, the /data volume folder); the test names them, so any other step that changes is run as written.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, freePort, repoRoot } from '../e2e/support/n8n';

const SYSTEM_STEPS = [/^apt-get update && apt-get install /, /^mkdir -p \/data && chown node:node \/data$/];

interface Step {
	instruction: string;
	args: string;
}

function parseDockerfile(text: string): Step[] {
	return text
		.replace(/\\\n/g, ' ')
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l && !l.startsWith('#'))
		.map((l) => {
			const [instruction, ...rest] = l.split(/\s+/);
			return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
		});
}

/** The build context: the files git tracks (and new ones it does not ignore), without what .dockerignore leaves out. */
function cleanContext(into: string): void {
	const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
		.split('\0')
		.filter(Boolean);
	const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l && !l.startsWith('#'))
		.map((p) => new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/|$)`));
	for (const file of files) {
		if (ignored.some((re) => re.test(file)) || !existsSync(path.join(repoRoot, file))) continue;
		mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
		cpSync(path.join(repoRoot, file), path.join(into, file));
	}
}

test('the Dockerfile builds and starts the server from a clean folder, as a non-root user, without dev dependencies', async () => {
	const steps = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
	const work = mkdtempSync(path.join(tmpdir(), 'agent-bridge-docker-'));
	const context = path.join(work, 'context');
	cleanContext(context);
	const dataDir = path.join(work, 'volume-data');
	mkdirSync(dataDir);

	const stages = new Map<string, string>();
	let stage = '';
	let env: Record<string, string> = {};
	let user = 'root';
	let cmd: string[] = [];
	let healthcheck: string[] = [];
	const skipped: string[] = [];
	// Paths inside the image: /app is the stage folder, /data the volume.
	const local = (p: string) => p.replace(/^\/app(?=\/|$)/, stage).replace(/^\/data(?=\/|$)/, dataDir);
	const shellEnv = () => ({
		...Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^npm_/i.test(k))),
		...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, local(v)])),
	});

	try {
		for (const { instruction, args } of steps) {
			switch (instruction) {
				case 'FROM': {
					const name = args.split(/\s+AS\s+/i)[1] ?? `stage${stages.size}`;
					stage = path.join(work, name);
					mkdirSync(stage);
					stages.set(name, stage);
					env = {};
					user = 'root';
					break;
				}
				case 'WORKDIR':
					expect(args).toBe('/app');
					break;
				case 'ENV':
					for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
					break;
				case 'COPY': {
					const words = args.split(/\s+/);
					const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
					const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
					for (const source of sources.reverse()) {
						const src = from ? path.join(stages.get(from)!, source.replace(/^\/app\/?/, '')) : path.join(context, source);
						const target = path.join(stage, dest.replace(/^\/app\/?/, ''));
						cpSync(src, dest.endsWith('/') || dest === '.' ? path.join(target, path.basename(source)) : target, { recursive: true });
					}
					break;
				}
				case 'RUN': {
					if (SYSTEM_STEPS.some((re) => re.test(args))) {
						skipped.push(args);
						break;
					}
					const res = spawnSync('sh', ['-c', args], { cwd: stage, env: shellEnv(), encoding: 'utf8', timeout: 600_000 });
					if (res.status !== 0) throw new Error(`RUN ${args} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
					break;
				}
				case 'USER':
					user = args;
					break;
				case 'CMD':
					cmd = JSON.parse(args);
					break;
				case 'HEALTHCHECK':
					healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4));
					break;
				case 'VOLUME':
				case 'EXPOSE':
					break;
				default:
					throw new Error(`the test does not know the Dockerfile instruction ${instruction}`);
			}
		}
		// Two stages, and only the operating-system steps were left out.
		expect([...stages.keys()]).toHaveLength(2);
		expect(skipped).toHaveLength(2);
		expect(user).not.toMatch(/^(root|0)$/);

		// The final image holds the built server and its production dependencies only.
		expect(existsSync(path.join(stage, 'agent-server', 'dist', 'main.js'))).toBe(true);
		expect(existsSync(path.join(stage, 'agent-server', 'src'))).toBe(false);
		for (const dev of ['typescript', 'tsx', 'jest', '@n8n/node-cli', 'n8n-workflow']) {
			expect(existsSync(path.join(stage, 'node_modules', dev))).toBe(false);
		}
		for (const prod of ['fastify', 'better-sqlite3', 'pg', 'zod']) {
			expect(existsSync(path.join(stage, 'node_modules', prod)) || existsSync(path.join(stage, 'agent-server', 'node_modules', prod))).toBe(true);
		}

		// CMD, as the container runs it.
		const port = await freePort();
		env.PORT = String(port);
		const server = spawn(cmd[0], cmd.slice(1), { cwd: stage, env: { ...shellEnv(), AGENT_BRIDGE_API_KEY: 'ab_docker_test_0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		server.stdout.on('data', (c: Buffer) => (output += c));
		server.stderr.on('data', (c: Buffer) => (output += c));
		const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
		try {
			const deadline = Date.now() + 30_000;
			while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
				if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not get ready:\n${output}`);
				await new Promise((r) => setTimeout(r, 200));
			}
			// Listening on every interface of the container, keeping its data in the volume, logging JSON lines.
			expect(env.HOST).toBe('0.0.0.0');
			expect(output).toContain('"msg":"Server listening at http://127.0.0.1:');
			for (const line of output.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
			expect(existsSync(path.join(dataDir, 'agent-bridge.db'))).toBe(true);
			// The image's health check passes against it.
			expect(spawnSync(healthcheck[0], healthcheck.slice(1), { env: shellEnv(), timeout: 10_000 }).status).toBe(0);
		} finally {
			server.kill('SIGTERM');
		}
		expect(await exited).toBe(0);
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}, 1_200_000);
