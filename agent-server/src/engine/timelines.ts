// When the project should happen, in the contact's words: relative and absolute dates in English, Spanish and German,
// never a call time ("talk tomorrow at 3pm"), a past date ("last week") or a deadline for something else.
import * as chrono from 'chrono-node';
import { extractTimeline, type ExtractedTimeline } from './extract';
import type { Language } from './language';

interface Span extends ExtractedTimeline {
	index: number;
}

const N = String.raw`(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|un[ao]?|dos|tres|cuatro|cinco|seis|ocho|diez|doce|ein(?:e|em|en)?|zwei|drei|vier|fünf|sechs|acht|zehn|zwölf)`;
const WORD_COUNT: Record<string, number> = {
	a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12,
	un: 1, una: 1, uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, ocho: 8, diez: 10, doce: 12,
	ein: 1, eine: 1, einem: 1, einen: 1, zwei: 2, drei: 3, vier: 4, fünf: 5, sechs: 6, acht: 8, zehn: 10, zwölf: 12,
};
const UNIT: Record<string, number> = { día: 1, días: 1, dia: 1, dias: 1, semana: 7, semanas: 7, mes: 30, meses: 30, año: 365, años: 365, tag: 1, tagen: 1, woche: 7, wochen: 7, monat: 30, monaten: 30, jahr: 365, jahren: 365 };
const SEASON_DAYS = 120;
const MONTHS_ES = 'enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre';
const MONTHS_DE = 'januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember';
const MONTHS_EN = 'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec';

/** Phrases the English base reader does not know, with a rough distance in days. */
const PATTERNS: [RegExp, number | ((m: RegExpExecArray) => number)][] = [
	[/\b(?:lo antes posible|cuanto antes|ya mismo|inmediatamente|urgente(?:mente)?|so schnell wie möglich|schnellstmöglich|sofort|umgehend|baldmöglichst)/iu, 7],
	[/\b(?:la semana que viene|la próxima semana|la proxima semana|nächste woche|kommende woche|nächsten woche)/iu, 10],
	[/\b(?:el mes que viene|el próximo mes|el proximo mes|nächsten monat|kommenden monat|nächster monat)/iu, 45],
	[/\b(?:el año que viene|el próximo año|nächstes jahr|kommendes jahr)/iu, 365],
	[/\b(?:esta semana|diese woche|este mes|diesen monat|este año|dieses jahr)/iu, 20],
	[new RegExp(`\\b(?:en|dentro de|in|innerhalb von)\\s+${N}\\s+(días|dias|semanas?|mes(?:es)?|años?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?)(?![\\p{L}])`, 'iu'), (m) => (/^\d+$/.test(m[1]) ? Number(m[1]) : (WORD_COUNT[m[1].toLowerCase()] ?? 1)) * (UNIT[m[2].toLowerCase()] ?? 30)],
	[new RegExp(`\\b(?:(?:en|para|antes de|a partir de|desde|hasta|a finales de|a principios de|im|ab|bis|bis ende|ende|anfang|mitte|vor|seit)\\s+)(${MONTHS_ES}|${MONTHS_DE})(?![\\p{L}])`, 'iu'), 90],
	[/\b(?:(?:en|para|a partir de|después de|im|ab|bis|nach dem|vor dem)\s+(?:el\s+|la\s+)?)(primavera|verano|otoño|invierno|frühjahr|frühling|sommer|herbst|winter)(?![\p{L}])/iu, SEASON_DAYS],
	[/\b(?:(?:this|next|in the|by|after the|before the|over the|in|by the end of the)\s+)(spring|summer|autumn|fall|winter)\b/i, SEASON_DAYS],
	[/\bby the end of (?:the |this |next )?(week|month|quarter|year)\b/i, (m) => ({ week: 5, month: 20, quarter: 60, year: 180 })[m[1].toLowerCase()] ?? 60],
	[/\bend of next (week|month|quarter|year)\b/i, (m) => ({ week: 12, month: 55, quarter: 150, year: 540 })[m[1].toLowerCase()] ?? 90],
	[new RegExp(`\\b(?:early|mid|late|end of|start of|beginning of)[\\s-]+(${MONTHS_EN})\\b`, 'i'), 60],
	[/\b(?:before|by|ahead of)\s+(?:black friday|christmas|xmas|easter|the holidays|thanksgiving|new year)\b/i, 120],
	[/\b(?:whenever|flexible|no rush|no hurry)\b/i, 400],
];

