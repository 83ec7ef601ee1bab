// Amounts with their context: the contact's budget, not last year's spend, a competitor's quote, revenue or followers.
import { formatAmount, type ExtractedAmount } from './extract';
import { type Language } from './language';
import { isNegated } from './negation';
import { numbersIn, type NumberSpan } from './numbers';

export interface AmountReading extends ExtractedAmount {
	/** The upper end when the contact gave a range. */
	to?: number;
}

const CURRENCY_BEFORE = /([$€£]|\b(?:usd|eur|gbp|us\$)\s?)$/i;
const CURRENCY_AFTER = /^\s?(?:[$€£]|(?:dollars?|usd|bucks|euros?|eur|€|pounds?|gbp|dólares|dolares|libras)(?![\p{L}]))/iu;
const CURRENCY_CODE: Record<string, 'USD' | 'EUR' | 'GBP'> = { $: 'USD', '€': 'EUR', '£': 'GBP', usd: 'USD', eur: 'EUR', gbp: 'GBP', 'us$': 'USD' };

function currencyWord(word: string): 'USD' | 'EUR' | 'GBP' | null {
	const w = word.trim().toLowerCase();
	if (CURRENCY_CODE[w]) return CURRENCY_CODE[w];
	if (/^(dollars?|bucks|dólares|dolares)$/.test(w)) return 'USD';
	if (/^(euros?|€)$/.test(w)) return 'EUR';
	if (/^(pounds?|libras)$/.test(w)) return 'GBP';
	return null;
}

