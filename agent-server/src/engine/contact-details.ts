// Email addresses with any Unicode local part ("k.müller@beispiel.de") and phone numbers by the agent's region
// (national "0171 2345678" in Germany, international "+44 7700 900123" anywhere).
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { extractPhone } from './extract';
import type { Language } from './language';

const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;

export function readEmail(text: string): string | null {
	const m = EMAIL.exec(text);
	return m ? m[0].replace(/^[._]+/, '').normalize('NFC').toLowerCase() : null;
}

const REGION_OF_LANGUAGE: Record<Language, CountryCode> = { en: 'US', es: 'ES', de: 'DE' };

/** The region a national number is read in: the agent's, else the one its language suggests. */
export function phoneRegion(region: string | undefined, language: Language | undefined): CountryCode {
	return (region as CountryCode | undefined) ?? REGION_OF_LANGUAGE[language ?? 'en'] ?? 'US';
}

/**
 * The first phone number: international (E.164, "+4915123456789") when it parses as a possible number of its
 * country or of the agent's region; otherwise the digits as written, as before.
 */
export function readPhone(text: string, options: { region?: string; language?: Language } = {}): string | null {
	const region = phoneRegion(options.region, options.language);
	try {
		for (const found of findPhoneNumbersInText(text, { defaultCountry: region })) {
			if (found.number.isPossible()) return found.number.number as string;
		}
	} catch {
		// A malformed number never fails the turn; the plain reading below still applies.
	}
	return extractPhone(text);
}
