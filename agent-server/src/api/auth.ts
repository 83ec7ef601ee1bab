// Resolves "Authorization: Bearer <key>" (or the console's session cookie) to the workspace and the key's scopes;
// every /v1 route runs behind it. Wrong keys are counted per client address, so guessing keys is throttled before
// the database is asked.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_FAILURES_PER_MINUTE } from '../limits';
import { findConsoleSession } from '../store/console-sessions';
import type { Store } from '../store/database';
import { findWorkspaceByApiKey, type ApiKeyScope } from '../store/workspaces';

declare module 'fastify' {
	interface FastifyRequest {
		workspaceId: string;
		apiKeyScopes: ApiKeyScope[];
		/** The person logged in to the console, when the request came with its session cookie. */
		consoleUser?: string;
	}
}

export const CONSOLE_COOKIE = 'agent_bridge_console';
/** A custom header a cross-site form cannot send: cookie-authenticated writes must carry it (with SameSite=Strict). */
export const CONSOLE_HEADER = 'x-agent-bridge-console';

/** The console session token from the Cookie header (parsed by @fastify/cookie), if any. */
export function consoleToken(request: FastifyRequest): string | undefined {
	return request.cookies?.[CONSOLE_COOKIE] || undefined;
}

/** Whether a request may change something: not a read. */
export const isWrite = (request: FastifyRequest) => !['GET', 'HEAD', 'OPTIONS'].includes(request.method);

// What the n8n nodes call: chat, conversations and contacts they act on, their own subscriptions.
const NODES_ROUTES = [
	'GET /v1/workspace',
	'GET /v1/whoami',
	'GET /v1/agents',
	'GET /v1/agents/:agentId',
	'POST /v1/chat',
	'POST /v1/conversations',
	'GET /v1/conversations/:id',
	'POST /v1/conversations/:id/replies',
	'POST /v1/conversations/:id/end',
	'POST /v1/conversations/:id/handoff',
	'POST /v1/conversations/:id/release',
	'POST /v1/conversations/:id/messages/:messageId/delivery',
	'GET /v1/contacts',
	'POST /v1/contacts',
	'GET /v1/contacts/:id',
	'PATCH /v1/contacts/:id',
	'POST /v1/contacts/:id/tags',
	'DELETE /v1/contacts/:id/tags/:tag',
	'POST /v1/contacts/:id/score',
	'GET /v1/contacts/:id/identities',
	'POST /v1/contacts/:id/identities',
	'POST /v1/contacts/:id/merge',
	'POST /v1/subscriptions',
	'GET /v1/subscriptions',
	'GET /v1/subscriptions/:id',
	'DELETE /v1/subscriptions/:id',
	'GET /v1/events/examples/:type',
	'POST /v1/deliveries/:id/claim',
];

// What the inspector and a human inbox need: read conversations and deliveries, talk as a human, replay.
const INSPECTOR_ROUTES = [
	'GET /v1/workspace',
	'GET /v1/whoami',
	'GET /v1/agents',
	'GET /v1/agents/:agentId',
	'GET /v1/budget',
	'POST /v1/chat',
	'GET /v1/conversations',
	'GET /v1/conversations/:id',
	'GET /v1/conversations/:id/deliveries',
	'POST /v1/conversations/:id/events/send',
	'POST /v1/conversations/:id/handoff',
	'POST /v1/conversations/:id/release',
	'POST /v1/conversations/:id/human-replies',
	'POST /v1/conversations/:id/end',
	'GET /v1/contacts/:id',
	'GET /v1/subscriptions',
	'GET /v1/subscriptions/health',
	'GET /v1/deliveries',
	'GET /v1/deliveries/summary',
	'GET /v1/executions',
	'POST /v1/deliveries/:id/replay',
	'POST /v1/deliveries/replay',
	'GET /v1/workspace/log',
	'GET /v1/workspace/retention',
	'GET /v1/stats',
	'GET /v1/live',
	'GET /v1/inbox',
	'POST /v1/conversations/:id/claim',
	'POST /v1/conversations/:id/notes',
	'POST /v1/conversations/:id/typing',
	'GET /v1/contacts/search',
	'GET /v1/contacts/:id/conversations',
	'GET /v1/contacts/:id/identities',
	'PATCH /v1/contacts/:id',
	'POST /v1/contacts/:id/tags',
	'DELETE /v1/contacts/:id/tags/:tag',
];

