// The words each supported language brings to the offline parsers: negations, name introductions, number words.
export type Language = 'en' | 'es' | 'de';

export interface LanguagePack {
	/** Words that negate what follows in the same clause ("not an app", "no human please", "keine App"). */
	negators: string[];
	/** Words that end a negation's clause ("not an app, just a website", "no human, but"). */
	clauseBreaks: string[];
	/** Phrases after which a person's name follows ("I'm", "me llamo", "ich bin"). */
	nameIntros: string[];
	/** Phrases after a name that say it is the writer's ("Emily here", "aquí Pilar"). */
	nameOutros: string[];
	/** Words for numbers, e.g. "twenty" → 20; scales multiply ("thousand" → 1000). */
	units: Record<string, number>;
	scales: Record<string, number>;
}

const EN: LanguagePack = {
	negators: ['not', 'no', "don't", 'dont', 'do not', "doesn't", "isn't", "aren't", 'never', "won't", 'without', 'nor', 'rather than', 'instead of', "didn't", 'no need for', "not interested in"],
	clauseBreaks: [',', '.', ';', '!', '?', '—', ' - ', 'but', 'just', 'only', 'rather', 'instead', 'however', 'and i', 'we need', 'i need', 'we want', 'i want'],
	nameIntros: ["i'm", 'i’m', 'im', 'i am', 'this is', "it's", 'it’s', 'its', 'my name is', "my name's", 'name is', "name's", 'call me', 'i go by', 'name:'],
	nameOutros: ['here'],
	units: {
		zero: 0, a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
		thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40,
		fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, half: 0.5, couple: 2,
	},
	scales: { hundred: 100, thousand: 1_000, grand: 1_000, k: 1_000, million: 1_000_000, mil: 1_000_000, m: 1_000_000, mio: 1_000_000 },
};

const ES: LanguagePack = {
	negators: ['no', 'nunca', 'sin', 'ni', 'en vez de', 'en lugar de', 'nada de'],
	clauseBreaks: [',', '.', ';', '!', '?', '¿', '¡', '—', 'sino', 'solo', 'sólo', 'pero', 'solamente'],
	nameIntros: ['soy', 'me llamo', 'mi nombre es', 'aquí', 'habla', 'soy la', 'soy el'],
	nameOutros: ['aquí'],
	units: {
		cero: 0, un: 1, uno: 1, una: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, once: 11, doce: 12,
		quince: 15, veinte: 20, veinticinco: 25, treinta: 30, cuarenta: 40, cincuenta: 50, sesenta: 60, setenta: 70, ochenta: 80, noventa: 90,
		cien: 100, ciento: 100, doscientos: 200, trescientos: 300, quinientos: 500, medio: 0.5,
	},
	scales: { mil: 1_000, k: 1_000, millón: 1_000_000, millon: 1_000_000, millones: 1_000_000, m: 1_000_000 },
};

const DE: LanguagePack = {
	negators: ['nicht', 'kein', 'keine', 'keinen', 'keinem', 'keiner', 'nie', 'niemals', 'ohne', 'statt', 'anstatt'],
	clauseBreaks: [',', '.', ';', '!', '?', '—', 'sondern', 'nur', 'aber', 'bloß', 'einfach'],
	nameIntros: ['ich bin', 'ich heiße', 'ich heisse', 'mein name ist', 'hier ist', 'hier spricht', 'hier schreibt'],
	nameOutros: ['hier'],
	units: {
		null: 0, ein: 1, eins: 1, eine: 1, zwei: 2, drei: 3, vier: 4, fünf: 5, fuenf: 5, sechs: 6, sieben: 7, acht: 8, neun: 9, zehn: 10, elf: 11,
		zwölf: 12, fünfzehn: 15, zwanzig: 20, fünfundzwanzig: 25, dreißig: 30, dreissig: 30, vierzig: 40, fünfzig: 50, sechzig: 60, siebzig: 70,
		achtzig: 80, neunzig: 90, hundert: 100, halbe: 0.5, halb: 0.5,
	},
	scales: { tausend: 1_000, tsd: 1_000, k: 1_000, million: 1_000_000, millionen: 1_000_000, mio: 1_000_000, m: 1_000_000 },
};

export const LANGUAGES: Record<Language, LanguagePack> = { en: EN, es: ES, de: DE };

/** The pack for a language; unknown or absent languages read as English. */
export function languagePack(language: string | undefined): LanguagePack {
	return LANGUAGES[(language as Language) ?? 'en'] ?? EN;
}

/**
 * The language a message is written in, when the words say so clearly; else the agent's. Contacts of an English agent
 * write Spanish or German too, and their numbers and dates follow their own language.
 */
export function messageLanguage(text: string, fallback: Language): Language {
	const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
	const hits = { en: 0, es: 0, de: 0 } as Record<Language, number>;
	for (const w of words) {
		if (ES_MARKERS.has(w)) hits.es++;
		if (DE_MARKERS.has(w)) hits.de++;
		if (EN_MARKERS.has(w)) hits.en++;
	}
	const best = (Object.keys(hits) as Language[]).sort((a, b) => hits[b] - hits[a])[0];
	return hits[best] >= 1 && hits[best] > hits[fallback] ? best : fallback;
}

const ES_MARKERS = new Set('el la los las una unos que para con por del mi tengo tenemos necesito necesitamos quiero queremos es soy hola cuánto cuanto cuesta precio presupuesto euros mes semana año gracias vuestro vuestra nuestra nuestro'.split(' '));
const DE_MARKERS = new Set('der die das und ich wir ist mit für ein eine einen nicht kein keine bitte brauchen möchte möchten hallo was kostet wie viel budget monat woche jahr danke unsere unser sie ihnen'.split(' '));
const EN_MARKERS = new Set('the and is we i for with need want a an my our you your what how much please hi hello thanks budget month week year'.split(' '));
