// A local Telegram Bot API for tests: `{baseUrl}/bot{token}/{method}` as Telegram serves it, answers in Telegram's
// `{ok, result}` / `{ok: false, error_code, description, parameters}` shapes, one webhook, Telegram's rate limits
// (429 with `retry_after`) when turned on, and the sent messages recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramCall {
	method: string;
	params: Record<string, any>;
}

export interface SentMessage {
	chatId: number;
	/** As sent (with markdown marks). */
	text: string;
	/** As the contact sees it (the marks applied). */
	shown: string;
	params: Record<string, any>;
	messageId: number;
	/** When the fake accepted it (ms since the epoch). */
	at: number;
}

export interface Webhook {
	url: string;
	secretToken?: string;
	allowedUpdates?: string[];
}

export interface FakeTelegram {
	/** The credential's Base URL. */
	url: string;
	token: string;
	/** Every Bot API call, oldest first. */
	calls: TelegramCall[];
	/** Every message the bot sent, oldest first. */
	sent: SentMessage[];
	webhook(): Webhook | null;
	/** A private chat writes to the bot: the update goes to the webhook as Telegram posts it; returns n8n's status. */
	userWrites(chat: { id: number; firstName: string }, text: string): Promise<number>;
	/** Posts a raw update to the webhook with the given headers (e.g. a forged one without the secret). */
	postUpdate(update: unknown, headers?: Record<string, string>): Promise<number>;
	/** The messages sent to one chat, oldest first. */
	sentTo(chatId: number): SentMessage[];
	/** Every send Telegram refused, oldest first, with its answer. */
	refused: Array<{ method: string; chatId: number; text?: string; code: number; description: string; retryAfter?: number; at: number }>;
	/** Turns Telegram's send limits on (or off with null): per chat, overall and per group, over sliding windows. */
	setLimits(limits: SendLimits | null): void;
	/** The next `count` sends are refused with 429 and this `retry_after`, as Telegram answers a flood. */
	floodNext(count: number, retryAfterSeconds: number): void;
	/** The user blocks the bot: sends to the chat get 403 `Forbidden: bot was blocked by the user`. */
	block(chatId: number): void;
	close(): Promise<void>;
}

/** Telegram's documented limits (core.telegram.org/bots/faq): about 1 message a second per chat, 30 a second overall, 20 a minute per group. */
export interface SendLimits {
	perChatPerSecond: number;
	overallPerSecond: number;
	perGroupPerMinute: number;
}
export const TELEGRAM_LIMITS: SendLimits = { perChatPerSecond: 1, overallPerSecond: 30, perGroupPerMinute: 20 };

const BOT = { id: 7000000001, is_bot: true, first_name: 'Agent Bridge Test Bot', username: 'agent_bridge_test_bot' };
// Telegram's own limits (core.telegram.org/bots/api): text 1-4096 characters, secret_token 1-256 of [A-Za-z0-9_-].
const MAX_TEXT = 4096;
const SECRET = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Telegram's legacy Markdown parse mode (what n8n's Telegram node sends by default): `*bold*`, `_italic_`, `` `code` ``,
 * ```` ```pre``` ````, `[text](url)`; entities do not nest; `\\` escapes `_ * ` [` outside entities. Returns the text
 * the contact sees, or the UTF-8 byte offset of the entity that does not end (Telegram's "can't parse entities").
 */
export function parseLegacyMarkdown(text: string): { visible: string } | { unclosedAt: number } {
	let visible = '';
	let i = 0;
	const byteOffset = (at: number) => Buffer.byteLength(text.slice(0, at), 'utf8');
	while (i < text.length) {
		const c = text[i];
		if (c === '\\' && '_*`['.includes(text[i + 1] ?? '')) {
			visible += text[i + 1];
			i += 2;
		} else if (text.startsWith('```', i)) {
			const end = text.indexOf('```', i + 3);
			if (end < 0) return { unclosedAt: byteOffset(i) };
			visible += text.slice(i + 3, end);
			i = end + 3;
		} else if (c === '*' || c === '_' || c === '`') {
			const end = text.indexOf(c, i + 1);
			if (end < 0) return { unclosedAt: byteOffset(i) };
			visible += text.slice(i + 1, end);
			i = end + 1;
		} else if (c === '[') {
			const close = text.indexOf(']', i + 1);
			if (close < 0) return { unclosedAt: byteOffset(i) };
			const url = text[close + 1] === '(' ? text.indexOf(')', close + 2) : -1;
			visible += text.slice(i + 1, close);
			i = url < 0 ? close + 1 : url + 1;
		} else {
			visible += c;
			i++;
		}
	}
	return { visible };
}

