// Idempotency-Key for POST routes: the first successful answer is stored per (workspace, key) and a retry with the
// same key gets it back without running the route again, so it fires nothing new.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../store/database';
import {
	claimIdempotencyKey,
	forgetIdempotencyKeys,
	getIdempotencyKey,
	releaseIdempotencyKey,
	storeIdempotentReply,
	takeOverIdempotencyKey,
} from '../store/idempotency';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Every call that changes something and that a workflow makes: the action nodes send a key derived from the
 * triggering event and the node, so an execution n8n runs twice (a retry, a re-run, a stalled job) changes things once.
 */
export const IDEMPOTENT_ROUTES = [
	'POST /v1/chat',
	'POST /v1/contacts',
	'PATCH /v1/contacts/:id',
	'POST /v1/contacts/:id/tags',
	'DELETE /v1/contacts/:id/tags/:tag',
	'POST /v1/contacts/:id/score',
	'POST /v1/contacts/:id/identities',
	'POST /v1/conversations',
	'POST /v1/conversations/:id/replies',
	'POST /v1/conversations/:id/end',
	'POST /v1/conversations/:id/handoff',
	'POST /v1/conversations/:id/release',
	'POST /v1/conversations/:id/messages/:messageId/delivery',
];
/** How long a stored reply is kept; a retry later than this runs as a new request. */
const KEEP_MS = 24 * 3_600_000;
/** A claim older than this belongs to a request that died; a retry may take it over. */
const CLAIM_MS = 60_000;

declare module 'fastify' {
	interface FastifyRequest {
		idempotencyClaim?: { key: string; lockedUntil: string };
	}
}

function fingerprint(request: FastifyRequest): string {
	return createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
}

function refuse(status: number, message: string) {
	const error = status === 409 ? 'Conflict' : status === 422 ? 'Unprocessable Entity' : 'Bad Request';
	return { statusCode: status, error, message };
}

/** routes: "METHOD /full/path" as registered, e.g. "POST /v1/chat". */
export function installIdempotency(scope: FastifyInstance, store: Store, routes: string[]): void {
	const covered = new Set(routes);
	const db = store.db;

	scope.addHook('preHandler', async (request, reply) => {
		if (!covered.has(`${request.method} ${request.routeOptions.url}`)) return;
		const header = request.headers[IDEMPOTENCY_HEADER];
		if (header === undefined) return;
		if (typeof header !== 'string' || header.length < 1 || header.length > 255 || !/^[\x21-\x7e]+$/.test(header)) {
			return reply.status(400).send(refuse(400, `headers/${IDEMPOTENCY_HEADER}: 1 to 255 visible ASCII characters`));
		}
		const now = Date.now();
		const hash = fingerprint(request);
		const lockedUntil = new Date(now + CLAIM_MS).toISOString();
		await forgetIdempotencyKeys(db, request.workspaceId, new Date(now - KEEP_MS).toISOString());
		const claim = { workspaceId: request.workspaceId, key: header, route: request.routeOptions.url ?? '', requestHash: hash, lockedUntil, at: new Date(now).toISOString() };
		if (await claimIdempotencyKey(db, claim)) {
			request.idempotencyClaim = { key: header, lockedUntil };
			return;
		}

		const row = await getIdempotencyKey(db, request.workspaceId, header);
		if (!row) return reply.status(409).send(refuse(409, 'a request with this Idempotency-Key is being processed; retry shortly'));
		if (row.request_hash !== hash) {
			return reply.status(422).send(refuse(422, 'this Idempotency-Key was used with a different request'));
		}
		if (row.status_code !== null) {
			return reply
				.status(Number(row.status_code))
				.header('idempotent-replayed', 'true')
				.type('application/json; charset=utf-8')
				.send(row.response_body ?? '');
		}
		if (Date.parse(row.locked_until) > now) {
			return reply.status(409).send(refuse(409, 'a request with this Idempotency-Key is being processed; retry shortly'));
		}
		// The first request died before answering: take its claim over, unless another retry just did.
		if (!(await takeOverIdempotencyKey(db, request.workspaceId, header, row.locked_until, lockedUntil))) {
			return reply.status(409).send(refuse(409, 'a request with this Idempotency-Key is being processed; retry shortly'));
		}
		request.idempotencyClaim = { key: header, lockedUntil };
	});

	scope.addHook('onSend', async (request, reply, payload) => {
		const claim = request.idempotencyClaim;
		if (!claim) return payload;
		const mine = { workspaceId: request.workspaceId, key: claim.key, lockedUntil: claim.lockedUntil };
		// Only a success is replayed: a refusal (4xx) may be fixed and retried with the same key, and a server error
		// changed nothing (the route's transaction rolled back).
		if (reply.statusCode < 400 && typeof payload === 'string') {
			await storeIdempotentReply(db, mine, reply.statusCode, payload);
		} else {
			await releaseIdempotencyKey(db, mine);
		}
		return payload;
	});
}
