// Numbers as people write them: "8.000" and "3,5k" in European formats, "25k", "1.2M", "twenty-five thousand",
// "fünftausend", "cinco mil", and ranges ("10000-15000", "between 5 and 10 thousand"), with where they stand.
import { languagePack, type Language } from './language';

export interface NumberSpan {
	value: number;
	/** The upper end of a range ("20-30k" → 20,000..30,000). */
	to?: number;
	index: number;
	end: number;
	/** Written with a scale ("k", "thousand", "Mio.") or in words. */
	scaled: boolean;
	/** The digits as written, to tell a year or a time from an amount. */
	raw: string;
}

/** "8.000" → 8000, "3,5" → 3.5, "10,000" → 10000, "1.2" → 1.2, "1.234.567" → 1234567. */
export function parseDigits(raw: string): number {
	if (/^\d{1,3}(?:\.\d{3})+$/.test(raw)) return Number(raw.replace(/\./g, ''));
	if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(raw)) return Number(raw.replace(/,/g, ''));
	if (/^\d{1,3}(?:\.\d{3})+,\d+$/.test(raw)) return Number(raw.replace(/\./g, '').replace(',', '.'));
	if (/^\d+,\d{1,2}$/.test(raw)) return Number(raw.replace(',', '.'));
	return Number(raw.replace(/,/g, ''));
}

const DIGIT_SCALE: Record<string, number> = {
	k: 1e3, K: 1e3, thousand: 1e3, grand: 1e3, tausend: 1e3, tsd: 1e3, mil: 1e3,
	m: 1e6, M: 1e6, mm: 1e6, million: 1e6, millions: 1e6, mio: 1e6, millionen: 1e6, millón: 1e6, millon: 1e6, millones: 1e6, mn: 1e6,
};

// A number in digits, with an optional scale right after it ("25k", "1,2 Mio.", "12 Tsd.", "5 thousand").
const DIGITS = String.raw`(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)`;
const SCALE = String.raw`(?:\s?(k|m|mm|mn|mio|tsd|thousand|grand|million|millions|millionen|tausend|mil|mill[oó]n|millones)\.?(?![\p{L}]))?`;
const DIGIT_NUMBER = new RegExp(`(?<![\\p{L}\\p{N}.,])${DIGITS}${SCALE}`, 'giu');

function digitScale(word: string | undefined, language: Language): number {
	if (!word) return 1;
	const w = word.toLowerCase();
	// "mil" is a thousand in Spanish, a million in English slang ("2 mil").
	if (w === 'mil') return language === 'es' ? 1e3 : 1e6;
	return DIGIT_SCALE[w] ?? DIGIT_SCALE[word] ?? 1;
}

/** A German compound number word split into known parts: "zwanzigtausend" → zwanzig, tausend. */
function splitCompound(word: string, known: Set<string>): string[] | null {
	if (known.has(word)) return [word];
	for (let i = word.length - 1; i >= 2; i--) {
		const head = word.slice(0, i);
		if (!known.has(head)) continue;
		const rest = word.slice(i).replace(/^und/, '');
		const tail = rest === '' ? [] : splitCompound(rest, known);
		if (tail) return [head, ...tail];
	}
	return null;
}

interface WordToken {
	word: string;
	index: number;
	end: number;
}

