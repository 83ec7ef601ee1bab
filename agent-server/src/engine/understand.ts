// One field's value from a message by the field's kind, with the agent's language and region: the offline engine's
// reading (and what grounding checks a model's value against). Pure; never throws.
import type { FieldExtraction } from './agent-config';
import { readAmount } from './amounts';
import { readEmail, readPhone } from './contact-details';
import { matchPattern } from './extract';
import { readKeywordValue } from './keyword-values';
import { messageLanguage, type Language } from './language';
import { readName } from './names';
import { readTimeline } from './timelines';

export interface ReadOptions {
	/** The agent has just asked for this field: a bare answer ("10000", "Dana", "next spring") is its value. */
	loose?: boolean;
	now?: Date;
	language?: Language;
	region?: string;
	/** The message's extraction budget (engine/extract.ts), read inside long keyword lists too. */
	budget?: { spent(): boolean };
}

export function readField(text: string, extract: FieldExtraction, options: ReadOptions = {}): string | null {
	// The contact's own language decides how numbers and dates read ("8.000" is eight thousand in German).
	const language = messageLanguage(text, options.language ?? 'en');
	try {
		switch (extract.kind) {
			case 'email':
				return readEmail(text);
			case 'phone':
				return readPhone(text, { region: options.region, language: options.language });
			case 'name':
				return readName(text, { loose: options.loose, language })?.full ?? null;
			case 'amount':
				return readAmount(text, { defaultCurrency: extract.currency ?? 'USD', loose: options.loose, language })?.text ?? null;
			case 'timeline':
				return readTimeline(text, { now: options.now, loose: options.loose, language })?.text ?? null;
			case 'keywords':
				return readKeywordValue(text, extract.keywords, language, options.budget);
			case 'pattern':
				return matchPattern(text, extract.pattern, extract.flags);
		}
	} catch {
		// The engine never throws: a reading that fails leaves the field for the next message.
		return null;
	}
}
