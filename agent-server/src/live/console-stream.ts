// What a console page is sent: every message, typing and conversation change of its workspace (or of one
// conversation). After a reconnect or a reset the page refetches what it shows.
import type { AppContext } from '../context';
import { getConversation } from '../store/conversations';
import { notifyLive } from '../store/live-bus';
import { HttpError, notFound } from '../util/http-error';
import type { LiveClient } from './hub';

export function consoleStreamClient(workspaceId: string, conversationId?: string): LiveClient {
	return {
		workspaceId,
		async onNotice({ notice, message }, stream) {
			if (conversationId && notice.c !== conversationId) return;
			if (notice.k === 'message') {
				const stored = await message();
				if (stored) stream.send('message', { conversationId: notice.c, message: stored });
			} else if (notice.k === 'typing') {
				stream.send('typing', { conversationId: notice.c, who: notice.who, active: notice.on, ...(notice.by ? { by: notice.by } : {}) });
			} else {
				stream.send('conversation', { conversationId: notice.c, change: notice.change, status: notice.status, ...(notice.assignee !== undefined ? { assignee: notice.assignee } : {}) });
			}
		},
	};
}

/** A person types (or stops) in the inbox; the contact's widget shows it. Nothing is stored. */
export async function signalTyping(ctx: AppContext, workspaceId: string, conversationId: string, active: boolean, by: string): Promise<void> {
	const conversation = await getConversation(ctx.store.db, workspaceId, conversationId);
	if (!conversation) throw notFound('conversation', conversationId);
	if (conversation.status === 'ended') throw new HttpError(409, `conversation ${conversationId} has ended`);
	await notifyLive(ctx.store.db, { k: 'typing', w: workspaceId, c: conversationId, who: 'human', on: active, by });
}
