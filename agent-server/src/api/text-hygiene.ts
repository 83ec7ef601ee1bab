// Text hygiene for every route: control characters, invalid UTF-8 and lone surrogates are refused with a 400 naming the
// field, before any route or database sees them, so SQLite and PostgreSQL answer alike.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../util/http-error';

// C0 controls except tab, line feed and carriage return; DEL; C1 controls.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string may not be stored, or null when it is clean. */
export function textProblem(s: string): string | null {
	if (CONTROL.test(s)) return 'must not contain control characters (tab and newlines are fine)';
	if (LONE_SURROGATE.test(s)) return 'must not contain lone surrogates (invalid Unicode)';
	return null;
}

/** The first unclean string (or object key) in a parsed value, as "where: problem". */
export function findUncleanText(value: unknown, where: string, depth = 0): string | null {
	if (typeof value === 'string') {
		const problem = textProblem(value);
		return problem ? `${where}: ${problem}` : null;
	}
	if (depth > 64 || value === null || typeof value !== 'object') return null;
	if (Array.isArray(value)) {
		for (let i = 0; i < value.length; i++) {
			const found = findUncleanText(value[i], `${where}/${i}`, depth + 1);
			if (found) return found;
		}
		return null;
	}
	for (const [key, v] of Object.entries(value)) {
		const keyProblem = textProblem(key);
		if (keyProblem) return `${where}: a key ${keyProblem}`;
		const found = findUncleanText(v, `${where}/${key}`, depth + 1);
		if (found) return found;
	}
	return null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
	try {
		strictUtf8.decode(bytes);
		return true;
	} catch {
		return false;
	}
}

/** Percent-decodes to bytes without interpreting them; null when an escape is malformed. */
function percentBytes(s: string): Uint8Array | null {
	const out: number[] = [];
	const raw = Buffer.from(s, 'utf8');
	for (let i = 0; i < raw.length; i++) {
		if (raw[i] !== 0x25) {
			out.push(raw[i]);
			continue;
		}
		const hex = raw.subarray(i + 1, i + 3).toString('latin1');
		if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
		out.push(parseInt(hex, 16));
		i += 2;
	}
	return Uint8Array.from(out);
}

/** The first query parameter that is not valid percent-encoded UTF-8 (the router refuses such a path itself). */
export function findInvalidQueryText(url: string): string | null {
	const q = url.indexOf('?');
	if (q === -1) return null;
	for (const pair of url.slice(q + 1).split('&')) {
		const [name, ...rest] = pair.split('=');
		for (const part of [name, rest.join('=')]) {
			const b = percentBytes(part.replace(/\+/g, ' '));
			if (!b || !isValidUtf8(b)) {
				const readable = percentBytes(name);
				const label = readable && isValidUtf8(readable) && !textProblem(Buffer.from(readable).toString('utf8')) ? `/${Buffer.from(readable).toString('utf8')}` : '';
				return `querystring${label}: is not valid percent-encoded UTF-8`;
			}
		}
	}
	return null;
}

function refuse(reply: FastifyReply, message: string) {
	return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message });
}

/**
 * Installs the checks on the whole app: JSON bodies are decoded strictly (invalid UTF-8 is a 400, not a silent
 * U+FFFD), and the parameters, query and body are checked before any route hook or validation.
 */
export function installTextHygiene(app: FastifyInstance): void {
	// An empty JSON body (e.g. a DELETE sent with a JSON content type) is no body rather than a 400.
	const defaultJson = app.getDefaultJsonParser('error', 'error');
	app.removeContentTypeParser('application/json');
	app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
		const bytes = body as Buffer;
		let text: string;
		try {
			text = strictUtf8.decode(bytes);
		} catch {
			return done(new HttpError(400, 'body: is not valid UTF-8'), undefined);
		}
		if (text.trim() === '') return done(null, undefined);
		defaultJson(request, text, done);
	});

	// onRequest, not preValidation: some routes read their query in their own onRequest hooks (the widget key).
	app.addHook('onRequest', async (request, reply) => {
		const problem =
			findInvalidQueryText(request.raw.url ?? '') ?? findUncleanText(request.params, 'params') ?? findUncleanText(request.query, 'querystring');
		if (problem) return refuse(reply, problem);
	});

	app.addHook('preValidation', async (request, reply) => {
		const problem = findUncleanText(request.body, 'body');
		if (problem) return refuse(reply, problem);
	});
}
