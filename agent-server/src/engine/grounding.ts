// Grounding: a value the model proposes is kept only when the contact's own words support it, judged by the field's kind.
import type { AgentField } from './agent-config';
import { amountValuesIn, readAmount } from './amounts';
import { extractAmount, extractEmail, extractName, extractPhone, extractTimeline, findKeyword, matchKeywordList, matchPattern } from './extract';

export interface RejectedValue {
	field: string;
	value: string;
	reason: string;
}

export type Grounded = { ok: true; value: string } | { ok: false; reason: string };

const MAX_VALUE_LENGTH = 300;

/** Every amount written in the text ("$25k", "25,000", "30 thousand"), as numbers. */
export function amountsIn(text: string): number[] {
	const out: number[] = [];
	const re = /(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s?(k|m|mil|thousand|million|grand)?(?![\p{L}\p{N}])/giu;
	for (const m of text.matchAll(re)) {
		const parsed = extractAmount(m[0], { loose: true });
		if (parsed) out.push(parsed.value);
	}
	// Amounts in words and locale formats too ("twenty-five thousand dollars", "8.000 €"), each end of a range.
	for (const value of amountValuesIn(text)) if (!out.includes(value)) out.push(value);
	return out;
}

function sameish(a: number | null, b: number | null): boolean {
	if (a === null || b === null) return a === b;
	return Math.abs(a - b) <= Math.max(3, 0.2 * Math.max(a, b));
}

/**
 * Whether the contact's message supports the value the model extracted for this field:
 * amounts and emails (and phone numbers) must appear; dates and timelines must parse from the text; names must be
 * said as a name; enumerations must match one of their keywords or synonyms; patterns must match the text.
 * `pending`: the agent has just asked for this field, so a bare answer ("Dana", "5000") counts.
 */
export function groundValue(field: AgentField, raw: unknown, message: string, options: { pending?: boolean; now?: Date } = {}): Grounded | null {
	if (raw === null || raw === undefined || typeof raw === 'boolean') return null;
	const value = String(raw).trim().slice(0, MAX_VALUE_LENGTH);
	if (!value || /^(null|none|n\/a|unknown|not given|not provided)$/i.test(value)) return null;
	const e = field.extract;
	const lower = message.toLowerCase();
	switch (e.kind) {
		case 'email': {
			const email = extractEmail(value);
			if (!email) return { ok: false, reason: 'not an email address' };
			return lower.includes(email) ? { ok: true, value: email } : { ok: false, reason: 'the contact did not write this email address' };
		}
		case 'phone': {
			const phone = extractPhone(value);
			if (!phone) return { ok: false, reason: 'not a phone number' };
			const digits = message.replace(/\D/g, '');
			return digits.includes(phone.replace(/\D/g, '')) ? { ok: true, value: phone } : { ok: false, reason: 'the contact did not write this number' };
		}
		case 'amount': {
			const amount = extractAmount(value, { loose: true, defaultCurrency: e.currency ?? 'USD' }) ?? readAmount(value, { loose: true, defaultCurrency: e.currency ?? 'USD' });
			if (!amount) return { ok: false, reason: 'not an amount' };
			const said = amountsIn(message);
			return said.includes(amount.value) ? { ok: true, value: amount.text } : { ok: false, reason: 'the contact did not state this amount' };
		}
		case 'timeline': {
			const said = extractTimeline(message, { loose: true, now: options.now });
			if (!said) return { ok: false, reason: 'no date or time in the contact\'s words' };
			if (lower.includes(value.toLowerCase())) return { ok: true, value };
			const proposed = extractTimeline(value, { loose: true, now: options.now });
			if (proposed && sameish(proposed.days, said.days)) return { ok: true, value: said.text };
			return { ok: false, reason: `the contact said "${said.text}"` };
		}
		case 'name': {
			const said = extractName(message, { loose: options.pending });
			if (!said) return { ok: false, reason: 'not said as a name' };
			const first = value.split(/\s+/)[0].toLowerCase();
			return first === said.first.toLowerCase() ? { ok: true, value: said.full } : { ok: false, reason: `the name said was "${said.full}"` };
		}
		case 'keywords': {
			const values = new Set(e.keywords.map((k) => k.value));
			const canonical = values.has(value) ? value : matchKeywordList(value, e.keywords);
			if (!canonical) return { ok: false, reason: 'not one of the field\'s values' };
			const phrases = [canonical, ...e.keywords.filter((k) => k.value === canonical).flatMap((k) => k.match)];
			return findKeyword(message, phrases) >= 0 ? { ok: true, value: canonical } : { ok: false, reason: 'no keyword or synonym for it in the message' };
		}
		case 'pattern': {
			const said = matchPattern(message, e.pattern, e.flags);
			if (said === null) return { ok: false, reason: 'the message does not match the field\'s pattern' };
			return said.toLowerCase() === value.toLowerCase() || lower.includes(value.toLowerCase())
				? { ok: true, value: said }
				: { ok: false, reason: 'the contact did not write this value' };
		}
	}
}
