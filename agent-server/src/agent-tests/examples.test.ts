// The example conversation tests (one per bundled agent, one per seed scenario) pass through the command itself, on
// the offline engine and on the model engine against a fake model that follows the prompt literally.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_AGENTS_DIR } from '../agents/agent-files';
import { startLiteralModel } from '../testing/literal-model';

jest.setTimeout(180_000);

const server = path.join(__dirname, '..', '..');
const tsx = path.join(server, '..', 'node_modules', '.bin', 'tsx');

function agentBridge(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(tsx, ['src/main.ts', ...args], { cwd: server, env: { ...process.env, OPENAI_BASE_URL: '', OPENAI_API_KEY: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d));
		child.stderr.on('data', (d: Buffer) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

const exampleFiles = () => [
	...readdirSync(BUNDLED_AGENTS_DIR).filter((f) => f.endsWith('.test.yaml')),
	...readdirSync(path.join(BUNDLED_AGENTS_DIR, 'scenarios')).map((f) => `scenarios/${f}`),
];

test('there is a test file for each bundled agent and each seed scenario', () => {
	const agents = readdirSync(BUNDLED_AGENTS_DIR).filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('.test.yaml'));
	const scenarios = readdirSync(path.join(server, '..', 'docs'))
		.filter((f) => f.endsWith('.md'))
		.filter((f) => require('node:fs').readFileSync(path.join(server, '..', 'docs', f), 'utf8').startsWith('# Scenario:'));
	expect(agents.length).toBeGreaterThanOrEqual(4);
	expect(scenarios.length).toBeGreaterThanOrEqual(8);
	const files = exampleFiles();
	for (const agent of agents) expect(files).toContain(agent.replace(/\.ya?ml$/, '.test.yaml'));
	for (const scenario of scenarios) expect(files).toContain(`scenarios/${scenario.replace(/\.md$/, '.test.yaml')}`);
});

test('the examples pass on the offline engine', async () => {
	const run = await agentBridge(['test', 'agents']);
	expect(run.stderr).toBe('');
	expect(run.stdout).toMatch(/\n(\d+) passed, 0 failed \(12 files\)\n$/);
	expect(run.stdout).not.toContain('✗');
	expect(run.code).toBe(0);
});

test('the examples pass on the model engine against a model that follows the prompt literally', async () => {
	const fake = await startLiteralModel();
	try {
		const run = await agentBridge(['test', '--engine', 'model', '--reporter', 'junit', 'agents'], { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'literal' });
		expect(run.stdout).toMatch(/<testsuites name="agent-bridge test" tests="\d+" failures="0" errors="0"/);
		expect(run.stderr).toMatch(/\d+ passed, 0 failed \(12 files\)/);
		expect(run.code).toBe(0);
		// The model answered the turns: the engine did not fall back to the rules.
		expect(fake.requests.length).toBeGreaterThan(20);
	} finally {
		await fake.close();
	}
});
