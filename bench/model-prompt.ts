// Figure: prompt tokens per turn and the share of each prompt that is a stable prefix (identical to the previous
// request's start, so a provider's prefix cache can reuse it), plus model calls and provider requests per turn, on a
// 10-turn scripted lead qualification through the agent server and the real openai SDK against the literal fake model.
// Tokens are estimated as characters / 4 (the fake has no tokenizer); the shares are ratios, so the estimate cancels out.
// Run: npx tsx bench/model-prompt.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../agent-server/src/app';
import { createModelEngine } from '../agent-server/src/engine/model';
import { roughTokens, startLiteralModel } from '../agent-server/src/testing/literal-model';
import { benchAgents } from './agents';

const API_KEY = 'ab_bench_key_0123456789abcdef';
const SCRIPT = [
	'Hi, I need a new website for my bakery',
	'Do you have a portfolio I can look at?',
	'Acme is cheaper than you guys',
	'Our budget is around $15,000',
	'We would like to launch within 2 months',
	'Sounds good, what happens next?',
	"I'm Dana Baker by the way",
	'You can reach me at dana@example.com',
	'Can you also help with social media later?',
	'Thanks, that is all for now',
];

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-bench-'));
	const fake = await startLiteralModel({ meaning: (m) => (/cheaper/i.test(m) ? { tags: ['competitor_aware'] } : {}) });
	const app = await buildApp({
		sqliteFile: path.join(dir, 'bench.db'),
		apiKey: API_KEY,
		relay: { enabled: false },
		rateLimitPerMinute: 0,
		agents: benchAgents(),
		engine: createModelEngine({ baseURL: fake.url, apiKey: 'bench', model: 'literal', maxRetries: 0 }),
		conversations: { sweepIntervalMs: 0 },
	});
	const rows: { turn: number; prompt: number; stable: number; calls: number }[] = [];
	let conversationId: string | undefined;
	let previous = '';
	for (const [i, text] of SCRIPT.entries()) {
		const before = fake.requests.length;
		const res = await app.inject({
			method: 'POST',
			url: '/v1/chat',
			headers: { authorization: `Bearer ${API_KEY}` },
			payload: { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) },
		});
		if (res.statusCode !== 200) throw new Error(`chat answered ${res.statusCode}: ${res.body}`);
		conversationId = res.json().conversation.id;
		const sent = fake.requests.slice(before);
		const prompt = sent.length ? sent[0].body.messages.map((m: { role: string; content: string }) => `${m.role}:${m.content}`).join('\n') : '';
		let common = 0;
		while (common < prompt.length && common < previous.length && prompt[common] === previous[common]) common++;
		previous = prompt;
		rows.push({ turn: i + 1, prompt: roughTokens(prompt), stable: Math.floor(common / 4), calls: sent.length });
	}
	const detail = (await app.inject({ method: 'GET', url: `/v1/conversations/${conversationId}`, headers: { authorization: `Bearer ${API_KEY}` } })).json();
	await app.close();
	await fake.close();
	rmSync(dir, { recursive: true, force: true });

	console.log('\nModel prompt per turn (lead-qualifier, 10 scripted turns, literal fake model)\n');
	console.log('| turn | prompt tokens | stable prefix tokens | stable share | provider requests |');
	console.log('| --- | --- | --- | --- | --- |');
	for (const r of rows) console.log(`| ${r.turn} | ${r.prompt} | ${r.stable} | ${((100 * r.stable) / Math.max(1, r.prompt)).toFixed(0)}% | ${r.calls} |`);
	const later = rows.slice(1);
	const share = later.reduce((s, r) => s + r.stable, 0) / later.reduce((s, r) => s + r.prompt, 0);
	const calls = rows.reduce((s, r) => s + r.calls, 0) / rows.length;
	console.log(`\nmodel calls per turn: ${(detail.modelCalls / rows.length).toFixed(2)} (provider requests per turn: ${calls.toFixed(2)})`);
	console.log(`mean prompt tokens per turn: ${(rows.reduce((s, r) => s + r.prompt, 0) / rows.length).toFixed(0)}`);
	console.log(`ratio: ${share.toFixed(3)} of the prompt tokens of turns 2-10 are a stable prefix`);
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
