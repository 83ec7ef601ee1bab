// Public widget routes (/widget/v1): a browser on an allowed origin talks to one web agent with a publishable
// key and its own session token. The workspace API key never reaches the browser.
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { id } from '../../api/schemas';
import type { AppContext } from '../../context';
import { WIDGET_BODY_LIMIT_BYTES, WIDGET_MESSAGE_MAX_CHARS, WIDGET_SESSION_LIFETIME_DAYS, WIDGET_SESSIONS_PER_KEY_PER_HOUR } from '../../limits';
import { appearanceOfKey } from '../../store/widget-appearance';
import { publicAppearance } from './appearance';
import { chat } from '../../conversations/turn';
import { widgetStreamClient } from '../../live/widget-stream';
import { getConversation, latestMessageId, listMessagesAfter } from '../../store/conversations';
import { HttpError } from '../../util/http-error';
import { countWidgetSessionsSince, createWidgetSession, findWidgetKey, findWidgetSession, touchWidgetSession, type WidgetKeyWithWorkspace, type WidgetSession } from '../../store/widgets';

export interface WebChannelOptions {
	/** Widget requests per client IP and widget key in each window (default 30 messages, 240 polls a minute). */
	rateLimit?: { messages?: number; polls?: number; windowMs?: number };
	/** How often a waiting poll looks for new messages (default 500 ms). */
	pollIntervalMs?: number;
	/** Longest a poll is held open, in seconds (default 25). */
	maxWaitSeconds?: number;
	/** New sessions one widget key may open per hour (default 1000); past it a visitor without a session gets 429. */
	sessionsPerKeyPerHour?: number;
}

declare module 'fastify' {
	interface FastifyRequest {
		widgetKey?: WidgetKeyWithWorkspace;
	}
}

export const WIDGET_BODY_LIMIT = WIDGET_BODY_LIMIT_BYTES;
const SESSION_HEADER = 'x-widget-session';

const key = z.string().min(1).max(100);
const messageBody = z.strictObject({
	agentId: id,
	text: z
		.string()
		.min(1)
		.max(WIDGET_MESSAGE_MAX_CHARS)
		.refine((s) => s.trim().length > 0, 'must not be blank'),
	sessionToken: z.string().min(1).max(200).optional(),
});
const postQuery = z.strictObject({ key });
const pollQuery = z.strictObject({
	key,
	after: id.optional(),
	wait: z.coerce.number().int().min(0).max(60).optional(),
});
const agentQuery = z.strictObject({ key });
// `v` is the avatar's version (part of its hash), so a changed avatar is a new URL for caches.
const avatarQuery = z.strictObject({ key, v: z.string().max(64).optional() });
const liveQuery = z.strictObject({ key });
const LAST_EVENT_ID = 'last-event-id';
const agentParams = z.object({ agentId: id });

export interface PublicMessage {
	id: string;
	role: 'contact' | 'agent' | 'human';
	text: string;
	createdAt: string;
}

/** A widget key opens a bounded number of sessions (contacts and conversations) an hour, whoever sends them. */
async function checkSessionBudget(ctx: AppContext, widgetKeyId: string, perHour: number): Promise<void> {
	const since = new Date(Date.now() - 3_600_000).toISOString();
	if ((await countWidgetSessionsSince(ctx.store.db, widgetKeyId, since)) >= perHour) {
		throw new HttpError(429, `this widget key opened its ${perHour} new chats for this hour; try again later`);
	}
}

/** What the browser may see of a conversation: who spoke and what was said, nothing about workflows. */
async function messagesAfter(ctx: AppContext, session: WidgetSession, after: string | undefined): Promise<PublicMessage[]> {
	const messages = await listMessagesAfter(ctx.store.db, session.workspaceId, session.conversationId, after, 200);
	return messages.map(({ id, role, text, createdAt }) => ({ id, role, text, createdAt }));
}

function lastMessageId(ctx: AppContext, session: WidgetSession): Promise<string | undefined> {
	return latestMessageId(ctx.store.db, session.workspaceId, session.conversationId);
}

async function webAgent(ctx: AppContext, workspaceId: string, agentId: string) {
	const agent = (await ctx.agentsFor(workspaceId)).get(agentId);
	if (!agent || !agent.channels.includes('web')) throw new HttpError(404, `agent ${agentId} is not available on the web channel`);
	return agent;
}

const sleep = (ms: number, signal: AbortSignal) =>
	new Promise<void>((resolve) => {
		if (signal.aborted) return resolve();
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		}
		signal.addEventListener('abort', done);
	});

