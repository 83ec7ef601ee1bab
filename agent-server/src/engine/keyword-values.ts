// A keywords field's value from what the contact asks for: synonyms, small typos ("webiste"), negations ("not an app")
// and what a word refers to ("marketing manager" is a job, "brand new" is not branding).
import type { KeywordEntry } from './agent-config';
import { type Language } from './language';
import { isNegated } from './negation';

/** A literal string inside a regular expression. */
export function escapeRegex(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const phraseRegexes = new Map<string, RegExp>();
const PHRASES_KEPT = 10_000;

function phraseRegex(keyword: string): RegExp {
	let re = phraseRegexes.get(keyword);
	if (!re) {
		const body = keyword.trim().split(/\s+/).map(escapeRegex).join('[\\s-]+');
		re = new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:s|es|ed|ing)?(?![\\p{L}\\p{N}])`, 'giu');
		if (phraseRegexes.size >= PHRASES_KEPT) phraseRegexes.clear();
		phraseRegexes.set(keyword, re);
	}
	return re;
}

/** Damerau-Levenshtein distance up to `max` (larger distances come back as max + 1). */
function distance(a: string, b: string, max: number): number {
	if (Math.abs(a.length - b.length) > max) return max + 1;
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
	for (let j = 1; j <= b.length; j++) d[0][j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
		}
	}
	return d[a.length][b.length];
}

/** Where a keyword occurs: the phrase itself, or for a single long word, a word one typo away ("webiste", "ecomerce"). */
export function keywordMatches(text: string, keyword: string): number[] {
	const at: number[] = [];
	for (const m of text.matchAll(phraseRegex(keyword))) at.push(m.index);
	const k = keyword.toLowerCase();
	if (!at.length && k.length >= 6 && !/\s/.test(k)) {
		for (const m of text.matchAll(/\p{L}+/gu)) {
			const w = m[0].toLowerCase();
			if (w.length >= 5 && w[0] === k[0] && distance(w, k, 1) <= 1) at.push(m.index);
		}
	}
	return at;
}

// A word right after it that makes the keyword a job, a team or an idiom, not what the contact wants.
const NOT_THE_THING = /^[\s-]+(?:new|manager|director|head|team|department|lead|officer|agency|agencies|coordinator|specialist|leiter|leiterin|abteilung|gerente|jefe|jefa|responsable|departamento)\b/iu;
// A need said just before it: "we need a website", "looking for an app", "necesito una web", "wir brauchen eine App".
const NEED_BEFORE =
	/(?:need|needs|want|wants|looking for|look for|build|hire|interested in|redo|redesign|help with|quote for|price for|cost of|charge for|for an?|necesito|necesitamos|quiero|queremos|busco|buscamos|brauchen|brauche|suchen|suche|möchten|möchte|benötigen|planen)\s+(?:\p{L}+\s+){0,3}$/iu;
const PAST_BEFORE = /(?:used to|previously|formerly|last year|before|moved from|antes|früher|vorher)\s+(?:\p{L}+\s+){0,4}$/iu;

/**
 * The value of the entry the contact means: each keyword found and not negated is weighed by what surrounds it (a need
 * before it counts double, a job title or a past mention counts little); the heaviest wins, the earliest on a tie.
 */
export function readKeywordValue(text: string, entries: readonly KeywordEntry[], language: Language = 'en', budget?: { spent(): boolean }): string | null {
	let best: { weight: number; at: number; value: string } | null = null;
	for (const entry of entries) {
		// The message's extraction budget is read between entries: a long list cannot hold the event loop.
		if (budget?.spent()) break;
		for (const keyword of entry.match) {
			for (const at of keywordMatches(text, keyword)) {
				if (isNegated(text, at, language)) continue;
				const end = at + keyword.length;
				const after = text.slice(end).replace(/^(?:s|es)(?![\p{L}])/u, '');
				const before = text.slice(Math.max(0, at - 50), at);
				let weight = 1;
				if (NOT_THE_THING.test(after)) weight = 0.2;
				else if (NEED_BEFORE.test(before)) weight = 2;
				if (PAST_BEFORE.test(before)) weight = Math.min(weight, 0.3);
				if (!best || weight > best.weight || (weight === best.weight && at < best.at)) best = { weight, at, value: entry.value };
			}
		}
	}
	return best?.value ?? null;
}
