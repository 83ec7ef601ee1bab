// Scores the offline engine's understanding on the labelled corpus (bench/corpus/*.jsonl): precision, recall and F1
// per field, tag and intent, by language, and the CPU time the engine spends per message.
// Usage: tsx bench/understanding.ts [--markdown] [--misses] [--agent lead-qualifier] [--json out.json]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgents } from '../agent-server/src/agents/agent-files';
import type { AgentConfig, AgentField } from '../agent-server/src/engine/agent-config';
import { extractEmail } from '../agent-server/src/engine/extract';
import { offlineOutcome } from '../agent-server/src/engine/offline';
import { prepareAgentReaders } from '../agent-server/src/engine/prepare';
import type { TurnInput } from '../agent-server/src/engine/types';
import { EXTRACTION_BUDGET_MS } from '../agent-server/src/limits';

interface Labelled {
	file: string;
	line: number;
	agent: string;
	lang: 'en' | 'es' | 'de';
	asked: string | null;
	text: string;
	fields: Record<string, string>;
	intent: string | null;
	tags: string[];
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
// Relative dates in the corpus are read as of this day, so the scores do not change with the calendar.
const NOW = new Date('2026-03-10T10:00:00Z');
const CORPUS_DIR = join(__dirname, 'corpus');
const REGION: Record<string, string> = { en: 'US', es: 'ES', de: 'DE' };

function readCorpus(): Labelled[] {
	const out: Labelled[] = [];
	for (const file of readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
		const [agent, langPart] = file.replace(/\.jsonl$/, '').split('.');
		const fileLang = langPart.slice(0, 2) as Labelled['lang'];
		readFileSync(join(CORPUS_DIR, file), 'utf8')
			.split('\n')
			.forEach((raw, i) => {
				if (!raw.trim()) return;
				const row = JSON.parse(raw);
				out.push({ file, line: i + 1, agent, lang: row.lang ?? fileLang, asked: row.asked ?? null, text: row.text, fields: row.fields ?? {}, intent: row.intent ?? null, tags: row.tags ?? [] });
			});
	}
	return out;
}

/**
 * The agent a message is scored against: the bundled file, with the contact's language (as an operator of a Spanish
 * or German site would set it) and, on the lead qualifier, an optional phone field so phones are measured too.
 */
function agentFor(base: AgentConfig, lang: string): AgentConfig {
	const fields: AgentField[] =
		base.id === 'lead-qualifier' && !base.fields.some((f) => f.extract.kind === 'phone')
			? [...base.fields, { name: 'phone', label: 'Phone', question: 'And a phone number?', mapsTo: 'contact.phone', required: false, extract: { kind: 'phone' } } as AgentField]
			: base.fields;
	return { ...base, fields, language: lang, defaultRegion: REGION[lang] } as AgentConfig;
}

function numbersIn(value: string): number[] {
	const out: number[] = [];
	for (const m of value.replace(/(\d),(?=\d{3}\b)/g, '$1').matchAll(/\d+(?:\.\d+)?/g)) out.push(Number(m[0]));
	return out;
}

const norm = (s: string) => s.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function sameValue(field: AgentField, expected: string, got: string): boolean {
	switch (field.extract.kind) {
		case 'amount': {
			const [e, g] = [numbersIn(expected), numbersIn(got)];
			return e.length === g.length && e.every((n, i) => n === g[i]);
		}
		case 'phone': {
			const [e, g] = [expected.replace(/\D/g, ''), got.replace(/\D/g, '')];
			return e.slice(-9) === g.slice(-9);
		}
		case 'timeline': {
			const [e, g] = [norm(expected), norm(got)];
			return e !== '' && g !== '' && (g.includes(e) || e.includes(g));
		}
		default:
			return norm(expected) === norm(got);
	}
}

interface Counts {
	tp: number;
	fp: number;
	fn: number;
}
const counts = () => ({ tp: 0, fp: 0, fn: 0 });
const scores = (c: Counts) => {
	const p = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 1;
	const r = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 1;
	return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0, n: c.tp + c.fn };
};
const pct = (x: number) => `${Math.round(x * 100)}%`;

