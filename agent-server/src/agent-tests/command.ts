// `agent-bridge test [paths]`: the command line of the conversation tests.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createEngine } from '../engine/index';
import { parseModelSettings, unknownSettingWarnings } from '../settings';
import type { Engine } from '../engine/types';
import { junitReport, summary, textReport } from './report';
import type { N8nOptions } from './n8n-link';
import { findTestFiles, passed, runTests } from './runner';

interface TestOptions {
	engine: string;
	agentsDir?: string;
	reporter: string;
	output?: string;
	n8n?: string;
	n8nApiKey?: string;
	n8nWorkflows?: string;
	host?: string;
	port?: string;
	apiKey?: string;
}

/** With --n8n: where the test server listens and which key it accepts, as the workflows' credential says. */
export function n8nOptionsFrom(opts: TestOptions, env: NodeJS.ProcessEnv): N8nOptions | undefined {
	if (!opts.n8n) return undefined;
	const apiKey = opts.n8nApiKey ?? env.N8N_API_KEY;
	if (!apiKey) throw new Error("--n8n needs n8n's public API key: --n8n-api-key or N8N_API_KEY");
	const agentBridgeApiKey = opts.apiKey ?? env.AGENT_BRIDGE_API_KEY;
	if (!agentBridgeApiKey) throw new Error("--n8n needs the API key of the workflows' Agent Bridge credential: --api-key or AGENT_BRIDGE_API_KEY");
	const port = Number(opts.port ?? '3000');
	if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${opts.port}`);
	const workflows = opts.n8nWorkflows?.split(',').map((w) => w.trim()).filter(Boolean);
	return { url: opts.n8n, apiKey, agentBridgeApiKey, host: opts.host ?? '127.0.0.1', port, ...(workflows?.length ? { workflows } : {}) };
}

/** The engine the tests talk to: the offline rules, or the configured model (OPENAI_*, MODEL_* as for `serve`). */
export function engineFor(kind: string, env: NodeJS.ProcessEnv): Engine {
	if (kind === 'offline') return createEngine();
	if (kind !== 'model') throw new Error(`--engine must be offline or model, not "${kind}"`);
	const model = parseModelSettings(env);
	for (const line of unknownSettingWarnings(env)) process.stderr.write(`agent-bridge: warning: ${line}\n`);
	if (!model) throw new Error('--engine model needs a model: set OPENAI_BASE_URL and/or OPENAI_API_KEY (and OPENAI_MODEL) as for serve');
	return createEngine({ model });
}

export async function runTestCommand(paths: string[], opts: TestOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
	if (!['text', 'junit'].includes(opts.reporter)) throw new Error(`--reporter must be text or junit, not "${opts.reporter}"`);
	const engine = engineFor(opts.engine, process.env);
	const n8n = n8nOptionsFrom(opts, process.env);
	const files = findTestFiles(paths.length ? paths : [opts.agentsDir ?? '.']);
	if (files.length === 0) throw new Error(`no test files (*.test.yaml) under ${paths.join(', ') || opts.agentsDir || '.'}`);
	const junit = opts.reporter === 'junit';
	// With JUnit on stdout the readable report goes to stderr, so both can be kept.
	const readable = junit && !opts.output ? (s: string) => process.stderr.write(s) : out;
	const results = await runTests(files, { engine, agentsDir: opts.agentsDir, n8n }, (file) => readable(`${textReport(file)}\n`));
	readable(`\n${summary(results)}\n`);
	if (junit) {
		const xml = junitReport(results);
		if (opts.output) writeFileSync(opts.output, xml);
		else out(xml);
	}
	return passed(results) ? 0 : 1;
}

export function registerTestCommand(program: Command): void {
	program
		.command('test')
		.description('run conversation tests (*.test.yaml) against an in-process server; exits 1 when one fails')
		.argument('[paths...]', 'test files or folders (default: the agents folder, or the current folder)')
		.option('--engine <engine>', 'offline (the rules engine) or model (OPENAI_*, MODEL_* settings)', 'offline')
		.option('--agents-dir <dir>', "the agents the tests talk to, beside the bundled ones (default: each test file's folder)")
		.option('--reporter <reporter>', 'text, or junit for CI systems', 'text')
		.option('--output <file>', 'write the JUnit report to this file (the readable report stays on stdout)')
		.option('--n8n <url>', "real workflows in this n8n answer instead of the simulated ones (their Agent Bridge credential must point at --host/--port)")
		.option('--n8n-api-key <key>', "n8n's public API key, to activate the workflows (env N8N_API_KEY)")
		.option('--n8n-workflows <ids>', 'only these workflow ids, comma-separated (default: every workflow with an Agent Bridge trigger)')
		.option('--host <host>', 'with --n8n: address the test server listens on', '127.0.0.1')
		.option('--port <port>', 'with --n8n: port the test server listens on', '3000')
		.option('--api-key <key>', "with --n8n: the API key of the workflows' Agent Bridge credential (env AGENT_BRIDGE_API_KEY)")
		.action(async (paths: string[], opts: TestOptions) => {
			process.exitCode = await runTestCommand(paths, opts);
		});
}
