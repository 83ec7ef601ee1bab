// The local Telegram Bot API the Telegram end-to-end test points n8n at answers and fails as Telegram does, and
// takes every text the agent server fits to Telegram.
import fc from 'fast-check';
import { formatForChannel } from '../../agent-server/src/engine/channels';
import { parseLegacyMarkdown, startFakeTelegram, TELEGRAM_LIMITS, type FakeTelegram } from '../support/fake-telegram';

let telegram: FakeTelegram;
beforeEach(async () => {
	telegram = await startFakeTelegram();
});
afterEach(async () => telegram.close());

async function call(method: string, params: Record<string, unknown> = {}, token = telegram.token) {
	const res = await fetch(`${telegram.url}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
	return { status: res.status, body: (await res.json()) as any };
}

test('answers in the {ok, result} shape and fails as {ok: false, error_code, description}', async () => {
	expect(await call('getMe')).toEqual({ status: 200, body: { ok: true, result: expect.objectContaining({ is_bot: true, username: expect.any(String) }) } });
	expect(await call('getMe', {}, '123:wrong')).toEqual({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
	expect(await call('noSuchMethod')).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
});

test('setWebhook wants HTTPS (loopback excepted) and a valid secret token; getWebhookInfo and deleteWebhook follow it', async () => {
	expect((await call('setWebhook', { url: 'http://example.com/hook' })).body).toEqual({
		ok: false,
		error_code: 400,
		description: 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook',
	});
	expect((await call('setWebhook', { url: 'https://example.com/hook', secret_token: 'has space' })).body.description).toMatch(/secret token contains unallowed characters/);
	expect((await call('setWebhook', { url: 'https://example.com/hook', secret_token: 'ok_secret-1', allowed_updates: ['message'] })).body).toEqual({ ok: true, result: true, description: 'Webhook was set' });
	expect((await call('getWebhookInfo')).body.result).toMatchObject({ url: 'https://example.com/hook', allowed_updates: ['message'], pending_update_count: 0 });
	expect((await call('deleteWebhook')).body).toEqual({ ok: true, result: true, description: 'Webhook was deleted' });
	expect((await call('getWebhookInfo')).body.result.url).toBe('');
});

test('sendMessage: only to chats that wrote to the bot, 1..4096 characters, and Markdown that closes', async () => {
	expect((await call('sendMessage', { chat_id: 42, text: 'hi' })).body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: chat not found' });
	// A chat writes first (the update goes to the webhook).
	let received: { headers: Headers; body: any } | undefined;
	const server = await import('node:http').then(({ createServer }) =>
		createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				received = { headers: new Headers(req.headers as Record<string, string>), body: JSON.parse(raw) };
				res.end();
			});
		}),
	);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const hook = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
	await call('setWebhook', { url: hook, secret_token: 'the_secret' });
	expect(await telegram.userWrites({ id: 42, firstName: 'Dana' }, 'hello')).toBe(200);
	expect(received?.headers.get('x-telegram-bot-api-secret-token')).toBe('the_secret');
	expect(received?.body.message).toMatchObject({ chat: { id: 42, type: 'private' }, from: { first_name: 'Dana', is_bot: false }, text: 'hello' });
	server.close();

	expect((await call('sendMessage', { chat_id: 42, text: 'x'.repeat(4097) })).body.description).toBe('Bad Request: message is too long');
	expect((await call('sendMessage', { chat_id: 42, text: ' ' })).body.description).toBe('Bad Request: message text is empty');
	expect((await call('sendMessage', { chat_id: 42, text: 'see price_list', parse_mode: 'Markdown' })).body.description).toBe(
		"Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 9",
	);
	const sent = await call('sendMessage', { chat_id: 42, text: 'Your *quote* is ready: price\\_list', parse_mode: 'Markdown' });
	expect(sent.body).toMatchObject({ ok: true, result: { chat: { id: 42 }, text: 'Your quote is ready: price_list' } });
	expect(telegram.sentTo(42).map((m) => m.shown)).toEqual(['Your quote is ready: price_list']);
});

test("Telegram's Markdown parser accepts every text the formatter makes for Telegram", () => {
	const marked = fc.array(fc.constantFrom('a', 'b', ' ', '_', '*', '`', '[', ']', '(', ')', '\\', '\n', 'x_y', '**', '__', 'http://e.x'), { maxLength: 60 }).map((parts) => parts.join(''));
	fc.assert(
		fc.property(fc.oneof(marked, fc.string({ maxLength: 200 })), (text) => {
			const sent = formatForChannel(text, 'telegram').text;
			expect({ text, parsed: 'visible' in parseLegacyMarkdown(sent) }).toEqual({ text, parsed: true });
		}),
		{ numRuns: 1000 },
	);
});

/** A chat that wrote to the bot (the update goes to a receiver that answers 200). */
async function knownChat(id: number) {
	const { createServer } = await import('node:http');
	const server = createServer((req, res) => req.resume().on('end', () => res.end()));
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	await call('setWebhook', { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` });
	expect(await telegram.userWrites({ id, firstName: 'Dana' }, 'hello')).toBe(200);
	server.close();
}

test("with Telegram's limits on, a second message to a chat within a second gets 429 with retry_after, as Telegram answers", async () => {
	await knownChat(43);
	await knownChat(44);
	telegram.setLimits(TELEGRAM_LIMITS);
	expect((await call('sendMessage', { chat_id: 43, text: 'one' })).status).toBe(200);
	const refused = await call('sendMessage', { chat_id: 43, text: 'two' });
	expect(refused).toEqual({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } });
	// Another chat is not held back by the first one's limit.
	expect((await call('sendMessage', { chat_id: 44, text: 'other chat' })).status).toBe(200);
	expect(telegram.refused).toEqual([{ method: 'sendMessage', chatId: 43, text: 'two', code: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1, at: expect.any(Number) }]);
	await new Promise((r) => setTimeout(r, 1100));
	expect((await call('sendMessage', { chat_id: 43, text: 'two' })).status).toBe(200);
	expect(telegram.sentTo(43).map((m) => m.text)).toEqual(['one', 'two']);
});

test('the overall limit holds across chats; a flood and a block answer as Telegram does; sendChatAction takes typing', async () => {
	await knownChat(45);
	telegram.setLimits({ ...TELEGRAM_LIMITS, perChatPerSecond: 100, overallPerSecond: 3 });
	for (let i = 0; i < 3; i++) expect((await call('sendMessage', { chat_id: 45, text: `m${i}` })).status).toBe(200);
	expect((await call('sendMessage', { chat_id: 45, text: 'm3' })).body.error_code).toBe(429);
	telegram.setLimits(null);
	telegram.floodNext(1, 7);
	expect((await call('sendMessage', { chat_id: 45, text: 'flooded' })).body).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
	expect((await call('sendChatAction', { chat_id: 45, action: 'typing' })).body).toEqual({ ok: true, result: true });
	expect((await call('sendChatAction', { chat_id: 45, action: 'dancing' })).body.description).toMatch(/wrong parameter action/);
	telegram.block(45);
	expect((await call('sendMessage', { chat_id: 45, text: 'blocked' })).body).toEqual({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
});
