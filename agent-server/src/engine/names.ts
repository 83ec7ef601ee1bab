// Names as people introduce themselves: titles skipped ("Dr. Ana María López"), accents, particles ("van der Berg",
// "de la Torre"), hyphens and apostrophes, in English, Spanish and German; a bare answer when the name was asked.
import type { ExtractedName } from './extract';
import { languagePack, type Language } from './language';

const TITLES = new Set(
	'mr mrs ms miss mx dr doctor prof professor sir madam mister sr sra srta señor señora señorita don doña dra herr frau fräulein dipl ing mag'.split(' '),
);
const PARTICLES = new Set('van von der den de del la las los le du da di dos das zu ten ter bin al el y'.split(' '));
const NOT_NAMES = new Set(
	(
		'a an the and or but so just not very really also here there from with in on at for to of my our your we us looking interested ready trying ' +
		'planning thinking wondering hoping calling writing reaching good fine ok okay great happy glad sure new back still sorry only about after ' +
		'currently actually well hi hello hey thanks thank yes no maybe one it is was want need would like will can could should the marketing ' +
		'owner ceo cto cfo founder manager director head team agency company business interested hoping busy free available lol haha please ' +
		'website web site app seo budget call asap urgent moving also already from with emailing sending hoping aiming nur ' +
		'i i\'d i\'m id im i’m i’d rather not prefer say hier ist bin gerade auf der suche interesada interesado buscando aquí un el la los las de del ' +
		'ich wir mit für nicht kein keine eine ein einen die das wie was ja nein sehr gern gerne bitte danke hola gracias sí si ' +
		'morning afternoon evening tomorrow today monday tuesday wednesday thursday friday saturday sunday january february march april may june july ' +
		'august september october november december märz mai juni juli januar februar oktober dezember marzo abril mayo junio julio agosto ' +
		'octubre noviembre diciembre enero febrero septiembre'
	).split(' '),
);

