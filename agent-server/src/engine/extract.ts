// Deterministic extraction: the offline engine's whole understanding, and the model engine's safety net.
import { EXTRACTION_BUDGET_MS } from '../limits';
import type { AgentConfig, AgentField, AgentIntent, FieldExtraction, KeywordEntry } from './agent-config';
import type { Sentiment } from './types';
import { matchPattern } from './agent-patterns';

export { compiledPattern as compilePattern, matchPattern } from './agent-patterns';
import { prepareAgentReaders } from './prepare';
import { escapeRegex } from './keyword-values';
import { readField } from './understand';


// Word-bounded, case-insensitive, tolerant of a plural "s" and of flexible spacing inside phrases.
/** Compiled once per keyword: agents' keyword lists are fixed, and every turn reads them all. */
const keywordRegexes = new Map<string, RegExp>();
const KEYWORD_CACHE_MAX = 10_000;

function keywordRegex(keyword: string): RegExp {
	let regex = keywordRegexes.get(keyword);
	if (!regex) {
		const body = keyword.trim().split(/\s+/).map(escapeRegex).join('[\\s-]+');
		regex = new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:s|es)?(?![\\p{L}\\p{N}])`, 'iu');
		if (keywordRegexes.size >= KEYWORD_CACHE_MAX) keywordRegexes.clear();
		keywordRegexes.set(keyword, regex);
	}
	return regex;
}

/** Position of the first match of any keyword, or -1. */
export function findKeyword(text: string, keywords: readonly string[]): number {
	let best = -1;
	for (const k of keywords) {
		const m = keywordRegex(k).exec(text);
		if (m && (best === -1 || m.index < best)) best = m.index;
	}
	return best;
}

export function extractEmail(text: string): string | null {
	const m = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/.exec(text);
	return m ? m[0].toLowerCase() : null;
}

export function extractPhone(text: string): string | null {
	const re = /(?<![\w$€£])\+?\(?\d[\d\s().-]{5,}\d(?![\w%])/g;
	for (const m of text.matchAll(re)) {
		const raw = m[0].trim();
		const digits = raw.replace(/\D/g, '');
		if (digits.length < 7 || digits.length > 15) continue;
		if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$/.test(raw) || /^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/.test(raw)) continue; // dates
		if (/^\d{1,3}(,\d{3})+$/.test(raw)) continue;
		return (raw.startsWith('+') ? '+' : '') + digits;
	}
	return null;
}

export interface ExtractedName {
	first: string;
	last: string | null;
	full: string;
}

const NOT_NAMES = new Set(
	(
		'a an the and or but so just not very really also here there from with in on at for to of my our your ' +
		'looking interested ready trying planning thinking wondering hoping calling writing reaching good fine ok okay ' +
		'great happy glad sure new back still sorry only about after currently actually well hi hello hey thanks thank ' +
		'yes no maybe the one it is was want need would like will can could should'
	).split(' '),
);

function capitalise(w: string): string {
	return w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();
}

const NAME_WORD = "[\\p{L}][\\p{L}'’-]*";

/** "I'm Dana", "my name is Dana Smith", "this is Dana", "call me Dana". */
export function extractName(text: string, options: { loose?: boolean } = {}): ExtractedName | null {
	const strict = new RegExp(`(?:\\b[Ii]['’]?m|\\b[Ii] am|\\b[Tt]his is|\\b[Ii]t['’]s)\\s+(${NAME_WORD})(?:\\s+(${NAME_WORD}))?`, 'gu');
	const relaxed = new RegExp(`(?:my name is|my name['’]s|name['’]s|call me|i go by)\\s+(${NAME_WORD})(?:\\s+(${NAME_WORD}))?`, 'giu');
	const build = (first: string, last: string | undefined, requireCapital: boolean): ExtractedName | null => {
		const isName = (w: string) =>
			!NOT_NAMES.has(w.toLowerCase()) && !w.toLowerCase().endsWith('ing') && (!requireCapital || /^\p{Lu}/u.test(w));
		if (!isName(first)) return null;
		const f = capitalise(first);
		const l = last && isName(last) && (/^\p{Lu}/u.test(last) || !requireCapital) ? capitalise(last) : null;
		return { first: f, last: l, full: l ? `${f} ${l}` : f };
	};
	for (const m of text.matchAll(relaxed)) {
		const n = build(m[1], m[2], false);
		if (n) return n;
	}
	for (const m of text.matchAll(strict)) {
		const n = build(m[1], m[2], true);
		if (n) return n;
	}
	if (options.loose) {
		// Answering "May I have your name?" with just "Dana Smith".
		const words = text.trim().replace(/[.!]+$/, '').split(/\s+/);
		if (words.length >= 1 && words.length <= 3 && words.every((w) => new RegExp(`^${NAME_WORD}$`, 'u').test(w))) {
			return build(words[0], words[1], false);
		}
	}
	return null;
}

export interface ExtractedAmount {
	value: number;
	currency: 'USD' | 'EUR' | 'GBP' | null;
	text: string; // normalised, e.g. "$25,000"
}

const SYMBOL: Record<string, 'USD' | 'EUR' | 'GBP'> = { $: 'USD', '€': 'EUR', '£': 'GBP' };
const CURRENCY_WORD: Record<string, 'USD' | 'EUR' | 'GBP'> = {
	dollar: 'USD', dollars: 'USD', usd: 'USD', bucks: 'USD', euro: 'EUR', euros: 'EUR', eur: 'EUR', pound: 'GBP', pounds: 'GBP', gbp: 'GBP',
};
const PREFIX: Record<string, string> = { USD: '$', EUR: '€', GBP: '£' };

function toNumber(digits: string, scale?: string): number {
	const n = Number(digits.replace(/,/g, ''));
	const s = (scale ?? '').toLowerCase();
	if (s === 'k' || s === 'thousand' || s === 'grand') return n * 1_000;
	if (s === 'm' || s === 'mil' || s === 'million') return n * 1_000_000;
	return n;
}

export function formatAmount(value: number, currency: string | null): string {
	const rounded = Math.round(value * 100) / 100;
	const formatted = rounded.toLocaleString('en-US', { maximumFractionDigits: 2 });
	return currency && PREFIX[currency] ? `${PREFIX[currency]}${formatted}` : formatted;
}

/** "$25,000", "25k", "around 25000 dollars", "€5k", "$500"; a bare number only with `loose` (the budget was just asked). */
export function extractAmount(text: string, options: { defaultCurrency?: string; loose?: boolean } = {}): ExtractedAmount | null {
	const NUM = '(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d+))?';
	const SCALE = '(k|m|mil|thousand|million|grand)?';
	const make = (digits: string, decimals: string | undefined, scale: string | undefined, currency: ExtractedAmount['currency']) => {
		const value = toNumber(decimals ? `${digits}.${decimals}` : digits, scale);
		const cur = currency ?? ((options.defaultCurrency as ExtractedAmount['currency']) || null);
		return { value, currency: currency, text: formatAmount(value, cur) } satisfies ExtractedAmount;
	};
	let m = new RegExp(`([$€£])\\s?${NUM}\\s?${SCALE}(?![\\p{L}])`, 'iu').exec(text);
	if (m) return make(m[2], m[3], m[4], SYMBOL[m[1]]);
	m = new RegExp(`(?<![\\w.])${NUM}\\s?${SCALE}\\s?(dollars?|usd|bucks|euros?|eur|pounds?|gbp)\\b`, 'i').exec(text);
	if (m) return make(m[1], m[2], m[3], CURRENCY_WORD[m[4].toLowerCase()]);
	m = new RegExp(`(?<![\\w.$€£])${NUM}\\s?(k|thousand|grand|million)(?![\\p{L}])`, 'iu').exec(text);
	if (m) return make(m[1], m[2], m[3], null);
	const budgetContext = /\b(budget|spend|afford|invest)\w*\b[^\d]{0,25}(\d{1,3}(?:,\d{3})+|\d{3,})(?:\.(\d+))?/i.exec(text);
	if (budgetContext) return make(budgetContext[2], budgetContext[3], undefined, null);
	if (options.loose) {
		m = /(?<![\w.])(\d{1,3}(?:,\d{3})+|\d{3,})(?:\.(\d+))?(?![\w%])/.exec(text);
		if (m) return make(m[1], m[2], undefined, null);
	}
	return null;
}

export interface ExtractedTimeline {
	text: string; // as the contact said it, e.g. "within 1 month"
	days: number | null; // rough distance from now, for scoring; null when unknown
}

const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, quarter: 91, year: 365 };
const NUMBER_WORDS: Record<string, number> = {
	a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, couple: 2, few: 3,
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function daysUntil(target: Date, now: Date): number {
	return Math.max(0, Math.round((target.getTime() - now.getTime()) / 86_400_000));
}

/** "within 1 month", "next month", "in 3 weeks", "ASAP", "next year", "Q3", "by March", "2026-12-01". */
export function extractTimeline(text: string, options: { now?: Date; loose?: boolean } = {}): ExtractedTimeline | null {
	const now = options.now ?? new Date();
	const t = text;
	const found = (m: RegExpExecArray, days: number | null): ExtractedTimeline => ({ text: m[0].trim(), days });
	let m: RegExpExecArray | null;
	if ((m = /\b(asap|as soon as possible|urgently|urgent|immediately|right away|right now)\b/i.exec(t))) return found(m, 7);
	m = /\b(?:(within|in|over|under|inside of|in the next|within the next)\s+)?(?:(?:about|around|roughly|approximately|maybe)\s+)?(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|couple of|a few|few)\s+(day|week|month|quarter|year)s?\b/i.exec(t);
	if (m && (m[1] || options.loose || /\b(from now|time)\b/i.test(t.slice(m.index + m[0].length, m.index + m[0].length + 12)))) {
		const count = m[2].toLowerCase();
		const n = /^\d+$/.test(count) ? Number(count) : count.includes('couple') ? 2 : count.includes('few') ? 3 : NUMBER_WORDS[count] ?? 1;
		return found(m, n * UNIT_DAYS[m[3].toLowerCase()]);
	}
	if ((m = /\b(today|tonight|tomorrow|this week|next few days|end of (?:the )?week)\b/i.exec(t))) return found(m, 3);
	if ((m = /\b(next week)\b/i.exec(t))) return found(m, 10);
	if ((m = /\b(this month|end of (?:the )?month)\b/i.exec(t))) return found(m, 20);
	if ((m = /\b(next month)\b/i.exec(t))) return found(m, 45);
	if ((m = /\b(this quarter|end of (?:the )?quarter)\b/i.exec(t))) return found(m, 60);
	if ((m = /\b(next quarter)\b/i.exec(t))) return found(m, 120);
	if ((m = /\b(this year|end of (?:the )?year|later this year)\b/i.exec(t))) return found(m, 180);
	if ((m = /\b(next year)\b/i.exec(t))) return found(m, 365);
	if ((m = /\b(no rush|not in a hurry|no hurry|someday|some day|eventually|not sure yet|no timeline)\b/i.exec(t))) return found(m, 400);
	if ((m = /\bQ([1-4])(?:\s*(20\d\d))?\b/.exec(t))) {
		const year = m[2] ? Number(m[2]) : now.getUTCFullYear();
		let start = new Date(Date.UTC(year, (Number(m[1]) - 1) * 3, 1));
		if (!m[2] && start.getTime() + 91 * 86_400_000 < now.getTime()) start = new Date(Date.UTC(year + 1, (Number(m[1]) - 1) * 3, 1));
		return found(m, daysUntil(start, now));
	}
	if ((m = /\b(20\d\d)-(\d{1,2})-(\d{1,2})\b/.exec(t))) {
		return found(m, daysUntil(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))), now));
	}
	m = /\b(?:(by|before|in|around|until|from|starting|start of|end of|early|mid|late)\s+)?(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?:\s+(\d{1,2})(?:st|nd|rd|th)?)?(?:,?\s+(20\d\d))?\b/i.exec(t);
	// "may" alone is a verb: accept a month name only with a preposition, a day or a year around it.
	if (m && (m[1] || m[3] || m[4] || m[2].toLowerCase() !== 'may')) {
		const month = MONTHS.indexOf(m[2].slice(0, 3).toLowerCase());
		let year = m[4] ? Number(m[4]) : now.getUTCFullYear();
		const day = m[3] ? Number(m[3]) : 1;
		if (!m[4] && Date.UTC(year, month, day) < now.getTime() - 86_400_000) year += 1;
		return found(m, daysUntil(new Date(Date.UTC(year, month, day)), now));
	}
	if (options.loose && (m = /\b(soon|flexible|whenever)\b/i.exec(t))) return found(m, m[1].toLowerCase() === 'soon' ? 30 : 400);
	return null;
}

/** The value of the earliest matching keyword entry; past the budget, the entries not yet read are skipped. */
export function matchKeywordList(text: string, entries: readonly KeywordEntry[], budget?: ExtractionBudget): string | null {
	let best: { at: number; value: string } | null = null;
	for (const e of entries) {
		if (budget?.spent()) break;
		const at = findKeyword(text, e.match);
		if (at >= 0 && (!best || at < best.at)) best = { at, value: e.value };
	}
	return best?.value ?? null;
}

/** Extracts one field by its configured kind; `loose` when the agent has just asked for this field. */
export function extractByKind(text: string, extract: FieldExtraction, options: { loose?: boolean; now?: Date; budget?: ExtractionBudget } = {}): string | null {
	switch (extract.kind) {
		case 'email':
			return extractEmail(text);
		case 'phone':
			return extractPhone(text);
		case 'name':
			return extractName(text, options)?.full ?? null;
		case 'amount':
			return extractAmount(text, { defaultCurrency: extract.currency ?? 'USD', loose: options.loose })?.text ?? null;
		case 'timeline':
			return extractTimeline(text, options)?.text ?? null;
		case 'keywords':
			return matchKeywordList(text, extract.keywords, options.budget);
		case 'pattern':
			return matchPattern(text, extract.pattern, extract.flags);
	}
}

/** Whether the message talks about a field (its name or label), so an already known value may be corrected. */
export function mentionsField(text: string, field: AgentField): boolean {
	const words = [field.name.replace(/_/g, ' '), ...(field.label ? [field.label] : [])];
	return findKeyword(text, words) >= 0;
}

function cpuMsSince(started: NodeJS.CpuUsage): number {
	const spent = process.cpuUsage(started);
	return (spent.user + spent.system) / 1000;
}

/** One message's CPU budget, read between every step of its extraction (a field, a keyword entry). */
export interface ExtractionBudget {
	spent(): boolean;
}

/**
 * Counted in CPU time, not wall time: a busy machine that pauses this process must not drop fields. No single step
 * can run long past it: a pattern's compiled size and the text it reads are bounded (agent-patterns.ts).
 */
export function extractionBudget(budgetMs = EXTRACTION_BUDGET_MS): ExtractionBudget {
	const deadline = performance.now() + budgetMs;
	const started = process.cpuUsage();
	let over = budgetMs < 0;
	// Reading the CPU clock is a system call: only once the wall clock says the budget may be spent.
	return { spent: () => (over ||= performance.now() > deadline && cpuMsSince(started) > budgetMs) };
}

/**
 * Extracts every configured field from a message. Fields already known are re-read only when the message names
 * them ("actually my budget is $30k"), so a later "tomorrow works" does not overwrite a timeline. Past the budget,
 * the remaining fields are as if not given and wait for the next message.
 */
export function extractFields(
	agent: AgentConfig,
	text: string,
	options: { known?: Record<string, string>; pending?: string | null; now?: Date; budgetMs?: number; budget?: ExtractionBudget } = {},
): Record<string, string> {
	const out: Record<string, string> = {};
	const known = options.known ?? {};
	// What a fresh process compiles once is not this message's cost: prepared before its budget starts.
	prepareAgentReaders(agent);
	const budget = options.budget ?? extractionBudget(options.budgetMs);
	for (const field of agent.fields) {
		if (budget.spent()) break;
		const already = known[field.name];
		if (already !== undefined && !mentionsField(text, field)) continue;
		const value = readField(text, field.extract, { loose: options.pending === field.name, now: options.now, language: agent.language, region: agent.region, budget });
		if (value !== null && value !== already) out[field.name] = value;
	}
	return out;
}

/** The configured intent whose keywords match most often; ties go to the first declared. */
export function detectIntent(text: string, intents: readonly AgentIntent[]): string | null {
	let best: { name: string; hits: number } | null = null;
	for (const intent of intents) {
		const hits = intent.keywords.filter((k) => findKeyword(text, [k]) >= 0).length;
		if (hits > 0 && (!best || hits > best.hits)) best = { name: intent.name, hits };
	}
	return best?.name ?? null;
}

const POSITIVE = [
	'great', 'good', 'awesome', 'amazing', 'excellent', 'perfect', 'love', 'thanks', 'thank you', 'happy', 'glad', 'fantastic',
	'wonderful', 'excited', 'nice', 'helpful', 'appreciate', 'cool', 'sounds good', 'brilliant',
];
const NEGATIVE = [
	'bad', 'terrible', 'awful', 'hate', 'angry', 'annoyed', 'frustrated', 'frustrating', 'disappointed', 'useless', 'worst',
	'horrible', 'upset', 'unhappy', 'problem', 'broken', 'complaint', 'ridiculous', 'scam', 'waste', 'slow', 'expensive',
];

/** Word-list sentiment with a simple negation check ("not happy" counts as negative). */
export function detectSentiment(text: string): Sentiment {
	let score = 0;
	const count = (words: string[], sign: number) => {
		for (const w of words) {
			const re = keywordRegex(w);
			const m = re.exec(text);
			if (!m) continue;
			const before = text.slice(Math.max(0, m.index - 12), m.index).toLowerCase();
			score += /\b(not|no|never|isn't|wasn't|don't|didn't)\s+(\w+\s+)?$/.test(before) ? -sign : sign;
		}
	};
	count(POSITIVE, 1);
	count(NEGATIVE, -1);
	return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}