function keyOf(request: FastifyRequest): WidgetKeyWithWorkspace {
	// Set by the onRequest hook for every route of this scope.
	if (!request.widgetKey) throw new HttpError(401, 'missing widget key');
	return request.widgetKey;
}

/** The visitor's session token; the routes that read a conversation take it in a header, never in the URL. */
function sessionTokenOf(request: FastifyRequest): string {
	const token = request.headers[SESSION_HEADER];
	if (typeof token !== 'string' || token === '') throw new HttpError(400, `headers/${SESSION_HEADER} is required`);
	return token;
}

async function sessionOf(ctx: AppContext, request: FastifyRequest, token: string): Promise<WidgetSession> {
	const lastSeenSince = new Date(Date.now() - WIDGET_SESSION_LIFETIME_DAYS * 86_400_000).toISOString();
	const session = await findWidgetSession(ctx.store.db, keyOf(request).id, token, lastSeenSince);
	if (!session) throw new HttpError(404, 'widget session not found; send a message without sessionToken to start a new one');
	return session;
}

/** CORS for the key's own origins only; a request without Origin is not a cross-site browser request. */
function applyCors(request: FastifyRequest, reply: FastifyReply, widgetKey: WidgetKeyWithWorkspace): boolean {
	const origin = request.headers.origin;
	if (origin === undefined) return true;
	if (!widgetKey.allowedOrigins.includes(origin)) return false;
	reply.header('access-control-allow-origin', origin);
	reply.header('vary', 'Origin');
	return true;
}