function bump(map: Map<string, Counts>, key: string, expected: boolean, got: boolean, right: boolean) {
	const c = map.get(key) ?? counts();
	if (got && expected && right) c.tp++;
	else {
		if (got) c.fp++;
		if (expected) c.fn++;
	}
	map.set(key, c);
}

function transcriptFor(agent: AgentConfig, asked: string | null): TurnInput['transcript'] {
	if (!asked) return [];
	const field = agent.fields.find((f) => f.name === asked);
	if (!field) throw new Error(`${agent.id} has no field ${asked}`);
	return [
		{ role: 'contact', text: 'Hi', at: NOW.toISOString() },
		{ role: 'agent', text: field.question, at: NOW.toISOString() },
	];
}

function inputFor(base: AgentConfig, m: Labelled): TurnInput {
	const agent = agentFor(base, m.lang);
	const transcript = transcriptFor(agent, m.asked);
	return {
		agent,
		contact: { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
		conversation: { id: 'v', channel: 'web', collected: {}, firedActions: [], turn: transcript.length ? 2 : 1 },
		transcript,
		message: m.text,
	};
}

function main() {
	const registry = loadAgents();
	const corpus = readCorpus().filter((m) => !option('--agent') || m.agent === option('--agent'));
	const fields = new Map<string, Counts>();
	const tags = new Map<string, Counts>();
	const intents = new Map<string, Counts>();
	const byLang = new Map<string, { fields: Counts; tags: Counts; intentsRight: number; messages: number }>();
	const misses: string[] = [];
	let intentRight = 0;
	// A fresh process prepares each agent's readers once, outside any message's budget: what that costs, per agent.
	const prepared: string[] = [];
	for (const agent of registry.list()) {
		const started = process.cpuUsage();
		prepareAgentReaders(agent);
		const spent = process.cpuUsage(started);
		prepared.push(`${agent.id} ${((spent.user + spent.system) / 1000).toFixed(0)} ms`);
	}
	// One untimed pass first: it trains each agent's classifier once (as a server does on an agent's first message),
	// so the timed pass measures what every later message costs; the training time is reported on its own.
	const trainStart = process.cpuUsage();
	for (const m of corpus) offlineOutcome(inputFor(registry.get(m.agent)!, m), NOW);
	const warm = process.cpuUsage(trainStart);
	const warmMs = (warm.user + warm.system) / 1000;
	let cpuMicros = 0;
	const perMessage: number[] = [];
	for (const m of corpus) {
		const base = registry.get(m.agent);
		if (!base) throw new Error(`no agent ${m.agent}`);
		const input = inputFor(base, m);
		const agent = input.agent;
		const started = process.cpuUsage();
		const outcome = offlineOutcome(input, NOW);
		const spent = process.cpuUsage(started);
		perMessage.push((spent.user + spent.system) / 1000);
		cpuMicros += spent.user + spent.system;
		const lang = byLang.get(m.lang) ?? { fields: counts(), tags: counts(), intentsRight: 0, messages: 0 };
		lang.messages++;
		const where = `${m.file}:${m.line}`;
		for (const field of agent.fields) {
			const e = m.fields[field.name];
			const g = outcome.collected[field.name];
			const right = e !== undefined && g !== undefined && sameValue(field, e, g);
			bump(fields, `${field.name} (${field.extract.kind})`, e !== undefined, g !== undefined, right);
			const lc = new Map([['x', lang.fields]]);
			bump(lc, 'x', e !== undefined, g !== undefined, right);
			if ((e !== undefined || g !== undefined) && !right) misses.push(`${where} ${field.name}: expected ${JSON.stringify(e ?? null)} got ${JSON.stringify(g ?? null)} | ${m.text}`);
		}
		for (const tag of new Set([...agent.tagRules.map((r) => r.tag)])) {
			const e = m.tags.includes(tag);
			const g = outcome.tags.includes(tag);
			bump(tags, tag, e, g, e && g);
			bump(new Map([['x', lang.tags]]), 'x', e, g, e && g);
			if (e !== g) misses.push(`${where} tag ${tag}: expected ${e} got ${g} | ${m.text}`);
		}
		const intentOk = outcome.intent === m.intent;
		if (intentOk) {
			intentRight++;
			lang.intentsRight++;
		} else misses.push(`${where} intent: expected ${m.intent} got ${outcome.intent} | ${m.text}`);
		for (const name of agent.intents.map((i) => i.name)) bump(intents, `${m.agent}/${name}`, m.intent === name, outcome.intent === name, intentOk);
		byLang.set(m.lang, lang);
	}

	const md = flag('--markdown');
	const row = (cells: (string | number)[]) => (md ? `| ${cells.join(' | ')} |` : cells.map((c, i) => String(c).padEnd(i === 0 ? 40 : 8)).join(''));
	const header = (cells: string[]) => (md ? [row(cells), `| ${cells.map(() => '---').join(' | ')} |`] : [row(cells)]);
	const table = (title: string, map: Map<string, Counts>) => {
		console.log(`\n${title}`);
		for (const l of header(['', 'precision', 'recall', 'F1', 'n'])) console.log(l);
		const total = counts();
		for (const [k, c] of [...map].sort()) {
			const s = scores(c);
			total.tp += c.tp;
			total.fp += c.fp;
			total.fn += c.fn;
			console.log(row([k, pct(s.p), pct(s.r), pct(s.f1), s.n]));
		}
		const s = scores(total);
		console.log(row(['all (micro)', pct(s.p), pct(s.r), pct(s.f1), s.n]));
	};
	console.log(`${corpus.length} messages, ${[...new Set(corpus.map((m) => m.agent))].length} agents`);
	table('Fields', fields);
	table('Tags', tags);
	table('Intents', intents);
	console.log(`\nIntent right on ${pct(intentRight / corpus.length)} of messages (${intentRight}/${corpus.length})`);
	console.log('\nBy language');
	for (const l of header(['language', 'messages', 'field F1', 'tag F1', 'intent right'])) console.log(l);
	for (const [lang, v] of [...byLang].sort()) console.log(row([lang, v.messages, pct(scores(v.fields).f1), pct(scores(v.tags).f1), pct(v.intentsRight / v.messages)]));
	perMessage.sort((a, b) => a - b);
	const mean = cpuMicros / 1000 / corpus.length;
	const p99 = perMessage[Math.min(perMessage.length - 1, Math.floor(perMessage.length * 0.99))];
	// Reference in the same run: one email regex over each message, so the ratio holds on a faster or busier machine.
	const refStart = process.cpuUsage();
	for (let i = 0; i < 20; i++) for (const m of corpus) extractEmail(m.text);
	const ref = process.cpuUsage(refStart);
	const refMs = (ref.user + ref.system) / 1000 / (20 * corpus.length);
	console.log(
		`\nPreparing the readers in a fresh process (CPU, in load order: the first field of a kind pays for compiling that kind's reader): ${prepared.join(', ')}` +
			`\nFirst pass (trains ${registry.list().length} agents x 3 languages, then reads every message): ${warmMs.toFixed(0)} ms CPU in all` +
			`\nCPU per message (whole offline turn, trained agents): mean ${mean.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${perMessage[perMessage.length - 1].toFixed(3)} ms; ` +
			`budget ${EXTRACTION_BUDGET_MS} ms; reference (one email regex) ${refMs.toFixed(4)} ms, mean/reference ${(mean / refMs).toFixed(0)}x`,
	);
	if (flag('--misses')) for (const line of misses) console.log(line);
	const out = option('--json');
	if (out) writeFileSync(out, JSON.stringify({ fields: Object.fromEntries([...fields].map(([k, c]) => [k, scores(c)])), tags: Object.fromEntries([...tags].map(([k, c]) => [k, scores(c)])), intentAccuracy: intentRight / corpus.length }, null, 2));
}

main();
