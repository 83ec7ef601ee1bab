// Per-workspace request limit on the authenticated API (/v1/*). Register it in the /v1 scope after installAuth and
// before the routes: its hook runs after authentication, so the bucket is the workspace id, never the raw key.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../util/http-error';

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export interface ApiRateLimitOptions {
	/** Requests per minute per workspace; 0 turns the limit off. */
	perMinute?: number;
	/** Window length (tests); default one minute. */
	windowMs?: number;
}

export async function installApiRateLimit(scope: FastifyInstance, options: ApiRateLimitOptions = {}): Promise<void> {
	const max = options.perMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
	if (max <= 0) return;
	await scope.register(rateLimit, {
		global: true,
		max,
		timeWindow: options.windowMs ?? 60_000,
		hook: 'onRequest',
		// Set by the auth hook, which runs first; a request without a workspace never gets this far.
		keyGenerator: (request) => `ws:${request.workspaceId}`,
		errorResponseBuilder: (_request, context) =>
			new HttpError(429, `rate limit of ${context.max} requests per ${context.after} reached for this workspace; retry in ${Math.ceil(context.ttl / 1000)} s`),
	});
}