const SCOPE_ROUTES: Record<Exclude<ApiKeyScope, 'admin'>, Set<string>> = {
	nodes: new Set(NODES_ROUTES),
	inspector: new Set(INSPECTOR_ROUTES),
};

/** Whether keys with these scopes may call this route ("METHOD /v1/path" as registered); admin may call all. */
export function scopesAllow(scopes: readonly ApiKeyScope[], route: string): boolean {
	return scopes.some((s) => s === 'admin' || SCOPE_ROUTES[s].has(route));
}

export type AuthFailures = ReturnType<typeof failureCounter>;

/** Failed authentications per client address in fixed one-minute windows; bounded in memory. */
export function failureCounter(max: number = AUTH_FAILURES_PER_MINUTE, windowMs = 60_000, maxAddresses = 10_000) {
	const seen = new Map<string, { count: number; resetAt: number }>();
	const current = (ip: string, now: number) => {
		const entry = seen.get(ip);
		return entry && entry.resetAt > now ? entry : undefined;
	};
	return {
		/** Seconds until this address may try again, or 0. */
		blockedFor(ip: string, now = Date.now()): number {
			const entry = current(ip, now);
			return entry && entry.count >= max ? Math.ceil((entry.resetAt - now) / 1000) : 0;
		},
		fail(ip: string, now = Date.now()): void {
			const entry = current(ip, now);
			if (entry) entry.count += 1;
			else {
				if (seen.size >= maxAddresses) for (const [k, v] of seen) if (v.resetAt <= now || seen.size >= maxAddresses) seen.delete(k);
				seen.set(ip, { count: 1, resetAt: now + windowMs });
			}
		},
	};
}

function unauthorized(reply: FastifyReply, message: string) {
	return reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message });
}

/** 429 while this address has failed too often; shared by the API and the console login. */
export function throttled(failures: AuthFailures, request: FastifyRequest, reply: FastifyReply) {
	const wait = failures.blockedFor(request.ip);
	if (wait <= 0) return undefined;
	return reply
		.status(429)
		.header('retry-after', String(wait))
		.send({ statusCode: 429, error: 'Too Many Requests', message: `too many failed authentications from this address; retry in ${wait} s` });
}

/** The workspace and scopes of the console session cookie; writes must also carry the console header. */
async function consoleSessionAuth(store: Store, request: FastifyRequest, reply: FastifyReply, token: string) {
	const session = await findConsoleSession(store.db, token);
	if (!session) return { denied: unauthorized(reply, 'the console session has expired or was logged out; log in again') };
	if (isWrite(request) && request.headers[CONSOLE_HEADER] !== '1') {
		return { denied: reply.status(403).send({ statusCode: 403, error: 'Forbidden', message: `a request authenticated by the console cookie must send the header "${CONSOLE_HEADER}: 1"` }) };
	}
	return { key: { id: session.workspaceId, scopes: session.scopes }, user: session.userName };
}

export function installAuth(scope: FastifyInstance, store: Store, failures: AuthFailures = failureCounter()): void {
	scope.addHook('onRequest', async (request, reply) => {
		const blocked = throttled(failures, request, reply);
		if (blocked) return blocked;
		const header = request.headers.authorization;
		const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
		const cookie = header === undefined ? consoleToken(request) : undefined;
		let key: { id: string; scopes: ApiKeyScope[] } | undefined;
		if (cookie) {
			const session = await consoleSessionAuth(store, request, reply, cookie);
			if (session.denied) return session.denied;
			key = session.key;
			request.consoleUser = session.user;
		} else {
			if (!match) return unauthorized(reply, 'missing API key: send the header "Authorization: Bearer <api key>"');
			key = await findWorkspaceByApiKey(store.db, match[1]);
			if (!key) {
				failures.fail(request.ip);
				return unauthorized(reply, 'invalid API key');
			}
		}
		const route = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url}`;
		if (request.routeOptions.url && !scopesAllow(key.scopes, route)) {
			return reply
				.status(403)
				.send({ statusCode: 403, error: 'Forbidden', message: `this API key (scopes: ${key.scopes.join(', ')}) may not call ${route}` });
		}
		request.workspaceId = key.id;
		request.apiKeyScopes = key.scopes;
	});
}
