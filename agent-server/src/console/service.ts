// Console login: an API key (checked like a bearer key) and the person's name make a session; the browser keeps
// only the session token, in an HttpOnly cookie.
import type { AppContext } from '../context';
import { CONSOLE_SESSION_HOURS, CONSOLE_SESSIONS_PER_WORKSPACE } from '../limits';
import { createConsoleSession, deleteConsoleSession, findConsoleSession } from '../store/console-sessions';
import { findWorkspaceByApiKey, lockWorkspace } from '../store/workspaces';
import { HttpError } from '../util/http-error';

export interface ConsoleLogin {
	token: string;
	workspace: { id: string; name: string };
	user: string;
	expiresAt: string;
}

/** undefined when the key is wrong or revoked (the caller counts the failure). */
export async function logIn(ctx: AppContext, key: string, user: string): Promise<ConsoleLogin | undefined> {
	const found = await findWorkspaceByApiKey(ctx.store.db, key);
	if (!found) return undefined;
	const expiresAt = new Date(Date.now() + CONSOLE_SESSION_HOURS * 3_600_000).toISOString();
	const { token } = await ctx.store.db.transaction().execute(async (trx) => {
		// Logins at the same moment take turns, so the sessions kept never pass the limit.
		await lockWorkspace(trx, found.id);
		return createConsoleSession(trx, { workspaceId: found.id, apiKeyId: found.keyId, userName: user, expiresAt }, CONSOLE_SESSIONS_PER_WORKSPACE);
	});
	return { token, workspace: { id: found.id, name: found.name }, user, expiresAt };
}

export async function logOut(ctx: AppContext, token: string | undefined): Promise<void> {
	if (token) await deleteConsoleSession(ctx.store.db, token);
}

export async function whoAmI(ctx: AppContext, token: string | undefined) {
	const session = token ? await findConsoleSession(ctx.store.db, token) : undefined;
	if (!session) throw new HttpError(401, 'not logged in to the console');
	return { workspace: { id: session.workspaceId, name: session.workspaceName }, user: session.userName, scopes: session.scopes, expiresAt: session.expiresAt };
}