class BotApiError extends Error {
	constructor(
		readonly code: number,
		description: string,
		readonly retryAfter?: number,
	) {
		super(description);
	}
}

/** A 429 as Telegram sends it: the wait in the description and in `parameters.retry_after`. */
const flood = (retryAfter: number) => new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);

/** Telegram takes parameters as a query string, urlencoded or multipart form, or JSON. */
function parseParams(url: URL, contentType: string, raw: string): Record<string, any> {
	const params: Record<string, any> = Object.fromEntries(url.searchParams);
	if (!raw) return params;
	if (contentType.includes('application/json')) return { ...params, ...JSON.parse(raw) };
	if (contentType.includes('application/x-www-form-urlencoded')) return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
	throw new BotApiError(400, 'Bad Request: unsupported content type');
}

/** Arrays and objects may arrive JSON-serialized (form posts), as Telegram accepts them. */
function jsonParam(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value;
	}
}

export async function startFakeTelegram(options: { token?: string; isLocalWebhookAllowed?: boolean } = {}): Promise<FakeTelegram> {
	const token = options.token ?? '7000000001:AAH-fake-token_for_tests';
	const calls: TelegramCall[] = [];
	const sent: SentMessage[] = [];
	const chats = new Map<number, { id: number; first_name: string; type: 'private' }>();
	const refused: FakeTelegram['refused'] = [];
	const blocked = new Set<number>();
	let limits: SendLimits | null = null;
	let floods: { count: number; retryAfter: number } = { count: 0, retryAfter: 0 };
	// When each send was accepted, overall and per chat, for the sliding windows.
	const acceptedAt: Array<{ chatId: number; at: number }> = [];
	let webhook: Webhook | null = null;
	let updateId = 100_000;
	let messageId = 1;
	const now = () => Math.floor(Date.now() / 1000);

	/** Refuses a send past a limit with the seconds until the window has room again (at least 1, as Telegram rounds). */
	const checkLimits = (chatId: number) => {
		if (floods.count > 0) {
			floods.count--;
			throw flood(floods.retryAfter);
		}
		if (!limits) return;
		const now = Date.now();
		const within = (ms: number, mine: boolean) => acceptedAt.filter((a) => now - a.at < ms && (!mine || a.chatId === chatId));
		const waitFor = (window: Array<{ at: number }>, ms: number) => Math.max(1, Math.ceil((window[0].at + ms - now) / 1000));
		const group = chatId < 0;
		const overall = within(1000, false);
		if (overall.length >= limits.overallPerSecond) throw flood(waitFor(overall, 1000));
		const chat = group ? within(60_000, true) : within(1000, true);
		if (group && chat.length >= limits.perGroupPerMinute) throw flood(waitFor(chat, 60_000));
		if (!group && chat.length >= limits.perChatPerSecond) throw flood(waitFor(chat, 1000));
	};
	const accepted = (chatId: number) => {
		acceptedAt.push({ chatId, at: Date.now() });
		while (acceptedAt.length > 0 && Date.now() - acceptedAt[0].at > 60_000) acceptedAt.shift();
	};

	const methods: Record<string, (p: Record<string, any>) => unknown> = {
		getMe: () => BOT,
		getWebhookInfo: () => ({
			url: webhook?.url ?? '',
			has_custom_certificate: false,
			pending_update_count: 0,
			...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
		}),
		setWebhook: (p) => {
			const url = String(p.url ?? '');
			if (url === '') {
				webhook = null;
				return true;
			}
			let parsed: URL;
			try {
				parsed = new URL(url);
			} catch {
				throw new BotApiError(400, 'Bad Request: bad webhook: Failed to resolve host: Name or service not known');
			}
			// Telegram requires HTTPS; the fake also takes plain HTTP on loopback, where the test's n8n listens.
			const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
			if (parsed.protocol !== 'https:' && !(loopback && options.isLocalWebhookAllowed !== false)) {
				throw new BotApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
			}
			if (p.secret_token !== undefined && !SECRET.test(String(p.secret_token))) {
				throw new BotApiError(400, 'Bad Request: secret token contains unallowed characters');
			}
			const allowed = jsonParam(p.allowed_updates);
			webhook = {
				url,
				...(p.secret_token !== undefined ? { secretToken: String(p.secret_token) } : {}),
				...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
			};
			return true;
		},
		deleteWebhook: () => {
			webhook = null;
			return true;
		},
		sendMessage: (p) => {
			const chatId = Number(p.chat_id);
			const text = p.text === undefined ? '' : String(p.text);
			if (p.chat_id === undefined || p.chat_id === '') throw new BotApiError(400, 'Bad Request: chat_id is empty');
			if (text.trim() === '') throw new BotApiError(400, 'Bad Request: message text is empty');
			let shown = text;
			if (p.parse_mode === 'Markdown') {
				const parsed = parseLegacyMarkdown(text);
				if ('unclosedAt' in parsed) {
					throw new BotApiError(400, `Bad Request: can't parse entities: Can't find end of the entity starting at byte offset ${parsed.unclosedAt}`);
				}
				shown = parsed.visible;
			}
			if (shown.trim() === '') throw new BotApiError(400, 'Bad Request: message text is empty');
			if ([...shown].length > MAX_TEXT) throw new BotApiError(400, 'Bad Request: message is too long');
			// A bot can write only to chats that wrote to it first.
			const chat = chats.get(chatId);
			if (!chat) throw new BotApiError(400, 'Bad Request: chat not found');
			if (blocked.has(chatId)) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
			checkLimits(chatId);
			accepted(chatId);
			const message = { message_id: messageId++, from: BOT, chat, date: now(), text: shown };
			sent.push({ chatId, text, shown, params: p, messageId: message.message_id, at: Date.now() });
			return message;
		},
		sendChatAction: (p) => {
			const chatId = Number(p.chat_id);
			if (p.chat_id === undefined || p.chat_id === '') throw new BotApiError(400, 'Bad Request: chat_id is empty');
			const actions = ['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'];
			if (!actions.includes(String(p.action))) throw new BotApiError(400, 'Bad Request: wrong parameter action in request');
			if (!chats.has(chatId)) throw new BotApiError(400, 'Bad Request: chat not found');
			if (blocked.has(chatId)) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
			return true;
		},
	};

	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const reply = (status: number, payload: unknown) => {
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(payload));
			};
			try {
				const url = new URL(req.url ?? '/', 'http://localhost');
				const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
				if (!match) throw new BotApiError(404, 'Not Found');
				if (match[1] !== token) throw new BotApiError(401, 'Unauthorized');
				const method = Object.keys(methods).find((m) => m.toLowerCase() === match[2].toLowerCase());
				if (!method) throw new BotApiError(404, 'Not Found');
				const params = parseParams(url, String(req.headers['content-type'] ?? ''), Buffer.concat(chunks).toString('utf8'));
				calls.push({ method, params });
				const result = methods[method](params);
				const description = method === 'setWebhook' ? (params.url ? 'Webhook was set' : 'Webhook was deleted') : method === 'deleteWebhook' ? 'Webhook was deleted' : undefined;
				reply(200, { ok: true, result, ...(description ? { description } : {}) });
			} catch (error) {
				const code = error instanceof BotApiError ? error.code : 400;
				const description = error instanceof Error ? error.message : String(error);
				const retryAfter = error instanceof BotApiError ? error.retryAfter : undefined;
				const last = calls.at(-1);
				if (last && /^send/.test(last.method)) refused.push({ method: last.method, chatId: Number(last.params.chat_id), ...(last.params.text !== undefined ? { text: String(last.params.text) } : {}), code, description, ...(retryAfter !== undefined ? { retryAfter } : {}), at: Date.now() });
				reply(code, { ok: false, error_code: code, description, ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}) });
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	const postUpdate = async (update: unknown, headers: Record<string, string> = {}) => {
		if (!webhook) throw new Error('no webhook is set');
		const res = await fetch(webhook.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
		await res.arrayBuffer();
		return res.status;
	};

	return {
		url: `http://127.0.0.1:${port}`,
		token,
		calls,
		sent,
		webhook: () => webhook,
		async userWrites(chat, text) {
			const known = { id: chat.id, first_name: chat.firstName, type: 'private' as const };
			chats.set(chat.id, known);
			const update = {
				update_id: ++updateId,
				message: { message_id: messageId++, from: { id: chat.id, is_bot: false, first_name: chat.firstName, language_code: 'en' }, chat: known, date: now(), text },
			};
			if (webhook?.allowedUpdates?.length && !webhook.allowedUpdates.includes('message') && !webhook.allowedUpdates.includes('*')) {
				throw new Error(`the webhook does not take message updates (${webhook.allowedUpdates.join(', ')})`);
			}
			return postUpdate(update, webhook?.secretToken ? { 'X-Telegram-Bot-Api-Secret-Token': webhook.secretToken } : {});
		},
		postUpdate,
		sentTo: (chatId) => sent.filter((m) => m.chatId === chatId),
		refused,
		setLimits: (next) => {
			limits = next;
		},
		floodNext: (count, retryAfterSeconds) => {
			floods = { count, retryAfter: retryAfterSeconds };
		},
		block: (chatId) => blocked.add(chatId),
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
