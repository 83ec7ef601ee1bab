// Figure: model calls and tokens per contact turn on the scripted suite (every bundled conversation test,
// agent-server/agents/**/*.test.yaml, as `agent-bridge test --engine model` runs them: simulated workflows answer the
// events), on the model engine with the real openai SDK against the literal fake model. Reference: one model call per
// turn, the least a model engine can make. Tokens are the fake's estimate (characters / 4).
// Run: npx tsx bench/model-calls.ts
import path from 'node:path';
import { BUNDLED_AGENTS_DIR } from '../agent-server/src/agents/agent-files';
import { findTestFiles, runTests } from '../agent-server/src/agent-tests/runner';
import { createModelEngine } from '../agent-server/src/engine/model';
import type { ModelEvent, Purpose } from '../agent-server/src/engine/model-client';
import { startLiteralModel } from '../agent-server/src/testing/literal-model';
import { table } from './measure';

interface Tally {
	turns: number;
	calls: number;
	tokensIn: number;
	tokensOut: number;
	fallbacks: number;
	byPurpose: Partial<Record<Purpose, number>>;
}

const tally = (): Tally => ({ turns: 0, calls: 0, tokensIn: 0, tokensOut: 0, fallbacks: 0, byPurpose: {} });

async function main() {
	const fake = await startLiteralModel();
	let current = tally();
	const engine = createModelEngine({
		baseURL: fake.url,
		apiKey: 'bench',
		model: 'literal',
		onEvent: (event: ModelEvent) => {
			if (event.type === 'fallback') return void current.fallbacks++;
			current.calls++;
			current.tokensIn += event.tokensIn;
			current.tokensOut += event.tokensOut;
			current.byPurpose[event.purpose] = (current.byPurpose[event.purpose] ?? 0) + 1;
		},
	});
	const files = findTestFiles([BUNDLED_AGENTS_DIR]);
	const perFile: [string, Tally, boolean][] = [];
	for (const file of files) {
		current = tally();
		const [result] = await runTests([file], { engine });
		const turns = result.conversations.flatMap((c) => c.turns).filter((t) => t.step.startsWith('says'));
		current.turns = turns.length;
		perFile.push([path.relative(BUNDLED_AGENTS_DIR, file), current, !result.error && result.conversations.every((c) => c.ok)]);
	}
	await fake.close();

	const total = perFile.reduce((sum, [, t]) => {
		for (const [purpose, n] of Object.entries(t.byPurpose)) sum.byPurpose[purpose as Purpose] = (sum.byPurpose[purpose as Purpose] ?? 0) + n;
		return { ...sum, turns: sum.turns + t.turns, calls: sum.calls + t.calls, tokensIn: sum.tokensIn + t.tokensIn, tokensOut: sum.tokensOut + t.tokensOut, fallbacks: sum.fallbacks + t.fallbacks };
	}, tally());
	const per = (n: number, t: Tally) => (t.turns ? n / t.turns : 0);
	const row = (name: string, t: Tally, ok: boolean | string) => [
		name,
		ok === true ? 'pass' : ok === false ? 'FAIL' : ok,
		t.turns,
		t.calls,
		per(t.calls, t).toFixed(2),
		per(t.tokensIn, t).toFixed(0),
		per(t.tokensOut, t).toFixed(0),
		Object.entries(t.byPurpose).map(([p, n]) => `${p} ${n}`).join(', '),
		t.fallbacks,
	];
	console.log(`\nmodel-calls (${files.length} test files, model engine, literal fake model)\n`);
	console.log(
		table(
			['test file', 'result', 'contact turns', 'model calls', 'calls per turn', 'tokens in per turn', 'tokens out per turn', 'calls by purpose', 'fallbacks'],
			[...perFile.map(([name, t, ok]) => row(name, t, ok)), row('**all**', total, `${perFile.filter(([, , ok]) => ok).length}/${perFile.length} pass`)],
		),
	);
	console.log(`\nmodel calls per turn: ${per(total.calls, total).toFixed(2)}; tokens per turn: ${per(total.tokensIn, total).toFixed(0)} in, ${per(total.tokensOut, total).toFixed(0)} out`);
	console.log(`ratio: ${per(total.calls, total).toFixed(3)} of the reference (one model call per turn)`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
