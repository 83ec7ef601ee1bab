// The console's pages (served with the inspector's strict Content-Security-Policy) and its login: POST
// /console/login turns an API key into an HttpOnly, SameSite=Strict session cookie; POST /console/logout ends it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PUBLIC_DIR, PAGE_HEADERS } from '../channels/web/assets';
import { logIn, logOut, whoAmI } from '../console/service';
import type { AppContext } from '../context';
import { CONSOLE_SESSION_HOURS } from '../limits';
import { HttpError } from '../util/http-error';
import { CONSOLE_COOKIE, CONSOLE_HEADER, consoleToken, throttled, type AuthFailures } from './auth';
import { nonBlank } from './schemas';

const loginBody = z.strictObject({ key: z.string().min(1).max(200), name: nonBlank(200) });

const FILES: Record<string, { file: string; type: string }> = {
	'/console': { file: 'console.html', type: 'text/html' },
	'/console/login': { file: 'login.html', type: 'text/html' },
	'/console/console.css': { file: 'console.css', type: 'text/css' },
	'/console/api.js': { file: 'api.js', type: 'text/javascript' },
	'/console/live.js': { file: 'live.js', type: 'text/javascript' },
	'/console/inbox.js': { file: 'inbox.js', type: 'text/javascript' },
	'/console/login.js': { file: 'login.js', type: 'text/javascript' },
};

/** Secure whenever the browser reached us over https (directly, or through a trusted proxy's X-Forwarded-Proto). */
function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
	return [`${CONSOLE_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(request.protocol === 'https' ? ['Secure'] : [])].join('; ');
}

/** Login and logout are writes too: only the console's own script, which sends the header, may make them. */
function requireConsoleHeader(request: FastifyRequest): void {
	if (request.headers[CONSOLE_HEADER] !== '1') throw new HttpError(403, `send the header "${CONSOLE_HEADER}: 1"`);
}

export const consoleRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; failures: AuthFailures; publicDir?: string }> = async (
	app,
	{ ctx, failures, publicDir = PUBLIC_DIR },
) => {
	for (const [url, { file, type }] of Object.entries(FILES)) {
		// Read once per app: the files are part of the release.
		const body = readFileSync(path.join(publicDir, 'console', file), 'utf8');
		app.get(url, async (_request, reply: FastifyReply) => reply.headers(PAGE_HEADERS).header('content-type', `${type}; charset=utf-8`).send(body));
	}

	app.post('/console/login', { schema: { body: loginBody } }, async (request, reply) => {
		requireConsoleHeader(request);
		const blocked = throttled(failures, request, reply);
		if (blocked) return blocked;
		const login = await logIn(ctx, request.body.key, request.body.name);
		if (!login) {
			failures.fail(request.ip);
			throw new HttpError(401, 'invalid API key');
		}
		reply.header('set-cookie', cookie(request, login.token, CONSOLE_SESSION_HOURS * 3600)).header('cache-control', 'no-store');
		return { workspace: login.workspace, user: login.user, expiresAt: login.expiresAt };
	});

	app.post('/console/logout', async (request, reply) => {
		requireConsoleHeader(request);
		await logOut(ctx, consoleToken(request));
		return reply.header('set-cookie', cookie(request, '', 0)).status(204).send();
	});

	app.get('/console/session', async (request, reply) => {
		reply.header('cache-control', 'no-store');
		return whoAmI(ctx, consoleToken(request));
	});
};
