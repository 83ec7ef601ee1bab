// Intents and tags learned from an agent's example phrases and keywords (nlp.js's neural classifier over word stems),
// negation-aware; keywords also count as hints. Trained once per agent, in milliseconds, with no network.
import { NeuralNetwork } from '@nlpjs/neural';
import { StemmerDe } from '@nlpjs/lang-de';
import { StemmerEn } from '@nlpjs/lang-en-min';
import { StemmerEs } from '@nlpjs/lang-es';
import type { AgentConfig } from './agent-config';
import type { Language } from './language';
import { isNegated, markNegations } from './negation';
import { keywordMatches } from './keyword-values';

const STEMMERS: Record<Language, { stemWord(w: string): string }> = { en: new StemmerEn(), es: new StemmerEs(), de: new StemmerDe() };

/** Phrases that carry no intent, so the classifier learns what "nothing in particular" looks like. */
const SMALL_TALK = [
	'hi', 'hello', 'hey there', 'good morning', 'thanks', 'thank you', 'ok', 'okay', 'yes', 'no', 'sure', 'cool', 'bye',
	'hola', 'buenos días', 'gracias', 'vale', 'sí', 'hallo', 'guten tag', 'danke', 'ja', 'nein', 'alles klar',
];
/** A keyword hit adds this much to its intent's or tag's score. */
const KEYWORD_HINT = 0.45;

/** Stemmed words of a message, negated ones marked ("no human" → no, not_human). */
export function features(text: string, language: Language): Record<string, number> {
	const stemmer = STEMMERS[language] ?? STEMMERS.en;
	const out: Record<string, number> = {};
	for (const raw of markNegations(text, language).toLowerCase().split(/[^\p{L}\p{N}_'’]+/u)) {
		const word = raw.replace(/['’]s$/, '').replace(/['’]/g, '');
		if (!word) continue;
		const negated = word.startsWith('not_');
		const bare = negated ? word.slice(4) : word;
		if (!bare) continue;
		const stem = stemmer.stemWord(bare.normalize('NFD').replace(/\p{M}/gu, ''));
		out[negated ? `not_${stem}` : stem] = 1;
	}
	return out;
}

interface Trained {
	intents: NeuralNetwork | null;
	tags: NeuralNetwork | null;
}

const trainedModels = new Map<string, Trained>();
const MODELS_KEPT = 500;

function modelKey(agent: AgentConfig): string {
	return JSON.stringify([agent.language, agent.intents.map((i) => [i.name, i.keywords, i.examples]), agent.tagRules.map((r) => [r.tag, r.keywords, r.examples])]);
}

function train(agent: AgentConfig): Trained {
	const language = agent.language ?? 'en';
	const phrasesOf = (keywords: readonly string[] | undefined, examples: readonly string[] | undefined) => [...(examples ?? []), ...(keywords ?? [])];
	const intentCorpus = agent.intents.flatMap((i) => phrasesOf(i.keywords, i.examples).map((p) => ({ input: features(p, language), output: { [i.name]: 1 } })));
	const negatives = SMALL_TALK.map((p) => ({ input: features(p, language), output: {} as Record<string, number> }));
	let intents: NeuralNetwork | null = null;
	if (intentCorpus.length) {
		intents = new NeuralNetwork({ log: false });
		intents.train([...intentCorpus, ...negatives]);
	}
	const tagRules = agent.tagRules.filter((r) => r.examples?.length || r.keywords?.length);
	let tags: NeuralNetwork | null = null;
	if (tagRules.some((r) => r.examples?.length)) {
		const tagged = new Map<string, Set<string>>();
		for (const r of tagRules) for (const p of phrasesOf(r.keywords, r.examples)) tagged.set(p, (tagged.get(p) ?? new Set()).add(r.tag));
		// Intent examples no tag claims are negatives: they teach the tags what they are not.
		const untagged = agent.intents.flatMap((i) => i.examples ?? []).filter((p) => !tagged.has(p));
		tags = new NeuralNetwork({ log: false });
		tags.train([
			...[...tagged].map(([p, set]) => ({ input: features(p, language), output: Object.fromEntries([...set].map((t) => [t, 1])) })),
			...untagged.map((p) => ({ input: features(p, language), output: {} as Record<string, number> })),
			...negatives,
		]);
	}
	return { intents, tags };
}

function trained(agent: AgentConfig): Trained {
	const key = modelKey(agent);
	let model = trainedModels.get(key);
	if (!model) {
		model = train(agent);
		if (trainedModels.size >= MODELS_KEPT) trainedModels.clear();
		trainedModels.set(key, model);
	}
	return model;
}

function hinted(text: string, keywords: readonly string[] | undefined, language: Language): boolean {
	return (keywords ?? []).some((k) => keywordMatches(text, k).some((at) => !isNegated(text, at, language)));
}

function anyKnown(input: Record<string, number>, agent: AgentConfig): boolean {
	return Object.keys(input).length > 0 && agent.intents.length > 0;
}

/** Each intent's score for the message: the classifier's, plus a hint when one of its keywords is said (not negated). */
export function intentScores(agent: AgentConfig, text: string): Record<string, number> {
	const language = agent.language ?? 'en';
	const input = features(text, language);
	const net = trained(agent).intents;
	const raw = net && anyKnown(input, agent) ? net.run(input) : {};
	const out: Record<string, number> = {};
	for (const intent of agent.intents) out[intent.name] = Math.min(1, (raw[intent.name] ?? 0) + (hinted(text, intent.keywords, language) ? KEYWORD_HINT : 0));
	return out;
}

/** The best intent at or above the agent's threshold, with its confidence; null when none is sure enough. */
export function classifyIntent(agent: AgentConfig, text: string): { intent: string | null; confidence: number } {
	const threshold = agent.understanding?.threshold ?? 0.5;
	let best: { intent: string | null; confidence: number } = { intent: null, confidence: 0 };
	for (const [name, score] of Object.entries(intentScores(agent, text))) if (score > best.confidence) best = { intent: name, confidence: score };
	return best.confidence >= threshold ? best : { intent: null, confidence: best.confidence };
}

/** The tags whose keywords are said (not negated) or whose examples the message resembles above the threshold. */
export function classifyTags(agent: AgentConfig, text: string): string[] {
	const language = agent.language ?? 'en';
	const threshold = agent.understanding?.threshold ?? 0.5;
	const net = trained(agent).tags;
	const input = features(text, language);
	const raw = net && Object.keys(input).length ? net.run(input) : {};
	const out: string[] = [];
	for (const rule of agent.tagRules) {
		if (out.includes(rule.tag)) continue;
		const score = (rule.examples?.length ? (raw[rule.tag] ?? 0) : 0) + (hinted(text, rule.keywords, language) ? 1 : 0);
		if (score >= threshold) out.push(rule.tag);
	}
	return out;
}