/** Numbers written in words: "twenty-five thousand", "fifteen grand", "half a million", "cinco mil", "fünftausend". */
function wordNumbers(text: string, language: Language): NumberSpan[] {
	const pack = languagePack(language);
	const units = { ...languagePack('en').units, ...pack.units };
	const scales = { ...languagePack('en').scales, ...pack.scales };
	delete (scales as Record<string, number>).k;
	delete (scales as Record<string, number>).m;
	const known = new Set([...Object.keys(units), ...Object.keys(scales)]);
	const tokens: WordToken[] = [];
	for (const m of text.matchAll(/\p{L}+/gu)) tokens.push({ word: m[0].toLowerCase(), index: m.index, end: m.index + m[0].length });
	const out: NumberSpan[] = [];
	let i = 0;
	while (i < tokens.length) {
		const parts: { word: string; token: WordToken }[] = [];
		let j = i;
		while (j < tokens.length) {
			const t = tokens[j];
			// Words joined by a hyphen or a space only; "and"/"y"/"und" may link parts of one number.
			if (parts.length && !/^[\s-]*$/.test(text.slice(tokens[j - 1].end, t.index))) break;
			const split = t.word.length > 3 ? splitCompound(t.word, known) : known.has(t.word) ? [t.word] : null;
			if (split) {
				for (const w of split) parts.push({ word: w, token: t });
				j++;
			} else if (parts.length && ['and', 'y', 'und'].includes(t.word) && j + 1 < tokens.length && known.has(tokens[j + 1].word)) j++;
			else break;
		}
		const hasScale = parts.some((p) => scales[p.word] !== undefined);
		const hasUnit = parts.some((p) => units[p.word] !== undefined && !['a', 'an', 'un', 'una', 'ein', 'eine'].includes(p.word));
		const vague = i > 0 && ['few', 'several', 'couple', 'some', 'pocos', 'paar', 'einige'].includes(tokens[i - 1].word);
		if (parts.length && (hasScale || hasUnit) && !vague && !(parts.length === 1 && ['a', 'an', 'un', 'una', 'ein', 'eine', 'one', 'uno', 'eins', 'half', 'medio'].includes(parts[0].word))) {
			let total = 0;
			let current = 0;
			for (const { word } of parts) {
				const scale = scales[word];
				if (scale === 100) current = (current || 1) * 100;
				else if (scale !== undefined) {
					total += (current || 1) * scale;
					current = 0;
				} else if (['a', 'an'].includes(word) && current !== 0) continue; // "half a million"
				else current += units[word] ?? 0;
			}
			total += current;
			const first = parts[0].token;
			const last = parts[parts.length - 1].token;
			if (total > 0) out.push({ value: total, index: first.index, end: last.end, scaled: true, raw: text.slice(first.index, last.end) });
			i = j;
		} else i = Math.max(i + 1, j);
	}
	return out;
}

/** Every number in the text, in digits or words, ranges joined, in order. */
export function numbersIn(text: string, language: Language = 'en'): NumberSpan[] {
	const spans: NumberSpan[] = [];
	for (const m of text.matchAll(DIGIT_NUMBER)) {
		const value = parseDigits(m[1]) * digitScale(m[2], language);
		if (Number.isFinite(value)) spans.push({ value, index: m.index, end: m.index + m[0].length, scaled: m[2] !== undefined, raw: m[1] });
	}
	for (const w of wordNumbers(text, language)) if (!spans.some((s) => w.index < s.end && s.index < w.end)) spans.push(w);
	spans.sort((a, b) => a.index - b.index);
	return joinRanges(text, spans);
}

const RANGE_LINK = /^\s*(?:-|–|—|to|and|or|y|a|und|bis|oder|o)\s*$/i;
const RANGE_START = /(?:between|from|entre|de|zwischen|von)\s*[$€£]?\s*$/i;

/** "10000-15000", "20-30k", "between 5 and 10 thousand": the lower end takes the upper end's scale when it has none. */
function joinRanges(text: string, spans: NumberSpan[]): NumberSpan[] {
	const out: NumberSpan[] = [];
	for (let i = 0; i < spans.length; i++) {
		const a = spans[i];
		const b = spans[i + 1];
		if (b) {
			const link = text.slice(a.end, b.index).replace(/[$€£]|\b(?:usd|eur|euros?|dollars?)\b/gi, '');
			const isHyphen = /^\s*[-–—]\s*$/.test(link);
			const worded = RANGE_LINK.test(link) && (isHyphen || /^\s*(?:to|bis|a)\s*$/i.test(link) || RANGE_START.test(text.slice(Math.max(0, a.index - 12), a.index)));
			if (worded) {
				let low = a.value;
				if (!a.scaled && b.scaled && b.value / Math.max(1, a.value) >= 100) low = a.value * (b.value / parseDigits(b.raw.match(/[\d.,]+/)?.[0] ?? String(b.value)) || 1);
				if (low < b.value) {
					out.push({ value: low, to: b.value, index: a.index, end: b.end, scaled: a.scaled || b.scaled, raw: text.slice(a.index, b.end) });
					i++;
					continue;
				}
			}
		}
		out.push(a);
	}
	return out;
}
