// Negation: whether a phrase found in a message is said in the negative ("not an app", "no human please").
import { languagePack, type Language } from './language';

function escapeRegex(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const negatorRegexes = new Map<Language, RegExp>();
const breakRegexes = new Map<Language, RegExp>();

function wordAlternation(words: string[]): string {
	return words
		.slice()
		.sort((a, b) => b.length - a.length)
		.map((w) => (/^\p{L}/u.test(w) ? `(?<![\\p{L}'’])${escapeRegex(w)}(?![\\p{L}])` : escapeRegex(w)))
		.join('|');
}

function negatorRegex(language: Language): RegExp {
	let re = negatorRegexes.get(language);
	if (!re) {
		const words = [...new Set([...languagePack(language).negators, ...languagePack('en').negators])];
		re = new RegExp(wordAlternation(words), 'giu');
		negatorRegexes.set(language, re);
	}
	return re;
}

function breakRegex(language: Language): RegExp {
	let re = breakRegexes.get(language);
	if (!re) {
		const words = [...new Set([...languagePack(language).clauseBreaks, ...languagePack('en').clauseBreaks])];
		re = new RegExp(wordAlternation(words), 'giu');
		breakRegexes.set(language, re);
	}
	return re;
}

/** Up to this many words between a negator and what it negates ("not really looking for an app"). */
const NEGATION_REACH_WORDS = 5;

/**
 * Whether the text at `index` is negated: a negator earlier in the same clause, a few words before it at most.
 * "Not an app, just a simple website": "app" is negated, "website" is not.
 */
export function isNegated(text: string, index: number, language: Language = 'en'): boolean {
	const before = text.slice(Math.max(0, index - 60), index);
	let clauseStart = 0;
	for (const m of before.matchAll(breakRegex(language))) clauseStart = m.index + m[0].length;
	const clause = before.slice(clauseStart);
	let negatedAt = -1;
	for (const m of clause.matchAll(negatorRegex(language))) negatedAt = m.index + m[0].length;
	if (negatedAt < 0) return false;
	const between = clause.slice(negatedAt).trim();
	const words = between ? between.split(/\s+/).length : 0;
	return words <= NEGATION_REACH_WORDS;
}

/**
 * The message with negated words marked ("no human please" → "no NOT_human NOT_please"), so a classifier trained on
 * the plain phrases does not read a refusal as a request.
 */
export function markNegations(text: string, language: Language = 'en'): string {
	return text.replace(/[\p{L}\p{N}'’]+/gu, (word, offset: number) => (isNegated(text, offset, language) && !isNegator(word, language) ? `not_${word}` : word));
}

function isNegator(word: string, language: Language): boolean {
	const w = word.toLowerCase();
	return languagePack(language).negators.includes(w) || languagePack('en').negators.includes(w);
}
