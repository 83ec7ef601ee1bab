// The console's login (its pages are served by channels/web/console-assets.ts): POST
// /console/login turns an API key into an HttpOnly, SameSite=Strict session cookie; POST /console/logout ends it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { logIn, logOut, whoAmI } from '../console/service';
import type { AppContext } from '../context';
import { CONSOLE_SESSION_HOURS } from '../limits';
import { HttpError } from '../util/http-error';
import { CONSOLE_COOKIE, CONSOLE_HEADER, consoleToken, throttled, type AuthFailures } from './auth';
import { nonBlank } from './schemas';

const loginBody = z.strictObject({ key: z.string().min(1).max(200), name: nonBlank(200) });

/** Secure whenever the browser reached us over https (directly, or through a trusted proxy's X-Forwarded-Proto). */
function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number): FastifyReply {
	return reply.setCookie(CONSOLE_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', maxAge: maxAgeSeconds, secure: request.protocol === 'https' });
}

/** Login and logout are writes too: only the console's own script, which sends the header, may make them. */
function requireConsoleHeader(request: FastifyRequest): void {
	if (request.headers[CONSOLE_HEADER] !== '1') throw new HttpError(403, `send the header "${CONSOLE_HEADER}: 1"`);
}

export const consoleRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; failures: AuthFailures }> = async (app, { ctx, failures }) => {
	app.post('/console/login', { schema: { body: loginBody } }, async (request, reply) => {
		requireConsoleHeader(request);
		const blocked = throttled(failures, request, reply);
		if (blocked) return blocked;
		const login = await logIn(ctx, request.body.key, request.body.name);
		if (!login) {
			failures.fail(request.ip);
			throw new HttpError(401, 'invalid API key');
		}
		setSessionCookie(request, reply, login.token, CONSOLE_SESSION_HOURS * 3600).header('cache-control', 'no-store');
		return { workspace: login.workspace, user: login.user, expiresAt: login.expiresAt };
	});

	app.post('/console/logout', async (request, reply) => {
		requireConsoleHeader(request);
		await logOut(ctx, consoleToken(request));
		return setSessionCookie(request, reply, '', 0).status(204).send();
	});

	app.get('/console/session', async (request, reply) => {
		reply.header('cache-control', 'no-store');
		return whoAmI(ctx, consoleToken(request));
	});
};
