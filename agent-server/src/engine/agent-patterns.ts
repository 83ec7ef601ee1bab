// An agent's own patterns: what one may cost (checked when the agent is validated), compiled on RE2 and kept in a cache bounded in bytes.
import { RE2JS } from 're2js';
import { PATTERN_CACHE_BYTES, PATTERN_MAX_CHARS, PATTERN_PROGRAM_MAX, PATTERN_REPEAT_MAX, PATTERN_TEXT_MAX_CHARS } from '../limits';

/**
 * Estimated compiled size of a pattern from its source, before compiling it: counted repetitions multiply what they
 * repeat, so `(?:\pL{100}){10}` counts 1,000. Compiling a large expansion is itself what stalls, so this runs first.
 * Throws with the reason when a repetition bound or the estimate is over its limit.
 */
export function checkPatternCost(pattern: string): void {
	if (pattern.length > PATTERN_MAX_CHARS) throw new Error(`a pattern has at most ${PATTERN_MAX_CHARS} characters`);
	const groups: number[] = [0];
	let lastAtom = 0;
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i];
		if (c === '\\') {
			// \p{Greek}, \x{41}: the braces belong to the escape.
			if ((pattern[i + 1] === 'p' || pattern[i + 1] === 'P' || pattern[i + 1] === 'x') && pattern[i + 2] === '{') i = pattern.indexOf('}', i);
			else i++;
			if (i < 0) break;
			lastAtom = 1;
			groups[groups.length - 1] += 1;
		} else if (c === '[') {
			let j = i + 1;
			if (pattern[j] === '^') j++;
			if (pattern[j] === ']') j++;
			for (; j < pattern.length && pattern[j] !== ']'; j++) if (pattern[j] === '\\') j++;
			i = j;
			lastAtom = 1;
			groups[groups.length - 1] += 1;
		} else if (c === '(') {
			groups.push(0);
			if (pattern[i + 1] === '?') i = skipGroupFlags(pattern, i + 1);
		} else if (c === ')') {
			lastAtom = (groups.pop() ?? 0) + 1;
			if (groups.length === 0) groups.push(0);
			groups[groups.length - 1] += lastAtom;
		} else if (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
			const [, low, high] = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i))!;
			const bound = Math.max(Number(low), high ? Number(high) : 0);
			if (bound > PATTERN_REPEAT_MAX) throw new Error(`a counted repetition is at most {${PATTERN_REPEAT_MAX}} (this one is ${bound})`);
			// Each optional copy is the atom and a branch.
			const copies = Math.max(bound, 1);
			groups[groups.length - 1] += (lastAtom + 1) * copies - lastAtom;
			lastAtom = (lastAtom + 1) * copies;
			i = pattern.indexOf('}', i);
		} else if (c === '|' || c === '^' || c === '$') {
			groups[groups.length - 1] += 1;
		} else if (c === '*' || c === '+' || c === '?') {
			groups[groups.length - 1] += 1;
		} else {
			lastAtom = 1;
			groups[groups.length - 1] += 1;
		}
		if (groups.reduce((a, b) => a + b, 0) > PATTERN_PROGRAM_MAX) throw tooLarge();
	}
}

function skipGroupFlags(pattern: string, at: number): number {
	// (?:  (?i:  (?P<name>  (?<name>
	const named = /^\?P?<[^>]*>/.exec(pattern.slice(at));
	if (named) return at + named[0].length - 1;
	const flags = /^\?[a-zA-Z-]*:?/.exec(pattern.slice(at));
	return flags ? at + flags[0].length - 1 : at;
}

const tooLarge = () => new Error(`a pattern compiles to at most ${PATTERN_PROGRAM_MAX} instructions (make counted repetitions such as {0,1000} smaller)`);

function flagBits(flags: string): number {
	let bits = 0;
	if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
	if (flags.includes('m')) bits |= RE2JS.MULTILINE;
	if (flags.includes('s')) bits |= RE2JS.DOTALL;
	return bits;
}

/**
 * Compiles an agent's pattern on RE2 (linear time whatever the pattern and the text) within its cost bounds. Throws
 * with the reason: over a bound, or syntax RE2 does not have (lookaround, backreferences). Never cached: an agent
 * being validated may still be refused.
 */
export function compilePatternUncached(pattern: string, flags = 'i'): RE2JS {
	checkPatternCost(pattern);
	let compiled: RE2JS;
	try {
		compiled = RE2JS.compile(pattern, flagBits(flags));
	} catch (e) {
		const detail = (e as Error).message.replace(/^error parsing regexp:\s*/, '');
		throw new Error(`${detail} (patterns run in linear time: lookahead, lookbehind and backreferences are not available)`);
	}
	if (compiled.programSize() > PATTERN_PROGRAM_MAX) throw tooLarge();
	return compiled;
}

/** Rough heap bytes of a compiled pattern: its program's instructions and its source. */
const BYTES_PER_INSTRUCTION = 512;
const entryBytes = (pattern: string, compiled: RE2JS) => compiled.programSize() * BYTES_PER_INSTRUCTION + pattern.length * 2 + 256;

/** Least recently used first; bounded in bytes, not entries, so large patterns cannot hold more memory. */
const cache = new Map<string, { compiled: RE2JS; bytes: number }>();
let cachedBytes = 0;

/** The compiled pattern of an accepted agent, from the cache or compiled into it. */
export function compiledPattern(pattern: string, flags = 'i'): RE2JS {
	const key = `${flags}/${pattern}`;
	const hit = cache.get(key);
	if (hit) {
		cache.delete(key);
		cache.set(key, hit);
		return hit.compiled;
	}
	const compiled = compilePatternUncached(pattern, flags);
	const bytes = entryBytes(pattern, compiled);
	cache.set(key, { compiled, bytes });
	cachedBytes += bytes;
	for (const [oldest, entry] of cache) {
		if (cachedBytes <= PATTERN_CACHE_BYTES) break;
		cache.delete(oldest);
		cachedBytes -= entry.bytes;
	}
	return compiled;
}

/** What the cache holds now (for tests and metrics). */
export function patternCacheUsage(): { entries: number; bytes: number } {
	return { entries: cache.size, bytes: cachedBytes };
}

/**
 * The first capture group that took part in the match (the whole match without groups), trimmed; over the first
 * PATTERN_TEXT_MAX_CHARS. A pattern that cannot run (only an agent that skipped validation has one) matches nothing.
 */
export function matchPattern(text: string, pattern: string, flags = 'i'): string | null {
	let compiled: RE2JS;
	try {
		compiled = compiledPattern(pattern, flags);
	} catch {
		return null;
	}
	const m = compiled.matcher(text.length > PATTERN_TEXT_MAX_CHARS ? text.slice(0, PATTERN_TEXT_MAX_CHARS) : text);
	if (!m.find()) return null;
	for (let g = 1; g <= m.groupCount(); g++) {
		const value = m.group(g);
		if (value !== null && value !== undefined) return value.trim() || null;
	}
	return (m.group(0) ?? '').trim() || null;
}
