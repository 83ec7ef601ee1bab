// `agent-bridge test [paths]`: the command line of the conversation tests.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createEngine } from '../engine/index';
import { parseModelSettings } from '../engine/model-settings';
import type { Engine } from '../engine/types';
import { junitReport, summary, textReport } from './report';
import { findTestFiles, passed, runTests } from './runner';

interface TestOptions {
	engine: string;
	agentsDir?: string;
	reporter: string;
	output?: string;
}

/** The engine the tests talk to: the offline rules, or the configured model (OPENAI_*, MODEL_* as for `serve`). */
export function engineFor(kind: string, env: NodeJS.ProcessEnv): Engine {
	if (kind === 'offline') return createEngine();
	if (kind !== 'model') throw new Error(`--engine must be offline or model, not "${kind}"`);
	const model = parseModelSettings(env);
	if (!model) throw new Error('--engine model needs a model: set OPENAI_BASE_URL and/or OPENAI_API_KEY (and MODEL_NAME) as for serve');
	return createEngine({ model });
}

export async function runTestCommand(paths: string[], opts: TestOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
	if (!['text', 'junit'].includes(opts.reporter)) throw new Error(`--reporter must be text or junit, not "${opts.reporter}"`);
	const engine = engineFor(opts.engine, process.env);
	const files = findTestFiles(paths.length ? paths : [opts.agentsDir ?? '.']);
	if (files.length === 0) throw new Error(`no test files (*.test.yaml) under ${paths.join(', ') || opts.agentsDir || '.'}`);
	const junit = opts.reporter === 'junit';
	// With JUnit on stdout the readable report goes to stderr, so both can be kept.
	const readable = junit && !opts.output ? (s: string) => process.stderr.write(s) : out;
	const results = await runTests(files, { engine, agentsDir: opts.agentsDir }, (file) => readable(`${textReport(file)}\n`));
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
		.action(async (paths: string[], opts: TestOptions) => {
			process.exitCode = await runTestCommand(paths, opts);
		});
}