// A time that belongs to something else: a call or a meeting, the quote itself, or what happened already.
const OTHER_TIME =
	/(?:call|talk|speak|chat|meet|meeting|available|free|reach|contact|phone|ring|quote|proposal|reply|answer|respond|emailed|since|yesterday|ago|llamada|llamar|hablar|reunión|reunion|cita|termin|gespräch|anrufen|telefonieren|zurückrufen|sprechen)\b[^.!?]{0,25}$/iu;
const PAST_TIME = /^(?:last|yesterday|ago)\b|\b(?:last (?:week|month|year|time)|ago)$/i;
const PROJECT_CUE = /(?:start|launch|live|kick off|kick-off|begin|ready|done|finished|deadline|empezar|comenzar|lanzar|listo|starten|start|fertig|beginnen|online)\b/iu;

function isAboutSomethingElse(text: string, span: Span): boolean {
	const before = text.slice(Math.max(0, span.index - 40), span.index);
	if (PAST_TIME.test(span.text)) return true;
	if (OTHER_TIME.test(before) && !PROJECT_CUE.test(before.slice(-25))) return true;
	return /^\s*(?:ago|since)\b/i.test(text.slice(span.index + span.text.length, span.index + span.text.length + 8));
}

function baseSpans(text: string, options: { now?: Date; loose?: boolean }): Span[] {
	// The English reader returns its first reading; blank it out and ask again for the others.
	const out: Span[] = [];
	let rest = text;
	for (let i = 0; i < 4; i++) {
		const found = extractTimeline(rest, options);
		if (!found) break;
		const index = rest.indexOf(found.text);
		if (index < 0) break;
		out.push({ ...found, index });
		rest = rest.slice(0, index) + ' '.repeat(found.text.length) + rest.slice(index + found.text.length);
	}
	return out;
}

function chronoSpans(text: string, now: Date, language: Language): Span[] {
	const parser = language === 'de' ? chrono.de : language === 'es' ? chrono.es : chrono.en;
	const out: Span[] = [];
	for (const r of parser.parse(text, now, { forwardDate: true })) {
		const t = r.text.trim();
		// Only readings that name a day, a weekday or a month: "now", "1.2" and bare times are not a project date.
		const dated = r.start.isCertain('day') || r.start.isCertain('month') || r.start.isCertain('weekday');
		if (!dated || /^(now|today|tonight|ahora|jetzt|heute)$/i.test(t) || /^[\d.,\s:]+$/.test(t)) continue;
		const days = Math.max(0, Math.round((r.start.date().getTime() - now.getTime()) / 86_400_000));
		out.push({ text: t.replace(/\s+at\s+.*$/i, ''), days, index: r.index });
	}
	return out;
}

/** The project's timeline: the earliest reading not about something else; the longest where two start together. */
export function readTimeline(text: string, options: { now?: Date; loose?: boolean; language?: Language } = {}): ExtractedTimeline | null {
	const now = options.now ?? new Date();
	const spans: Span[] = [...baseSpans(text, options)];
	for (const [re, days] of PATTERNS) {
		const m = re.exec(text);
		if (m && (options.loose || !/^(?:whenever|flexible)$/i.test(m[0]))) spans.push({ text: m[0].trim(), days: typeof days === 'number' ? days : days(m), index: m.index });
	}
	try {
		spans.push(...chronoSpans(text, now, options.language ?? 'en'));
	} catch {
		// A date the library cannot read is no reason to fail the turn.
	}
	const kept = spans.filter((s) => !isAboutSomethingElse(text, s)).sort((a, b) => a.index - b.index || b.text.length - a.text.length);
	// A reading inside a longer one ("March 31" in "by March 31") gives way to it.
	const best = kept.find((s) => !kept.some((o) => o !== s && o.index <= s.index && o.index + o.text.length >= s.index + s.text.length && o.text.length > s.text.length));
	return best ? { text: best.text, days: best.days } : null;
}