export const widgetRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; options?: WebChannelOptions }> = async (app, { ctx, options = {} }) => {
	const pollIntervalMs = options.pollIntervalMs ?? 500;
	const maxWaitSeconds = options.maxWaitSeconds ?? 25;
	const windowMs = options.rateLimit?.windowMs ?? 60_000;
	// Held polls end when the server closes, so shutdown never waits for them.
	const closing = new AbortController();
	app.addHook('preClose', async () => closing.abort());

	app.addHook('onRequest', async (request, reply) => {
		const given = (request.query as Record<string, unknown> | undefined)?.key;
		if (typeof given !== 'string' || given === '') {
			return reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message: 'missing widget key: add ?key=pk_... to the URL' });
		}
		const widgetKey = await findWidgetKey(ctx.store.db, given);
		if (!widgetKey) return reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message: 'invalid widget key' });
		if (!applyCors(request, reply, widgetKey)) {
			return reply
				.status(403)
				.send({ statusCode: 403, error: 'Forbidden', message: `origin ${request.headers.origin} is not allowed for this widget key` });
		}
		request.widgetKey = widgetKey;
	});

	await app.register(rateLimit, {
		global: false,
		// Per client and key: one busy site cannot use up another's allowance on a shared address.
		keyGenerator: (request) => `${request.ip}|${request.widgetKey?.id ?? '-'}`,
		errorResponseBuilder: (_request, context) => new HttpError(429, `too many widget requests; retry in ${Math.ceil(context.ttl / 1000)} s`),
	});

	// Preflight: the hook above has already checked the key and the origin.
	app.options('/*', { config: { rateLimit: false } }, async (_request, reply) => {
		reply.header('access-control-allow-methods', 'GET, POST');
		reply.header('access-control-allow-headers', `content-type, ${SESSION_HEADER}, ${LAST_EVENT_ID}`);
		reply.header('access-control-max-age', '600');
		return reply.status(204).send();
	});

	// The widget's config: the agent's name and the key's appearance.
	app.get('/agents/:agentId', { schema: { params: agentParams, querystring: agentQuery } }, async (request) => {
		const widgetKey = keyOf(request);
		const agent = await webAgent(ctx, widgetKey.workspaceId, request.params.agentId);
		const appearance = publicAppearance(await appearanceOfKey(ctx.store.db, widgetKey.id), widgetKey.key);
		return { id: agent.id, name: agent.name, appearance, sessionLifetimeDays: WIDGET_SESSION_LIFETIME_DAYS };
	});

	// The avatar comes from this server, so the widget makes no request to any other origin.
	app.get('/avatar', { schema: { querystring: avatarQuery } }, async (request, reply) => {
		const { avatar } = await appearanceOfKey(ctx.store.db, keyOf(request).id);
		if (!avatar) throw new HttpError(404, 'this widget key has no avatar');
		return reply
			.header('content-type', avatar.type)
			.header('cache-control', 'public, max-age=86400')
			.header('cross-origin-resource-policy', 'cross-origin')
			.header('x-content-type-options', 'nosniff')
			.header('content-security-policy', "default-src 'none'")
			.send(Buffer.from(avatar.data, 'base64'));
	});

	app.post(
		'/messages',
		{
			schema: { querystring: postQuery, body: messageBody },
			bodyLimit: WIDGET_BODY_LIMIT,
			config: { rateLimit: { max: options.rateLimit?.messages ?? 30, timeWindow: windowMs } },
		},
		async (request) => {
			const widgetKey = keyOf(request);
			const workspaceId = widgetKey.workspaceId;
			const agent = await webAgent(ctx, workspaceId, request.body.agentId);
			let session = request.body.sessionToken ? await sessionOf(ctx, request, request.body.sessionToken) : undefined;
			if (session && session.agentId !== agent.id) throw new HttpError(400, `this session talks to agent ${session.agentId}, not ${agent.id}`);
			if (!session) await checkSessionBudget(ctx, widgetKey.id, options.sessionsPerKeyPerHour ?? WIDGET_SESSIONS_PER_KEY_PER_HOUR);

			const current = session ? await getConversation(ctx.store.db, workspaceId, session.conversationId) : undefined;
			// An ended conversation is not reopened: the same contact starts a new one.
			const continuing = current && current.status !== 'ended' ? current : undefined;
			const before = session && continuing ? await lastMessageId(ctx, session) : undefined;
			const result = await chat(ctx, workspaceId, {
				agentId: agent.id,
				text: request.body.text,
				channel: 'web',
				...(continuing ? { conversationId: continuing.id } : {}),
				...(session && !continuing ? { contactId: session.contactId } : {}),
			});

			let token = request.body.sessionToken;
			if (!session) {
				const created = await createWidgetSession(ctx.store.db, {
					workspaceId,
					widgetKeyId: widgetKey.id,
					agentId: agent.id,
					contactId: result.contact.id,
					conversationId: result.conversation.id,
				});
				session = created.session;
				token = created.token;
			} else {
				await touchWidgetSession(ctx.store.db, session.id, result.conversation.id);
				session = { ...session, conversationId: result.conversation.id };
			}
			// A message still queued behind other turns is answered later; the widget's long poll brings the answer.
			const answered = 'queued' in result ? null : result;
			return {
				sessionToken: token,
				status: answered?.conversation.status ?? 'active',
				reply: answered?.reply ?? null,
				messages: await messagesAfter(ctx, session, before),
			};
		},
	);

	// Server-sent events for this visitor's conversation: new messages (with their ids, so a reconnect with
	// Last-Event-ID catches up), typing and status. The session token travels in a header, never in the URL.
	app.get(
		'/live',
		{
			schema: { querystring: liveQuery },
			config: { rateLimit: { max: options.rateLimit?.polls ?? 240, timeWindow: windowMs } },
		},
		async (request, reply) => {
			const token = sessionTokenOf(request);
			const session = await sessionOf(ctx, request, token);
			const after = request.headers[LAST_EVENT_ID];
			const lastId = typeof after === 'string' && id.safeParse(after).success ? after : undefined;
			await ctx.live.open(reply, widgetStreamClient(ctx, session, lastId, () => findWidgetSession(ctx.store.db, keyOf(request).id, token)));
		},
	);

	// Long poll (the widget before live streams; kept for embeds that still use it): answers as soon as there are messages after `after` (workflow replies, a human, late results),
	// or with an empty list after `wait` seconds.
	app.get(
		'/messages',
		{
			schema: { querystring: pollQuery },
			config: { rateLimit: { max: options.rateLimit?.polls ?? 240, timeWindow: windowMs } },
		},
		async (request, reply) => {
			const token = sessionTokenOf(request);
			let session = await sessionOf(ctx, request, token);
			const waitMs = Math.min(request.query.wait ?? maxWaitSeconds, maxWaitSeconds) * 1000;
			const deadline = Date.now() + waitMs;
			const gone = new AbortController();
			const onClose = () => gone.abort();
			reply.raw.on('close', onClose);
			const stop = AbortSignal.any([gone.signal, closing.signal]);
			try {
				for (;;) {
					// The store closes right after; the widget backs off and polls the next instance.
					if (closing.signal.aborted) throw new HttpError(503, 'the server is shutting down; poll again');
					const messages = await messagesAfter(ctx, session, request.query.after);
					if (messages.length === 0 && closing.signal.aborted) throw new HttpError(503, 'the server is shutting down; poll again');
					if (messages.length > 0 || Date.now() >= deadline || stop.aborted) {
						const conversation = await getConversation(ctx.store.db, session.workspaceId, session.conversationId);
						return { status: conversation?.status ?? 'ended', messages };
					}
					await sleep(Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())), stop);
					// A message sent meanwhile may have moved the session to a new conversation.
					session = await sessionOf(ctx, request, token);
				}
			} finally {
				reply.raw.off('close', onClose);
			}
		},
	);
};