const WORD = /^[\p{Lu}\p{Ll}][\p{L}'’-]*$/u;

function capitalise(w: string): string {
	return w
		.split(/([-'’])/)
		.map((part) => (/^[\p{L}]/u.test(part) ? part.charAt(0).toUpperCase() + part.slice(1).toLowerCase() : part))
		.join('');
}

interface Token {
	word: string;
	index: number;
}

function tokens(text: string): Token[] {
	return [...text.matchAll(/[\p{L}][\p{L}'’-]*\.?|[,.!?;:()]/gu)].map((m) => ({ word: m[0], index: m.index }));
}

const bare = (w: string) => w.replace(/\.$/, '');

/**
 * Reads a name from the tokens starting at `i`: titles skipped, then one or more name words, with particles only
 * between name words. `requireCapital`: in running text a name is written with a capital.
 */
function readNameAt(list: Token[], i: number, requireCapital: boolean): ExtractedName | null {
	while (i < list.length && TITLES.has(bare(list[i].word).toLowerCase())) i++;
	const words: string[] = [];
	let pendingParticles: string[] = [];
	for (let j = i; j < list.length && words.length + pendingParticles.length < 6; j++) {
		const raw = list[j].word;
		const w = bare(raw);
		if (!WORD.test(w)) break;
		const lower = w.toLowerCase();
		if (words.length && PARTICLES.has(lower) && !/^\p{Lu}/u.test(w) === true) {
			pendingParticles.push(lower);
			continue;
		}
		if (NOT_NAMES.has(lower) || lower.endsWith('ing') && !/^\p{Lu}/u.test(w)) break;
		// Once the name started with a capital, every further name word has one ("Carlos de la Torre y busco").
		if ((requireCapital || (words.length && /^\p{Lu}/u.test(words[0]) && /^\p{Lu}/u.test(list[i].word.replace(/^\P{L}+/u, '')))) && !/^\p{Lu}/u.test(w)) break;
		if (!requireCapital && words.length && !/^\p{Lu}/u.test(w) && pendingParticles.length === 0 && words.length >= 2) break;
		words.push(...pendingParticles, capitalise(w));
		pendingParticles = [];
		if (raw.endsWith('.') && !TITLES.has(lower)) break;
	}
	const names = words.filter((w) => !PARTICLES.has(w));
	if (!names.length) return null;
	const [first, ...rest] = words;
	if (PARTICLES.has(first)) return null;
	const last = rest.length ? rest.join(' ') : null;
	return { first, last, full: last ? `${first} ${last}` : first };
}

function introRegex(language: Language): RegExp {
	// Every language's introductions: an English agent's contacts write "ich bin" or "me llamo" too.
	const intros = [...new Set([...languagePack(language).nameIntros, ...(['en', 'es', 'de'] as const).flatMap((l) => languagePack(l).nameIntros)])]
		.sort((a, b) => b.length - a.length)
		.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
	return new RegExp(`(?<![\\p{L}])(?:${intros.join('|')})(?![\\p{L}])[\\s,:]*`, 'giu');
}

/** "I'm Dana", "this is Dr. Ana María López", "me llamo Carlos de la Torre", "ich bin Jonas Weber", "Emily here". */
export function readName(text: string, options: { loose?: boolean; language?: Language } = {}): ExtractedName | null {
	const language = options.language ?? 'en';
	for (const m of text.matchAll(introRegex(language))) {
		const after = m.index + m[0].length;
		const list = tokens(text.slice(after));
		const intro = m[0].trim().toLowerCase();
		// "my name is dana" may be lower case; "I'm looking" and "this is urgent" are not names.
		const strictIntro = !/name|llamo|nombre|heiße|heisse|call me|go by/.test(intro);
		const name = readNameAt(list, 0, strictIntro);
		if (name) return name;
		// "hi im jake, need a site": one lower-case word standing alone after the introduction.
		if (strictIntro && list.length && WORD.test(list[0].word) && (list.length === 1 || /^[,.!?;]$/.test(list[1].word))) {
			const single = readNameAt(list.slice(0, 1), 0, false);
			if (single) return single;
		}
	}
	// "Emily here", "Dr Chen here", "Frau Dr. Müller-Lüdenscheidt": a capitalised name before "here", or after a title.
	const list = tokens(text);
	for (let i = 0; i < list.length; i++) {
		const lower = bare(list[i].word).toLowerCase();
		if (languagePack(language).nameOutros.includes(lower) || lower === 'here') {
			let j = i - 1;
			while (j > 0 && /^\p{Lu}/u.test(list[j - 1].word) && !NOT_NAMES.has(bare(list[j - 1].word).toLowerCase())) j--;
			if (j >= 0 && j < i) {
				const name = readNameAt(list, j, true);
				if (name && !/^(hi|hello|hey|hola|hallo)$/i.test(name.first)) return name;
			}
		}
		if (TITLES.has(lower) && i + 1 < list.length && /^\p{Lu}/u.test(list[i + 1].word) && /\.$|^(?:dr|prof|mr|mrs|ms|frau|herr)$/i.test(list[i].word)) {
			const name = readNameAt(list, i, true);
			if (name) return name;
		}
	}
	if (options.loose) {
		// Answering "May I have your name?" with just "Dana Smith", "sure, Ahmed", "Ludwig van Beethoven lol".
		const cleaned = text.trim().replace(/^(?:sure|ok|okay|yes|yeah|of course|claro|sí|si|ja|klar|gerne)[,!.\s]+/i, '').replace(/\s+(?:lol|haha|thanks|thank you|gracias|danke)\W*$/i, '').replace(/[.!]+$/, '');
		const words = tokens(cleaned);
		const plain = words.every((t) => WORD.test(bare(t.word)) && (!NOT_NAMES.has(bare(t.word).toLowerCase()) || TITLES.has(bare(t.word).toLowerCase())));
		if (words.length >= 1 && words.length <= 5 && plain) return readNameAt(words, 0, false);
	}
	return null;
}