// What a number counts when it is not money: followers, visitors, staff, products, pages, a size.
const COUNTED_NOUN = /^\s?(?:\+\s?)?(?:(?!per\b|a\b|an\b|each\b|pro\b|al\b|por\b|im\b|la\b)[\p{L}-]+\s)?(?:followers?|visitors?|users?|customers?|clients?|members?|employees?|staff|people|units?|products?|pages?|locations?|stores?|restaurants?|orders?|subscribers?|likes|views|downloads|bedrooms?|rooms?|sq|square|percent|%|seguidores|visitas|clientes|empleados|productos|follower|besucher|kunden|mitarbeiter|produkte|seiten|stück|jahre?|years?|months?|weeks?|days?|hours?|minutes?|mins?|am|pm|a\.m\.|p\.m\.|o'clock|uhr|años|meses|semanas|días|monate|wochen|tage)(?![\p{L}])/iu;
// Words before a number that make it about something else.
const OTHER_CONTEXT =
	/(?:revenue|turnover|sales|sell|sold|raised|valuation|worth|followers|visitors|traffic|umsatz|jahresumsatz|erlös|factur\p{L}*|ingresos|ventas|quoted|quote from|quote of|offered|offer of|angeboten|angebot|charges?|charged|cobra\p{L}*|pidió|pidio|paid|pay(?:ing)?|bezahlt|zahlen|pagamos|pagado|gastamos|ausgegeben|spent|burn|balance|order|invoice|bestell\p{L}*|phone|call|tel)\b[^.!?\n]{0,30}$/iu;
// Time words that put a statement in the past ("last year", "el año pasado", "letztes Jahr").
const PAST = /(?:last (?:year|time|month|quarter)|previous(?:ly)?|before|used to|in the past|el año pasado|la última vez|antes|letztes jahr|letztes mal|im letzten jahr|früher|vorher)/iu;
const PRESENT = /(?:this (?:time|year|round)|now|these days|this project|este año|esta vez|ahora|dieses jahr|diesmal|jetzt)/iu;
const BUDGET_CUE =
	/(?:budget|spend|afford|invest|set aside|allocated|can do|could do|have about|have around|have roughly|have|up to|max(?:imum)?|under|around|about|roughly|presupuesto|gastar|invertir|tenemos|disponemos|hasta|unos|unas|eingeplant|ausgeben|investieren|haben|bis zu|maximal|ca\.?|etwa|rund|circa)\b/iu;

interface Candidate extends NumberSpan {
	currency: 'USD' | 'EUR' | 'GBP' | null;
	budgetCue: boolean;
	past: boolean;
	present: boolean;
	other: boolean;
}

function clauseAround(text: string, index: number, end: number): { before: string; after: string } {
	const start = Math.max(text.lastIndexOf('.', index - 1) + 1, text.lastIndexOf('!', index - 1) + 1, text.lastIndexOf('?', index - 1) + 1, text.lastIndexOf(',', index - 1) + 1, 0);
	return { before: text.slice(start, index), after: text.slice(end, end + 40) };
}

/** Where phone numbers and email addresses stand: their digits are not amounts. */
function maskedRanges(text: string): [number, number][] {
	const out: [number, number][] = [];
	for (const m of text.matchAll(/\S+@\S+/g)) out.push([m.index, m.index + m[0].length]);
	for (const m of text.matchAll(/\+?\(?\d[\d\s().-]{5,}\d/g)) {
		const digits = m[0].replace(/\D/g, '').length;
		const groups = m[0].split(/[\s().-]+/).filter(Boolean).length;
		if (digits >= 7 && (/^[+(]/.test(m[0]) || groups >= 3 || (groups === 2 && /^\d{3,5}\s\d{5,}$/.test(m[0].trim())))) out.push([m.index, m.index + m[0].length]);
	}
	return out;
}

const BUDGET_AFTER = /^[^.!?\n]{0,12}\b(?:budget|presupuesto|to spend|para gastar)/iu;

function candidates(text: string, language: Language): Candidate[] {
	const out: Candidate[] = [];
	const masked = maskedRanges(text);
	for (const span of numbersIn(text, language)) {
		if (masked.some(([a, b]) => span.index < b && a < span.end)) continue;
		const before = text.slice(Math.max(0, span.index - 5), span.index);
		const after = text.slice(span.end, span.end + 24);
		const symbol = CURRENCY_BEFORE.exec(before);
		const word = CURRENCY_AFTER.exec(after);
		const currency = symbol ? currencyWord(symbol[1]) : word ? currencyWord(word[0].replace(/[\s]/g, '')) : null;
		// A year, a time of day, a phone number or a date is not an amount.
		if (!currency && !span.scaled && /^(19|20)\d\d$/.test(span.raw)) continue;
		if (/^\s?[:/]\d/.test(after) || /\d[:/]\s?$/.test(before) || /[-.]\d{2,}/.test(text.slice(span.end, span.end + 3)) && !span.to) continue;
		if (/[#№]\s?$|\b(?:nb|no|nr)[-\s.]*$/i.test(before)) continue;
		if (/[\p{L}]-?$/u.test(before) && !symbol) continue; // part of a code such as NB-20417
		if (!currency && COUNTED_NOUN.test(after)) continue;
		const clause = clauseAround(text, span.index, span.end);
		const context = text.slice(Math.max(0, span.index - 45), span.index);
		out.push({
			...span,
			currency,
			budgetCue: BUDGET_CUE.test(clause.before.slice(-40)) || BUDGET_AFTER.test(text.slice(span.end)),
			past: PAST.test(clause.before) || PAST.test(clause.after.slice(0, 20)),
			present: PRESENT.test(clause.before),
			other: OTHER_CONTEXT.test(context) && !/budget|presupuesto/i.test(clause.before.slice(-25)),
		});
	}
	return out;
}

/**
 * The amount the contact means as their budget: money (a currency, a scale, or a budget word nearby; a bare number
 * only when the budget was just asked), not negated, not about something else; a present statement beats a past one.
 */
export function readAmount(text: string, options: { defaultCurrency?: string; loose?: boolean; language?: Language } = {}): AmountReading | null {
	const language = options.language ?? 'en';
	const found = candidates(text, language).filter((c) => !c.other && !isNegated(text, c.index, language));
	const money = found.filter((c) => c.currency || (c.scaled && c.value >= 100) || (c.budgetCue && c.value >= 100) || (options.loose && c.value >= 50));
	if (!money.length) return null;
	const present = money.filter((c) => !c.past);
	const pool = present.length ? present : [];
	if (!pool.length) return null;
	const best = pool.find((c) => c.present) ?? pool.find((c) => c.budgetCue && (c.currency || c.scaled)) ?? pool.find((c) => c.currency || c.scaled) ?? pool[0];
	const currency = best.currency;
	const shown = currency ?? ((options.defaultCurrency as AmountReading['currency']) || null);
	const text1 = best.to !== undefined ? `${formatAmount(best.value, shown)}–${formatAmount(best.to, shown)}` : formatAmount(best.value, shown);
	return { value: best.value, ...(best.to !== undefined ? { to: best.to } : {}), currency, text: text1 };
}

/** Every amount written in the text (each end of a range too), for grounding a model's value. */
export function amountValuesIn(text: string, language: Language = 'en'): number[] {
	return numbersIn(text, language).flatMap((s) => (s.to !== undefined ? [s.value, s.to] : [s.value]));
}
